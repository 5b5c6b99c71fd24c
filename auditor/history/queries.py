"""Reading the store: runs, one run's findings with their lifecycle, trends, time to fix,
and the per-system overview a dashboard starts from.

Trend and overview queries read the per-run aggregates stored on ``runs`` and
``run_frameworks`` (one row per run, indexed by system and time), never the findings.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from auditor.errors import ConfigError
from auditor.history import lifecycle as lc
from auditor.history.tables import (
    findings,
    run_compliance,
    run_findings,
    run_frameworks,
    runs,
    systems,
)
from auditor.models import Severity
from auditor.results import Finding, ScanResult

__all__ = ["SEVERITIES", "find_run", "finding_timeline", "list_runs", "overview",
           "requirement_status", "run_findings_of", "run_result", "time_to_fix", "trend"]

SEVERITIES = ("critical", "high", "medium", "low", "info")
_RUN_COLUMNS = (runs.c.id, runs.c.uuid, systems.c.name.label("system"), systems.c.owner,
                runs.c.started_at, runs.c.finished_at, runs.c.as_of, runs.c.duration_s,
                runs.c.tool_version, runs.c.exit_code, runs.c.fail_on, runs.c.source,
                runs.c.report_dir, runs.c.targets_total, runs.c.targets_error,
                runs.c.open_critical, runs.c.open_high, runs.c.open_medium, runs.c.open_low,
                runs.c.open_info, runs.c.suppressed, runs.c.new_count, runs.c.fixed_count,
                runs.c.reopened_count, runs.c.unassessed_count, runs.c.subjects)


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds") + "Z"
    return value.isoformat()


def _run_dict(row: Any) -> dict[str, Any]:
    m = row._mapping  # NOTE: mapping access: attribute access per column is slower
    return {
        "id": m["id"], "uuid": m["uuid"], "system": m["system"], "owner": m["owner"],
        "started_at": _iso(m["started_at"]), "finished_at": _iso(m["finished_at"]),
        "as_of": _iso(m["as_of"]), "duration_s": round(float(m["duration_s"]), 3),
        "tool_version": m["tool_version"], "exit_code": m["exit_code"],
        "fail_on": m["fail_on"], "source": m["source"], "report_dir": m["report_dir"],
        "targets": {"total": m["targets_total"], "error": m["targets_error"]},
        "open": {"critical": m["open_critical"], "high": m["open_high"],
                 "medium": m["open_medium"], "low": m["open_low"], "info": m["open_info"]},
        "suppressed": m["suppressed"], "new": m["new_count"], "fixed": m["fixed_count"],
        "reopened": m["reopened_count"], "unassessed": m["unassessed_count"],
        "subjects": m["subjects"],
    }


def list_runs(conn: Connection, system: str | None = None, limit: int | None = None
              ) -> list[dict[str, Any]]:
    """Runs, newest first."""
    query = select(*_RUN_COLUMNS).join(systems, systems.c.id == runs.c.system_id)
    if system:
        query = query.where(systems.c.name == system)
    query = query.order_by(runs.c.started_at.desc(), runs.c.id.desc())
    if limit:
        query = query.limit(limit)
    return [_run_dict(r) for r in conn.execute(query)]


def find_run(conn: Connection, ref: str) -> dict[str, Any]:
    """A run by store id (``12``), run id (UUID) or a unique UUID prefix (8+ characters)."""
    base = select(*_RUN_COLUMNS).join(systems, systems.c.id == runs.c.system_id)
    rows: Sequence[Any] = []
    if ref.isdigit():
        rows = conn.execute(base.where(runs.c.id == int(ref))).all()
    if not rows:
        rows = conn.execute(base.where(runs.c.uuid == ref)).all()
    if not rows and len(ref) >= 8:
        rows = conn.execute(base.where(runs.c.uuid.like(ref.replace("%", "") + "%"))
                            .limit(2)).all()
    if len(rows) != 1:
        raise ConfigError(f"no stored run {ref!r}" if not rows else
                          f"run id {ref!r} is ambiguous: give more characters")
    return _run_dict(rows[0])


def run_findings_of(conn: Connection, run_id: int) -> list[dict[str, Any]]:
    """The findings of one run with their lifecycle, in report order (fixed ones last)."""
    when = conn.execute(select(runs.c.started_at).where(runs.c.id == run_id)).scalar_one()
    rows = conn.execute(
        select(run_findings.c.state, run_findings.c.suppressed.label("run_suppressed"),
               findings.c.detail, findings.c.first_seen_at, findings.c.last_seen_at,
               findings.c.fixed_at, findings.c.reopen_count, findings.c.suppression_expires,
               findings.c.status)
        .join(findings, findings.c.id == run_findings.c.finding_id)
        .where(run_findings.c.run_id == run_id)).all()
    out = []
    for r in rows:
        detail = json.loads(r.detail)
        age = (when - r.first_seen_at).total_seconds() / 86400
        out.append({
            "state": r.state, "fingerprint": detail["fingerprint"],
            "rule_id": detail["rule_id"], "severity": detail["severity"],
            "title": detail.get("title", ""), "message": detail.get("message", ""),
            "location": detail["location"], "evidence": detail.get("evidence", {}),
            "first_seen": _iso(r.first_seen_at), "last_seen": _iso(r.last_seen_at),
            "age_days": round(max(age, 0.0), 2), "reopened": r.reopen_count,
            "suppressed": bool(r.run_suppressed),
            "suppression_expires": r.suppression_expires if r.run_suppressed else None,
            "finding": detail,
        })
    order = {lc.NEW: 0, lc.REOPENED: 1, lc.OPEN: 2, lc.UNASSESSED: 3, lc.FIXED: 4}
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    out.sort(key=lambda d: (d["state"] == lc.FIXED, rank[d["severity"]], d["rule_id"],
                            d["location"].get("uri", ""), order[d["state"]],
                            d["fingerprint"]))
    return out


def run_result(conn: Connection, ref: str) -> ScanResult:
    """A stored run as a :class:`ScanResult` holding the findings it saw (for diffs)."""
    run = find_run(conn, ref)
    seen = [Finding.from_dict(d["finding"]) for d in run_findings_of(conn, run["id"])
            if d["state"] in lc.PRESENT]
    return ScanResult(
        tool_version=run["tool_version"], run_id=run["uuid"], started_at=run["started_at"],
        finished_at=run["finished_at"], as_of=dt.date.fromisoformat(run["as_of"]), packs=(),
        targets=(), findings=tuple(seen),
        fail_on=None if run["fail_on"] == "never" else Severity.parse(run["fail_on"]),
        extra={"system": {"name": run["system"], "owner": run["owner"]}})


def trend(conn: Connection, system: str | None = None, framework: str | None = None,
          since: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Per run (oldest first): open findings by severity, new, fixed, and requirement
    pass/fail counts (for ``framework``, else summed over the run's frameworks)."""
    fw = select(run_frameworks.c.run_id,
                func.sum(run_frameworks.c.pass_count).label("passed"),
                func.sum(run_frameworks.c.fail_count).label("failed"),
                func.sum(run_frameworks.c.not_assessed_count).label("not_assessed"),
                func.sum(run_frameworks.c.manual_count).label("manual"))
    if framework:
        fw = fw.where(run_frameworks.c.framework == framework)
    fw_sub = fw.group_by(run_frameworks.c.run_id).subquery()
    query = (select(*_RUN_COLUMNS, fw_sub.c.passed, fw_sub.c.failed, fw_sub.c.not_assessed,
                    fw_sub.c.manual)
             .join(systems, systems.c.id == runs.c.system_id)
             .outerjoin(fw_sub, fw_sub.c.run_id == runs.c.id))
    if system:
        query = query.where(systems.c.name == system)
    if since is not None:
        query = query.where(runs.c.started_at >= since)
    query = query.order_by(runs.c.started_at, runs.c.id)
    out = []
    for r in conn.execute(query):
        point = _run_dict(r)
        point["requirements"] = {"pass": int(r.passed or 0), "fail": int(r.failed or 0),
                                 "not_assessed": int(r.not_assessed or 0),
                                 "manual": int(r.manual or 0)}
        out.append(point)
    return out


