"""What the dashboard shows, read from the results store as plain JSON-ready dicts.

Every page and its ``/api/...`` twin come from one function here, so the JSON API and the
HTML never disagree. Time series read the per-run aggregates on ``runs`` (never the
findings); lists of findings read ``findings`` through its (system, status, severity)
index. Periods are counted back from the newest run in the store, not from the clock, so
a snapshot of a store always shows the same thing. Days are local days in
Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from auditor.history import queries
from auditor.history.tables import findings, run_compliance, run_frameworks, runs, systems
from auditor.models import Severity

__all__ = ["PERIODS", "SEVERITIES", "TZ", "Filters", "NotFoundError", "finding_data",
           "framework_order", "overview_data", "requirement_data", "system_data"]

TZ = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
SEVERITIES = queries.SEVERITIES
#: period filter values (days back from the newest run); 0 = everything
PERIODS = (30, 90, 180, 365, 0)
_OPEN_COLS = ("open_critical", "open_high", "open_medium", "open_low", "open_info")
_LIST_LIMIT = 10


class NotFoundError(LookupError):
    """A system, requirement or finding the store does not hold."""


@dataclass(frozen=True, slots=True)
class Filters:
    owner: str | None = None
    system: str | None = None
    framework: str | None = None
    #: the lowest severity shown (``high`` shows critical and high)
    severity: str | None = None
    #: days back from the newest run; 0 or None: all
    period: int | None = 90

    def severities(self) -> tuple[str, ...]:
        if not self.severity:
            return SEVERITIES
        floor = Severity.parse(self.severity)
        return tuple(s for s in SEVERITIES if Severity.parse(s) >= floor)

    def as_dict(self) -> dict[str, Any]:
        return {"owner": self.owner, "system": self.system, "framework": self.framework,
                "severity": self.severity, "period": self.period}


@lru_cache(maxsize=1)
def _frameworks() -> dict[str, Any]:
    try:
        from auditor.policy.frameworks import builtin_frameworks
        return {f.id: f for f in builtin_frameworks()}
    except Exception:
        return {}


def framework_order(ids: Iterable[str]) -> list[str]:
    """Vietnamese frameworks first (Law 91/Decree 356 before the rest), then by id."""
    def key(fid: str) -> tuple[int, str]:
        if fid == "vn-pdpl-2025":
            return (0, fid)
        if fid.startswith("vn-"):
            return (1, fid)
        return (2, fid)
    return sorted(set(ids), key=key)


def framework_info(fid: str) -> dict[str, str]:
    fw = _frameworks().get(fid)
    if fw is None:
        return {"id": fid, "title": fid, "title_vi": fid}
    return {"id": fid, "title": fw.title, "title_vi": fw.title_vi or fw.title}


def requirement_info(fid: str, rid: str) -> dict[str, str]:
    fw = _frameworks().get(fid)
    req = next((r for r in fw.requirements if r.id == rid), None) if fw else None
    if req is None:
        return {"framework": fid, "id": rid, "title": rid, "title_vi": rid,
                "provision": "", "provision_vi": "", "remediation": "", "remediation_vi": ""}
    return {"framework": fid, "id": rid, "title": req.title, "title_vi": req.title_vi or req.title,
            "provision": req.provision, "provision_vi": req.provision_vi or req.provision,
            "remediation": req.remediation, "remediation_vi": req.remediation_vi or
            req.remediation}


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds") + "Z"


def local_day(value: dt.datetime) -> dt.date:
    return value.replace(tzinfo=dt.UTC).astimezone(TZ).date()


def _newest(conn: Connection) -> dt.datetime | None:
    value: dt.datetime | None = conn.execute(select(func.max(runs.c.started_at))).scalar()
    return value


def _since(conn: Connection, f: Filters) -> dt.datetime | None:
    if not f.period:
        return None
    newest = _newest(conn)
    return None if newest is None else newest - dt.timedelta(days=f.period)


def _latest(conn: Connection, f: Filters) -> list[dict[str, Any]]:
    latest = queries.overview(conn, f.owner or None)
    if f.system:
        latest = [s for s in latest if s["system"] == f.system]
    return latest


def _light(item: dict[str, Any]) -> str:
    """red: open critical/high or a failed requirement; amber: other open findings or an
    incomplete scan; green: none of those."""
    o = item["open"]
    failed = sum(v["fail"] for v in item["frameworks"].values())
    if o["critical"] or o["high"] or failed:
        return "red"
    if o["medium"] or o["low"] or item["targets"]["error"]:
        return "amber"
    return "green"


def _series(conn: Connection, system_ids: Sequence[int], since: dt.datetime | None,
            severities: Sequence[str]) -> list[dict[str, Any]]:
    """Per local day: open findings by severity and data subjects summed over the systems
    (each at its latest run so far, carried forward), new and fixed summed over the runs
    of that day."""
    if not system_ids:
        return []
    cols = (runs.c.system_id, runs.c.started_at, runs.c.open_critical, runs.c.open_high,
            runs.c.open_medium, runs.c.open_low, runs.c.open_info, runs.c.new_count,
            runs.c.fixed_count, runs.c.subjects)
    # NOTE: plain tuples and running totals: this loop sees every run of the period
    state: dict[int, tuple[Any, ...]] = {}
    if since is not None:
        before = (select(runs.c.system_id, func.max(runs.c.started_at).label("at"))
                  .where(runs.c.started_at < since, runs.c.system_id.in_(system_ids))
                  .group_by(runs.c.system_id).subquery())
        for b in conn.execute(select(*cols).join(before, and_(
                before.c.system_id == runs.c.system_id, before.c.at == runs.c.started_at))
                .order_by(runs.c.id)):
            state[b[0]] = tuple(b)
    wanted = [2 + SEVERITIES.index(s) for s in severities]
    totals = [0] * 5
    subjects = 0
    known = 0  # systems whose current run has a data-subject estimate
    for v in state.values():
        for i in range(5):
            totals[i] += v[2 + i]
        if v[9] is not None:
            subjects += v[9]
            known += 1
    query = select(*cols).where(runs.c.system_id.in_(system_ids))
    if since is not None:
        query = query.where(runs.c.started_at >= since)
    out: list[dict[str, Any]] = []
    day: dt.date | None = None
    new = fixed = 0

    def close(d: dt.date) -> None:
        out.append({"day": d.isoformat(), "new": new, "fixed": fixed,
                    "open": {severities[k]: totals[i - 2] for k, i in enumerate(wanted)},
                    "subjects": subjects if known else None})

    for row in conn.execute(query.order_by(runs.c.started_at, runs.c.id)):
        r: tuple[Any, ...] = tuple(row)
        d = local_day(r[1])
        if day is not None and d != day:
            close(day)
            new = fixed = 0
        day = d
        old = state.get(r[0])
        if old is not None:
            for i in range(5):
                totals[i] -= old[2 + i]
            if old[9] is not None:
                subjects -= old[9]
                known -= 1
        for i in range(5):
            totals[i] += r[2 + i]
        if r[9] is not None:
            subjects += r[9]
            known += 1
        state[r[0]] = r
        new += r[7]
        fixed += r[8]
    if day is not None:
        close(day)
    return out


def _system_ids(conn: Connection, names: Iterable[str]) -> list[int]:
    wanted = list(names)
    if not wanted:
        return []
    return [int(r.id) for r in conn.execute(select(systems.c.id).where(
        systems.c.name.in_(wanted)))]


def _open_findings(conn: Connection, system_ids: Sequence[int], severities: Sequence[str],
                   limit: int | None, oldest_first: bool = False) -> list[dict[str, Any]]:
    levels = [int(Severity.parse(s)) for s in severities]
    query = (select(findings.c.fingerprint, findings.c.rule_id, findings.c.severity,
                    findings.c.title, findings.c.uri, findings.c.first_seen_at,
                    findings.c.last_seen_at, findings.c.reopen_count, findings.c.suppressed,
                    findings.c.suppression_expires, systems.c.name, systems.c.owner)
             .join(systems, systems.c.id == findings.c.system_id)
             .where(findings.c.system_id.in_(system_ids), findings.c.status == "open",
                    findings.c.severity.in_(levels)))
    if oldest_first:
        query = query.where(findings.c.suppressed.is_(False)).order_by(
            findings.c.first_seen_at, findings.c.id)
    else:
        query = query.order_by(findings.c.severity.desc(), findings.c.first_seen_at,
                               findings.c.rule_id, findings.c.uri, findings.c.id)
    if limit:
        query = query.limit(limit)
    return [{"system": r.name, "owner": r.owner, "fingerprint": r.fingerprint,
             "rule_id": r.rule_id, "severity": Severity(r.severity).label, "title": r.title,
             "uri": r.uri, "first_seen": _iso(r.first_seen_at),
             "last_seen": _iso(r.last_seen_at), "reopened": r.reopen_count,
             "suppressed": bool(r.suppressed), "suppression_expires": r.suppression_expires}
            for r in conn.execute(query)] if system_ids else []


def overview_data(conn: Connection, f: Filters) -> dict[str, Any]:
    latest = _latest(conn, f)
    ids = _system_ids(conn, (s["system"] for s in latest))
    sev = f.severities()
    fw_totals: dict[str, dict[str, int]] = {}
    for s in latest:
        for fid, c in s["frameworks"].items():
            if f.framework and fid != f.framework:
                continue
            t = fw_totals.setdefault(fid, {"pass": 0, "fail": 0, "not_assessed": 0,
                                           "manual": 0, "systems": 0})
            for k in ("pass", "fail", "not_assessed", "manual"):
                t[k] += c[k]
            t["systems"] += 1
    frameworks = []
    for fid in framework_order(fw_totals):
        t = fw_totals[fid]
        judged = t["pass"] + t["fail"]
        frameworks.append({**framework_info(fid), **t,
                           "compliance": round(100 * t["pass"] / judged, 1) if judged
                           else None})
    owners: dict[str, list[dict[str, Any]]] = {}
    for s in latest:
        failed = sum(v["fail"] for k, v in s["frameworks"].items()
                     if not f.framework or k == f.framework)
        owners.setdefault(s["owner"], []).append({
            "system": s["system"], "title": s["title"], "level": s["level"],
            "light": _light(s), "open": s["open"], "failed_requirements": failed,
            "last_run": s["started_at"], "subjects": s["subjects"],
            "targets_error": s["targets"]["error"]})
    grid = [{"owner": o, "systems": owners[o]} for o in sorted(owners)]
    run_ids = [s["id"] for s in latest]
    top_req: list[dict[str, Any]] = []
    if run_ids:
        q = (select(run_compliance.c.framework, run_compliance.c.requirement,
                    func.count().label("n"))
             .where(run_compliance.c.run_id.in_(run_ids), run_compliance.c.status == "fail")
             .group_by(run_compliance.c.framework, run_compliance.c.requirement))
        if f.framework:
            q = q.where(run_compliance.c.framework == f.framework)
        rows = sorted(conn.execute(q), key=lambda r: (-r.n, framework_order(
            [r.framework, "vn-pdpl-2025"]).index(r.framework), r.framework, r.requirement))
        top_req = [{**requirement_info(r.framework, r.requirement), "systems": r.n}
                   for r in rows[:_LIST_LIMIT]]
    top_rules: list[dict[str, Any]] = []
    if ids:
        levels = [int(Severity.parse(s)) for s in sev]
        q2 = (select(findings.c.rule_id, func.max(findings.c.severity).label("sev"),
                     func.count().label("n"),
                     func.count(func.distinct(findings.c.system_id)).label("systems"))
              .where(findings.c.system_id.in_(ids), findings.c.status == "open",
                     findings.c.suppressed.is_(False), findings.c.severity.in_(levels))
              .group_by(findings.c.rule_id)
              .order_by(func.count().desc(), findings.c.rule_id).limit(_LIST_LIMIT))
        top_rules = [{"rule_id": r.rule_id, "severity": Severity(r.sev).label,
                      "findings": r.n, "systems": r.systems} for r in conn.execute(q2)]
    oldest_sev = [s for s in sev if s == "critical"] or [sev[0]]
    return {
        "filters": f.as_dict(),
        "systems": len(latest),
        "frameworks": frameworks,
        "grid": grid,
        "series": _series(conn, ids, _since(conn, f), sev),
        "top_requirements": top_req,
        "top_rules": top_rules,
        "oldest_critical": _open_findings(conn, ids, oldest_sev, _LIST_LIMIT,
                                          oldest_first=True),
        "owners": sorted({s["owner"] for s in queries.overview(conn)}),
        "all_systems": sorted(s["system"] for s in queries.overview(conn)),
        "all_frameworks": framework_order(
            r[0] for r in conn.execute(select(run_frameworks.c.framework).distinct())),
    }


def _report_files(report_dir: str | None) -> list[str]:
    """The files of a run's report folder (top level only), when the folder still exists."""
    if not report_dir:
        return []
    from pathlib import Path
    base = Path(report_dir)
    try:
        return sorted(p.name for p in base.iterdir() if p.is_file() and not p.is_symlink())
    except OSError:
        return []


