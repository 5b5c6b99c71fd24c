"""Suppression files: validation with file:line errors, matching, expiry, reporting."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.gate.gating import Gate
from auditor.gate.suppressions import (
    SuppressionEntry,
    SuppressionError,
    apply_suppressions,
    load_suppressions,
)
from auditor.models import Location, Severity
from auditor.results import Finding
from tests.fakes import fake_engine, run, tree

GOOD = """\
schema_version: 1
suppressions:
  - rule: "t.config.*"
    path: "tree/staging/*"
    reason: Staging only
    approved_by: Tran Thi B
    expires: 2026-12-31
  - fingerprint: 0123456789abcdef0123456789abcdef
    reason: Synthetic test data
    approved_by: a.nguyen
    expires: "2027-03-31"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "suppressions.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def finding(rule: str = "core.pii.cleartext-column", uri: str = "db/app.sql",
            table: str | None = "public.users", fp: str = "f" * 32) -> Finding:
    return Finding(fingerprint=fp, rule_id=rule, pack="core", title="t", severity=Severity.HIGH,
                   cwe=("CWE-312",), message="m", location=Location(uri, table=table),
                   kind="pii.column")


def entry(**kw: object) -> SuppressionEntry:
    base: dict[str, object] = {"reason": "r", "approved_by": "a",
                               "expires": dt.date(2026, 12, 31)}
    base.update(kw)
    return SuppressionEntry(**base)  # type: ignore[arg-type]


def test_load_valid_file(tmp_path: Path) -> None:
    entries = load_suppressions(write(tmp_path, GOOD))
    assert [(e.rule, e.path, e.fingerprint, e.expires) for e in entries] == [
        ("t.config.*", "tree/staging/*", None, dt.date(2026, 12, 31)),
        (None, None, "0123456789abcdef0123456789abcdef", dt.date(2027, 3, 31)),
    ]
    assert entries[0].source.endswith("suppressions.yaml:3")
    assert entries[1].approved_by == "a.nguyen"


@pytest.mark.parametrize(("text", "line", "problem"), [
    ("suppressions: []\n", 1, "schema_version"),
    ("schema_version: 1\nsuppressions:\n  - rule: x\n    approved_by: a\n    expires: 2026-01-01\n",
     3, "needs a non-empty 'reason'"),
    ("schema_version: 1\nsuppressions:\n  - rule: x\n    reason: r\n    expires: 2026-01-01\n",
     3, "needs a non-empty 'approved_by'"),
    ("schema_version: 1\nsuppressions:\n  - rule: x\n    reason: r\n    approved_by: a\n",
     3, "needs 'expires'"),
    ("schema_version: 1\nsuppressions:\n  - rule: x\n    reason: r\n    approved_by: a\n"
     "    expires: next year\n", 6, "'expires' is not a date"),
    ("schema_version: 1\nsuppressions:\n  - reason: r\n    approved_by: a\n"
     "    expires: 2026-01-01\n", 3, "at least one of: fingerprint, rule, path, table"),
    ("schema_version: 1\nsuppressions:\n  - rule: x\n    reason: r\n    approved_by: a\n"
     "    expires: 2026-01-01\n    ticket: SEC-1\n", 7, "unknown field 'ticket'"),
    ("schema_version: 1\nsuppressions:\n  - rule: [x]\n    reason: r\n    approved_by: a\n"
     "    expires: 2026-01-01\n", 3, "'rule' must be a non-empty string"),
    ("schema_version: 1\nsuppressions: {rule: x}\n", 2, "'suppressions' must be a list"),
    ("schema_version: 1\nsuppressions:\n  - rule: x\n   reason: bad indent\n", 4, "invalid YAML"),
])
def test_invalid_files_name_file_and_line(tmp_path: Path, text: str, line: int,
                                          problem: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SuppressionError) as info:
        load_suppressions(path)
    assert str(info.value).startswith(f"{path}:{line}: ")
    assert problem in str(info.value)


@pytest.mark.parametrize(("matchers", "target", "expected"), [
    ({"fingerprint": "f" * 32}, finding(), True),
    ({"fingerprint": "e" * 32}, finding(), False),
    ({"rule": "core.pii.*"}, finding(), True),
    ({"rule": "core.secret.*"}, finding(), False),
    ({"rule": "core.pii.cleartext-column"}, finding(), True),
    ({"path": "db/*.sql"}, finding(), True),
    ({"path": "config/*"}, finding(), False),
    ({"table": "public.user*"}, finding(), True),
    ({"table": "public.user*"}, finding(table=None), False),
    ({"rule": "core.pii.*", "table": "public.orders"}, finding(), False),  # all must match
    ({"rule": "core.pii.*", "path": "db/*", "table": "public.*"}, finding(), True),
    ({"path": "postgresql://db/*"}, finding(uri="postgresql://db/app"), True),
])
def test_matching(matchers: dict[str, str], target: Finding, expected: bool) -> None:
    assert entry(**matchers).matches(target) is expected


