"""Executors: choosing one, planned database scans merged into exactly the local report, and
a real Dask cluster (a ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1):
the same report as a local scan, a worker killed mid-task, a task that fails twice, a
version mismatch, missing files, and no password in anything sent to the cluster."""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from auditor.cli import main
from auditor.errors import ConfigError
from auditor.models import Location, Observation, Target
from auditor.pipeline import executors
from auditor.pipeline.engine import NOT_SCANNED, Engine, ScanTask, execute
from auditor.pipeline.executors import (
    DaskExecutor,
    LocalExecutor,
    executor_from,
    merge,
    remote_part,
    remote_plan,
    with_params,
)
from auditor.pipeline.plugins import catalogue_of, load_scanners
from auditor.policy.evaluate import evaluate
from auditor.policy.loading import load_packs
from auditor.scanner import ScanOptions
from tests.scanners import dbsupport

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "fixtures" / "demo"
AS_OF = "2026-11-25"
#: the scan's hash key; the cluster's workers hold it in their own environment, and the
#: tests check that it is in none of the bytes the client sends (a canary)
HASH_KEY = "CANARY-hash-key-dask-" + secrets.token_hex(6)


# ---- choosing an executor (no cluster) ---------------------------------------------------
@pytest.mark.parametrize(("spec", "env", "expected"), [
    (None, {}, "local"),
    ("local", {"AUDITOR_EXECUTOR": "dask://h:1"}, "local"),
    (None, {"AUDITOR_EXECUTOR": "dask://10.0.0.5:8786"}, "tcp://10.0.0.5:8786"),
    ("dask://sched.example:8786", {}, "tcp://sched.example:8786"),
    ("dask+tls://sched.example:8786", {}, "tls://sched.example:8786"),
    ("dask://[::1]:8786", {}, "tcp://[::1]:8786"),
])
def test_executor_from(spec: str | None, env: dict[str, str], expected: str) -> None:
    chosen = executor_from(spec, jobs=3, env=env)
    if expected == "local":
        assert chosen == LocalExecutor(3)
    else:
        assert isinstance(chosen, DaskExecutor) and chosen.address == expected


@pytest.mark.parametrize("spec", ["dask://host", "dask://:8786", "tcp://h:1", "dask://h:0",
                                  "dask://u:pw@h:1", "ray://h:1", "dask://h:99999"])
def test_bad_executor_is_a_usage_error(spec: str) -> None:
    with pytest.raises(ConfigError, match="--executor"):
        executor_from(spec, jobs=1, env={})


def test_cli_bad_executor_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", str(DEMO / "exports"), "-q", "--executor", "dask://nowhere"])
    assert code == 2
    assert "expected 'local' or dask://HOST:PORT" in capsys.readouterr().err


@pytest.mark.parametrize("url", ["postgresql://auditor:CANARY-pw-7731@db:5432/x",
                                 "mysql://root@db/x?password=CANARY-pw-7731"])
def test_password_in_url_is_refused_before_connecting(url: str) -> None:
    target = Target("postgresql://auditor@db:5432/x", url, "postgresql", "database", False)
    task = ScanTask(target, _options(), ())
    with pytest.raises(ConfigError, match="never sent to workers") as info:
        DaskExecutor("tcp://127.0.0.1:9").run(_engine(), [task], None)
    assert "CANARY" not in str(info.value)


def test_packs_survive_pickling() -> None:
    """Packs travel to workers pickled by value: predicates must judge the same there
    (a bare ``object()`` sentinel turned every ``exists`` check true after a round trip)."""
    cloudpickle = pytest.importorskip("cloudpickle")
    packs = _engine().packs
    shipped = cloudpickle.loads(cloudpickle.dumps(packs))
    observations = [
        Observation("tls.config", Location("a.conf", line=3), {"weak_suites": []}),
        Observation("tls.config", Location("b.conf", line=3),
                    {"weak_suites": ["RC4-MD5"], "cipher_string": "RC4", "source": "x"}),
    ]
    local = evaluate(observations, packs)
    assert [f.fingerprint for f in evaluate(observations, shipped)] == \
        [f.fingerprint for f in local]
    assert {f.location.uri for f in local if f.rule_id == "core.tls.weak-cipher"} == {"b.conf"}


# ---- planned database scans (no cluster) -------------------------------------------------
def _options(**params: Any) -> ScanOptions:
    return ScanOptions(as_of=dt.date.fromisoformat(AS_OF), hash_key=HASH_KEY.encode(),
                       params=params)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return _engine()


def _engine() -> Engine:
    scanners = load_scanners()
    return Engine(scanners, load_packs([], catalogue=catalogue_of(scanners)))