def report_file(conn: Connection, run_id: int, name: str) -> Any:
    """The path of file ``name`` in run ``run_id``'s report folder, or NotFoundError. Only the
    names listed in the folder are served: no path from the request is ever joined."""
    from pathlib import Path
    row = conn.execute(select(runs.c.report_dir).where(runs.c.id == run_id)).first()
    if row is None or name not in _report_files(row.report_dir):
        raise NotFoundError(f"no file {name!r} for run {run_id}")
    return Path(row.report_dir) / name


def system_data(conn: Connection, name: str, f: Filters) -> dict[str, Any]:
    srow = conn.execute(select(systems).where(systems.c.name == name)).first()
    if srow is None:
        raise NotFoundError(f"no system {name!r}")
    since = _since(conn, f)
    sev = f.severities()
    q = (select(runs.c.id, runs.c.uuid, runs.c.started_at, runs.c.duration_s,
                runs.c.exit_code, runs.c.source, runs.c.report_dir, runs.c.targets_total,
                runs.c.targets_error, *(getattr(runs.c, c) for c in _OPEN_COLS),
                runs.c.suppressed, runs.c.new_count, runs.c.fixed_count,
                runs.c.reopened_count, runs.c.unassessed_count, runs.c.subjects)
         .where(runs.c.system_id == srow.id))
    if since is not None:
        q = q.where(runs.c.started_at >= since)
    rows = conn.execute(q.order_by(runs.c.started_at.desc(), runs.c.id.desc())).all()
    run_list = []
    for i, r in enumerate(rows):
        run_list.append({
            "id": r.id, "uuid": r.uuid, "started_at": _iso(r.started_at),
            "duration_s": round(float(r.duration_s), 3), "exit_code": r.exit_code,
            "source": r.source,
            "targets": {"total": r.targets_total, "error": r.targets_error},
            "open": {s: getattr(r, f"open_{s}") for s in sev},
            "suppressed": r.suppressed, "new": r.new_count, "fixed": r.fixed_count,
            "reopened": r.reopened_count, "unassessed": r.unassessed_count,
            "subjects": r.subjects,
            # NOTE: listing folders costs a syscall each: only the newest runs' downloads
            "files": _report_files(r.report_dir) if i < 30 else None})
    ids = [r["id"] for r in run_list]
    fw_rows: dict[int, dict[str, int]] = {}
    if ids:
        fq = (select(run_frameworks.c.run_id, func.sum(run_frameworks.c.pass_count),
                     func.sum(run_frameworks.c.fail_count))
              .where(run_frameworks.c.run_id.in_(ids)).group_by(run_frameworks.c.run_id))
        if f.framework:
            fq = fq.where(run_frameworks.c.framework == f.framework)
        fw_rows = {r[0]: {"pass": int(r[1] or 0), "fail": int(r[2] or 0)}
                   for r in conn.execute(fq)}
    for item in run_list:
        item["requirements"] = fw_rows.get(item["id"], {"pass": 0, "fail": 0})
    # requirement statuses over the period, newest run first
    reqs: dict[tuple[str, str], dict[str, Any]] = {}
    if ids:
        cq = (select(run_compliance.c.framework, run_compliance.c.requirement,
                     run_compliance.c.status, runs.c.started_at)
              .join(runs, runs.c.id == run_compliance.c.run_id)
              .where(runs.c.system_id == srow.id))
        if since is not None:
            cq = cq.where(runs.c.started_at >= since)
        if f.framework:
            cq = cq.where(run_compliance.c.framework == f.framework)
        for c in conn.execute(cq.order_by(runs.c.started_at.desc(), runs.c.id.desc())):
            key = (c.framework, c.requirement)
            entry = reqs.get(key)
            if entry is None:
                item = reqs[key] = {"framework": c.framework, "requirement": c.requirement,
                                    "status": c.status, "since": _iso(c.started_at),
                                    "runs": 0, "failed_runs": 0, "_streak": True}
            else:
                item = entry
            if entry is not None and item["_streak"]:
                if c.status == item["status"]:
                    item["since"] = _iso(c.started_at)
                else:
                    item["_streak"] = False
            item["runs"] += 1
            item["failed_runs"] += c.status == "fail"
    order = framework_order(k[0] for k in reqs)
    requirements = []
    for key in sorted(reqs, key=lambda k: (order.index(k[0]), k[1])):
        item = reqs[key]
        del item["_streak"]
        info = requirement_info(*key)
        requirements.append({**item, "title": info["title"], "title_vi": info["title_vi"],
                             "provision": info["provision"],
                             "provision_vi": info["provision_vi"]})
    chrono = list(reversed(run_list))
    return {
        "filters": f.as_dict(),
        "system": {"name": srow.name, "owner": srow.owner, "title": srow.title,
                   "level": srow.level},
        "runs": run_list,
        "series": [{"run": r["id"], "at": r["started_at"], "open": r["open"],
                    "new": r["new"], "fixed": r["fixed"], "subjects": r["subjects"],
                    "requirements": r["requirements"]} for r in chrono],
        "open_findings": _open_findings(conn, [srow.id], sev, 500),
        "requirements": requirements,
        "time_to_fix": queries.time_to_fix(conn, name),
    }


