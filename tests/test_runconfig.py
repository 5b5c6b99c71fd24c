"""``auditor.yaml``: what a valid file gives, and errors that name file, line and key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from auditor.runconfig import ConfigFileError, load_config

GOOD = """\
schema_version: 1
store: sqlite:///state/history.sqlite
reports: out
formats: [json, html]
schedule: "30 2 * * *"
defaults:
  fail_on: high
  frameworks: [vn-pdpl-2025]
  params: {a: 1}
  options: {database.sample_size: 500}
document:
  data_controller: Department of Home Affairs
  assessor: Security team
x-ticket: SEC-1
systems:
  - name: hr-portal
    owner: Department of Home Affairs
    level: 3
    targets:
      - hr
      - url: postgresql://auditor@db.internal/hr
        password_env: HR_DB_PASSWORD
    params: {b: two}
    options: {database.full: true}
    framework_params: {vn-infosec-levels: {password_min_length_with_mfa: 10}}
    suppressions: suppressions.yaml
    document: {assessor: External auditor}
  - name: web
    owner: Press Office
    targets: [/srv/www]
    fail_on: never
    schedule: "0 * * * *"
    as_of: 2026-11-25
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "auditor.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_a_complete_config(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, GOOD))
    base = tmp_path.resolve()
    assert cfg.store == f"sqlite:///{base}/state/history.sqlite"
    assert cfg.reports == str(base / "out")
    hr, web = cfg.systems
    assert [t.url for t in hr.targets] == [str(base / "hr"),
                                          "postgresql://auditor@db.internal/hr"]
    assert hr.settings.fail_on == "high" and web.settings.fail_on == "never"
    assert hr.settings.params == {"a": 1, "b": "two"}
    assert hr.settings.options == {"database.sample_size": 500, "database.full": True}
    assert hr.settings.suppressions == str(base / "suppressions.yaml")
    assert hr.schedule == "30 2 * * *" and web.schedule == "0 * * * *"
    assert web.settings.as_of == "2026-11-25" and web.settings.frameworks == ("vn-pdpl-2025",)
    assert hr.document == {"data_controller": "Department of Home Affairs",
                           "assessor": "External auditor"}
    assert hr.metadata() == {"name": "hr-portal", "owner": "Department of Home Affairs",
                             "level": 3}
    assert [s.name for s in cfg.select(["web"])] == ["web"]


def test_password_comes_from_the_environment(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    hr = load_config(write(tmp_path, GOOD)).systems[0]
    monkeypatch.setenv("HR_DB_PASSWORD", "p@ss/w:rd")
    assert hr.targets[1].locator() == "postgresql://auditor:p%40ss%2Fw%3Ard@db.internal/hr"
    monkeypatch.delenv("HR_DB_PASSWORD")
    with pytest.raises(ConfigFileError, match="HR_DB_PASSWORD"):
        hr.targets[1].locator()


def _swap(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


@pytest.mark.parametrize(("text", "line", "message"), [
    (_swap("    level: 3\n", "    level: 3\n    ownr: x\n"), 19,
     "systems[0].ownr: unknown key 'ownr'"),
    (_swap("schedule: \"30", "scheduel: \"30"), 5, "scheduel: unknown key 'scheduel'"),
    (_swap("  fail_on: high", "  fail_on: severe"), 7, "defaults.fail_on: 'severe' is not one of"),
    (_swap("    level: 3", "    level: 9"), 18, "systems[0].level: 9 is greater than"),
    (_swap("  - name: web\n    owner: Press Office\n", "  - name: web\n"), 28,
     "systems[1]: 'owner' is a required property"),
    (_swap("  - name: web", "  - name: hr-portal"), 28, "system 'hr-portal' is already defined"),
    (_swap("postgresql://auditor@db", "postgresql://auditor:Secr3tPw@db"), 21,
     "the URL holds a password"),
    (_swap("        password_env: HR_DB_PASSWORD", "        password_env: 1BAD"), 22,
     "systems[0].targets[1].password_env: '1BAD' does not match"),
    (_swap("        password_env: HR_DB_PASSWORD", "        passwd: x"), 22,
     "systems[0].targets[1].passwd: unknown key 'passwd'"),
    (_swap("schema_version: 1", "schema_version: 2"), 1, "schema_version: 1 was expected"),
    (_swap("    as_of: 2026-11-25", "    as_of: 2026-13-45"), 33, "invalid date"),
    (_swap("store: sqlite:///state", "store: mysql://x/state"), 2, "store: expected sqlite"),
    ("schema_version: 1\nsystems:\n  - name: [oops\n", 4, "invalid YAML"),
])
def test_errors_name_file_line_and_key(tmp_path: Path, text: str, line: int,
                                       message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigFileError) as exc:
        load_config(path)
    assert str(exc.value).startswith(f"{path}:{line}: ")
    assert message in str(exc.value)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match="file not found"):
        load_config(tmp_path / "nope.yaml")