def _planned(engine: Engine, task: ScanTask) -> tuple[int, Any]:
    """Plan, parts and carry in this process, as the Dask executor runs them (the
    worker's own hash key: the scan's, as the executor checks before any task)."""
    with mock.patch.object(executors, "_worker_key", return_value=task.options.hash_key):
        plan = remote_plan(task)
        assert plan.error is None and plan.parts
        parts = [remote_part(with_params(task, p)) for p in plan.parts[:-1]]
        scanner = engine.scanners[task.target.scanner]
        earlier = merge(parts, scanner)
        carry = scanner.carry(earlier.observations, earlier.problems)
        parts.append(remote_part(with_params(task, {**plan.parts[-1], **carry})))
    from auditor.pipeline.executors import judge
    return len(plan.parts), judge(task, merge(parts, scanner), engine.packs)


def _db_target(url: str) -> Target:
    (target,) = [t for t in _discover([url]) if t.scanner == "database"]
    return target


def _discover(inputs: list[str]) -> list[Target]:
    from auditor.pipeline.discovery import discover
    targets, _ = discover(inputs, load_scanners())
    return list(targets)


@contextmanager
def _scratch(kind: str) -> Iterator[str]:
    """A scratch PostgreSQL or MariaDB database (name includes 'dask') with the database
    scanner tests' tables: personal data, password columns, decoys, a PUBLIC grant."""
    name = "auditor_dask_" + secrets.token_hex(4)
    with mock.patch.object(dbsupport, "_scratch_name", return_value=name):
        if kind == "postgresql":
            from tests.scanners.test_database_postgres import _load as pg_load
            with dbsupport.pg_scratch() as (url, conn):
                pg_load(conn)
                yield url
        else:
            from tests.scanners.test_database_mysql import _load as my_load
            with dbsupport.my_scratch() as (url, conn):
                my_load(conn)
                yield url


@pytest.mark.parametrize(("kind", "full"), [
    pytest.param("postgresql", False, marks=pytest.mark.postgres),
    pytest.param("postgresql", True, marks=pytest.mark.postgres),
    pytest.param("mysql", True, marks=pytest.mark.mysql),
    ("sqlite", True),
])
def test_planned_scan_equals_whole_scan(engine: Engine, kind: str, full: bool) -> None:
    """One task per table (batch_rows=1): posture once, grants from the merged tables,
    and the same findings, fingerprints, order, problems and data-subject counts."""
    with ExitStack() as stack:
        if kind == "sqlite":
            target = _discover([str(DEMO / "db" / "citizens.sqlite")])[0]
        else:
            target = _db_target(stack.enter_context(_scratch(kind)))
        task = ScanTask(target, _options(**{"database.full": full, "database.batch_rows": 1}), ())
        whole = execute(task, engine.scanners["database"], engine.packs)
        n_parts, planned = _planned(engine, task)
    assert n_parts >= 4  # posture, at least two tables, grants
    assert whole.result.status == "ok" and whole.findings
    assert planned.result == whole.result
    assert [f.to_dict() for f in planned.findings] == [f.to_dict() for f in whole.findings]
    assert planned.kinds == whole.kinds
    if full:
        assert any(f.subjects for f in whole.findings)
    if kind == "postgresql":
        grants = [f for f in whole.findings if "grant" in f.rule_id]
        assert grants, "the PUBLIC grant on a personal-data table must be judged"


@pytest.mark.postgres
def test_planned_scan_with_unreadable_tables_equals_whole_scan(engine: Engine) -> None:
    """Tables the scanning role may not read: the whole scan fails the target at the end
    (after grants) naming how many; the planned scan says exactly the same."""
    psycopg = pytest.importorskip("psycopg")
    role = "auditor_dask_" + secrets.token_hex(4)
    with _scratch("postgresql") as url:
        admin = psycopg.connect(url, autocommit=True)
        admin.execute(f"CREATE ROLE {role} LOGIN")
        admin.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
        admin.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
        admin.execute(f"REVOKE SELECT ON tai_khoan FROM {role}")
        admin.close()
        try:
            limited = url.replace("postgresql://postgres@", f"postgresql://{role}@", 1)
            task = ScanTask(_db_target(limited), _options(**{"database.batch_rows": 1}), ())
            whole = execute(task, engine.scanners["database"], engine.packs)
            n_parts, planned = _planned(engine, task)
        finally:
            with psycopg.connect(dbsupport.PG_URL, autocommit=True) as conn:
                conn.execute(f"REASSIGN OWNED BY {role} TO postgres")
                conn.execute(f"DROP OWNED BY {role}")
    with psycopg.connect(dbsupport.PG_URL, autocommit=True) as conn:
        conn.execute(f"DROP ROLE IF EXISTS {role}")
    assert whole.result.status == "error"
    assert whole.result.error is not None
    assert whole.result.error.startswith("2 of 5 tables could not be read")
    assert planned.result == whole.result
    assert [f.to_dict() for f in planned.findings] == [f.to_dict() for f in whole.findings]
    assert n_parts >= 4


