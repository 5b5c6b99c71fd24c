"""The CLI in-process: usage errors (exit 2), incomplete scans (exit 3), pack commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.cli import main


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert "auditor" in capsys.readouterr().out
    assert main([]) == 2


@pytest.mark.parametrize("argv", [
    ["scan", ".", "--as-of", "2026-13-40"],
    ["scan", ".", "--fail-on", "urgent"],
    ["scan", ".", "--format", "pdf"],
    ["scan", ".", "--format", "json,sarif"],  # several formats need -o
    ["scan", ".", "--pack", "no-such-pack"],
    ["scan", ".", "--framework", "no-such-law"],
    ["scan", ".", "--param", "nobody_has_this=1"],
    ["scan", ".", "--option", "novalue"],
    ["scan", "--bogus-flag", "."],
])
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "error" in capsys.readouterr().err


def test_invalid_pack_exit_2_names_file_and_line(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    pack = tmp_path / "bad.yaml"
    pack.write_text("schema_version: 1\npack: {id: bad, version: '1', title: t}\nrules:\n"
                    "  - id: bad.x.y\n    title: t\n    severity: high\n    cwe: [CWE-1]\n"
                    "    match: {kind: secret, where: {field: a, like: b}}\n"
                    "    message: m\n    remediation: r\n    references: []\n")
    assert main(["scan", str(tmp_path), "--pack", str(pack)]) == 2
    err = capsys.readouterr().err
    assert f"{pack}:8:" in err and "like" in err
    assert main(["packs", "validate", str(pack)]) == 2


def test_missing_target_is_a_usage_error_up_front(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    # issue 20: a mistyped path is caught before anything runs (exit 2), no report written
    out = tmp_path / "out"
    code = main(["scan", str(tmp_path / "missing"), "--format", "json", "-o", str(out), "-q"])
    assert code == 2
    assert "missing: no such file or directory" in capsys.readouterr().err
    assert not out.exists()


def test_machine_format_to_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "unknown.bin").write_bytes(b"\x00\x01\x02")
    assert main(["scan", str(tmp_path), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["targets"][0]["status"] == "skipped"


def test_packs_list_show_validate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["packs", "list"]) == 0
    assert "core" in capsys.readouterr().out
    assert main(["packs", "show", "core"]) == 0
    assert "cert_expiry_warning_days" in capsys.readouterr().out
    from auditor.policy.rules import builtin_pack_path

    assert main(["packs", "validate", str(builtin_pack_path("core"))]) == 0
    assert main(["scanners"]) == 0


@pytest.mark.parametrize("argv", [
    ["--option", "databse.full=true"],        # misspelt scanner name
    ["--option", "full=true"],                # no scanner prefix
    ["--sample-size", "0"],                   # rejected by the database scanner
    ["--option", "database.sample_size=lots"],
])
def test_bad_scanner_options_are_usage_errors(argv: list[str],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "sqlite:///nonexistent.db", *argv]) == 2
    assert "option" in capsys.readouterr().err
