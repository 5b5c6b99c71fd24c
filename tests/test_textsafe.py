"""Terminal injection (issue 17 item 11): names from scanned data never reach the terminal
with escape sequences, carriage returns, newlines, bidi overrides or Rich markup."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from auditor.reports.json import JsonReporter

from auditor.bundle.evidence import write_evidence
from auditor.bundle.signing import generate_key, load_private_key, write_keypair
from auditor.cli import main
from auditor.textsafe import rich_safe, term_safe
from tests.fakes import fake_engine, run, tree

TITLE = "\x1b]0;pwned\x07"          # sets the window title
CLEAR = "\x1b[2J\x1b[H"             # clears the screen
FORGED = "\nauditor: all targets clean (exit 0)\n"
BIDI = "\u202egol.exe"


@pytest.mark.parametrize(("raw", "shown"), [
    ("plain/name.log", "plain/name.log"),
    ("Nguyễn Văn Ánh.csv", "Nguyễn Văn Ánh.csv"),
    (TITLE, "\\x1b]0;pwned\\x07"),
    ("OK\rTAMPERED", "OK\\rTAMPERED"),
    ("a" + FORGED, "a\\nauditor: all targets clean (exit 0)\\n"),
    (BIDI, "\\u202egol.exe"),
    ("\x9b31m", "\\x9b31m"),                    # C1 CSI
    ("zero\u200bwidth", "zero\\u200bwidth"),
    ("line\u2028sep", "line\\u2028sep"),
])
def test_term_safe(raw: str, shown: str) -> None:
    assert term_safe(raw) == shown
    assert term_safe(shown) == shown  # already safe text is unchanged


def test_rich_safe_escapes_markup() -> None:
    assert rich_safe("[link=https://evil.example]x[/link]") == \
        "\\[link=https://evil.example]x\\[/link]"


def _no_control(text: str) -> None:
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text), \
        repr(text[:400])
    assert not any(line.startswith("auditor: all targets clean") for line in text.splitlines())


def test_scan_summary_and_error_lines(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "data"
    root.mkdir()
    (root / f"app{TITLE}{FORGED}x.log").write_text(
        "2026-01-01 10:00:00 user 079204012345 logged in\n" * 3, encoding="utf-8")
    (root / f"bad{CLEAR}{BIDI}.yaml").write_text("a: [1, 2\n", encoding="utf-8")
    (root / "[blink][red]k.env").write_text(
        "DB_PASSWORD=Sup3r-s3cret-value\n", encoding="utf-8")
    code = main(["scan", str(root), "-j1", "--format", "json", "-o", str(tmp_path / "o")])
    assert code in (1, 3)
    out, err = capsys.readouterr()
    _no_control(out + err)
    assert "\\x1b[2J\\x1b[H\\u202egol.exe.yaml: invalid YAML at line 2" in err
    assert "\\x1b]0;pwned" in out  # the log's finding row: shown, visibly escaped
    assert "[blink][red]k.env" in out  # printed as text, not read as Rich markup


def test_verify_lines_cannot_be_overwritten(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    base = tmp_path / "scan"
    tree(base, {"app.kv": "debug = true\n"})
    keys = tmp_path / "keys"
    write_keypair(generate_key(), keys / "k.key", keys / "k.pub", env={})
    bundle = tmp_path / "bundle"
    write_evidence(run(fake_engine(base), base / "tree"), bundle, [JsonReporter()],
                   load_private_key(keys / "k.key", env={}), host="h")
    (bundle / "x\rOK: 99 files match the manifest; signature valid\x1b[K").write_text("")
    assert main(["verify", str(bundle), "--key", str(keys / "k.pub")]) == 1
    out, err = capsys.readouterr()
    _no_control(out + err)
    (line,) = [li for li in out.splitlines() if li.startswith("TAMPERED")]
    assert "x\\rOK: 99 files" in line and "\\x1b[K" in line
    assert not any(li.startswith("OK") for li in out.splitlines())