def test_small_tables_share_a_part(engine: Engine) -> None:
    task = ScanTask(_discover([str(DEMO / "db" / "citizens.sqlite")])[0], _options(), ())
    plan = remote_plan(task)
    assert plan.parts is not None
    assert [p["database._part"] for p in plan.parts] == ["head", "tables", "tail"]


# ---- a large table in full mode: key ranges (no cluster) ---------------------------------
#: rows of the large table: more than ranges.BLOCK_MIN_ROWS, so it is read in key blocks
BIG_ROWS = 24_000
#: rows per task: the large table becomes at least 3 key ranges
BIG_BATCH = "6000"


def _big_rows(n: int) -> list[tuple[Any, ...]]:
    """Dense personal data (names, phones, e-mails), free text that is seldom personal,
    a JSON column, a mostly empty column, and binary values; keys with a gap (a skewed
    key space: ranges on block boundaries are uneven)."""
    import random
    rng = random.Random(13)
    family = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng"]
    given = ["Văn An", "Thị Bình", "Minh Châu", "Quốc Dũng", "Thu Hà", "Đức Huy"]
    out = []
    for i in range(1, n + 1):
        key = i if i <= n // 2 else i + 40_000  # NOTE: a gap of 40,000 keys
        phone = "09" + "".join(rng.choice("0123456789") for _ in range(8))
        note = (f"gọi lại số {phone}" if i % 97 == 0 else
                f"đơn hàng SP-{rng.randrange(10**5):05d} đã giao")
        extra = json.dumps({"sdt": phone, "tinh": rng.choice(["Hà Nội", "Huế"])},
                           ensure_ascii=False) if i % 3 == 0 else None
        sparse = f"{rng.choice(family)} {rng.choice(given)}" if i % 1000 == 0 else None
        blob = bytes([0xFF, 0xD8, 0xFF, 0xE0]) + bytes(rng.randrange(256) for _ in range(40)) \
            if i % 50 == 0 else None
        out.append((key, f"{rng.choice(family)} {rng.choice(given)}", phone,
                    f"khach{i}.{rng.randrange(10**6)}@example.vn", note, extra, sparse, blob))
    return out


_BIG_COLUMNS = "(id, ho_ten, so_dien_thoai, email, ghi_chu, thong_tin, nguoi_giam_ho, anh)"


@contextmanager
def _big_database(kind: str, tmp: Path) -> Iterator[str]:
    """A database (PostgreSQL, MariaDB or SQLite) with the large table and a small one."""
    rows = _big_rows(BIG_ROWS)
    small = [(i, r[1]) for i, r in enumerate(rows[:40], 1)]
    if kind == "sqlite":
        import sqlite3
        path = tmp / "big.sqlite"
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE khach_hang (id INTEGER PRIMARY KEY, ho_ten TEXT, "
                     "so_dien_thoai TEXT, email TEXT, ghi_chu TEXT, thong_tin TEXT, "
                     "nguoi_giam_ho TEXT, anh BLOB)")
        conn.executemany(f"INSERT INTO khach_hang {_BIG_COLUMNS} VALUES (?,?,?,?,?,?,?,?)", rows)
        conn.execute("CREATE TABLE nhan_vien (id INTEGER PRIMARY KEY, ho_ten TEXT)")
        conn.executemany("INSERT INTO nhan_vien VALUES (?, ?)", small)
        conn.commit()
        conn.close()
        yield str(path)
        return
    name = "auditor_dask_" + secrets.token_hex(4)
    with mock.patch.object(dbsupport, "_scratch_name", return_value=name):
        if kind == "postgresql":
            with dbsupport.pg_scratch() as (url, conn):
                conn.execute("CREATE TABLE khach_hang (id bigint PRIMARY KEY, ho_ten text, "
                             "so_dien_thoai text, email text, ghi_chu text, thong_tin jsonb, "
                             "nguoi_giam_ho text, anh bytea)")
                with conn.cursor() as cur:
                    cur.executemany(f"INSERT INTO khach_hang {_BIG_COLUMNS} VALUES "
                                    "(%s,%s,%s,%s,%s,%s,%s,%s)", rows)
                    cur.execute("CREATE TABLE nhan_vien (id int PRIMARY KEY, ho_ten text)")
                    cur.executemany("INSERT INTO nhan_vien VALUES (%s, %s)", small)
                conn.execute("ANALYZE")
                yield url
        else:
            with dbsupport.my_scratch() as (url, conn), conn.cursor() as cur:
                cur.execute("CREATE TABLE khach_hang (id BIGINT PRIMARY KEY, "
                            "ho_ten VARCHAR(100), so_dien_thoai VARCHAR(20), "
                            "email VARCHAR(100), ghi_chu TEXT, thong_tin JSON, "
                            "nguoi_giam_ho VARCHAR(100), anh BLOB)")
                cur.executemany(f"INSERT INTO khach_hang {_BIG_COLUMNS} VALUES "
                                "(%s,%s,%s,%s,%s,%s,%s,%s)", rows)
                cur.execute("CREATE TABLE nhan_vien (id INT PRIMARY KEY, ho_ten VARCHAR(100))")
                cur.executemany("INSERT INTO nhan_vien VALUES (%s, %s)", small)
                cur.execute("ANALYZE TABLE khach_hang, nhan_vien")
                cur.fetchall()
                yield url


