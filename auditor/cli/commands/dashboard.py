"""``auditor dashboard [--store URL] -o DIR [--lang vi|en]``: a static, offline snapshot of
the dashboard (overview, every system, every requirement with results) to archive as
evidence or send to leadership; loads nothing remote and prints on A4."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from auditor.cli.commands.history import add_store_options, open_store

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("dashboard", help="static offline snapshot of the dashboard",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_store_options(p)
    p.add_argument("-o", "--output", metavar="DIR", required=True, help="folder to write")
    p.add_argument("--lang", choices=("vi", "en"), default="vi", help="language (default vi)")
    p.add_argument("--period", type=int, default=90, metavar="DAYS",
                   help="days of history in charts, back from the newest run (0 = all; "
                        "default 90)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from auditor.dashboard.data import Filters
    from auditor.dashboard.snapshot import write_snapshot
    with open_store(args) as store:
        pages = write_snapshot(store, Path(args.output), lang=args.lang,
                               filters=Filters(period=args.period or None))
    print(f"wrote {len(pages)} pages to {args.output}/index.html")
    return 0
