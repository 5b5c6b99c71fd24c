"""Start-up stays light: what each command imports, not how long it takes.

Every ``auditor`` run is a new process, so what it imports is what a pre-commit hook or a
CI step pays every time (docs/internals.md, "Start-up"). These tests run the real command
in a fresh interpreter and look at ``sys.modules`` when it is done: a heavy library that
creeps back into a start-up path fails here, on any machine, without timing anything.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import auditor.policy.rules as rules_module
from auditor.cli.main import COMMANDS, build_parser, command_of
from auditor.errors import RulePackError
from auditor.policy.rules import load_pack
from auditor.policy.validcache import cache_dir, valid_key

#: run ``main(argv)`` in a fresh interpreter; print the exit code and the loaded modules
PROBE = """
import json, os, sys
from auditor.cli import main
sys.stdout = open(os.devnull, "w")
code = main(sys.argv[1:])
sys.stdout = sys.__stdout__
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""

#: never needed to print help or a version
HEAVY = {"sqlalchemy", "alembic", "presidio_analyzer", "spacy", "jinja2", "cryptography",
         "dask", "distributed", "docx", "jsonschema", "rich", "yaml", "starlette", "uvicorn",
         "auditor.history", "auditor.pipeline.engine", "auditor.scanners", "auditor.pii",
         "auditor.policy.rules"}
#: the database, capture-cluster, signing and dashboard stacks: not for a YAML file
NOT_FOR_A_YAML_FILE = {"sqlalchemy", "alembic", "cryptography", "dask", "distributed", "docx",
                       "starlette", "uvicorn", "jsonschema", "auditor.history",
                       "auditor.bundle.signing", "auditor.pipeline.workers",
                       "auditor.scanners.database.session",
                       "auditor.scanners.database.posture_pg",
                       "auditor.scanners.crypto.observe", "auditor.dashboard"}


def _probe(args: list[str], cwd: Path, cache: Path) -> tuple[int, set[str]]:
    env = {k: v for k, v in os.environ.items() if k != "AUDITOR_CONFIG"}
    env.update(AUDITOR_CACHE_DIR=str(cache), NO_COLOR="1")
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.stdout, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return out["code"], set(out["modules"])


def _loaded(modules: set[str], names: set[str]) -> list[str]:
    return sorted(n for n in names if n in modules)


@pytest.mark.parametrize("args", [["--help"], ["--version"], [], ["no-such-command"]])
def test_help_and_version_import_no_heavy_stack(tmp_path: Path, args: list[str]) -> None:
    code, modules = _probe(args, tmp_path, tmp_path / "cache")
    assert code == (0 if args and args[0].startswith("--") else 2)
    assert _loaded(modules, HEAVY) == []
    assert not any(m.startswith("auditor.cli.commands.") for m in modules)


def test_a_command_imports_only_its_own_module(tmp_path: Path) -> None:
    code, modules = _probe(["keygen", "--help"], tmp_path, tmp_path / "cache")
    assert code == 0
    commands = sorted(m for m in modules if m.startswith("auditor.cli.commands."))
    assert commands == ["auditor.cli.commands.keygen"]


def test_scan_of_a_yaml_file_skips_database_capture_and_signing_stacks(tmp_path: Path) -> None:
    config = tmp_path / "app.yaml"
    config.write_text("debug: true\nlogging:\n  level: INFO\n", encoding="utf-8")
    report = tmp_path / "report.json"
    args = ["scan", str(config), "-q", "--format", "json", "-o", str(report)]
    cache = tmp_path / "cache"
    code, first = _probe(args, tmp_path, cache)
    assert code == 1  # the finding below is at or above --fail-on low
    assert "jsonschema" in first  # a cold cache: the packs were validated
    report.unlink()
    code, modules = _probe(args, tmp_path, cache)
    assert code == 1
    rules = {f["rule_id"] for f in json.loads(report.read_text(encoding="utf-8"))["findings"]}
    assert "core.config.debug-enabled" in rules  # the scan really ran, packs and all
    assert _loaded(modules, NOT_FOR_A_YAML_FILE) == []
    assert "auditor.scanners.config" in modules


