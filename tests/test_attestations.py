"""Manual checks recorded (``--attestations``): a valid attestation decides a manual
requirement until it expires, never an automated one; an expired one reverts to manual and
is listed; bad files are clear errors naming file and line."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from auditor.errors import RulePackError
from auditor.policy.attestations import apply_attestations, load_attestations
from tests.reports.sample import sample_result

REPO = Path(__file__).resolve().parents[1]
GOOD = """attestations:
  - requirement: gdpr:Art35
    result: pass
    evidence: "DPIA dossier 12/2026"
    assessor: Nguyễn Văn A
    date: 2026-10-01
    expires: 2026-12-31
  - requirement: gdpr:Art33
    result: fail
    evidence: "no breach-notification procedure"
    assessor: Nguyễn Văn A
    date: 2026-10-01
    expires: 2027-10-01
  - requirement: iso27001-2022:A.8.15
    result: fail
    evidence: "logs reviewed by hand"
    assessor: Nguyễn Văn A
    date: 2026-10-01
    expires: 2027-10-01
  - requirement: gdpr:No-Such-Article
    result: pass
    evidence: "x"
    assessor: Nguyễn Văn A
    date: 2026-10-01
    expires: 2027-10-01
"""


@pytest.mark.parametrize(("text", "message", "line"), [
    ("attestations: {}\n", "'attestations' list", 1),
    ("attestations:\n  - requirement: gdpr:Art35\n    result: pass\n", "non-empty 'evidence'",
     2),
    ("attestations:\n  - {requirement: Art35, result: pass, evidence: e, assessor: a, "
     "date: 2026-01-01, expires: 2027-01-01}\n", "FRAMEWORK:REQUIREMENT", 2),
    ("attestations:\n  - {requirement: gdpr:Art35, result: ok, evidence: e, assessor: a, "
     "date: 2026-01-01, expires: 2027-01-01}\n", "'result' must be one of", 2),
    ("attestations:\n  - {requirement: gdpr:Art35, result: pass, evidence: e, assessor: a, "
     "date: 2026-01-01, expires: 2025-01-01}\n", "'expires' is before 'date'", 2),
    ("attestations:\n  - {requirement: gdpr:Art35, result: pass, evidence: e, assessor: a, "
     "date: soon, expires: 2027-01-01}\n", "'date' is not a date", 2),
    ("attestations:\n  - {requirement: gdpr:Art35, result: pass, evidence: e, assessor: a, "
     "date: 2026-01-01, expires: 2027-01-01, signed: yes}\n", "unknown field 'signed'", 2),
])
def test_bad_files_name_file_and_line(tmp_path: Path, text: str, message: str,
                                      line: int) -> None:
    path = tmp_path / "att.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulePackError) as err:
        load_attestations(str(path))
    assert message in str(err.value)
    assert err.value.line == line
    assert str(path) in str(err.value)


def test_bad_file_is_exit_2_before_scanning(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "att.yaml"
    path.write_text("attestations: [1]\n", encoding="utf-8")
    assert main(["scan", str(tmp_path), "--attestations", str(path), "-q"]) == 2
    assert "must be a mapping" in capsys.readouterr().err


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The demo judged on a day the attestations hold and on a day after one expired."""
    root = tmp_path_factory.mktemp("att")
    att = root / "attestations.yaml"
    att.write_text(GOOD, encoding="utf-8")
    out: dict[str, dict[str, Any]] = {}
    for name, day in (("valid", "2026-11-25"), ("expired", "2027-01-15")):
        target = root / name
        main(["scan", str(REPO / "fixtures" / "demo"), "--as-of", day, "-q", "-j", "2",
              "--format", "json,html,oscal,docx", "-o", str(target), "--attestations",
              str(att)])
        doc = json.loads((target / "report.json").read_text(encoding="utf-8"))
        doc["_docx"] = str(target / "report.docx")
        doc["_html"] = (target / "report.html").read_text(encoding="utf-8")
        doc["_oscal"] = json.loads((target / "report.oscal.json").read_text(encoding="utf-8"))
        out[name] = doc
    return out


