"""Database and SQL dump scanning: speed on a large table, and memory on a large dump.

One run measures, side by side:

1. a 1,000,000-row x 12-column PostgreSQL table of synthetic citizen records (created in
   a scratch database, dropped afterwards):
   - **sampled scan** (the default: ``TABLESAMPLE``, 1,000 rows per table) wall time,
     target < 5 s;
   - **full scan** (``database.full=true``: server-side cursor, every row classified)
     throughput in rows/s;
   - **peer**: the same rows pushed cell by cell through plain Presidio (``AnalyzerEngine``
     with its predefined recognizers and an offline blank spaCy engine). Presidio is run on
     the first ``--peer-rows`` rows and its rate extrapolated; target: full scan >= 20x.
2. a SQL dump of ``--dump-mb`` MiB (mysqldump-style extended inserts, 8 tables) scanned
   in a child process at 1/8 and at full size: peak RSS of both (flat memory) and MB/s.

Usage::

    python benchmarks/bench_database.py [--scale 1.0] [--pg-url URL] [--peer-rows 500]
                                        [--dump-mb 1024] [--skip-db] [--skip-dump]
                                        [--sampled-only]

``--scale`` multiplies the table rows and the dump size (``--scale 0.01`` for a quick run).
The PostgreSQL URL defaults to ``AUDITOR_TEST_PG_URL`` or
``postgresql://postgres@127.0.0.1:5432/postgres``. Generated dumps are kept in
``benchmarks/.data/`` (git-ignored) and reused.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import resource
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

from auditor.models import Target  # noqa: E402
from auditor.scanner import ScanContext  # noqa: E402

__all__ = ["main"]

DATA = ROOT / "benchmarks" / ".data"
COLUMNS = 12

_TABLE_SQL = """
CREATE TABLE cong_dan_bench AS
SELECT g AS id,
       (ARRAY['Nguyễn','Trần','Lê','Phạm','Hoàng','Phan','Vũ','Đặng','Bùi','Đỗ'])[1 + g % 10]
         || ' ' || (ARRAY['Văn','Thị','Hữu','Minh','Thanh','Ngọc','Đức','Thu'])[1 + (g / 10) % 8]
         || ' ' || (ARRAY['An','Bình','Châu','Dũng','Giang','Hà','Hùng','Lan','Mai','Nam',
                          'Phương','Quân'])[1 + (g / 80) % 12] AS ho_ten,
       (ARRAY['001','031','048','079','092','038'])[1 + g % 6]
         || ((g / 6) % 2)::text || lpad((40 + (g * 7) % 60)::text, 2, '0')
         || lpad(((g::bigint * 7919) % 1000000)::text, 6, '0') AS so_cccd,
       (ARRAY['091','098','090','086','035','077'])[1 + g % 6]
         || lpad(((g::bigint * 104729) % 10000000)::text, 7, '0') AS so_dien_thoai,
       'nguoidung' || g || '@mail.example.vn' AS email,
       'Số ' || (g % 200 + 1) || ' Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh' AS dia_chi,
       date '1950-01-01' + (g % 20000) AS ngay_sinh,
       '2024' || lpad(((g::bigint * 31) % 100000000)::text, 8, '0') AS ma_ho_so,
       md5(g::text)::uuid AS ma_giao_dich,
       CASE WHEN g % 50 = 0 THEN 'Khách hẹn gọi lại số 0912' || lpad((g % 1000000)::text, 6, '0')
            ELSE 'Đã tiếp nhận và xử lý hồ sơ' END AS ghi_chu,
       ((g % 100000) * 1000)::numeric AS so_tien,
       (ARRAY['moi','dang_xu_ly','hoan_thanh'])[1 + g % 3] AS trang_thai