def test_scanners_and_detect_load_what_they_need_only(tmp_path: Path) -> None:
    code, modules = _probe(["scanners"], tmp_path, tmp_path / "cache")
    assert code == 0
    assert "auditor.scanners.database" in modules  # it lists every plugin ...
    assert _loaded(modules, {"sqlalchemy", "cryptography", "jinja2", "presidio_analyzer",
                             "spacy", "jsonschema", "auditor.policy.rules"}) == []
    line = tmp_path / "one.txt"
    line.write_text("Liên hệ: nguyen.van.an@example.vn\n", encoding="utf-8")
    code, modules = _probe(["detect", str(line)], tmp_path, tmp_path / "cache")
    assert code == 0
    assert _loaded(modules, {"sqlalchemy", "cryptography", "jsonschema", "auditor.scanners",
                             "auditor.policy", "auditor.pipeline"}) == []  # ... detect none


def test_placeholder_help_is_what_the_modules_register() -> None:
    full = build_parser()
    lazy = build_parser(None, every=False)
    assert lazy.format_help() == full.format_help()
    for action in full._subparsers._group_actions:  # type: ignore[union-attr]
        registered = {a.dest: a.help for a in action._choices_actions}
        assert registered == COMMANDS
    assert command_of(["-v", "scan", "x"]) == "scan"
    assert command_of(["--help"]) is None
    assert command_of(["bogus", "scan"]) is None


HEADER = """\
schema_version: 1
pack:
  id: t
  version: "1"
  title: test pack
"""
RULE = """\
schema_version: 1
rules:
  - id: t.config.debug
    title: Debug on
    severity: {severity}
    cwe: [CWE-489]
    match:
      kind: config.setting
    message: "Debug at {{location.uri}}"
    remediation: Turn it off.
    references: [https://cwe.mitre.org/data/definitions/489.html]
"""


def _pack(root: Path, severity: str = "high") -> Path:
    root.mkdir(parents=True)
    (root / "pack.yaml").write_text(HEADER, encoding="utf-8")
    (root / "rules.yaml").write_text(RULE.format(severity=severity), encoding="utf-8")
    return root


def test_a_remembered_verdict_skips_validation_but_never_passes_a_changed_pack(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("AUDITOR_CACHE_DIR", str(cache))
    load_pack(_pack(tmp_path / "a"))
    entries = sorted((cache / "schema-valid").iterdir())
    assert len(entries) == 2  # header and rule file, one verdict each
    assert all(len(e.name) == 64 and e.stat().st_size == 0 for e in entries)  # no content

    def no_validation(name: str) -> None:
        raise AssertionError(f"validated {name} again")
    monkeypatch.setattr(rules_module, "validator_for", no_validation)
    assert load_pack(_pack(tmp_path / "b")).rule("t.config.debug").title == "Debug on"
    monkeypatch.undo()
    monkeypatch.setenv("AUDITOR_CACHE_DIR", str(cache))
    with pytest.raises(RulePackError) as err:
        load_pack(_pack(tmp_path / "c", severity="catastrophic"))
    assert err.value.line == 5 and "catastrophic" in str(err.value)
    assert len(list((cache / "schema-valid").iterdir())) == 2  # errors are not remembered


def test_an_unwritable_or_disabled_cache_changes_nothing(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("AUDITOR_CACHE_DIR", str(blocker / "cache"))  # mkdir fails
    assert load_pack(_pack(tmp_path / "a")).id == "t"
    monkeypatch.setenv("AUDITOR_CACHE_DIR", "")
    assert cache_dir() is None
    assert load_pack(_pack(tmp_path / "b")).id == "t"
    assert cache_dir({"XDG_CACHE_HOME": "/x"}) == Path("/x/auditor")
    assert cache_dir({"XDG_CACHE_HOME": "relative", "HOME": "/home/u"}) is not None


def test_the_key_keeps_types_and_schemas_apart() -> None:
    as_date = valid_key("rules", b"{}", {"expires": dt.date(2026, 1, 1)})
    as_text = valid_key("rules", b"{}", {"expires": "2026-01-01"})
    assert as_date != as_text
    assert valid_key("framework", b"{}", {"a": 1}) != valid_key("rules", b"{}", {"a": 1})
    assert valid_key("rules", b"{}", {"a": 1}) != valid_key("rules", b'{"x":1}', {"a": 1})
    assert valid_key("rules", b"{}", {"a": 1}) == valid_key("rules", b"{}", {"a": 1})
