"""``auditor detect``: JSON Lines contract (DESIGN.md), streams, errors, no leaks."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.cli.commands.detect import run

LINES = [
    "Khách hàng Nguyễn Văn An, SĐT 0912 345 678",
    "",
    "2025-11-04 08:15:22 INFO ok",
    "email: an.nguyen@example.vn; CCCD 079203012345",
]


def records(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


def test_json_lines_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "in.txt"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    assert main(["detect", str(path)]) == 0
    assert records(capsys.readouterr().out) == [
        {"line": 1, "entities": [
            {"type": "PERSON", "start": 11, "end": 24, "score": 1.0},
            {"type": "VN_PHONE", "start": 30, "end": 42, "score": 1.0}]},
        {"line": 2, "entities": []},
        {"line": 3, "entities": []},
        {"line": 4, "entities": [
            {"type": "EMAIL_ADDRESS", "start": 7, "end": 27, "score": 1.0},
            {"type": "VN_CCCD", "start": 34, "end": 46, "score": 1.0}]},
    ]


def test_offsets_are_characters_in_the_line(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "in.txt"
    path.write_bytes("\n".join(LINES).encode("utf-8") + b"\r\n")
    assert main(["detect", str(path), "--hits-only"]) == 0
    for rec in records(capsys.readouterr().out):
        line = LINES[int(rec["line"]) - 1]  # type: ignore[call-overload]
        spans = [line[e["start"]:e["end"]] for e in rec["entities"]]  # type: ignore[attr-defined]
        assert all(spans) and all(s == s.strip() for s in spans)


def _args(**kw: object) -> argparse.Namespace:
    base: dict[str, object] = {"file": "-", "types": None, "threshold": 0.5, "context": [],
                               "hits_only": False, "jobs": 1}
    base.update(kw)
    return argparse.Namespace(**base)


def test_stdin_types_and_context() -> None:
    out = io.StringIO()
    data = "SĐT 0912345678, email an@example.vn\n7912345678\n".encode()
    assert run(_args(types="VN_PHONE,VN_SOCIAL_INSURANCE", context=["so_bhxh"]),
               stdin=io.BytesIO(data), stdout=out) == 0
    assert records(out.getvalue()) == [
        {"line": 1, "entities": [{"type": "VN_PHONE", "start": 4, "end": 14, "score": 1.0}]},
        {"line": 2, "entities": [{"type": "VN_SOCIAL_INSURANCE", "start": 0, "end": 10,
                                  "score": 0.55}]},
    ]


def test_unknown_type_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["detect", "--types", "VN_CCCD,US_SSN", "-"]) == 2
    assert "US_SSN" in capsys.readouterr().err


def test_missing_file_is_a_usage_error(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["detect", str(tmp_path / "nope.txt")]) == 2
    assert "nope.txt" in capsys.readouterr().err


def test_bad_lines_are_reported_and_skipped() -> None:
    data = b"SDT 0912345678\n\xff\xfe broken 0987654321\nok\x00bin\nemail a@example.vn\n"
    out, err = io.StringIO(), io.StringIO()
    assert run(_args(), stdin=io.BytesIO(data), stdout=out, stderr=err) == 3
    assert [r["line"] for r in records(out.getvalue())] == [1, 4]
    messages = err.getvalue().splitlines()
    assert messages == [
        "auditor detect: <stdin>: line 2: not UTF-8 text (invalid byte at byte offset 15); "
        "line skipped",
        "auditor detect: <stdin>: line 3: binary data (NUL byte at byte offset 38); "
        "line skipped",
    ]
    assert "0987654321" not in err.getvalue()


def test_output_never_contains_the_data() -> None:
    canaries = ["0967812345", "079099123456", "canary.person@example.vn"]
    out, err = io.StringIO(), io.StringIO()
    data = f"{canaries[0]} / CCCD {canaries[1]} / {canaries[2]}\n".encode()
    assert run(_args(), stdin=io.BytesIO(data), stdout=out, stderr=err) == 0
    assert len(records(out.getvalue())[0]["entities"]) == 3  # type: ignore[arg-type]
    assert not any(c in out.getvalue() + err.getvalue() for c in canaries)


def test_engine_failure_on_one_line_is_reported_and_skipped(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from auditor.pii import PiiEngineError, get_detector
    from auditor.pii.detector import PiiDetector

    real = PiiDetector.detect

    def flaky(self: PiiDetector, text: str, **kwargs: object) -> object:
        if "boom" in text:
            raise PiiEngineError(f"PII analysis failed on a text of {len(text)} characters")
        return real(self, text, **kwargs)  # type: ignore[arg-type]

    get_detector()
    monkeypatch.setattr(PiiDetector, "detect", flaky)
    out, err = io.StringIO(), io.StringIO()
    data = "SĐT 0912345678\nboom 0987654321\nemail a@example.vn\n".encode()
    assert run(_args(), stdin=io.BytesIO(data), stdout=out, stderr=err) == 3
    assert [r["line"] for r in records(out.getvalue())] == [1, 3]
    assert "line 2: PII analysis failed" in err.getvalue()
    assert "0987654321" not in err.getvalue()
