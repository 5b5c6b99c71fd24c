"""Defaults from AUDITOR_* variables and auditor.yaml (issue 20, item 4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.cli import main


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    (root / ".git").mkdir(parents=True)
    (root / "app.yaml").write_text("service:\n  debug: true\n")
    (root / "vendor").mkdir()
    (root / "vendor" / "lib.yaml").write_text("service:\n  debug: true\n")
    for name in [n for n in __import__("os").environ if n.startswith("AUDITOR_")
                 and n != "AUDITOR_HASH_KEY"]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return root


def _report(path: Path) -> dict[str, object]:
    doc: dict[str, object] = json.loads(path.read_text())
    return doc


def _uris(doc: dict[str, object]) -> list[str]:
    targets = doc["targets"]
    assert isinstance(targets, list)
    return sorted(t["uri"] for t in targets if t["status"] == "ok")


def test_repository_defaults_apply(project: Path) -> None:
    (project / "auditor.yaml").write_text(
        "systems: {}\n"  # another team's section: not read here
        "defaults:\n  fail_on: never\n  ignore: [vendor]\n  formats: [json, sarif]\n"
        "  output: reports\n  x-owner: security team\n")
    assert main(["scan", str(project), "-q"]) == 0  # fail_on never, though debug is on
    doc = _report(project / "reports" / "report.json")
    assert _uris(doc) == [f"{project}/app.yaml"]
    assert (project / "reports" / "report.sarif").is_file()


def test_environment_wins_over_the_file_and_the_command_line_over_both(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "auditor.yaml").write_text("defaults:\n  fail_on: never\n")
    monkeypatch.setenv("AUDITOR_FAIL_ON", "low")
    assert main(["scan", str(project), "-q"]) == 1
    assert main(["scan", str(project), "-q", "--fail-on", "never"]) == 0
    monkeypatch.setenv("AUDITOR_IGNORE", "vendor, app.yaml")
    assert main(["scan", str(project), "-q"]) == 0  # nothing left to scan


@pytest.mark.parametrize(("assignment", "message"), [
    ("AUDITOR_JOBS=many", "AUDITOR_JOBS='many': not a valid value for --jobs"),
    ("AUDITOR_QUIET=maybe", "AUDITOR_QUIET='maybe': expected 1/true/yes/on"),
    ("AUDITOR_LANG=fr", "AUDITOR_LANG='fr': choose from en, vi"),
])
def test_bad_environment_value_is_a_usage_error(project: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str],
                                                assignment: str, message: str) -> None:
    var, _, value = assignment.partition("=")
    monkeypatch.setenv(var, value)
    assert main(["scan", str(project)]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(("text", "message"), [
    ("defaults:\n  fail_on: high\n  ignroe: [x]\n", "auditor.yaml:3: unknown key 'ignroe'"),
    ("defaults:\n  jobs: -1\n", "auditor.yaml:2: defaults.jobs: -1 is less than the minimum"),
    ("defaults:\n  fail_on: severe\n", "auditor.yaml:2: defaults.fail_on: 'severe' is not one"),
    ("defaults: [1\n", "auditor.yaml:2: invalid YAML"),
])
def test_bad_configuration_names_file_and_line(project: Path, text: str, message: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    (project / "auditor.yaml").write_text(text)
    assert main(["scan", str(project)]) == 2
    assert message in capsys.readouterr().err


def test_config_option_and_relative_paths(project: Path, tmp_path: Path) -> None:
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "sup.yaml").write_text(
        "schema_version: 1\nsuppressions:\n  - rule: '*'\n    reason: r\n"
        "    approved_by: a\n    expires: 2999-01-01\n")
    (conf / "ci.yaml").write_text("defaults:\n  suppressions: sup.yaml\n")
    assert main(["scan", str(project), "-q", "--config", str(conf / "ci.yaml")]) == 0


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("auditor ")


def test_unused_suppression_is_warned_about(project: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    sup = project.parent / "sup.yaml"
    sup.write_text("schema_version: 1\nsuppressions:\n"
                   "  - rule: core.config.debug-enabled\n    reason: r\n    approved_by: a\n"
                   "    expires: 2999-01-01\n"
                   "  - rule: core.no-such-rule\n    reason: typo\n    approved_by: a\n"
                   "    expires: 2999-01-01\n")
    main(["scan", str(project), "-q", "--suppressions", str(sup), "--fail-on", "never"])
    err = capsys.readouterr().err
    assert "suppression matched no finding" in err and "core.no-such-rule" in err
    assert err.count("matched no finding") == 1
