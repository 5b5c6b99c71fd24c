"""Results store: ingest of a 10,000-finding run and trend queries over 365 runs x 10
systems, on a SQLite file (and PostgreSQL when reachable), side by side.

There is no outside peer that stores our findings; the reference in the same run is the
same trend computed the naive way, by counting each run's findings in ``run_findings``
instead of reading the per-run aggregates stored on ``runs`` (the design choice this
measures). Targets (issue 11): ingest < 2 s, trend < 0.5 s on SQLite.

Usage: ``python benchmarks/bench_history.py [--runs 365] [--systems 10] [--findings 10000]
[--per-run 40] [--pg URL]`` (``--pg`` defaults to ``$AUDITOR_TEST_PG_URL`` or the local
server; a database ``auditor_history_bench_<random>`` is created and dropped).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from auditor.history import Store, SystemInfo  # noqa: E402
from auditor.history.tables import run_findings, runs, systems  # noqa: E402
from auditor.models import Location, Severity  # noqa: E402
from auditor.results import ComplianceItem, Finding, ScanResult  # noqa: E402

__all__ = ["main"]

T0 = dt.datetime(2025, 1, 1, 2, 30)
RULES = (("core.secret.password-assignment", "high", "secret"),
         ("core.pii.cleartext-column", "critical", "pii.column"),
         ("core.config.debug-enabled", "medium", "config.setting"),
         ("core.tls.weak-protocol", "high", "tls.handshake"),
         ("core.db.public-grant", "low", "db.account"))
REQUIREMENTS = [(fw, f"{fw}-req-{i}") for fw in ("vn-pdpl-2025", "vn-decree13-2023", "gdpr")
                for i in range(12)]


def finding(i: int) -> Finding:
    rule, sev, kind = RULES[i % len(RULES)]
    table = f"public.customers_{i % 97}" if kind == "pii.column" else None
    return Finding(
        fingerprint=f"fp{i:030d}",
        rule_id=rule, pack="core", title=f"{rule} title", severity=Severity.parse(sev),
        cwe=("CWE-312",), message=f"column or key number {i} holds data in cleartext",
        location=Location(f"/srv/app{i % 50}/conf/settings-{i % 400}.yaml",
                          key=None if table else f"section{i % 13}.key{i}",
                          table=table, column=f"col{i}" if table else None),
        kind=kind, evidence={"sample": "••••••••(12)", "entities": ["VN_CCCD"]},
        entities=("VN_CCCD",) if table else (), subjects=(i * 37) % 5000 if table else None)


def scan_result(run_id: str, day: float, ids: range | list[int]) -> ScanResult:
    when = (T0 + dt.timedelta(days=day)).isoformat() + "Z"
    compliance = tuple(ComplianceItem(fw, req, "fail" if hash((run_id, req)) % 3 == 0
                                      else "pass") for fw, req in REQUIREMENTS)
    return ScanResult(tool_version="0.1.0", run_id=run_id, started_at=when, finished_at=when,
                      as_of=(T0 + dt.timedelta(days=day)).date(), packs=(), targets=(),
                      findings=tuple(finding(i) for i in ids), compliance=compliance)


def best(fn: Callable[[], Any], repeat: int = 5) -> tuple[float, float, float]:
    """Best and median wall time, and the best CPU time of this process (on a busy
    machine the CPU time is the closer estimate of the time on a quiet one)."""
    times, cpus = [], []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return min(times), statistics.median(times), min(cpus)


def naive_trend(store: Store) -> list[Any]:
    """The reference: open findings by severity counted from run_findings per run."""
    query = (select(runs.c.id, systems.c.name, runs.c.started_at, run_findings.c.severity,
                    func.count())
             .join(systems, systems.c.id == runs.c.system_id)
             .join(run_findings, run_findings.c.run_id == runs.c.id)
             .where(run_findings.c.state != "fixed", run_findings.c.suppressed.is_(False))
             .group_by(runs.c.id, systems.c.name, runs.c.started_at, run_findings.c.severity)
             .order_by(runs.c.started_at, runs.c.id))
    with store.db.engine.connect() as conn:
        return conn.execute(query).all()


def bench(url: str, label: str, args: argparse.Namespace) -> None:
    print(f"\n== {label}")
    with Store.open(url) as store:
        big1 = scan_result("big-1", 0, range(args.findings))
        # the next run: 5 % fixed, 5 % new, the rest still open (updates of every row)
        shift = args.findings // 20
        big2 = scan_result("big-2", 1, range(shift, args.findings + shift))
        start, cpu = time.perf_counter(), time.process_time()
        rec = store.record(big1, SystemInfo("big", "Bench"))
        first, first_cpu = time.perf_counter() - start, time.process_time() - cpu
        start, cpu = time.perf_counter(), time.process_time()
        rec2 = store.record(big2, SystemInfo("big", "Bench"))
        second, second_cpu = time.perf_counter() - start, time.process_time() - cpu
        assert rec.counts["new_count"] == args.findings
        assert (rec2.counts["new_count"], rec2.counts["fixed_count"]) == (shift, shift)
        print(f"ingest {args.findings:,} findings, first run (all new): {first:.3f} s "
              f"(this process's CPU: {first_cpu:.3f} s)")
        print(f"ingest {args.findings:,} findings, next run ({shift} fixed, {shift} new): "
              f"{second:.3f} s (CPU {second_cpu:.3f} s)")
        start = time.perf_counter()
        for s in range(args.systems):
            info = SystemInfo(f"system-{s:02d}", f"Agency {s % 4}", level=1 + s % 5)
            for r in range(args.runs):
                # a sliding window: every day one finding is fixed and one is new
                ids = list(range(s * 10_000 + r, s * 10_000 + r + args.per_run))
                store.record(scan_result(f"s{s}-r{r}", r, ids), info)
        seeded = time.perf_counter() - start
        total = args.systems * args.runs
        print(f"seeded {total:,} runs x {args.per_run} findings in {seeded:.1f} s "
              f"({seeded / total * 1000:.1f} ms per run)")
        checks = {
            "trend, all systems": store.trend,
            "trend, one system": lambda: store.trend("system-03"),
            "trend, one framework": lambda: store.trend(framework="vn-pdpl-2025"),
            "overview (newest run per system)": store.overview,
            "time to fix per severity": store.time_to_fix,
            "reference: trend counted from run_findings": lambda: naive_trend(store),
        }
        points = len(store.trend())
        assert points == total + 2, points
        results = {}
        for name, fn in checks.items():
            low, mid, cpu = best(fn)
            results[name] = mid
            print(f"{name:<45} best {low * 1000:8.1f} ms   median {mid * 1000:8.1f} ms   "
                  f"CPU {cpu * 1000:8.1f} ms")
        ratio = results["reference: trend counted from run_findings"] / \
            results["trend, all systems"]
        print(f"aggregates vs counting: trend over {points:,} runs is {ratio:.1f}x faster")


def _pg(url: str) -> tuple[str, Callable[[], None]] | None:
    try:
        import psycopg
        from sqlalchemy.engine import make_url
    except ImportError:
        return None
    base = make_url(url)
    try:
        admin = psycopg.connect(host=base.host, port=base.port or 5432, user=base.username,
                                password=base.password, dbname=base.database or "postgres",
                                autocommit=True, connect_timeout=5)
    except psycopg.Error:
        return None
    name = "auditor_history_bench_" + secrets.token_hex(4)
    admin.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    return url.rsplit("/", 1)[0] + "/" + name, drop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=365)
    parser.add_argument("--systems", type=int, default=10)
    parser.add_argument("--findings", type=int, default=10_000)
    parser.add_argument("--per-run", type=int, default=40)
    parser.add_argument("--pg", default=os.environ.get(
        "AUDITOR_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args(argv)
    print(f"load average before the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench-history-") as tmp:
        bench(f"sqlite:///{tmp}/history.sqlite", "SQLite (WAL file)", args)
        size = sum(p.stat().st_size for p in Path(tmp).iterdir())
        print(f"store size on disk: {size / 1e6:.1f} MB")
    if not args.no_pg:
        pg = _pg(args.pg)
        if pg is None:
            print("\n== PostgreSQL: not reachable, skipped")
        else:
            try:
                bench(pg[0], "PostgreSQL", args)
            finally:
                pg[1]()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