_KINDS = [pytest.param("postgresql", marks=pytest.mark.postgres),
          pytest.param("mysql", marks=pytest.mark.mysql), "sqlite"]


@pytest.mark.parametrize("kind", [pytest.param("postgresql", marks=pytest.mark.postgres),
                                  pytest.param("mysql", marks=pytest.mark.mysql)])
def test_range_key_is_the_primary_key_else_a_unique_not_null_integer(kind: str) -> None:
    """Which column a large table is cut on: an integer primary key; else a single
    unique not-null integer column; never a nullable, composite or partial one."""
    from auditor.scanners.database.introspect import list_tables
    from auditor.scanners.database.options import Budget, DbSettings
    from auditor.scanners.database.session import Session
    from auditor.scanners.database.urls import parse_url
    ddl = [
        "CREATE TABLE a (id int PRIMARY KEY, x text)",
        "CREATE TABLE b (code varchar(10) PRIMARY KEY, n bigint NOT NULL UNIQUE, m int UNIQUE)",
        "CREATE TABLE c (n int UNIQUE, x text)",
        "CREATE TABLE d (p int, q int, r int NOT NULL UNIQUE, PRIMARY KEY (p, q))",
        "CREATE TABLE e (r int NOT NULL, s int NOT NULL, UNIQUE (r, s))",
    ]
    name = "auditor_dask_" + secrets.token_hex(4)
    with mock.patch.object(dbsupport, "_scratch_name", return_value=name), \
            (dbsupport.pg_scratch() if kind == "postgresql" else dbsupport.my_scratch()) \
            as (url, conn):
        if kind == "postgresql":
            ddl.append("CREATE TABLE f (r int NOT NULL, x text)")
            ddl.append("CREATE UNIQUE INDEX f_r ON f (r) WHERE r > 0")
            for statement in ddl:
                conn.execute(statement)
        else:
            with conn.cursor() as cur:
                for statement in ddl:
                    cur.execute(statement)
        dburl = parse_url(url)
        with Session(dburl, DbSettings(), Budget(None)) as session, session.read() as c:
            keys = {t.name: t.int_key for t in list_tables(c, session.dialect,
                                                           dburl.database)}
    expected = {"a": "id", "b": "n", "c": None, "d": "r", "e": None}
    if kind == "postgresql":
        expected["f"] = None
    assert keys == expected


@pytest.mark.slow
@pytest.mark.parametrize("kind", _KINDS)
def test_key_ranges_equal_the_whole_full_scan(engine: Engine, kind: str,
                                              tmp_path: Path) -> None:
    """A large table in full mode, planned into key ranges (a task each) and merged on
    the client, gives exactly the whole scan's findings, fingerprints, order and
    data-subject counts; and another grouping of the same blocks gives them too."""
    with _big_database(kind, tmp_path) as where:
        target = _db_target(where) if kind != "sqlite" else _discover([where])[0]
        task = ScanTask(target, _options(**{"database.full": True,
                                            "database.batch_rows": int(BIG_BATCH)}), ())
        whole = execute(task, engine.scanners["database"], engine.packs)
        plan = remote_plan(task)
        _n, planned = _planned(engine, task)
        coarser = with_params(task, {"database.batch_rows": 2 * int(BIG_BATCH)})
        _n, regrouped = _planned(engine, coarser)
        coarse_plan = remote_plan(coarser)
    assert plan.parts is not None and coarse_plan.parts is not None
    ranges = [p["database._range"] for p in plan.parts if p["database._part"] == "range"]
    assert len(ranges) >= 3
    assert len(ranges) > len([p for p in coarse_plan.parts if p["database._part"] == "range"])
    assert whole.result.status == "ok", whole.result.error
    assert planned.result == whole.result == regrouped.result
    assert [f.to_dict() for f in planned.findings] == [f.to_dict() for f in whole.findings]
    assert [f.to_dict() for f in regrouped.findings] == [f.to_dict() for f in whole.findings]
    assert planned.inventory == whole.inventory
    big = [f for f in whole.findings if f.location.table and "khach_hang" in f.location.table]
    columns = {f.location.column for f in big}
    assert {"ho_ten", "so_dien_thoai", "email"} <= columns
    # counted over every row, not over a batch: ~24,000 distinct phone numbers (sketch)
    phones = [f.subjects for f in big if f.location.column == "so_dien_thoai"]
    assert phones and all(s is not None and 22_000 < s < 26_000 for s in phones)


