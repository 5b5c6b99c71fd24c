"""Recording one finished scan in the store, with the lifecycle of its findings.

Runs of a system are usually recorded in time order (``auditor run``): the lifecycle then
advances by one step. A run older than the system's newest run (``history import`` of an
old report) is inserted and the system's lifecycle is replayed from its first run.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, delete, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection

from auditor.history import lifecycle as lc
from auditor.history.tables import (
    findings,
    run_compliance,
    run_findings,
    run_frameworks,
    runs,
    systems,
)
from auditor.models import canonical_json
from auditor.results import Finding, ScanResult

__all__ = ["Recorded", "SystemInfo", "parse_time", "record_result"]


@dataclass(frozen=True, slots=True)
class SystemInfo:
    name: str
    owner: str = ""
    title: str = ""
    level: int | None = None
    #: the targets the system is defined by (paths, URLs without credentials); a finding
    #: outside them is not called fixed when a run does not see it. Empty: unknown.
    scope: tuple[str, ...] = ()

    @classmethod
    def from_result(cls, result: ScanResult, name: str | None = None) -> SystemInfo:
        """From a report's ``run.system`` (written by ``auditor run``), ``name`` overriding."""
        meta = result.extra.get("system")
        meta = meta if isinstance(meta, Mapping) else {}
        level = meta.get("level")
        scope = meta.get("scope")
        return cls(name=name or str(meta.get("name") or ""), owner=str(meta.get("owner") or ""),
                   title=str(meta.get("title") or ""),
                   level=level if isinstance(level, int) else None,
                   scope=tuple(str(s) for s in scope) if isinstance(scope, list) else ())


@dataclass(frozen=True, slots=True)
class Recorded:
    run_id: int
    created: bool  # False: this run (by its id) was already in the store
    counts: Mapping[str, int | None]


def parse_time(text_value: str) -> dt.datetime:
    """ISO time from a report as naive UTC."""
    value = dt.datetime.fromisoformat(text_value.replace("Z", "+00:00"))
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _under(uri: str, roots: Iterable[str]) -> bool:
    return any(uri == r or uri.startswith(r.rstrip("/") + "/") for r in roots)


def _system_id(conn: Connection, info: SystemInfo, now: dt.datetime) -> int:
    row = conn.execute(select(systems.c.id, systems.c.owner, systems.c.title, systems.c.level)
                       .where(systems.c.name == info.name)).first()
    if row is None:
        values = {"name": info.name, "owner": info.owner, "title": info.title,
                  "level": info.level, "created_at": now}
        if conn.dialect.name == "postgresql":
            conn.execute(pg_insert(systems).values(**values)
                         .on_conflict_do_nothing(index_elements=["name"]))
        else:
            conn.execute(insert(systems).values(**values))
        return int(conn.execute(select(systems.c.id).where(systems.c.name == info.name))
                   .scalar_one())
    changes = {k: v for k, v in (("owner", info.owner), ("title", info.title),
                                 ("level", info.level))
               if v not in (None, "") and v != getattr(row, k)}
    if changes:
        conn.execute(update(systems).where(systems.c.id == row.id).values(**changes))
    return int(row.id)


def _unique(result: ScanResult) -> dict[str, Finding]:
    out: dict[str, Finding] = {}
    for f in result.findings:
        out.setdefault(f.fingerprint, f)
    return out