def time_to_fix(conn: Connection, system: str | None = None) -> dict[str, dict[str, Any]]:
    """Per severity: how many findings were fixed and in how many days (mean, median,
    max); how many are open and the age of the oldest (to the system's newest run)."""
    newest = dict(conn.execute(select(runs.c.system_id, func.max(runs.c.started_at))
                               .group_by(runs.c.system_id)).all())
    query = select(findings.c.system_id, findings.c.severity, findings.c.status,
                   findings.c.first_seen_at, findings.c.fixed_at)
    if system:
        query = query.join(systems, systems.c.id == findings.c.system_id).where(
            systems.c.name == system)
    fixed: dict[str, list[float]] = {s: [] for s in SEVERITIES}
    ages: dict[str, list[float]] = {s: [] for s in SEVERITIES}
    for r in conn.execute(query):
        label = Severity(r.severity).label
        if r.status == lc.FIXED and r.fixed_at is not None:
            fixed[label].append((r.fixed_at - r.first_seen_at).total_seconds() / 86400)
        elif r.status == lc.OPEN and r.system_id in newest:
            ages[label].append((newest[r.system_id] - r.first_seen_at).total_seconds() / 86400)
    out: dict[str, dict[str, Any]] = {}
    for s in SEVERITIES:
        days = fixed[s]
        out[s] = {
            "fixed": len(days),
            "mean_days": round(statistics.fmean(days), 2) if days else None,
            "median_days": round(statistics.median(days), 2) if days else None,
            "max_days": round(max(days), 2) if days else None,
            "open": len(ages[s]),
            "oldest_open_days": round(max(ages[s]), 2) if ages[s] else None,
        }
    return out


