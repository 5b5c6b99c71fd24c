"""The results store on a real SQLite file and a real PostgreSQL database: lifecycle,
replay of out-of-order imports, pruning, migrations, idempotence."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from auditor.history import Store, SystemInfo
from auditor.history.tables import metadata
from tests.history.helpers import T0, finding, result

APP = SystemInfo("hr-portal", "Department of Home Affairs", level=3)


def states(store: Store, run_id: int) -> dict[str, str]:
    return {f["fingerprint"]: f["state"] for f in store.findings(run_id)}


def test_lifecycle_new_open_fixed_reopened(store_url: str) -> None:
    with Store.open(store_url) as store:
        r1 = store.record(result("r1", 0, [finding("a"), finding("b", severity="low")]), APP)
        r2 = store.record(result("r2", 7, [finding("b", severity="low"), finding("c")]), APP)
        r3 = store.record(result("r3", 10, [finding("a"), finding("b", severity="low"),
                                            finding("c")]), APP)
        assert states(store, r1.run_id) == {"a": "new", "b": "new"}
        assert states(store, r2.run_id) == {"a": "fixed", "b": "open", "c": "new"}
        assert states(store, r3.run_id) == {"a": "reopened", "b": "open", "c": "open"}
        trend = store.trend("hr-portal")
        assert [(p["new"], p["fixed"], p["reopened"], p["open"]["high"], p["open"]["low"])
                for p in trend] == [(2, 0, 0, 1, 1), (1, 1, 0, 1, 1), (0, 0, 1, 2, 1)]
        shown = {f["fingerprint"]: f for f in store.findings(r3.run_id)}
        assert shown["b"]["first_seen"] == "2026-01-05T02:30:00Z"
        assert shown["b"]["age_days"] == 10.0
        assert shown["c"]["age_days"] == 3.0
        ttf = store.time_to_fix("hr-portal")
        # a: seen day 0, fixed day 7, then reopened: a reopened finding is open again
        assert ttf["high"] == {"fixed": 0, "mean_days": None, "median_days": None,
                               "max_days": None, "open": 2, "oldest_open_days": 10.0}
        store.record(result("r4", 12, [finding("b", severity="low")]), APP)
        ttf = store.time_to_fix("hr-portal")
        assert ttf["high"]["fixed"] == 2
        assert ttf["high"]["max_days"] == 12.0  # a: first seen day 0, fixed day 12
        assert ttf["low"]["open"] == 1 and ttf["low"]["oldest_open_days"] == 12.0


def test_a_target_that_could_not_be_scanned_fixes_nothing(store_url: str) -> None:
    with Store.open(store_url) as store:
        store.record(result("r1", 0, [finding("a", uri="/srv/app/db.yaml")]), APP)
        r2 = store.record(result("r2", 1, [], errors=["/srv/app/db.yaml"]), APP)
        assert states(store, r2.run_id) == {"a": "unassessed"}
        run = store.run(str(r2.run_id))
        assert run["fixed"] == 0 and run["open"]["high"] == 1 and run["unassessed"] == 1
        r3 = store.record(result("r3", 2, []), APP)
        assert states(store, r3.run_id) == {"a": "fixed"}


def test_outside_the_systems_scope_is_not_fixed(store_url: str) -> None:
    scoped = SystemInfo("hr-portal", "x", scope=("/srv/app",))
    with Store.open(store_url) as store:
        store.record(result("r1", 0, [finding("a", uri="/srv/old/x.yaml"),
                                      finding("b", uri="/srv/app/y.yaml")]), scoped)
        r2 = store.record(result("r2", 1, []), scoped)
        assert states(store, r2.run_id) == {"a": "unassessed", "b": "fixed"}


def test_suppressed_findings_are_kept_with_expiry_and_not_counted_open(store_url: str) -> None:
    with Store.open(store_url) as store:
        rec = store.record(result("r1", 0, [finding("a", suppressed_until="2026-03-31"),
                                            finding("b", subjects=250)]), APP)
        run = store.run(str(rec.run_id))
        assert run["open"]["high"] == 1 and run["suppressed"] == 1 and run["subjects"] == 250
        shown = {f["fingerprint"]: f for f in store.findings(rec.run_id)}
        assert shown["a"]["suppressed"] and shown["a"]["suppression_expires"] == "2026-03-31"
        assert not shown["b"]["suppressed"] and shown["b"]["suppression_expires"] is None


def test_an_older_report_imported_later_replays_the_lifecycle(store_url: str) -> None:
    with Store.open(store_url) as store:
        late = store.record(result("r2", 7, [finding("b")]), APP, source="import")
        early = store.record(result("r1", 0, [finding("a"), finding("b")]), APP,
                             source="import")
        assert states(store, early.run_id) == {"a": "new", "b": "new"}
        assert states(store, late.run_id) == {"a": "fixed", "b": "open"}
        assert [p["uuid"] for p in store.trend()] == ["r1", "r2"]
        assert store.time_to_fix()["high"]["fixed"] == 1


def test_recording_the_same_run_twice_is_a_no_op(store_url: str) -> None:
    with Store.open(store_url) as store:
        first = store.record(result("r1", 0, [finding("a")]), APP)
        again = store.record(result("r1", 0, [finding("a")]), APP)
        assert first.created and not again.created and first.run_id == again.run_id
        assert len(store.runs()) == 1


def test_prune_keeps_recent_runs_and_each_systems_newest(store_url: str) -> None:
    other = SystemInfo("payroll", "Finance")
    with Store.open(store_url) as store:
        store.record(result("a1", 0, [finding("a"), finding("gone")]), APP)
        store.record(result("a2", 30, [finding("a")]), APP)
        store.record(result("a3", 60, [finding("a")]), APP)
        store.record(result("p1", 0, [finding("p")]), other)  # old, but payroll's newest
        now = T0 + dt.timedelta(days=65)
        assert store.prune(10, now=now) == 2
        assert sorted(r["uuid"] for r in store.runs()) == ["a3", "p1"]
        # the fixed finding no kept run mentions is gone; the open one keeps its history
        kept = {f["fingerprint"]: f for f in store.findings(store.run("a3")["id"])}
        assert set(kept) == {"a"} and kept["a"]["first_seen"] == "2026-01-05T02:30:00Z"


def test_run_references(store_url: str) -> None:
    with Store.open(store_url) as store:
        rec = store.record(result("5f1c2a7e-0000-4000-8000-000000000001", 0, []), APP)
        assert store.run(str(rec.run_id))["uuid"].startswith("5f1c2a7e")
        assert store.run("5f1c2a7e")["id"] == rec.run_id
        with pytest.raises(Exception, match="no stored run"):
            store.run("deadbeef00")


def test_migrations_build_exactly_the_declared_tables(store_url: str) -> None:
    with Store.open(store_url) as store, store.db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diffs == []


def test_reopening_a_store_does_not_migrate_again(store_url: str) -> None:
    with Store.open(store_url) as store:
        store.record(result("r1", 0, [finding("a")]), APP)
    with Store.open(store_url) as store:
        assert [r["uuid"] for r in store.runs()] == ["r1"]


def test_requirement_failing_since_and_finding_timeline(store_url: str) -> None:
    other = SystemInfo("payroll", "Finance")
    with Store.open(store_url) as store:
        store.record(result("h1", 0, [finding("a")], failing=["Art-26"]), APP)
        store.record(result("h2", 3, [], failing=[]), APP)
        store.record(result("h3", 5, [finding("a")], failing=["Art-26"]), APP)
        store.record(result("h4", 9, [finding("a")], failing=["Art-26"]), APP)
        store.record(result("p1", 1, [], failing=[]), other)
        status = {s["system"]: s for s in store.requirement("vn-pdpl-2025", "Art-26")}
        assert status["hr-portal"]["status"] == "fail"
        assert status["hr-portal"]["failing_since"] == "2026-01-10T02:30:00Z"  # day 5: h2 passed
        assert status["payroll"]["status"] == "pass"
        assert status["payroll"]["failing_since"] is None
        assert [(t["state"], t["at"][:10]) for t in store.timeline("hr-portal", "a")] == [
            ("new", "2026-01-05"), ("fixed", "2026-01-08"), ("reopened", "2026-01-10"),
            ("open", "2026-01-14")]