# ---- a real cluster ------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``dask scheduler`` + two ``dask worker`` (nanny restarts a killed worker), each with
    ``allowed-failures`` 1 as docs/scale-out.md asks; yields ``dask://127.0.0.1:PORT``."""
    pytest.importorskip("distributed")
    dask_bin = shutil.which("dask", path=str(Path(sys.executable).parent)) or shutil.which("dask")
    if dask_bin is None:
        pytest.skip("the dask command is not installed")
    port = _free_port()
    env = {**os.environ, "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1",
           "PYTHONWARNINGS": "ignore", "AUDITOR_HASH_KEY": HASH_KEY}
    env.pop("AUDITOR_DB_PASSWORD", None)
    log = tmp_path_factory.mktemp("dask") / "cluster.log"
    procs: list[subprocess.Popen[bytes]] = []
    with log.open("wb") as out:
        procs.append(subprocess.Popen(
            [dask_bin, "scheduler", "--host", "127.0.0.1", "--port", str(port),
             "--no-dashboard"], env=env, stdout=out, stderr=out, start_new_session=True))
        for _ in range(2):
            procs.append(subprocess.Popen(
                [dask_bin, "worker", f"tcp://127.0.0.1:{port}", "--nthreads", "1",
                 "--host", "127.0.0.1", "--no-dashboard", "--death-timeout", "60"],
                env=env, cwd=REPO, stdout=out, stderr=out, start_new_session=True))
        try:
            from distributed import Client
            with Client(f"tcp://127.0.0.1:{port}", timeout=60) as client:
                client.wait_for_workers(2, timeout=120)
            yield f"dask://127.0.0.1:{port}"
        finally:
            for proc in reversed(procs):
                os.killpg(proc.pid, signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()


def _scan(out: Path, targets: list[str], *extra: str) -> tuple[int, dict[str, Any]]:
    code = main(["scan", *targets, "--as-of", AS_OF, "--format", "json", "-o", str(out),
                 "-q", "--full", *extra])
    return code, json.loads((out / "report.json").read_text(encoding="utf-8"))


def _comparable(doc: dict[str, Any]) -> dict[str, Any]:
    """The report without the run's id and times; inventory ``rows`` of live databases
    are the server's table statistics (MariaDB's InnoDB estimate moves between two reads
    of the same table: 200 then 201), not something the scan decided."""
    out = {k: v for k, v in doc.items() if k not in ("run",)}
    out["inventory"] = [
        {k: v for k, v in e.items()
         if not (k == "rows" and str(e.get("store", "")).startswith(("mysql:", "mariadb:")))}
        for e in doc.get("inventory", [])]
    return out


@pytest.fixture
def hash_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDITOR_HASH_KEY", HASH_KEY)


@pytest.mark.postgres
@pytest.mark.mysql
@pytest.mark.slow
def test_mixed_scan_on_the_cluster_equals_local(cluster: str, tmp_path: Path, hash_key: None,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Directory (configs, certificates, logs, CSV, SQLite, dumps, a capture), PostgreSQL
    and MariaDB: the same report as a local scan apart from the run's id and times; and a
    password in the client's environment never travels to the cluster."""
    with _scratch("postgresql") as pg, _scratch("mysql") as my:
        targets = [str(DEMO), pg, my]
        code, local = _scan(tmp_path / "local", targets, "--jobs", "1")
        canary = "CANARY-pw-" + secrets.token_hex(6)
        sent = _record_sent(monkeypatch)
        monkeypatch.setenv("AUDITOR_DB_PASSWORD", canary)
        dcode, remote = _scan(tmp_path / "dask", targets, "--executor", cluster,
                              "-O", "database.batch_rows=1")
    assert (dcode, code) == (1, 1)
    assert [t for t in remote["targets"] if t not in local["targets"]] == []
    assert _comparable(remote) == _comparable(local)
    assert {t["scanner"] for t in local["targets"]} >= {
        "config", "crypto", "pcap", "database", "sqldump", "files"}
    assert sum(1 for t in local["targets"] if t["uri"].startswith(("postgresql:", "mysql:"))) == 2
    assert any(f.get("subjects") for f in local["findings"])
    # one plan + posture + per-table parts + grants for each database, and file batches
    assert len(sent) > 20
    assert not [b for b in sent if canary.encode() in b]
    assert not [b for b in sent if HASH_KEY.encode() in b]  # workers hold their own key


@pytest.mark.mysql
@pytest.mark.slow
def test_worker_killed_mid_task_is_retried_elsewhere(cluster: str, tmp_path: Path,
                                                      hash_key: None) -> None:
    """A table read blocks on a table lock held by the test (MariaDB: introspection does
    not wait for it, the SELECT does); the worker running it is killed; the scheduler
    reschedules the part on the other worker and the report equals the local one."""
    with _scratch("mysql") as url:
        local = _scan(tmp_path / "local", [url], "--jobs", "1")
        code, remote = _scan_killing_a_blocked_worker(
            cluster, url, "cong_dan", tmp_path / "dask", "-O", "database.batch_rows=1",
            several=False, timeout=300)
    assert code == local[0] == 1
    assert _comparable(remote) == _comparable(local[1])


def _scan_killing_a_blocked_worker(cluster: str, url: str, table: str, out: Path,
                                   *args: str, several: bool, timeout: float
                                   ) -> tuple[int, dict[str, Any]]:
    """Scan ``url`` on the cluster while the test holds a MariaDB write lock on ``table``;
    kill the worker whose read blocks on it (one of several reads when ``several``),
    release the lock once the scheduler has noticed the death, wait for the nanny to
    restart the worker: the scan's (exit code, report)."""
    from distributed import Client
    pymysql = pytest.importorskip("pymysql")
    base = dbsupport.parse_url(url)
    lock = pymysql.connect(host=base.host, port=base.port or 3306, user=base.user,
                           password=base.password or "", database=base.database)
    with lock.cursor() as cur:
        cur.execute(f"LOCK TABLES {table} WRITE")
    result: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: result.update(doc=_scan(
        out, [url], "--executor", cluster, *args)))
    thread.start()
    address = cluster.replace("dask://", "tcp://")
    try:
        with Client(address, timeout=30, set_as_default=False) as client:
            victim = _wait_for_blocked_worker(client, lock, base.database or "",
                                              several=several)
            os.kill(client.run(os.getpid)[victim], signal.SIGKILL)
            # NOTE: release the lock only once the scheduler has noticed the death
            _wait(lambda: victim not in client.scheduler_info()["workers"])
    finally:
        with lock.cursor() as cur:
            cur.execute("UNLOCK TABLES")
        lock.close()
        thread.join(timeout=timeout)
    with Client(address, timeout=30) as client:
        client.wait_for_workers(2, timeout=120)  # the nanny restarted it
    code, doc = result["doc"]
    return code, doc


def _record_sent(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every task and scattered object the client sends from now on, pickled."""
    import cloudpickle
    from distributed import Client
    sent: list[bytes] = []
    real_submit, real_scatter = Client.submit, Client.scatter

    def submit(self: Any, fn: Any, *args: Any, **kw: Any) -> Any:
        sent.append(cloudpickle.dumps((fn, args)))
        return real_submit(self, fn, *args, **kw)

    def scatter(self: Any, data: Any, **kw: Any) -> Any:
        sent.append(cloudpickle.dumps(data))
        return real_scatter(self, data, **kw)

    monkeypatch.setattr(Client, "submit", submit)
    monkeypatch.setattr(Client, "scatter", scatter)
    return sent


@pytest.mark.slow
@pytest.mark.parametrize("kind", _KINDS)
def test_key_ranges_on_the_cluster_equal_local(cluster: str, tmp_path: Path, hash_key: None,
                                               kind: str, monkeypatch: pytest.MonkeyPatch
                                               ) -> None:
    """``--full`` on a large table: on the cluster it is read in at least 3 key ranges
    (a task each) and the JSON report equals the local one key by key (apart from the
    run's id and times); the hash key is in none of the bytes sent to the cluster."""
    with _big_database(kind, tmp_path) as where:
        code, local = _scan(tmp_path / "local", [where], "--jobs", "1")
        sent = _record_sent(monkeypatch)
        dcode, remote = _scan(tmp_path / "dask", [where], "--executor", cluster,
                              "-O", f"database.batch_rows={BIG_BATCH}")
    assert (dcode, code) == (1, 1)
    assert _comparable(remote) == _comparable(local)
    assert any(f.get("subjects", 0) > 20_000 for f in local["findings"])
    ranges = [b for b in sent if b"database._range" in b]
    assert len(ranges) >= 3
    assert not [b for b in sent if HASH_KEY.encode() in b]


@pytest.mark.slow
def test_worker_without_the_hash_key_exits_2_before_any_task(
        cluster: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The client's key differs from the workers': exit 2 naming a worker, nothing
    submitted, and neither key printed."""
    other = "CANARY-other-key-" + secrets.token_hex(6)
    monkeypatch.setenv("AUDITOR_HASH_KEY", other)
    submitted: list[Any] = []
    from distributed import Client
    monkeypatch.setattr(Client, "submit", lambda *a, **k: submitted.append(a))
    code = main(["scan", str(DEMO / "exports"), "-q", "--executor", cluster])
    assert code == 2
    err = capsys.readouterr().err
    assert "--executor: worker tcp://127.0.0.1:" in err
    assert "has another keyed-hash key than this client (worker: key id " in err
    assert other not in err and HASH_KEY not in err
    assert not submitted


@pytest.mark.mysql
@pytest.mark.slow
def test_worker_killed_during_key_ranges_completes_identically(
        cluster: str, tmp_path: Path, hash_key: None) -> None:
    """The range reads of a large table block on a table lock held by the test; one
    worker running a range is killed; its range is rescheduled and the report equals
    the local one."""
    with _big_database("mysql", tmp_path) as url:
        local = _scan(tmp_path / "local", [url], "--jobs", "1")
        code, remote = _scan_killing_a_blocked_worker(
            cluster, url, "khach_hang", tmp_path / "dask",
            "-O", f"database.batch_rows={BIG_BATCH}", several=True, timeout=600)
    assert code == local[0] == 1
    assert _comparable(remote) == _comparable(local[1])


@pytest.mark.slow
def test_key_range_failing_twice_is_a_target_error(cluster: str, engine: Engine,
                                                   tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """One key range's task crashes every time on the cluster: the database target is
    ``error`` naming the table and the range, the scan completes, exit 3."""
    real = executors.with_params

    def poisoned(task: ScanTask, overlay: Any) -> ScanTask:
        out = real(task, overlay)
        key_range = overlay.get("database._range")
        if key_range and key_range[0] == 1:
            return ScanTask(_Poisoned("x", "x", "x", "x", True), out.options, out.packs)
        return out

    monkeypatch.setattr(executors, "with_params", poisoned)
    with _big_database("sqlite", tmp_path) as path:
        target = _discover([path])[0]
        options = _options(**{"database.full": True, "database.batch_rows": int(BIG_BATCH)})
        result = engine.scan([target], options, fail_on=None,
                             executor=DaskExecutor(cluster.replace("dask://", "tcp://")))
    (res,) = result.targets
    assert res.status == "error"
    assert res.error is not None
    assert res.error.startswith("table main.khach_hang, key range 2 of ")
    assert res.error.endswith(": task failed twice on the Dask cluster (AttributeError)")
    assert result.exit_code() == 3


def _wait(condition: Any, attempts: int = 600) -> None:
    import time
    for _ in range(attempts):
        if condition():
            return
        time.sleep(0.1)  # NOTE: polling a real cluster's state, not a timing assumption
    raise AssertionError("condition not reached")


def _wait_for_blocked_worker(client: Any, lock: Any, database: str, *,
                             several: bool = False) -> str:
    """The worker whose task waits on the test's lock: MariaDB names the waiting
    connection's client port, psutil the process that owns it (``several``: every
    worker may be waiting; the first one by name)."""
    import psutil
    ports: list[int] = []

    def waiting() -> bool:
        with lock.cursor() as cur:
            cur.execute("SELECT HOST FROM information_schema.PROCESSLIST WHERE DB = %s "
                        "AND STATE LIKE 'Waiting for table%%'", (database,))
            ports[:] = [int(str(r[0]).rsplit(":", 1)[1]) for r in cur.fetchall()]
        return bool(ports)
    _wait(waiting)
    owners = {c.pid for c in psutil.net_connections("tcp")
              if c.laddr and c.laddr.port in ports and c.pid}
    by_pid = {pid: worker for worker, pid in client.run(os.getpid).items()}
    victims = sorted(str(by_pid[p]) for p in owners if p in by_pid)
    assert victims and (several or len(victims) == 1), (owners, by_pid)
    return victims[0]


_ATTEMPTS: Path | None = None


class _Poisoned(Target):
    """A target that arrives on a worker as ``None``: the worker-side task itself then
    raises (AttributeError), every time, as a task that always crashes would. Built from
    builtins only, so any process unpickles it."""

    def __reduce__(self) -> Any:
        return (eval, ("None",))


def _attempts(client: Any) -> dict[str, int]:
    """How many times the scheduler started each remote_batch task (its own log)."""
    log = client.run_on_scheduler(lambda dask_scheduler: [
        (str(t[0]), t[1]) for t in dask_scheduler.transition_log])
    counts: dict[str, int] = {}
    for key, start in log:
        if "remote_batch" in key and start == "processing":
            counts[key] = counts.get(key, 0) + 1
    return counts


@pytest.mark.slow
def test_task_failing_twice_is_a_target_error(cluster: str, engine: Engine) -> None:
    from distributed import Client
    csv = DEMO / "exports" / "danh_sach_cong_dan.csv"
    good = _discover([str(csv)])[0]
    bad = _Poisoned("poison.csv", str(csv), "csv", good.scanner, True, 10)
    address = cluster.replace("dask://", "tcp://")
    executor = DaskExecutor(address, batch_files=1)
    with Client(address, timeout=30, set_as_default=False) as client:
        before = _attempts(client)
        result = engine.scan([good, bad], _options(), executor=executor)
        after = _attempts(client)
    by_uri = {t.uri: t for t in result.targets}
    assert by_uri["poison.csv"].status == "error"
    assert by_uri["poison.csv"].error == "task failed twice on the Dask cluster (AttributeError)"
    assert by_uri[good.uri].status == "ok" and result.findings
    assert result.exit_code() == 1
    # tried, then retried once; the good batch ran once
    assert sorted(n for k, n in after.items() if k not in before) == [1, 2]
    # fail_on never: the error alone decides: exit 3
    assert engine.scan([bad], _options(), executor=executor, fail_on=None).exit_code() == 3


@pytest.mark.slow
def test_missing_file_on_worker_is_a_precise_target_error(cluster: str, tmp_path: Path,
                                                          engine: Engine) -> None:
    target = Target(str(tmp_path / "gone.yaml"), str(tmp_path / "gone.yaml"), "yaml",
                    "config", True, 10)
    result = engine.scan([target], _options(),
                         executor=DaskExecutor(cluster.replace("dask://", "tcp://")))
    (res,) = result.targets
    assert res.status == "error"
    assert res.error is not None and res.error.startswith(f"{tmp_path / 'gone.yaml'}: not found "
                                                          "on worker ")
    assert "same path on every worker" in res.error


@pytest.mark.slow
def test_version_mismatch_exits_2_before_any_task(cluster: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    real = executors.identity()
    monkeypatch.setattr(executors, "identity", lambda: {**real, "auditor": "9.9.9"})
    submitted: list[Any] = []
    from distributed import Client
    monkeypatch.setattr(Client, "submit", lambda *a, **k: submitted.append(a))
    code = main(["scan", str(DEMO / "exports"), "-q", "--executor", cluster])
    assert code == 2
    err = capsys.readouterr().err
    assert "runs another auditor than this client (differs in: auditor;" in err
    assert not submitted


@pytest.mark.slow
def test_ctrl_c_cancels_the_clusters_tasks(cluster: str, engine: Engine) -> None:
    from distributed import Client
    targets = _discover([str(DEMO / "server"), str(DEMO / "portal")])

    def interrupt(done: int, total: int, nbytes: int) -> None:
        if done == 1:
            raise KeyboardInterrupt
    address = cluster.replace("dask://", "tcp://")
    executor = DaskExecutor(address, on_tasks=interrupt, batch_files=1)
    result = engine.scan(targets, _options(), executor=executor)
    assert result.extra["incomplete"]["reason"] == "interrupted (SIGINT)"
    not_scanned = [t for t in result.targets if t.error == NOT_SCANNED]
    assert 0 < len(not_scanned) < len(targets)
    with Client(address, timeout=30, set_as_default=False) as client:
        _wait(lambda: not any(client.processing().values())
              and not client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks)))


# ---- database.password_file: the password stays where the scan runs ---------------------
@pytest.mark.mysql
def test_password_file_is_read_where_the_scan_runs(engine: Engine, tmp_path: Path) -> None:
    """MariaDB's root has no password here: a canary password from the file is used (the
    login fails), and the canary is in neither the error nor the task."""
    import pickle
    canary = "CANARY-file-" + secrets.token_hex(6)
    secret = tmp_path / "db_password"
    secret.write_text(canary + "\n", encoding="utf-8")
    with _scratch("mysql") as url:
        target = _db_target(url)
        ok = execute(ScanTask(target, _options(), ()), engine.scanners["database"], engine.packs)
        task = ScanTask(target, _options(**{"database.password_file": str(secret)}), ())
        failed = execute(task, engine.scanners["database"], engine.packs)
        missing = execute(ScanTask(target, _options(**{
            "database.password_file": str(tmp_path / "nope")}), ()),
            engine.scanners["database"], engine.packs)
    assert ok.result.status == "ok"
    assert failed.result.status == "error" and failed.result.error
    assert "denied" in failed.result.error.lower()
    assert canary not in failed.result.error and canary.encode() not in pickle.dumps(task)
    assert missing.result.error == (f"database.password_file {tmp_path / 'nope'}: cannot read "
                                    "it (No such file or directory)")