def record_result(conn: Connection, result: ScanResult, system: SystemInfo, *,
                  source: str = "run", report_dir: str | None = None,
                  duration_s: float | None = None) -> Recorded:
    """Insert ``result`` as a run of ``system`` (in the caller's write transaction)."""
    existing = conn.execute(select(runs.c.id).where(runs.c.uuid == result.run_id)).first()
    if existing is not None:
        return Recorded(int(existing.id), False, {})
    started, finished = parse_time(result.started_at), parse_time(result.finished_at)
    sid = _system_id(conn, system, started)
    if conn.dialect.name == "postgresql":
        # NOTE: one writer at a time per system: the lifecycle reads then writes findings
        conn.execute(text("SELECT pg_advisory_xact_lock(724311, :sid)"), {"sid": sid})
    newest = conn.execute(select(func.max(runs.c.started_at))
                          .where(runs.c.system_id == sid)).scalar()
    errors = [{"uri": t.uri, "error": t.error or "error"} for t in result.targets
              if t.status == "error"]
    error_uris = {e["uri"] for e in errors}
    scope = list(system.scope)
    run_id = int(conn.execute(insert(runs).values(
        uuid=result.run_id, system_id=sid, started_at=started, finished_at=finished,
        as_of=result.as_of,
        duration_s=duration_s if duration_s is not None else max(
            0.0, (finished - started).total_seconds()),
        tool_version=result.tool_version,
        packs=canonical_json([{"id": p.id, "version": p.version, "sha256": p.sha256}
                              for p in result.packs]),
        frameworks=canonical_json([{"id": f.id, "version": f.version} for f in
                                   result.frameworks]),
        fail_on=result.fail_on.label if result.fail_on is not None else "never",
        exit_code=result.exit_code(), source=source, report_dir=report_dir,
        targets_total=len(result.targets), targets_error=len(errors),
        target_errors=canonical_json({"errors": errors, "scope": scope}),
    ).returning(runs.c.id)).scalar_one())
    present = _unique(result)
    _record_compliance(conn, run_id, result)
    rows = conn.execute(select(findings.c.id, findings.c.fingerprint, findings.c.status,
                               findings.c.severity, findings.c.suppressed, findings.c.uri)
                        .where(findings.c.system_id == sid)).all()
    by_fp: dict[str, Any] = {r.fingerprint: r for r in rows}
    if newest is not None and started < newest:
        ids = _store_seen(conn, sid, run_id, started, present=present, by_fp=by_fp,
                          states=None)
        saw = [{"run_id": run_id, "finding_id": ids[fp], "state": lc.OPEN,
                "severity": int(f.severity), "suppressed": f.suppressed}
               for fp, f in present.items()]
        bulk_insert(conn, run_findings, saw)  # what this run saw; the replay sets states
        counts = replay(conn, sid)[run_id]
    else:
        counts = _advance(conn, sid, run_id, started, present=present, by_fp=by_fp,
                          error_uris=error_uris, scope=scope)
    return Recorded(run_id, True, counts)


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):  # SQLAlchemy's SQLite DateTime storage format
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, bool):
        return int(value)
    return value