def requirement_data(conn: Connection, framework: str, requirement: str) -> dict[str, Any]:
    rows = queries.requirement_status(conn, framework, requirement)
    if not rows:
        raise NotFoundError(f"no results for requirement {framework}:{requirement}")
    order = {"fail": 0, "manual": 1, "not_assessed": 2, "pass": 3}
    rows.sort(key=lambda r: (order.get(r["status"], 1), r["failing_since"] or "",
                             r["system"]))
    return {"requirement": requirement_info(framework, requirement),
            "framework": framework_info(framework), "systems": rows,
            "failing": sum(r["status"] == "fail" for r in rows)}


def finding_data(conn: Connection, system: str, fingerprint: str) -> dict[str, Any]:
    row = conn.execute(
        select(findings, systems.c.owner).join(systems, systems.c.id == findings.c.system_id)
        .where(systems.c.name == system, findings.c.fingerprint == fingerprint)).first()
    if row is None:
        raise NotFoundError(f"no finding {fingerprint!r} in system {system!r}")
    detail = json.loads(row.detail)
    return {
        "system": system, "owner": row.owner, "fingerprint": fingerprint,
        "rule_id": row.rule_id, "severity": Severity(row.severity).label,
        "title": row.title, "uri": row.uri, "status": row.status,
        "first_seen": _iso(row.first_seen_at), "last_seen": _iso(row.last_seen_at),
        "fixed_at": _iso(row.fixed_at), "reopened": row.reopen_count,
        "suppressed": bool(row.suppressed), "suppression_expires": row.suppression_expires,
        "suppression": detail.get("suppression"),
        "message": detail.get("message", ""), "location": detail.get("location", {}),
        "evidence": detail.get("evidence", {}), "remediation": detail.get("remediation", ""),
        "references": detail.get("references", []), "controls": detail.get("controls", []),
        "timeline": queries.finding_timeline(conn, system, fingerprint),
    }