def test_expired_entry_stops_suppressing_and_is_reported() -> None:
    findings = [finding(fp="1" * 32), finding(fp="2" * 32, table="public.orders")]
    entries = [entry(rule="core.pii.*", expires=dt.date(2026, 6, 30), source="s.yaml:3")]
    on_the_day, report = apply_suppressions(findings, entries, dt.date(2026, 6, 30))
    assert all(f.suppressed for f in on_the_day) and report.applied == 2
    assert report.expired == ()
    after, report = apply_suppressions(findings, entries, dt.date(2026, 7, 1))
    assert [f.suppressed for f in after] == [False, False]
    assert report.applied == 0
    assert report.expired == ((entries[0], 2),)
    assert report.warnings() == ("suppression expired on 2026-06-30 (s.yaml:3: rule=core.pii.*); "
                                 "2 finding(s) no longer suppressed",)
    assert report.to_dict()["expired"] == [{
        "rule": "core.pii.*", "reason": "r", "approved_by": "a", "expires": "2026-06-30",
        "source": "s.yaml:3", "matching_findings": 2}]


def test_suppression_is_recorded_on_the_finding_and_unused_entries_reported() -> None:
    keep = entry(table="public.users", reason="legacy table, deletion ticket SEC-42")
    unused = entry(rule="core.secret.*")
    out, report = apply_suppressions([finding()], [keep, unused], dt.date(2026, 1, 1))
    assert out[0].suppressed
    assert out[0].suppression is not None
    assert (out[0].suppression.source, out[0].suppression.reason, out[0].suppression.approved_by,
            out[0].suppression.expires) == ("file", "legacy table, deletion ticket SEC-42", "a",
                                            "2026-12-31")
    assert report.unused == (unused,)


def test_already_suppressed_findings_are_left_alone() -> None:
    from auditor.results import Suppression
    pre = dataclasses.replace(finding(), suppressed=True,
                              suppression=Suppression("baseline", "seen"))
    out, report = apply_suppressions([pre], [entry(rule="*")], dt.date(2026, 1, 1))
    assert out[0] is pre and report.applied == 0


def test_engine_suppressed_finding_no_longer_fails_requirement(tmp_path: Path) -> None:
    tree(tmp_path, {"staging/a.kv": "debug = true\n", "prod/b.kv": "debug = true\n"})
    sup = write(tmp_path, GOOD.replace("tree/staging/*", f"{tmp_path}/tree/staging/*"))
    gate = Gate.load(dt.date(2026, 6, 1), str(sup), None)
    engine = fake_engine(tmp_path)
    result = gate.finish(run(engine, tmp_path / "tree", finding_filters=gate.filters()),
                         io.StringIO())
    states = {f.location.uri.split("/tree/")[1]: f.suppressed for f in result.findings}
    assert states == {"prod/b.kv": False, "staging/a.kv": True}
    r2 = next(c for c in result.compliance if c.requirement == "R2")
    assert r2.status == "fail" and len(r2.findings) == 1  # only the unsuppressed one counts
    assert result.extra["suppressions"]["applied"] == 1  # type: ignore[index]
    # everything suppressed -> the requirement passes
    gate_all = Gate.load(dt.date(2026, 6, 1), str(write(tmp_path, GOOD.replace(
        "tree/staging/*", "*"))), None)
    again = run(engine, tmp_path / "tree", finding_filters=gate_all.filters())
    assert next(c for c in again.compliance if c.requirement == "R2").status == "pass"


def test_expired_suppression_warns_and_lands_in_json(tmp_path: Path) -> None:
    tree(tmp_path, {"a.kv": "debug = true\n"})
    sup = write(tmp_path, GOOD.replace("expires: 2026-12-31", "expires: 2026-05-31")
                .replace("tree/staging/*", "*"))
    gate = Gate.load(dt.date(2026, 6, 1), str(sup), None)
    warn = io.StringIO()
    result = gate.finish(run(fake_engine(tmp_path), tmp_path / "tree",
                             finding_filters=gate.filters()), warn)
    assert not result.findings[0].suppressed
    assert "auditor: warning: suppression expired on 2026-05-31" in warn.getvalue()
    doc = json.loads(json.dumps(result.to_document()))
    assert doc["run"]["suppressions"]["expired"][0]["matching_findings"] == 1
    assert doc["run"]["suppressions"]["file"] == str(sup)


def test_cli_rejects_invalid_suppression_file(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    sup = write(tmp_path, "schema_version: 1\nsuppressions:\n  - rule: x\n")
    assert main(["scan", str(tmp_path), "--suppressions", str(sup), "-q"]) == 2
    assert f"{sup}:3: suppression entry needs a non-empty 'reason'" in capsys.readouterr().err


def test_cli_suppressions_and_expiry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Through ``auditor scan`` and the real config scanner."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "settings.env").write_text("DEBUG=true\n", encoding="utf-8")
    sup = write(tmp_path, "schema_version: 1\nsuppressions:\n  - rule: core.config.debug-*\n"
                          "    path: app/*\n    reason: staging only\n    approved_by: b.tran\n"
                          "    expires: 2026-06-30\n")
    args = ["scan", "app", "--suppressions", str(sup), "--format", "json", "-o", "out", "-q",
            "--jobs", "1"]
    code = main([*args, "--as-of", "2026-06-30"])
    doc = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    if not doc["findings"]:
        pytest.skip("the config scanner does not report DEBUG=true here")
    assert code == 0 and all(f["suppressed"] for f in doc["findings"])
    assert doc["findings"][0]["suppression"]["approved_by"] == "b.tran"
    assert capsys.readouterr().err == ""
    assert main([*args, "--as-of", "2026-07-01"]) == 1
    assert "auditor: warning: suppression expired on 2026-06-30" in capsys.readouterr().err
    doc = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert not any(f["suppressed"] for f in doc["findings"])
    assert doc["run"]["suppressions"]["expired"][0]["matching_findings"] == len(doc["findings"])
