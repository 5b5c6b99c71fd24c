"""The built-in engine runs without Presidio; Presidio recognizers can still be added.

- the default detector never imports ``presidio_analyzer`` or ``spacy`` (fresh
  interpreter: what ``auditor detect`` pays at start-up);
- a Presidio ``PatternRecognizer`` passed as ``DetectorConfig(recognizers=...)`` runs
  through Presidio next to the built-in recognizers: its new entity type is reported,
  its context words raise its score, ``types=`` restricts to it, and the built-in
  detections of the same text are unchanged;
- the built-in e-mail/card/IBAN/IP recognizers keep the behaviour of Presidio's.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from auditor.errors import ConfigError
from auditor.pii import DetectorConfig, PiiDetector, get_detector
from auditor.pii.recognizers.general import iban_ok, public_suffix_host

REPO = Path(__file__).resolve().parents[2]


def test_default_detector_imports_neither_presidio_nor_spacy() -> None:
    script = textwrap.dedent("""
        import sys
        from auditor.pii import get_detector
        found = get_detector().detect("SĐT 0912 345 678, an.nguyen@example.vn, "
                                      "IBAN GB82WEST12345698765432, 10.1.2.3")
        assert [e.type for e in found] == ["VN_PHONE", "EMAIL_ADDRESS", "IBAN_CODE",
                                           "IP_ADDRESS"], found
        loaded = sorted(m for m in sys.modules
                        if m.split(".")[0] in {"presidio_analyzer", "spacy", "thinc",
                                               "tldextract", "requests"})
        print("loaded:", loaded)
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "loaded: []" in proc.stdout


def _employee_recognizer() -> object:
    from presidio_analyzer import Pattern, PatternRecognizer

    return PatternRecognizer(supported_entity="EMPLOYEE_ID",
                             patterns=[Pattern("employee id", r"\bNV-\d{6}\b", 0.3)],
                             context=["nhanvien", "employee"])


def test_added_presidio_recognizer_runs_beside_the_builtin_ones() -> None:
    detector = PiiDetector(DetectorConfig(recognizers=(_employee_recognizer(),)))
    text = "Mã nhân viên NV-123456, SĐT 0912 345 678"
    found = [(e.type, text[e.start:e.end]) for e in detector.detect(text)]
    assert found == [("VN_PHONE", "0912 345 678")]   # 0.3 and no context word: below 0.5
    text = "employee NV-123456, SĐT 0912 345 678"
    scored = [(e.type, text[e.start:e.end], e.score) for e in detector.detect(text)]
    assert scored == [("EMPLOYEE_ID", "NV-123456", 0.75), ("VN_PHONE", "0912 345 678", 1.0)]
    assert [e.type for e in detector.detect("NV-654321", context=["nhanvien"])] == [
        "EMPLOYEE_ID"]
    assert [e.type for e in detector.detect(text, types=["EMPLOYEE_ID"])] == ["EMPLOYEE_ID"]
    plain = get_detector()
    assert [e for e in detector.detect(text) if e.type != "EMPLOYEE_ID"] == \
        plain.detect(text)


def test_added_recognizer_types_are_validated() -> None:
    config = DetectorConfig(recognizers=(_employee_recognizer(),), types=("EMPLOYEE_ID",))
    assert config.enabled_types == ("EMPLOYEE_ID",)
    with pytest.raises(ConfigError, match="EMPLOYEE_ID"):
        DetectorConfig(types=("EMPLOYEE_ID",))
    with pytest.raises(ConfigError, match="not a Presidio EntityRecognizer"):
        DetectorConfig(recognizers=(object(),))


@pytest.mark.parametrize(("address", "expected"), [
    ("an.nguyen@example.vn", True),
    ("bob@company.co.uk", True),
    ("x@mail.gov.vn", True),
    ("user@localhost", False),
    ("user@host.internal", False),
    ("a@b.c", False),
    ("someone@10.0.0.1", False),
    ("x@co.uk", False),            # a public suffix alone is no domain
])
def test_public_suffix(address: str, expected: bool) -> None:
    assert public_suffix_host(address) is expected


@pytest.mark.parametrize(("iban", "expected"), [
    ("GB82WEST12345698765432", True),
    ("GB82 WEST 1234 5698 7654 32", True),
    ("DE89370400440532013000", True),
    ("GB82WEST12345698765433", False),   # check digits
    ("GB82W3ST12345698765432", False),   # letters where the layout wants them
    ("XX82WEST12345698765432", False),   # no such country
])
def test_iban(iban: str, expected: bool) -> None:
    assert iban_ok(iban) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("card 4111 1111 1111 1111 exp", [("CREDIT_CARD", "4111 1111 1111 1111")]),
    ("card 4111 1111 1111 1112", []),                               # Luhn
    ("MST 0100233488-001", [("VN_TAX_CODE", "0100233488-001")]),    # not a card
    ("from 2001:db8::1 and 10.0.0.1/24", [("IP_ADDRESS", "2001:db8::1"),
                                          ("IP_ADDRESS", "10.0.0.1/24")]),
    ("bind 0.0.0.0 and ::1 and 127.0.0.1", []),
    ("IBAN DE89 3704 0044 0532 0130 00 2 days", [("IBAN_CODE",
                                                  "DE89 3704 0044 0532 0130 00")]),
    ("mail Dat|dat@x.vn", [("EMAIL_ADDRESS", "dat@x.vn")]),
])
def test_general_types(text: str, expected: list[tuple[str, str]]) -> None:
    found = [(e.type, text[e.start:e.end]) for e in get_detector().detect(text)]
    assert found == expected