def _item(doc: dict[str, Any], fw: str, req: str) -> dict[str, Any]:
    (item,) = [c for c in doc["compliance"] if (c["framework"], c["requirement"]) == (fw, req)]
    return item


def test_valid_attestation_passes_a_manual_requirement(runs: dict[str, Any]) -> None:
    doc = runs["valid"]
    art35 = _item(doc, "gdpr", "Art35")
    assert (art35["status"], art35["outcome"]) == ("pass", "attested")
    assert art35["attestation"]["evidence"] == "DPIA dossier 12/2026"
    art33 = _item(doc, "gdpr", "Art33")
    assert (art33["status"], art33["outcome"]) == ("fail", "fail")
    assert doc["summary"]["outcomes"]["attested"] == 1
    assert doc["run"]["attestations"]["applied"] == ["gdpr:Art33", "gdpr:Art35"]
    assert doc["run"]["attestations"]["unmatched"] == ["gdpr:No-Such-Article"]
    assert doc["run"]["attestations"]["expired"] == []


def test_an_attestation_never_overrides_an_automated_outcome(runs: dict[str, Any]) -> None:
    item = _item(runs["valid"], "iso27001-2022", "A.8.15")
    assert item["outcome"] == "no_finding"
    assert item["attestation"]["applied"] is False


def test_after_expiry_the_requirement_reverts_to_manual(runs: dict[str, Any]) -> None:
    doc = runs["expired"]
    art35 = _item(doc, "gdpr", "Art35")
    assert (art35["status"], art35["outcome"]) == ("manual", "manual")
    assert art35["attestation"]["valid"] is False
    assert [e["requirement"] for e in doc["run"]["attestations"]["expired"]] == ["gdpr:Art35"]
    assert _item(doc, "gdpr", "Art33")["outcome"] == "fail"  # still valid in 2027-01
    html = doc["_html"]
    listed = html[html.index('id="attestations-expired"'):]
    assert "gdpr:Art35" in listed[:listed.index("</ul>")]


def test_html_and_oscal_show_the_recorded_check(runs: dict[str, Any]) -> None:
    doc = runs["valid"]
    assert "DPIA dossier 12/2026" in doc["_html"]
    assert 'data-outcome="attested"' in doc["_html"]
    parts = doc["_oscal"]["assessment-results"]["results"][0]["attestations"][0]["parts"]
    props = {p["title"].split(":")[0]: {x["name"]: x["value"] for x in p["props"]}
             for p in parts}
    assert props["gdpr Art35"]["attestation-status"] == "pass"
    assert props["gdpr Art35"]["attestation-evidence"] == "DPIA dossier 12/2026"
    assert props["gdpr Art34"]["attestation-status"] == "pending"
    expired = runs["expired"]["_oscal"]["assessment-results"]["results"][0]
    props2 = {p["title"].split(":")[0]: {x["name"]: x["value"] for x in p["props"]}
              for p in expired["attestations"][0]["parts"]}
    assert props2["gdpr Art35"]["attestation-status"] == "expired"


def test_apply_warns_on_expired_and_unmatched(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(GOOD, encoding="utf-8")
    result = sample_result()
    warn = io.StringIO()
    apply_attestations(result, load_attestations(str(path)), str(path), warn)
    assert "name no requirement in force" in warn.getvalue()


def test_docx_shows_the_check_then_its_expiry(runs: dict[str, Any]) -> None:
    docx = pytest.importorskip("docx")

    def art35(name: str) -> list[str]:
        document = docx.Document(runs[name]["_docx"])
        (row,) = [[c.text for c in r.cells] for t in document.tables for r in t.rows
                  if r.cells[0].text == "Art35"]
        return row

    valid, expired = art35("valid"), art35("expired")
    assert valid[2].startswith("Met according to a recorded manual check")
    assert "DPIA dossier 12/2026" in valid[4] and "expired" not in valid[4]
    assert expired[2] == "Manual check"
    assert "DPIA dossier 12/2026" in expired[4]
    assert expired[4].endswith("the requirement stays a manual check")
