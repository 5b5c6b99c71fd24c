"""The engine end to end with a fake scanner: findings, fingerprints, errors, compliance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.models import Severity
from auditor.pipeline.engine import Engine
from tests.fakes import fake_engine, run, tree


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return fake_engine(tmp_path)


def test_findings_fingerprints_and_order(engine: Engine, tmp_path: Path) -> None:
    root = tree(tmp_path, {"a.kv": "debug = true\ndb.password = hunter2-CANARY\n",
                           "b.kv": "name = x\n"})
    result = run(engine, root)
    assert [(f.rule_id, f.location.line) for f in result.findings] == [
        ("t.secret.password", 2), ("t.config.debug", 1)]
    assert result.findings[0].message == "Password in db.password"
    assert result.exit_code() == 1
    text = json.dumps(result.to_document())
    assert "hunter2-CANARY" not in text
    # same content moved two lines down: same fingerprints
    (root / "a.kv").write_text("\n\ndebug = true\ndb.password = hunter2-CANARY\n")
    moved = run(engine, root)
    assert [f.fingerprint for f in moved.findings] == [f.fingerprint for f in result.findings]
    assert [f.location.line for f in moved.findings] == [4, 3]
    # a different secret on the same line: a different fingerprint
    (root / "a.kv").write_text("\n\ndebug = true\ndb.password = other-secret\n")
    changed = run(engine, root)
    assert changed.findings[0].fingerprint != result.findings[0].fingerprint
    assert changed.findings[1].fingerprint == result.findings[1].fingerprint


def test_repeated_secret_gets_distinct_fingerprints(engine: Engine, tmp_path: Path) -> None:
    root = tree(tmp_path, {"a.kv": "db.password = same\ndb.password = same\n"})
    fps = [f.fingerprint for f in run(engine, root).findings]
    assert len(fps) == 2 and len(set(fps)) == 2


def test_bad_target_does_not_sink_the_scan(engine: Engine, tmp_path: Path) -> None:
    root = tree(tmp_path, {"a.kv": "db.password = x1\n!fail\ndebug = true\n",
                           "b.kv": "!crash\n", "c.kv": "debug = true\n!problem\n",
                           "notes.txt": "not claimed"})
    result = run(engine, root)
    by_uri = {t.uri.rsplit("/", 1)[-1]: t for t in result.targets}
    assert by_uri["a.kv"].status == "error"
    assert "a.kv:2: broken on purpose" in (by_uri["a.kv"].error or "")
    assert by_uri["b.kv"].status == "error"
    assert "ValueError" in (by_uri["b.kv"].error or "")
    assert "CANARY" not in json.dumps(result.to_document())  # exception text never shown
    assert by_uri["c.kv"].status == "ok" and len(by_uri["c.kv"].problems) == 1
    assert by_uri["notes.txt"].status == "skipped"
    # the finding before the error in a.kv is kept, and c.kv was still judged
    assert {(f.location.uri.rsplit("/", 1)[-1], f.rule_id) for f in result.findings} == {
        ("a.kv", "t.secret.password"), ("c.kv", "t.config.debug")}


def test_exit_codes(engine: Engine, tmp_path: Path) -> None:
    clean = tree(tmp_path, {"a.kv": "name = x\n"})
    assert run(engine, clean).exit_code() == 0
    (clean / "b.kv").write_text("!fail\n")
    assert run(engine, clean).exit_code() == 3
    (clean / "c.kv").write_text("debug = true\n")
    assert run(engine, clean).exit_code() == 1  # a finding beats an incomplete scan
    assert run(engine, clean, fail_on=Severity.HIGH).exit_code() == 3
    assert run(engine, clean, fail_on=None).exit_code() == 3


def test_compliance_statuses(engine: Engine, tmp_path: Path) -> None:
    root = tree(tmp_path, {"a.kv": "debug = true\n"})
    result = run(engine, root)
    status = {c.requirement: c.status for c in result.compliance}
    assert status == {"R1": "pass", "R2": "fail", "R3": "not_assessed", "R4": "manual"}
    debug = next(f for f in result.findings if f.rule_id == "t.config.debug")
    assert [(c.framework, c.requirement) for c in debug.controls] == [("fw", "R2")]
    assert result.compliance[1].findings == (debug.fingerprint,)


def test_deterministic(engine: Engine, tmp_path: Path) -> None:
    root = tree(tmp_path, {f"d{i}/f.kv": f"debug = true\nx.password = p{i}\n" for i in range(5)})
    a, b = run(engine, root), run(engine, root)
    assert [f.to_dict() for f in a.findings] == [f.to_dict() for f in b.findings]
