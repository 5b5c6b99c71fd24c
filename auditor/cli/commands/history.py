"""``auditor history list|show RUN|import REPORT.json...|prune --keep-days N``.

The results store (``--store URL``, else ``$AUDITOR_STORE``, the configuration's ``store:``
when ``--config`` is given, else the per-user file) keeps every run of every system with
the lifecycle of its findings: new, open, reopened, fixed (and unassessed when the target
could not be scanned). ``--format json`` prints the same data for scripts.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from auditor.cli.commands.run import config_path, open_config_store
from auditor.errors import ConfigError
from auditor.gate.baseline import load_report
from auditor.history import Store, SystemInfo
from auditor.history.ingest import parse_time
from auditor.runconfig import load_config

__all__ = ["add_store_options", "open_store", "register"]


def add_store_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", metavar="URL", help="results store URL (sqlite:///PATH, "
                                                  "postgresql://USER@HOST/DB)")
    p.add_argument("--config", metavar="FILE",
                   help="take the store from this auditor.yaml (store:)")
    p.add_argument("--format", choices=("text", "json"), default="text")


def open_store(args: argparse.Namespace) -> Store:
    cfg = load_config(config_path(args.config)) if getattr(args, "config", None) else None
    return open_config_store(args.store, cfg)


def register(sub: Any) -> None:
    p = sub.add_parser("history", help="runs recorded in the results store",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = p.add_subparsers(dest="verb", metavar="VERB", required=True,
                             parser_class=type(p))
    ls = verbs.add_parser("list", help="recorded runs, newest first")
    add_store_options(ls)
    ls.add_argument("--system", metavar="NAME", help="only this system")
    ls.add_argument("--limit", type=int, default=50, metavar="N", help="at most N runs "
                                                                      "(0 = all; default 50)")
    ls.set_defaults(handler=_list)
    show = verbs.add_parser("show", help="one run: its findings and their lifecycle")
    add_store_options(show)
    show.add_argument("run", metavar="RUN", help="store id, run id or a unique prefix")
    show.set_defaults(handler=_show)
    imp = verbs.add_parser("import", help="record saved JSON reports (backfill)")
    add_store_options(imp)
    imp.add_argument("reports", nargs="+", metavar="REPORT.json")
    imp.add_argument("--system", metavar="NAME",
                     help="system the reports describe (default: the report's run.system)")
    imp.add_argument("--owner", metavar="TEXT", default="", help="owner of a new system")
    imp.set_defaults(handler=_import)
    prune = verbs.add_parser("prune", help="delete runs older than N days")
    add_store_options(prune)
    prune.add_argument("--keep-days", type=int, required=True, metavar="N")
    prune.set_defaults(handler=_prune)


def _dump(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def _open_counts(run: dict[str, Any]) -> str:
    o = run["open"]
    return f"{o['critical']:>4} {o['high']:>4} {o['medium']:>4} {o['low']:>4} {o['info']:>4}"


def _list(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        runs = store.runs(args.system, args.limit or None)
    if args.format == "json":
        _dump({"runs": runs})
        return 0
    print(f"{'id':>5}  {'system':<20} {'started (UTC)':<20} {'crit':>4} {'high':>4} "
          f"{'med':>4} {'low':>4} {'info':>4} {'new':>4} {'fix':>4}  exit")
    for r in runs:
        print(f"{r['id']:>5}  {r['system'][:20]:<20} {r['started_at'][:19]:<20} "
              f"{_open_counts(r)} {r['new']:>4} {r['fixed']:>4}  {r['exit_code']}")
    return 0


def _show(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        run = store.run(args.run)
        items = store.findings(run["id"])
        ttf = store.time_to_fix(run["system"])
    if args.format == "json":
        _dump({"run": run, "findings": [{k: v for k, v in f.items() if k != "finding"}
                                        for f in items], "time_to_fix": ttf})
        return 0
    print(f"run {run['id']} ({run['uuid']}) of {run['system']} ({run['owner']})")
    print(f"started {run['started_at']}, as of {run['as_of']}, {run['duration_s']} s, "
          f"auditor {run['tool_version']}, exit {run['exit_code']}")
    print(f"targets: {run['targets']['total']} ({run['targets']['error']} error); "
          f"{sum(run['open'].values())} open, {run['new']} new, {run['fixed']} fixed, "
          f"{run['reopened']} reopened, {run['suppressed']} suppressed")
    if run["report_dir"]:
        print(f"reports: {run['report_dir']}")
    for f in items:
        sup = f" suppressed until {f['suppression_expires']}" if f["suppressed"] and \
            f["suppression_expires"] else (" suppressed" if f["suppressed"] else "")
        loc = f["location"]
        where = ":".join(str(x) for x in (loc.get("uri"), loc.get("table") or loc.get("key")
                                           or loc.get("line")) if x)
        print(f"  {f['state']:<10} {f['severity']:<8} {f['rule_id']}  {where}  "
              f"first seen {f['first_seen'][:10]}, age {f['age_days']:.0f} d{sup}")
    print("time to fix (days): " + "; ".join(
        f"{s} {v['fixed']} fixed, median {v['median_days']}" for s, v in ttf.items()
        if v["fixed"]) if any(v["fixed"] for v in ttf.values()) else
        "time to fix: nothing fixed yet")
    return 0


def _import(args: argparse.Namespace) -> int:
    results = [(path, load_report(path)) for path in args.reports]
    results.sort(key=lambda pr: parse_time(pr[1].started_at))
    plan = []
    for path, result in results:
        system = SystemInfo.from_result(result, args.system)
        if not system.name:
            raise ConfigError(f"{path}: the report names no system: pass --system NAME")
        if args.owner and not system.owner:
            system = SystemInfo(system.name, args.owner, system.title, system.level,
                                system.scope)
        plan.append((path, result, system))
    out = []
    with open_store(args) as store:
        for path, result, system in plan:
            rec = store.record(result, system, source="import")
            out.append({"report": path, "system": system.name, "run": rec.run_id,
                        "imported": rec.created})
    if args.format == "json":
        _dump({"imported": out})
    else:
        for item in out:
            state = "imported as run" if item["imported"] else "already stored as run"
            print(f"{item['report']}: {item['system']}: {state} {item['run']}")
    return 0


def _prune(args: argparse.Namespace) -> int:
    if args.keep_days < 0:
        raise ConfigError("--keep-days: expected 0 or more")
    with open_store(args) as store:
        deleted = store.prune(args.keep_days)
    if args.format == "json":
        _dump({"deleted_runs": deleted, "keep_days": args.keep_days})
    else:
        print(f"deleted {deleted} run(s) older than {args.keep_days} day(s) "
              f"(each system's newest run is kept)")
    return 0