def bulk_insert(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many rows. NOTE: on SQLite straight to the driver's executemany (3x faster
    than going through SQLAlchemy's per-row parameter processing for 10,000 rows)."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), list(rows))
        return
    cols = list(rows[0])
    # NOTE: table and column names are ours (tables.py); every value is a bound parameter
    sql = (f"INSERT INTO {table.name} ({', '.join(cols)}) "  # noqa: S608
           f"VALUES ({', '.join('?' * len(cols))})")
    conn.exec_driver_sql(sql, [tuple(_sqlite_value(r[c]) for c in cols) for r in rows])


def _detail(f: Finding) -> str:
    return json.dumps(f.to_dict(), ensure_ascii=False, separators=(",", ":"))


def _store_seen(conn: Connection, sid: int, run_id: int, when: dt.datetime, *,
                present: Mapping[str, Finding], by_fp: Mapping[str, Any],
                states: Mapping[str, str] | None) -> dict[str, int]:
    """Insert rows for new fingerprints and refresh seen ones (their latest detail and,
    with ``states``, their lifecycle: one statement per row). Returns every row id."""
    fresh = [{"system_id": sid, "fingerprint": fp, "rule_id": f.rule_id,
              "severity": int(f.severity), "title": f.title, "uri": f.location.uri,
              "detail": _detail(f), "status": lc.OPEN, "first_seen_at": when,
              "first_run_id": run_id, "last_seen_at": when, "last_run_id": run_id,
              "suppressed": f.suppressed,
              "suppression_expires": f.suppression.expires if f.suppression else None}
             for fp, f in present.items() if fp not in by_fp]
    ids = {fp: int(r.id) for fp, r in by_fp.items()}
    if fresh:
        bulk_insert(conn, findings, fresh)
        ids.update((r.fingerprint, int(r.id)) for r in conn.execute(
            select(findings.c.fingerprint, findings.c.id).where(
                findings.c.system_id == sid, findings.c.first_run_id == run_id)))
    seen = [{"fid": ids[fp], "severity": int(f.severity), "title": f.title,
             "uri": f.location.uri, "detail": _detail(f), "suppressed": f.suppressed,
             "expires": f.suppression.expires if f.suppression else None,
             "inc": 1 if states is not None and states.get(fp) == lc.REOPENED else 0}
            for fp, f in present.items() if fp in by_fp]
    if not seen:
        return ids
    if conn.dialect.name == "sqlite":  # NOTE: straight to the driver, as bulk_insert
        sets = "severity=?, title=?, uri=?, detail=?, suppressed=?, suppression_expires=?"
        lifecycle: tuple[Any, ...] = ()
        if states is not None:
            sets += (", status=?, last_seen_at=?, last_run_id=?, fixed_at=NULL, "
                     "fixed_run_id=NULL, reopen_count=reopen_count + ?")
            lifecycle = (lc.OPEN, _sqlite_value(when), run_id)
        conn.exec_driver_sql(
            f"UPDATE findings SET {sets} WHERE id=?",  # noqa: S608 (our columns, bound values)
            [(r["severity"], r["title"], r["uri"], r["detail"], int(bool(r["suppressed"])),
              r["expires"], *lifecycle, *((r["inc"],) if states is not None else ()),
              r["fid"]) for r in seen])
        return ids
    values: dict[str, Any] = {
        "severity": bindparam("severity"), "title": bindparam("title"),
        "uri": bindparam("uri"), "detail": bindparam("detail"),
        "suppressed": bindparam("suppressed"),
        "suppression_expires": bindparam("expires")}
    if states is not None:
        values.update(status=lc.OPEN, last_seen_at=when, last_run_id=run_id,
                      fixed_at=None, fixed_run_id=None,
                      reopen_count=findings.c.reopen_count + bindparam("inc"))
    conn.execute(update(findings).where(findings.c.id == bindparam("fid"))
                 .values(**values), seen)
    return ids


def _record_compliance(conn: Connection, run_id: int, result: ScanResult) -> None:
    rows = [{"run_id": run_id, "framework": c.framework, "requirement": c.requirement,
             "status": c.status, "findings": len(c.findings), "subjects": c.subjects}
            for c in result.compliance]
    if rows:
        conn.execute(insert(run_compliance), rows)
    totals: dict[str, dict[str, int]] = {}
    for c in result.compliance:
        t = totals.setdefault(c.framework, {"pass": 0, "fail": 0, "not_assessed": 0,
                                            "manual": 0})
        if c.status in t:
            t[c.status] += 1
    if totals:
        conn.execute(insert(run_frameworks), [
            {"run_id": run_id, "framework": fw, "pass_count": t["pass"],
             "fail_count": t["fail"], "not_assessed_count": t["not_assessed"],
             "manual_count": t["manual"]} for fw, t in totals.items()])


def _unassessable(error_uris: set[str], scope: Sequence[str], uri_of: Mapping[str, str]
                  ) -> Any:
    def check(fp: str) -> bool:
        uri = uri_of.get(fp, "")
        return uri in error_uris or _under(uri, error_uris) or bool(
            scope and not _under(uri, scope))
    return check


def _advance(conn: Connection, sid: int, run_id: int, when: dt.datetime, *,
             present: Mapping[str, Finding], by_fp: Mapping[str, Any], error_uris: set[str],
             scope: Sequence[str]) -> dict[str, int | None]:
    """One lifecycle step for a run newer than every stored run of its system."""
    known = {fp: r.status for fp, r in by_fp.items()}
    seen = {fp: lc.Seen(int(f.severity), f.suppressed, f.subjects) for fp, f in present.items()}
    states = lc.advance(known, seen, _unassessable(error_uris, scope,
                                                   {fp: r.uri for fp, r in by_fp.items()}))
    ids = _store_seen(conn, sid, run_id, when, present=present, by_fp=by_fp, states=states)
    gone = [{"fid": ids[fp]} for fp, st in states.items() if st == lc.FIXED]
    if gone:
        conn.execute(update(findings).where(findings.c.id == bindparam("fid")).values(
            status=lc.FIXED, fixed_at=when, fixed_run_id=run_id), gone)
    severity = {fp: (seen[fp].severity if fp in seen else int(by_fp[fp].severity))
                for fp in states}
    suppressed = {fp: (seen[fp].suppressed if fp in seen else bool(by_fp[fp].suppressed))
                  for fp in states}
    rows = [{"run_id": run_id, "finding_id": ids[fp], "state": st, "severity": severity[fp],
             "suppressed": suppressed[fp]} for fp, st in states.items()]
    bulk_insert(conn, run_findings, rows)
    counts = lc.count_states(states, severity, suppressed,
                             {fp: s.subjects for fp, s in seen.items()})
    conn.execute(update(runs).where(runs.c.id == run_id).values(**counts))
    return counts


def replay(conn: Connection, sid: int) -> dict[int, dict[str, int | None]]:
    """Recompute the lifecycle of one system from its first run (after an out-of-order
    insert or a prune); returns each run's aggregates."""
    run_rows = conn.execute(select(runs.c.id, runs.c.started_at, runs.c.target_errors)
                            .where(runs.c.system_id == sid)
                            .order_by(runs.c.started_at, runs.c.id)).all()
    frows = conn.execute(select(findings.c.id, findings.c.fingerprint, findings.c.severity,
                                findings.c.suppressed, findings.c.uri, findings.c.detail)
                         .where(findings.c.system_id == sid)).all()
    fp_of = {r.id: r.fingerprint for r in frows}
    uri_of = {r.fingerprint: r.uri for r in frows}
    run_ids = [r.id for r in run_rows]
    seen_by_run: dict[int, dict[str, lc.Seen]] = {rid: {} for rid in run_ids}
    if run_ids:
        for rf in conn.execute(select(run_findings).where(
                run_findings.c.run_id.in_(run_ids), run_findings.c.state.in_(lc.PRESENT))):
            seen_by_run[rf.run_id][fp_of[rf.finding_id]] = lc.Seen(
                int(rf.severity), bool(rf.suppressed))
        conn.execute(delete(run_findings).where(run_findings.c.run_id.in_(run_ids)))
    subjects = {r.fingerprint: json.loads(r.detail).get("subjects") for r in frows}
    status: dict[str, str] = {}
    life: dict[str, dict[str, Any]] = {}
    last_sev = {r.fingerprint: int(r.severity) for r in frows}
    last_sup = {r.fingerprint: bool(r.suppressed) for r in frows}
    by_fp = {r.fingerprint: r for r in frows}
    out: dict[int, dict[str, int | None]] = {}
    for run in run_rows:
        meta = json.loads(run.target_errors or "{}")
        errors = {str(e["uri"]) for e in meta.get("errors", ())} if isinstance(meta, dict) \
            else set()
        scope = list(meta.get("scope", ())) if isinstance(meta, dict) else []
        seen = seen_by_run[run.id]
        states = lc.advance(status, seen, _unassessable(errors, scope, uri_of))
        for fp, s in seen.items():
            last_sev[fp], last_sup[fp] = s.severity, s.suppressed
        rows = [{"run_id": run.id, "finding_id": by_fp[fp].id, "state": st,
                 "severity": last_sev[fp], "suppressed": last_sup[fp]}
                for fp, st in states.items()]
        bulk_insert(conn, run_findings, rows)
        for fp, st in states.items():
            rec = life.setdefault(fp, {"first_seen_at": run.started_at, "first_run_id": run.id,
                                       "reopen_count": 0, "fixed_at": None,
                                       "fixed_run_id": None})
            if st in lc.PRESENT:
                rec.update(last_seen_at=run.started_at, last_run_id=run.id)
                status[fp] = lc.OPEN
                if st == lc.REOPENED:
                    rec.update(reopen_count=rec["reopen_count"] + 1, fixed_at=None,
                               fixed_run_id=None)
            elif st == lc.FIXED:
                status[fp] = lc.FIXED
                rec.update(fixed_at=run.started_at, fixed_run_id=run.id)
        counts = lc.count_states(states, last_sev, last_sup,
                                 {fp: subjects.get(fp) for fp in seen})
        conn.execute(update(runs).where(runs.c.id == run.id).values(**counts))
        out[run.id] = counts
    orphans = [r.id for r in frows if r.fingerprint not in life]
    if orphans:
        conn.execute(delete(findings).where(findings.c.id.in_(orphans)))
    if life:
        conn.execute(update(findings).where(findings.c.id == bindparam("fid")).values(
            status=bindparam("st"), first_seen_at=bindparam("f_at"),
            first_run_id=bindparam("f_run"), last_seen_at=bindparam("l_at"),
            last_run_id=bindparam("l_run"), fixed_at=bindparam("x_at"),
            fixed_run_id=bindparam("x_run"), reopen_count=bindparam("reopens")), [
            {"fid": by_fp[fp].id, "st": status[fp], "f_at": rec["first_seen_at"],
             "f_run": rec["first_run_id"], "l_at": rec.get("last_seen_at",
                                                           rec["first_seen_at"]),
             "l_run": rec.get("last_run_id", rec["first_run_id"]), "x_at": rec["fixed_at"],
             "x_run": rec["fixed_run_id"], "reopens": rec["reopen_count"]}
            for fp, rec in life.items()])
    return out

