"""Full scans of a large table: read in key blocks (mergeable, splittable into key ranges)
against read as one unordered stream (the path of tables without an integer key).

Creates the 12-column synthetic citizen table of ``bench_database.py`` with ``--rows``
rows in a scratch PostgreSQL database, then scans it with ``database.full=true`` in one
process, alternately in key blocks and as one stream (``BLOCK_MIN_ROWS`` raised), twice
each, and prints CPU seconds (``time.process_time``: the figure a shared machine does not
distort), the personal columns each found, and the ratio of the best runs.

Usage::

    python benchmarks/bench_full_blocks.py [--rows 100000] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_database import _TABLE_SQL, _scan


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--pg-url", default=os.environ.get(
        "AUDITOR_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    args = ap.parse_args(argv)
    import psycopg
    from auditor.scanners.database import DatabaseScanner, ranges

    from auditor.pii import get_detector

    name = "auditor_bench_" + secrets.token_hex(4)
    admin = psycopg.connect(args.pg_url, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    url = args.pg_url.rsplit("/", 1)[0] + "/" + name
    blocked = ranges.BLOCK_MIN_ROWS
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(_TABLE_SQL.format(rows=int(args.rows)))
            conn.execute("ANALYZE cong_dan_bench")
        get_detector().detect("warm up 0912345678")  # NOTE: engine start-up not timed
        scanner = DatabaseScanner()
        best: dict[str, float] = {}
        print(f"load average {os.getloadavg()[0]:.1f} at start")
        for label, limit in [("blocks", blocked), ("stream", 10**12)] * 2:
            ranges.BLOCK_MIN_ROWS = limit
            c0 = time.process_time()
            wall, found = _scan(scanner, url, is_file=False, full=True)
            cpu = time.process_time() - c0
            columns = sorted(o.location.column for o in found
                             if getattr(o, "kind", "") == "pii.column")
            best[label] = min(best.get(label, cpu), cpu)
            print(f"{label}: CPU {cpu:.1f} s, wall {wall:.1f} s, "
                  f"{args.rows / cpu:,.0f} rows per CPU s; personal columns: "
                  f"{', '.join(columns)}", flush=True)
        print(f"blocks / stream CPU (best of 2 each): {best['blocks'] / best['stream']:.2f}; "
              f"load average {os.getloadavg()[0]:.1f} at the end")
    finally:
        ranges.BLOCK_MIN_ROWS = blocked
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
