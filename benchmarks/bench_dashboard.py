"""Dashboard speed over a large store: 20 systems x 365 daily runs (30-finding pool each).

Times, on SQLite (and PostgreSQL when reachable):
- server time of the overview and of a system page: the data queries plus HTML rendering,
  in-process (what the request handler does), median of 7;
- the same pages over HTTP from a live uvicorn server on loopback (median of 7);
- 50 concurrent requests (overview, system pages, API) from 50 threads: errors, wall time,
  median and 95th-percentile latency;
- the peer: the overview's trend chart computed the way a script would without the
  dashboard queries, from ``Store.trend()`` over all systems (history's public query).

Usage: python benchmarks/bench_dashboard.py [--systems 20] [--runs 365] [--store-dir DIR]
       [--no-postgres]. The seeded SQLite store is kept in --store-dir and reused.
"""

from __future__ import annotations

import argparse
import math
import os
import secrets
import socket
import statistics
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import uvicorn

from auditor.dashboard import data
from auditor.dashboard.app import create_app
from auditor.dashboard.charts import overview_charts, system_charts
from auditor.dashboard.i18n import Translator
from auditor.dashboard.render import LinkMaker, Renderer
from auditor.history import Store
from tests.dashboard.seed import seed


def median_ms(fn: Callable[[], Any], repeat: int = 7) -> tuple[float, float]:
    fn()  # warm
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall) * 1000, statistics.median(cpu) * 1000


RENDERER = Renderer()  # NOTE: the server builds one at start (templates compiled once)


def server_overview(store: Store, f: data.Filters) -> str:
    r, t = RENDERER, Translator("vi")
    with store.db.engine.connect() as conn:
        d = data.overview_data(conn, f)
    return r.page("overview.html", d, lang="vi", links=LinkMaker("vi"),
                  charts=overview_charts(t, d))


def server_system(store: Store, name: str, f: data.Filters) -> str:
    r, t = RENDERER, Translator("vi")
    with store.db.engine.connect() as conn:
        d = data.system_data(conn, name, f)
    return r.page("system.html", d, lang="vi", links=LinkMaker("vi"),
                  charts=system_charts(t, d))


def peer_overview_trend(store: Store) -> list[dict[str, Any]]:
    """Open findings per day over all systems from Store.trend() (carried forward)."""
    state: dict[str, dict[str, int]] = {}
    out: dict[str, dict[str, int]] = {}
    for p in store.trend():
        state[p["system"]] = p["open"]
        out[p["started_at"][:10]] = {s: sum(v[s] for v in state.values())
                                     for s in data.SEVERITIES}
    return list(out.values())


def live(store: Store) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(256)
    server = uvicorn.Server(uvicorn.Config(create_app(store), log_level="warning",
                                          lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def fetch(url: str) -> tuple[int, float]:
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as resp:
        resp.read()
        return resp.status, time.perf_counter() - t0


def bench(url: str, label: str, args: argparse.Namespace, seeded: bool) -> None:
    store = Store.open(url)
    try:
        if not seeded:
            t0 = time.perf_counter()
            seed(store, args.systems, args.runs)
            print(f"[{label}] seeded {args.systems} systems x {args.runs} runs in "
                  f"{time.perf_counter() - t0:.0f} s", flush=True)
        runs = len(store.runs())
        SYSTEM = f"he-thong-{args.systems // 2:02d}"  # noqa: N806
        print(f"[{label}] store: {runs} runs")
        rows = []
        for period in (90, 0):
            f = data.Filters(period=period or None)
            name = f"period {'all' if not period else str(period) + ' d'}"
            rows.append((f"overview, {name}", *median_ms(lambda f=f: server_overview(store, f))))
            rows.append((f"system page, {name}",
                         *median_ms(lambda f=f: server_system(store, SYSTEM, f))))
        rows.append(("peer: overview trend from Store.trend()",
                     *median_ms(lambda: peer_overview_trend(store), repeat=3)))
        rows.append(("dashboard: overview series only, period all", *median_ms(
            lambda: store._read(lambda c: data._series(
                c, data._system_ids(c, [f"he-thong-{i:02d}" for i in range(args.systems)]),
                None, data.SEVERITIES)))))
        print(f"[{label}] server time (in-process, median of 7): wall ms / CPU ms")
        for name, wall, cpu in rows:
            print(f"  {name:<48} {wall:8.1f} {cpu:8.1f}")
        for base in live(store):
            for path in ("/", f"/system?name={SYSTEM}", "/?period=0",
                         f"/system?name={SYSTEM}&period=0"):
                times = [fetch(base + path)[1] for _ in range(7)]
                print(f"  HTTP GET {path:<40} median {statistics.median(times) * 1000:7.1f} ms")
            paths = ["/", "/api/overview"] + [f"/system?name=he-thong-{i % args.systems:02d}"
                                              for i in range(48)]
            errors: list[str] = []

            def one(path: str, base: str = base, errors: list[str] = errors) -> float:
                try:
                    status, took = fetch(base + path)
                    if status != 200:
                        errors.append(f"{path}: {status}")
                    return took
                except Exception as exc:
                    errors.append(f"{path}: {type(exc).__name__}: {exc}")
                    return float("nan")

            t0 = time.perf_counter()
            with ThreadPoolExecutor(max_workers=50) as pool:
                took = list(pool.map(one, paths))
            wall = time.perf_counter() - t0
            ok = sorted(t for t in took if not math.isnan(t))
            p95 = ok[int(len(ok) * 0.95) - 1] if ok else float("nan")
            print(f"  50 concurrent requests: {len(errors)} errors, all done in {wall:.2f} s, "
                  f"median {statistics.median(ok) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
            for e in errors[:5]:
                print("   ", e)
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--systems", type=int, default=20)
    p.add_argument("--runs", type=int, default=365)
    p.add_argument("--store-dir", default="/tmp/auditor-bench-dashboard")
    p.add_argument("--no-postgres", action="store_true")
    args = p.parse_args(argv)
    folder = Path(args.store_dir)
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / f"dash-{args.systems}x{args.runs}.sqlite"
    marker = db.with_suffix(".done")
    bench(f"sqlite:///{db}", "SQLite", args, seeded=marker.exists())
    marker.touch()
    print(f"load average: {os.getloadavg()}")
    if args.no_postgres:
        return 0
    try:
        import psycopg
        name = "auditor_bench_dashboard_" + secrets.token_hex(4)
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres",
                             autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:
        print(f"PostgreSQL skipped: {type(exc).__name__}")
        return 0
    try:
        bench(f"postgresql://postgres@127.0.0.1:5432/{name}", "PostgreSQL", args, False)
    finally:
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres",
                             autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
