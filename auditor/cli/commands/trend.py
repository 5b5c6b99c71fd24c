"""``auditor trend [--system S] [--framework F]``: per run, open findings by severity,
new and fixed findings, and requirement pass/fail counts (for F, else all frameworks).

Read from per-run aggregates in the results store, so it stays fast over years of runs.
``--format json`` gives ``{"runs": [...], "time_to_fix": {...}}``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from auditor.cli.commands.history import add_store_options, open_store

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("trend", help="findings and compliance over the recorded runs",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_store_options(p)
    p.add_argument("--system", metavar="NAME", help="only this system")
    p.add_argument("--framework", metavar="ID", help="requirement counts of this framework")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        points = store.trend(args.system, args.framework)
        ttf = store.time_to_fix(args.system)
    if args.format == "json":
        json.dump({"system": args.system, "framework": args.framework, "runs": points,
                   "time_to_fix": ttf}, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    label = f" ({args.framework})" if args.framework else ""
    print(f"{'run':>5}  {'system':<18} {'started (UTC)':<20} {'crit':>4} {'high':>4} "
          f"{'med':>4} {'low':>4} {'info':>4} {'new':>4} {'fixed':>5} "
          f"{'req pass':>8} {'req fail':>8}{label}")
    for p in points:
        o, req = p["open"], p["requirements"]
        print(f"{p['id']:>5}  {p['system'][:18]:<18} {p['started_at'][:19]:<20} "
              f"{o['critical']:>4} {o['high']:>4} {o['medium']:>4} {o['low']:>4} "
              f"{o['info']:>4} {p['new']:>4} {p['fixed']:>5} {req['pass']:>8} "
              f"{req['fail']:>8}")
    if not points:
        print("no runs recorded" + (f" for {args.system}" if args.system else ""))
    return 0
