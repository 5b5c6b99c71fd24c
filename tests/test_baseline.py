"""Baselines gate on new findings only; ``auditor diff`` lists new / fixed / unchanged;
``auditor report`` re-renders a saved JSON report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from auditor.reports.json import JsonReporter

from auditor.cli import main
from auditor.errors import ConfigError
from auditor.gate.baseline import Baseline, apply_baseline, diff_results, load_baseline, load_report
from auditor.results import ScanResult
from tests.fakes import fake_engine, run, tree


def scan(tmp_path: Path, files: dict[str, str], baseline: Baseline | None = None) -> ScanResult:
    root = tree(tmp_path, files)
    filters = [lambda fs: apply_baseline(fs, baseline)] if baseline else []
    return run(fake_engine(tmp_path), root, finding_filters=filters)


def save(result: ScanResult, path: Path) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        JsonReporter().render(result, fh)
    return path


def by_key(result: ScanResult) -> dict[str, tuple[int | None, bool]]:
    return {f.location.key or "": (f.location.line, f.suppressed) for f in result.findings}


def test_baseline_hides_old_findings_but_not_a_new_one_on_the_same_line(tmp_path: Path) -> None:
    old = scan(tmp_path, {"app.kv": "debug = true\ndb.password = first-secret\n"})
    baseline = load_baseline(save(old, tmp_path / "old.json"))
    assert len(baseline.fingerprints) == 2
    # same line 2, different secret; the debug line moved down by one line
    new = scan(tmp_path, {"app.kv": "# comment\ndb.password = second-secret\ndebug = true\n"},
               baseline)
    assert by_key(new) == {"db.password": (2, False), "debug": (3, True)}
    moved = next(f for f in new.findings if f.location.key == "debug")
    assert moved.suppression is not None and moved.suppression.source == "baseline"
    assert moved.suppression.reason == f"present in baseline run {old.run_id}"
    assert new.exit_code() == 1  # the new secret still gates
    only_old = scan(tmp_path, {"app.kv": "db.password = first-secret\ndebug = true\n"}, baseline)
    assert all(f.suppressed for f in only_old.findings)
    assert only_old.exit_code() == 0


def test_diff_new_fixed_unchanged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = save(scan(tmp_path, {"app.kv": "debug = true\ndb.password = first\n"}),
               tmp_path / "old.json")
    new = save(scan(tmp_path, {"app.kv": "db.password = second\n\ndebug = true\n"}),
               tmp_path / "new.json")
    d = diff_results(load_report(old), load_report(new))
    assert [(f.location.key, f.location.line) for f in d.new] == [("db.password", 1)]
    assert [(f.location.key, f.location.line) for f in d.fixed] == [("db.password", 2)]
    assert [(f.location.key, f.location.line) for f in d.unchanged] == [("debug", 3)]
    assert main(["diff", str(old), str(new)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "1 new, 1 fixed, 1 unchanged"
    assert out[1].startswith("+ high     t.secret.password  ") and out[1].endswith(
        ":1 (db.password)  Password in db.password")
    assert out[2].startswith("- high     t.secret.password")
    assert main(["diff", str(old), str(new), "--exit-code"]) == 1
    assert main(["diff", str(old), str(old), "--exit-code"]) == 0
    capsys.readouterr()
    assert main(["diff", str(old), str(new), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["summary"] == {"new": 1, "fixed": 1, "unchanged": 1}
    assert doc["new"][0]["rule_id"] == "t.secret.password"


@pytest.mark.parametrize(("content", "problem"), [
    (None, "file not found"),
    ("{not json", "not JSON"),
    ('{"schema_version": "2"}', "not an auditor JSON report"),
    ('{"schema_version": "1", "run": {}}', "invalid auditor JSON report"),
    (b"\xff\xfe", "not UTF-8"),
])
def test_bad_report_files_are_config_errors(tmp_path: Path, content: str | bytes | None,
                                            problem: str) -> None:
    path = tmp_path / "r.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=problem):
        load_report(path)
    assert main(["diff", str(path), str(path)]) == 2


def test_report_command_rerenders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = save(scan(tmp_path, {"app.kv": "debug = true\n"}), tmp_path / "r.json")
    out = tmp_path / "out"
    assert main(["report", str(saved), "--format", "html,csv,junit,oscal", "-o", str(out),
                 "--lang", "vi"]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "report.csv", "report.html", "report.junit.xml", "report.oscal.json"]
    assert "Tóm tắt dành cho lãnh đạo" in (out / "report.html").read_text(encoding="utf-8")
    capsys.readouterr()
    assert main(["report", str(saved), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(saved.read_text(encoding="utf-8"))
    assert main(["report", str(saved), "--format", "html,csv"]) == 2  # needs -o
    assert main(["report", str(tmp_path / "missing.json"), "--format", "html"]) == 2


def test_cli_baseline_gates_only_new_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Through ``auditor scan`` and the real config scanner."""
    monkeypatch.chdir(tmp_path)
    app = tmp_path / "app"
    app.mkdir()
    env = app / ".env"
    env.write_text("DB_PASSWORD=first-Secret-Value-1\nDEBUG=true\n", encoding="utf-8")
    assert main(["scan", "app", "--format", "json", "-o", "old", "-q", "--jobs", "1"]) == 1
    old = json.loads((tmp_path / "old" / "report.json").read_text(encoding="utf-8"))
    rules = sorted(f["rule_id"] for f in old["findings"])
    if "core.secret.password-assignment" not in rules:
        pytest.skip("the config scanner does not report .env passwords here")
    # unchanged file: everything known, the gate passes
    assert main(["scan", "app", "--baseline", "old/report.json", "-q", "--jobs", "1"]) == 0
    # a different secret on the same line, the debug line moved down
    env.write_text("DB_PASSWORD=second-Secret-Value-2\n# moved\nDEBUG=true\n",
                   encoding="utf-8")
    assert main(["scan", "app", "--baseline", "old/report.json", "--format", "json", "-o",
                 "new", "-q", "--jobs", "1"]) == 1
    new = json.loads((tmp_path / "new" / "report.json").read_text(encoding="utf-8"))
    state = {(f["rule_id"], f["location"]["line"]): f["suppressed"] for f in new["findings"]}
    assert state[("core.secret.password-assignment", 1)] is False
    assert state[("core.config.debug-enabled", 3)] is True
    assert new["run"]["baseline"]["known_findings"] == len(state) - 1
