"""``-o``: a directory as before, or one file when the name ends in a report extension;
bad destinations are usage errors before the scan, never a traceback after it."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.cli import main
from auditor.errors import ConfigError
from auditor.pipeline.destination import resolve_output
from auditor.pipeline.plugins import load_reporters


@pytest.mark.parametrize(("name", "formats", "expected"), [
    ("report.html", [], ("file", "html")),
    ("scan.sarif", [], ("file", "sarif")),
    ("x.oscal.json", [], ("file", "oscal")),
    ("x.json", [], ("file", "json")),
    ("x.csv", [], ("file", "csv")),
    ("inv.csv", ["inventory-csv"], ("file", "inventory-csv")),
    ("out.md", [], ("file", "md")),
    ("reports", [], ("dir", "json")),
    ("reports", ["html", "json"], ("dir", "html,json")),
    ("existing-dir.html", [], ("dir", "json")),  # an existing directory stays a directory
])
def test_resolve(tmp_path: Path, name: str, formats: list[str],
                 expected: tuple[str, str]) -> None:
    (tmp_path / "existing-dir.html").mkdir()
    dest = resolve_output(str(tmp_path / name), formats, load_reporters())
    kind = "file" if dest.file is not None else "dir"
    assert (kind, ",".join(dest.formats)) == expected


@pytest.mark.parametrize(("name", "formats", "message"), [
    ("plain-file", [], "exists and is not a directory"),
    ("two.html", ["html", "json"], "one file holds one format"),
    ("plain-file/sub/report.html", [], "is not a directory"),
])
def test_bad_destinations(tmp_path: Path, name: str, formats: list[str], message: str) -> None:
    (tmp_path / "plain-file").write_text("x")
    with pytest.raises(ConfigError, match=message):
        resolve_output(str(tmp_path / name), formats, load_reporters())


def test_one_file_is_written(tmp_path: Path) -> None:
    target = tmp_path / "t"
    target.mkdir()
    (target / "app.env").write_text("DEBUG=true\n")
    out = tmp_path / "out" / "audit.html"
    main(["scan", str(target), "-o", str(out), "-q", "-j", "1"])
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in out.parent.iterdir()) == ["audit.html"]


def test_existing_file_is_a_usage_error_before_the_scan(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    existing = tmp_path / "notes"
    existing.write_text("keep me")
    assert main(["scan", str(tmp_path), "-o", str(existing), "-q"]) == 2
    err = capsys.readouterr().err
    assert "exists and is not a directory" in err and "Traceback" not in err
    assert existing.read_text() == "keep me"
