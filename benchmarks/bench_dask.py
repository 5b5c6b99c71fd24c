"""Scale-out benchmark: the same scan on a Dask cluster of 1 worker and of 2 workers.

Generates (deterministically, under a temporary directory) a SQLite database of many
tables (citizens' names, phone numbers, e-mails, ID numbers, and clean decoy tables) and a
directory of many small CSV/log files with personal data, then, in one run:

- a local in-process scan (``--executor local --jobs 1``) as the reference report;
- the scan on a ``LocalCluster`` (processes, 1 thread each) of 1 worker, then 2 workers,
  with ``database.batch_rows=1`` (one task per table) and file batches of 16;
- a no-op task round trip, to measure the per-task overhead of the cluster.

Workers are warmed first (the PII engine loads once per worker process; that start-up
cost is printed separately). For every run it prints wall time, CPU seconds (the client
plus every worker process: trust this figure on a shared machine) and the speed-up, and
checks that every cluster report equals the local one (findings, fingerprints, order).

With ``--big-rows N`` it also scans, with ``database.full=true``, a PostgreSQL table of N
rows of dense personal data, which the cluster reads in key ranges of
``--big-batch-rows`` rows (a task each); ``--only-big`` runs that case alone.

Usage::

    python benchmarks/bench_dask.py [--tables 120] [--rows 300] [--files 240]
    python benchmarks/bench_dask.py --only-big --big-rows 1000000

Needs ``pip install 'auditor[distributed]'``. Exit status 0, or 1 when a cluster report
differs from the local one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from auditor.pipeline.discovery import DiscoveryOptions, discover
from auditor.pipeline.engine import Engine
from auditor.pipeline.executors import DaskExecutor, remote_batch
from auditor.pipeline.options import check_scanner_options
from auditor.pipeline.plugins import catalogue_of, load_scanners
from auditor.policy.loading import load_packs
from auditor.results import ScanResult
from auditor.scanner import ScanOptions

_FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng"]
_GIVEN = ["Văn An", "Thị Bình", "Minh Châu", "Quốc Dũng", "Thu Hà", "Đức Huy", "Ngọc Lan"]


def _person(rng: random.Random, i: int) -> tuple[Any, ...]:
    name = f"{rng.choice(_FAMILY)} {rng.choice(_GIVEN)}"
    phone = "09" + "".join(rng.choice("0123456789") for _ in range(8))
    cccd = "0" + "".join(rng.choice("0123456789") for _ in range(11))
    email = f"user{i}.{rng.randrange(10**6)}@example.vn"
    return (i, name, phone, cccd, email)


def make_data(root: Path, tables: int, rows: int, files: int) -> tuple[Path, Path]:
    rng = random.Random(13)
    db = root / "many_tables.sqlite"
    conn = sqlite3.connect(db)
    for t in range(tables):
        if t % 3 == 2:  # a clean decoy table: codes and amounts
            conn.execute(f"CREATE TABLE ma_hang_{t} "
                         "(id INTEGER PRIMARY KEY, ma TEXT, so_luong INT)")
            conn.executemany(f"INSERT INTO ma_hang_{t} VALUES (?, ?, ?)",
                             [(i, f"SP-{rng.randrange(10**5):05d}", rng.randrange(100))
                              for i in range(rows)])
        else:
            conn.execute(f"CREATE TABLE cong_dan_{t} (id INTEGER PRIMARY KEY, ho_ten TEXT, "
                         "so_dien_thoai TEXT, so_cccd TEXT, email TEXT)")
            conn.executemany(f"INSERT INTO cong_dan_{t} VALUES (?, ?, ?, ?, ?)",
                             [_person(rng, i) for i in range(rows)])
    conn.commit()
    conn.close()
    tree = root / "exports"
    tree.mkdir()
    for f in range(files):
        lines = ["ho_ten,so_dien_thoai,email"] + [
            ",".join(str(v) for v in _person(rng, i)[1:3]) + f",u{i}@example.vn"
            for i in range(40)]
        (tree / f"danh_sach_{f:04d}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return db, tree


def _cpu_self() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _worker_cpu(client: Any) -> dict[str, float]:
    def cpu() -> float:
        import psutil
        t = psutil.Process().cpu_times()
        return float(t.user + t.system)
    return {str(k): float(v) for k, v in client.run(cpu).items()}


def _warm_pii() -> None:
    from auditor.pii import get_detector
    get_detector()


def comparable(result: ScanResult) -> list[tuple[Any, ...]]:
    return [(f.fingerprint, f.rule_id, f.location, f.message, f.subjects)
            for f in result.findings]


def make_big_table(url: str, rows: int) -> str:
    """A PostgreSQL database ``auditor_bench_dask_big`` (re-created) with one table of
    ``rows`` rows of dense personal data (name, phone, ID number, e-mail) and a decoy
    column; returns its URL."""
    import psycopg
    name = "auditor_bench_dask_big"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    big = url.rsplit("/", 1)[0] + "/" + name
    rng = random.Random(17)
    with psycopg.connect(big, autocommit=True) as conn:
        conn.execute("CREATE TABLE cong_dan (id bigint PRIMARY KEY, ho_ten text, "
                     "so_dien_thoai text, so_cccd text, email text, ma_don text)")
        with conn.cursor() as cur, cur.copy("COPY cong_dan FROM STDIN") as copy:
            for i in range(1, rows + 1):
                copy.write_row((*_person(rng, i), f"DH-{rng.randrange(10**7):07d}"))
        conn.execute("ANALYZE cong_dan")
    return big


def run_case(title: str, engine: Engine, targets: list[Any], options: ScanOptions,
             noop_tasks: int) -> int:
    """The local reference, then 1 and 2 workers; prints the table rows; 1 = differs."""
    from distributed import Client, LocalCluster
    print(f"== {title}")
    _warm_pii()  # NOTE: the workers are warmed too: compare the scans, not the start-ups
    t0, c0 = time.perf_counter(), _cpu_self()
    local = engine.scan(targets, options, jobs=1)
    wall_local, cpu_local = time.perf_counter() - t0, _cpu_self() - c0
    print(f"local --jobs 1 (in-process)   wall {wall_local:7.1f} s   CPU {cpu_local:7.1f} s")
    rows: dict[int, tuple[float, float, int, float]] = {}
    status = 0
    for n in (1, 2):
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, \
                Client(cluster, set_as_default=False) as client:
            w0 = time.perf_counter()
            client.run(_warm_pii)
            warm = time.perf_counter() - w0
            tasks: list[int] = []
            executor = DaskExecutor(cluster.scheduler_address, batch_files=16,
                                    on_tasks=lambda d, t, b, seen=tasks: seen.append(t))
            cw0, c0, t0 = _worker_cpu(client), _cpu_self(), time.perf_counter()
            remote = engine.scan(targets, options, executor=executor)
            wall = time.perf_counter() - t0
            client_cpu = _cpu_self() - c0
            per_worker = {w: c - cw0.get(w, 0.0) for w, c in _worker_cpu(client).items()}
            cpu = client_cpu + sum(per_worker.values())
            same = comparable(remote) == comparable(local)
            status |= 0 if same else 1
            rows[n] = (wall, cpu, tasks[-1], max(per_worker.values()))
            print(f"dask {n} worker(s)             wall {wall:7.1f} s   CPU {cpu:7.1f} s"
                  f" (client+scheduler {client_cpu:.1f}, workers "
                  f"{', '.join(f'{v:.1f}' for v in sorted(per_worker.values()))})"
                  f"   tasks {tasks[-1]}   warm-up {warm:5.1f} s   "
                  f"report {'identical' if same else 'DIFFERS'}")
            if n == 2 and noop_tasks:
                # NOTE: an empty batch: the pure round trip of a task
                t0 = time.perf_counter()
                futures = [client.submit(remote_batch, [], None, pure=False)
                           for _ in range(noop_tasks)]
                client.gather(futures)
                per_task = (time.perf_counter() - t0) / noop_tasks
                print(f"per-task overhead (no-op round trip, {noop_tasks} tasks, "
                      f"2 workers): {per_task * 1000:.1f} ms")
    speed_wall = rows[1][0] / rows[2][0]
    print(f"speed-up 2 vs 1 worker: wall {speed_wall:.2f}x; "
          f"CPU-bound (busiest worker's CPU, 1 vs 2 workers) "
          f"{rows[1][3] / rows[2][3]:.2f}x; total CPU 2 workers / 1 worker "
          f"{rows[2][1] / rows[1][1]:.2f}; CPU of the cluster (1 worker) / local "
          f"{rows[1][1] / cpu_local:.2f}, i.e. "
          f"{(rows[1][1] - cpu_local) / max(1, rows[1][2]) * 1000:.0f} ms per task")
    return status


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", type=int, default=120)
    ap.add_argument("--rows", type=int, default=300)
    ap.add_argument("--files", type=int, default=240)
    ap.add_argument("--noop-tasks", type=int, default=200)
    ap.add_argument("--batch-rows", type=int, default=2000,
                    help="database.batch_rows: rows read per database task")
    ap.add_argument("--big-rows", type=int, default=0,
                    help="also scan, in --full mode, one PostgreSQL table of this many "
                         "rows split into key ranges (0: skip)")
    ap.add_argument("--big-batch-rows", type=int, default=50_000,
                    help="database.batch_rows of the large-table case (rows per range)")
    ap.add_argument("--big-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                    help="PostgreSQL server of the large-table case")
    ap.add_argument("--only-big", action="store_true",
                    help="skip the many-tables-and-files case")
    args = ap.parse_args(argv)
    import os

    import dask
    dask.config.set({"distributed.scheduler.allowed-failures": 1,
                     "distributed.logging.distributed": "error"})
    # NOTE: workers read the hash key from their own environment (inherited here)
    os.environ["AUDITOR_HASH_KEY"] = "bench-dask-key"
    scanners = load_scanners()
    packs = load_packs([], catalogue=catalogue_of(scanners))
    engine = Engine(scanners, packs)
    base = ScanOptions(as_of=dt.date(2026, 11, 25), hash_key=b"bench-dask-key")
    status = 0
    print(f"machine shared with other work: read CPU seconds as well as wall time; "
          f"load average {os.getloadavg()[0]:.1f} at start")
    if not args.only_big:
        with tempfile.TemporaryDirectory(prefix="auditor-bench-dask-") as tmp:
            db, tree = make_data(Path(tmp), args.tables, args.rows, args.files)
            targets, _ = discover([str(db), str(tree)], scanners, DiscoveryOptions())
            options = ScanOptions(base.as_of, base.hash_key, check_scanner_options(
                scanners, {"database.batch_rows": str(args.batch_rows)}, base))
            status |= run_case(
                f"{args.tables} tables x {args.rows} rows (SQLite), "
                f"{len(list(targets)) - 1} files", engine, list(targets), options,
                args.noop_tasks)
    if args.big_rows:
        t0 = time.perf_counter()
        url = make_big_table(args.big_url, args.big_rows)
        print(f"(loaded {args.big_rows} rows in {time.perf_counter() - t0:.0f} s)")
        targets, _ = discover([url], scanners, DiscoveryOptions())
        options = ScanOptions(base.as_of, base.hash_key, check_scanner_options(
            scanners, {"database.full": "true",
                       "database.batch_rows": str(args.big_batch_rows)}, base))
        status |= run_case(f"--full, one PostgreSQL table of {args.big_rows} rows, "
                           f"key ranges of {args.big_batch_rows} rows", engine,
                           list(targets), options, args.noop_tasks)
        import psycopg
        with psycopg.connect(args.big_url, autocommit=True) as admin:
            admin.execute('DROP DATABASE IF EXISTS "auditor_bench_dask_big" WITH (FORCE)')
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    return status


if __name__ == "__main__":
    sys.exit(main())