def overview(conn: Connection, owner: str | None = None) -> list[dict[str, Any]]:
    """Each system's newest run with its aggregates and per-framework counts."""
    latest = (select(runs.c.system_id, func.max(runs.c.started_at).label("at"))
              .group_by(runs.c.system_id).subquery())
    query = (select(*_RUN_COLUMNS, systems.c.level, systems.c.title)
             .join(systems, systems.c.id == runs.c.system_id)
             .join(latest, and_(latest.c.system_id == runs.c.system_id,
                                latest.c.at == runs.c.started_at)))
    if owner:
        query = query.where(systems.c.owner == owner)
    rows = conn.execute(query.order_by(systems.c.owner, systems.c.name, runs.c.id.desc())
                        ).all()
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r.system not in out:  # NOTE: two runs at the same second: the later id wins
            out[r.system] = {**_run_dict(r), "level": r.level, "title": r.title,
                             "frameworks": {}}
    ids = {v["id"]: k for k, v in out.items()}
    if ids:
        for f in conn.execute(select(run_frameworks).where(run_frameworks.c.run_id.in_(ids))):
            out[ids[f.run_id]]["frameworks"][f.framework] = {
                "pass": f.pass_count, "fail": f.fail_count,
                "not_assessed": f.not_assessed_count, "manual": f.manual_count}
    return list(out.values())




def requirement_status(conn: Connection, framework: str, requirement: str
                       ) -> list[dict[str, Any]]:
    """Per system: the requirement's status in its newest run and, when it fails, since
    when it has failed without a break (the first run of the current failing streak)."""
    query = (select(systems.c.name, systems.c.owner, runs.c.id, runs.c.started_at,
                    run_compliance.c.status)
             .join(runs, runs.c.id == run_compliance.c.run_id)
             .join(systems, systems.c.id == runs.c.system_id)
             .where(run_compliance.c.framework == framework,
                    run_compliance.c.requirement == requirement)
             .order_by(systems.c.name, runs.c.started_at.desc(), runs.c.id.desc()))
    out: dict[str, dict[str, Any]] = {}
    broken: set[str] = set()
    for r in conn.execute(query):
        item = out.get(r.name)
        if item is None:
            out[r.name] = {"system": r.name, "owner": r.owner, "status": r.status,
                           "run": r.id, "at": _iso(r.started_at),
                           "failing_since": _iso(r.started_at) if r.status == "fail"
                           else None}
        elif r.name not in broken and item["status"] == "fail":
            if r.status == "fail":
                item["failing_since"] = _iso(r.started_at)
            else:
                broken.add(r.name)
    return list(out.values())


def finding_timeline(conn: Connection, system: str, fingerprint: str
                     ) -> list[dict[str, Any]]:
    """One finding's state in every run of its system that mentions it, oldest first."""
    query = (select(runs.c.id, runs.c.uuid, runs.c.started_at, run_findings.c.state,
                    run_findings.c.severity, run_findings.c.suppressed)
             .join(run_findings, run_findings.c.run_id == runs.c.id)
             .join(findings, findings.c.id == run_findings.c.finding_id)
             .join(systems, systems.c.id == findings.c.system_id)
             .where(systems.c.name == system, findings.c.fingerprint == fingerprint)
             .order_by(runs.c.started_at, runs.c.id))
    return [{"run": r.id, "uuid": r.uuid, "at": _iso(r.started_at), "state": r.state,
             "severity": Severity(r.severity).label, "suppressed": bool(r.suppressed)}
            for r in conn.execute(query)]