FROM generate_series(1, {rows}) g
"""


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _scan(scanner: Any, locator: str, *, is_file: bool, **params: Any) -> tuple[float, list[Any]]:
    target = Target(uri=locator, locator=locator, kind="bench", scanner=scanner.name,
                    is_file=is_file)
    options = ScanContext(as_of=dt.date.today(), hash_key=b"bench-key",
                          params={f"database.{k}": v for k, v in params.items()})
    t0 = time.perf_counter()
    out = list(scanner.scan(target, options))
    return time.perf_counter() - t0, out


def _presidio() -> Any:
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry

    from auditor.pii.engine import OfflineSpacyNlpEngine

    nlp = OfflineSpacyNlpEngine()
    nlp.load()
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=nlp)
    return AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["en"])


def bench_table(pg_url: str, rows: int, peer_rows: int, *, sampled_only: bool = False
                ) -> None:
    import psycopg
    from auditor.scanners.database import DatabaseScanner
    from auditor.scanners.database.urls import parse_url

    from auditor.pii import get_detector

    base = parse_url(pg_url)
    name = "auditor_bench_" + secrets.token_hex(4)
    admin = psycopg.connect(host=base.host, port=base.port or 5432, user=base.user,
                            password=base.password, dbname=base.database or "postgres",
                            autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    url = pg_url.rsplit("/", 1)[0] + "/" + name
    try:
        conn = psycopg.connect(host=base.host, port=base.port or 5432, user=base.user,
                               password=base.password, dbname=name, autocommit=True)
        t0 = time.perf_counter()
        conn.execute(_TABLE_SQL.format(rows=int(rows)))
        conn.execute("ANALYZE cong_dan_bench")
        print(f"table: {rows:,} rows x {COLUMNS} columns created in "
              f"{time.perf_counter() - t0:.1f} s")
        get_detector().detect("warm up 0912345678")  # NOTE: engine start-up not timed
        scanner = DatabaseScanner()
        sampled_s, sampled = _scan(scanner, url, is_file=False)
        found = sorted(o.location.column for o in sampled
                       if getattr(o, "kind", "") == "pii.column")
        print(f"sampled scan: {sampled_s:.2f} s (target < 5 s); personal columns: "
              f"{', '.join(found)}")
        if sampled_only:
            return
        full_s, full = _scan(scanner, url, is_file=False, full=True)
        full_rate = rows / full_s
        found_full = sorted(o.location.column for o in full
                            if getattr(o, "kind", "") == "pii.column")
        print(f"full scan: {full_s:.1f} s = {full_rate:,.0f} rows/s; personal columns: "
              f"{', '.join(found_full)}")
        values = conn.execute("SELECT * FROM cong_dan_bench ORDER BY id LIMIT %s",
                              (peer_rows,)).fetchall()
        conn.close()
        engine = _presidio()
        engine.analyze(text="warm up", language="en")
        t0 = time.perf_counter()
        for row in values:
            for cell in row:
                engine.analyze(text=str(cell), language="en")
        peer_s = time.perf_counter() - t0
        peer_rate = len(values) / peer_s
        print(f"peer (plain Presidio, cell by cell): {len(values) * COLUMNS:,} cells in "
              f"{peer_s:.1f} s = {peer_rate:,.1f} rows/s; all {rows:,} rows would take "
              f"{rows / peer_rate / 60:,.0f} min")
        print(f"ratio full scan / Presidio: {full_rate / peer_rate:,.1f}x (target >= 20x)")
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


# ---- the large dump ----------------------------------------------------------------------
def _gen_db() -> Any:
    spec = importlib.util.spec_from_file_location("gen_db", ROOT / "fixtures" / "gen_db.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_dump(path: Path, size: int) -> None:
    """A mysqldump-style file of about ``size`` bytes: 8 tables of citizen records."""
    if path.exists() and abs(path.stat().st_size - size) < size // 50:
        return
    gen = _gen_db()
    rows = [
        "(" + ",".join(gen._my_value(v) for v in row) + ")"
        for row in gen.rows("cong_dan", 2000)
    ]
    inserts = [",".join(rows[i:i + 100]) for i in range(0, len(rows), 100)]
    columns = gen.TABLES["cong_dan"]
    per_table = size // 8
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        out.write("-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu\n"
                  "-- Host: localhost    Database: dan_cu\n\n")
        for t in range(8):
            table = f"cong_dan_{t}"
            cols = ",\n".join(f"  `{c}` {gen._MY_TYPES[k]}" for c, k in columns)
            out.write(f"CREATE TABLE `{table}` (\n{cols}\n);\nLOCK TABLES `{table}` WRITE;\n")
            written, i = 0, 0
            while written < per_table:
                line = f"INSERT INTO `{table}` VALUES {inserts[i % len(inserts)]};\n"
                out.write(line)
                written += len(line.encode("utf-8"))
                i += 1
            out.write("UNLOCK TABLES;\n")
    os.replace(tmp, path)


_CHILD = """
import sys, time, resource, datetime as dt
sys.path.insert(0, {root!r})
from auditor.models import Target
from auditor.scanner import ScanOptions
from auditor.scanners.database.sqldump import SqlDumpScanner
t = Target(uri={path!r}, locator={path!r}, kind="sqldump", scanner="sqldump")
opts = ScanOptions(as_of=dt.date.today(), hash_key=b"bench-key")
t0 = time.perf_counter()
n = sum(1 for _ in SqlDumpScanner().scan(t, opts))
print(time.perf_counter() - t0, n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def bench_dump(size: int) -> None:
    small, large = DATA / f"dump_{size // 8}.sql", DATA / f"dump_{size}.sql"
    t0 = time.perf_counter()
    make_dump(small, size // 8)
    make_dump(large, size)
    print(f"dumps ready in {time.perf_counter() - t0:.0f} s")
    for path in (small, large):
        child = subprocess.run([sys.executable, "-c", _CHILD.format(root=str(ROOT),
                                                                     path=str(path))],
                               check=True, capture_output=True, text=True)
        seconds, observations, rss_kb = child.stdout.split()
        mb = path.stat().st_size / 2**20
        print(f"dump {mb:,.0f} MiB: {float(seconds):.1f} s = {mb / float(seconds):.1f} MiB/s, "
              f"{observations} observations, peak RSS {int(rss_kb) / 1024:.0f} MiB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--pg-url", default=os.environ.get(
        "AUDITOR_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--peer-rows", type=int, default=500,
                        help="rows pushed through Presidio (its rate is extrapolated)")
    parser.add_argument("--dump-mb", type=int, default=1024)
    parser.add_argument("--skip-db", action="store_true")
    parser.add_argument("--skip-dump", action="store_true")
    parser.add_argument("--sampled-only", action="store_true",
                        help="table: only the sampled scan (no full scan, no peer)")
    args = parser.parse_args(argv)
    rows = max(1000, int(1_000_000 * args.scale))
    if not args.skip_db:
        bench_table(args.pg_url, rows, min(args.peer_rows, rows),
                    sampled_only=args.sampled_only)
    if not args.skip_dump:
        bench_dump(max(1 << 20, int(args.dump_mb * 2**20 * args.scale)))
    print(f"benchmark process peak RSS: {_rss_mb():.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
