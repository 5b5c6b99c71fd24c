"""SQL dump scanner: demo dumps, real pg_dump / mariadb-dump output, truncation, leaks."""

from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path

import pytest
from auditor.scanners.database import DatabaseScanner
from auditor.scanners.database.sqldump import SqlDumpScanner
from auditor.scanners.database.sqldump.scanner import dialect_of

from auditor.models import Observation
from auditor.scanner import Candidate
from tests.scanners.dbsupport import (
    MY_URL,
    REPO,
    FakeClock,
    assert_no_leak,
    my_scratch,
    no_pii,
    pg_scratch,
    real_pii,
    run,
)

DEMO = REPO / "fixtures" / "demo" / "db"
PG_DUMP = DEMO / "citizens_pg.sql"
MY_DUMP = DEMO / "citizens_mysql.sql.gz"


# ---- demo dumps: roles, grants, passwords (no PII engine needed) -------------------------
def test_pg_demo_dump_roles_grants_passwords() -> None:
    result = run(SqlDumpScanner(no_pii), str(PG_DUMP), is_file=True)
    assert result.error is None and not result.problems
    accounts = {o.attributes["name"]: (o.attributes["password"], o.location.line)
                for o in result.kind("db.account")}
    assert accounts == {"bao_cao": ("plaintext", 14), "ung_dung": ("scram-sha-256", 16)}
    storage = {(o.location.table, o.location.column): o.attributes["storage"]
               for o in result.kind("db.password_column")}
    assert storage == {("public.tai_khoan", "mat_khau"): "plaintext",
                       ("public.nhan_vien", "password_hash"): "bcrypt",
                       ("public.khach_hang_cu", "password"): "md5"}
    (grant,) = result.kind("db.grant")
    assert (grant.attributes["grantee"], grant.attributes["object"], grant.location.line) == (
        "PUBLIC", "public.cong_dan", 508)
    # the ISO/IEC 19794-2 fingerprint column makes cong_dan personal even without PII engine
    assert grant.attributes["table_has_pii"] is True
    hits = result.rule_hits()
    assert ("core.db.dump-plaintext-password", "role:bao_cao", "") in hits
    assert ("core.db.public-grant-pii", "public.cong_dan", "") in hits
    assert ("core.db.password-plaintext", "public.tai_khoan", "mat_khau") in hits
    assert ("core.db.password-fast-hash", "public.khach_hang_cu", "password") in hits
    assert not any(h[1] == "role:ung_dung" for h in hits)
    assert_no_leak(result, "BaoCao@2024")


def test_mysql_demo_dump_gzip() -> None:
    result = run(SqlDumpScanner(no_pii), str(MY_DUMP), is_file=True)
    assert result.error is None and not result.problems
    (account,) = result.kind("db.account")
    assert account.attributes["account"] == "xuat_bao_cao@%"
    assert account.attributes["password"] == "plaintext"
    assert account.evidence["password"] == "•" * 12 + "(15)"  # length only
    tables = {o.location.table for o in result.kind("db.password_column")}
    assert tables == {"dan_cu.tai_khoan", "dan_cu.nhan_vien", "dan_cu.khach_hang_cu"}
    binary = [o for o in result.kind("pii.column") if o.location.column == "van_tay"]
    assert binary and binary[0].attributes["binary_format"] == "iso-19794-2"
    hits = result.rule_hits()
    assert ("core.db.global-all-privileges", "grant:xuat_bao_cao@%:*.*", "") in hits
    assert ("core.db.dump-plaintext-password", "role:xuat_bao_cao@%", "") in hits
    assert_no_leak(result, "XuatBaoCao#2024")


def test_demo_dump_pii_columns() -> None:
    result = run(SqlDumpScanner(real_pii()), str(PG_DUMP), is_file=True)
    hits = result.rule_hits()
    for column in ("so_cccd", "so_dien_thoai", "email", "ma_so_thue"):
        assert ("core.db.pii-cleartext", "public.cong_dan", column) in hits
    for column in ("dan_toc", "ton_giao", "van_tay"):
        assert ("core.db.pii-cleartext-sensitive", "public.cong_dan", column) in hits
    flagged = {h[2] for h in hits if h[1] == "public.cong_dan"}
    assert not flagged & {"ma_ho_so", "ma_giao_dich", "cccd_ma_hoa", "email_template"}


def test_same_verdicts_as_the_live_database(tmp_path: Path) -> None:
    """The SQLite demo and the pg dump hold the same rows: same PII columns found."""
    classify = real_pii()
    live = run(DatabaseScanner(classify), str(DEMO / "citizens.sqlite"), is_file=True)
    dumped = run(SqlDumpScanner(classify), str(PG_DUMP), is_file=True)

    def key(o: Observation) -> tuple[str, str, tuple[str, ...]]:
        return (str(o.location.table).split(".")[1], str(o.location.column), o.entities)

    assert {key(o) for o in live.kind("pii.column")} == {key(o) for o in dumped.kind("pii.column")}


# ---- truncated and malformed dumps ---------------------------------------------------
def test_truncated_dump_reports_what_it_read_and_where_it_broke(tmp_path: Path) -> None:
    lines = PG_DUMP.read_text(encoding="utf-8").splitlines(keepends=True)
    cut = tmp_path / "cut.sql"
    cut.write_text("".join(lines[:460]), encoding="utf-8")  # inside the nhan_vien COPY
    result = run(SqlDumpScanner(no_pii), str(cut), is_file=True)
    assert result.error is not None
    assert "COPY block" in str(result.error) and result.error.line == 460
    tables = {o.location.table for o in result.kind("db.password_column")}
    assert tables == {"public.tai_khoan", "public.nhan_vien"}
    assert {o.attributes["name"] for o in result.kind("db.account")} == {"bao_cao", "ung_dung"}


def test_truncated_gzip_dump(tmp_path: Path) -> None:
    data = MY_DUMP.read_bytes()
    cut = tmp_path / "cut.sql.gz"
    cut.write_bytes(data[: len(data) * 3 // 4])
    result = run(SqlDumpScanner(no_pii), str(cut), is_file=True)
    assert result.error is not None
    assert "truncated" in str(result.error)
    assert result.kind("db.account"), "statements before the break are kept"


def test_malformed_statements_are_problems(tmp_path: Path) -> None:
    path = tmp_path / "odd.sql"
    path.write_text(
        "-- MySQL dump 10.13\n"
        "CREATE TABLE `t` (`id` int, `password` varchar(20));\n"
        "INSERT INTO `t` VALUES (1,'a'),(2,'b','extra'),(3,'c');\n"
        "INSERT INTO `t` (`id`) VALUES 'not a tuple';\n"
        "INSERT INTO;\n", encoding="utf-8")
    result = run(SqlDumpScanner(no_pii), str(path), is_file=True)
    assert result.error is None
    messages = [(p.location.line if p.location else None, p.message) for p in result.problems]
    assert any(line == 3 and "row of 3 values" in m for line, m in messages)
    assert any(line == 5 and "could not be parsed" in m for line, m in messages)
    (obs,) = result.kind("db.password_column")
    assert obs.attributes["sample_size"] == 2


def test_dump_scan_is_deterministic() -> None:
    one = run(SqlDumpScanner(no_pii), str(MY_DUMP), is_file=True)
    two = run(SqlDumpScanner(no_pii), str(MY_DUMP), is_file=True)
    assert one.observations == two.observations


def test_sample_size_and_full_mode(tmp_path: Path) -> None:
    path = tmp_path / "many.sql"
    rows = ",".join(f"({i},'{'plain' if i % 2 else 'x' * 3}{i}')" for i in range(5000))
    path.write_text(f"CREATE TABLE t (id int, password text);\nINSERT INTO t VALUES {rows};\n",
                    encoding="utf-8")
    sampled = run(SqlDumpScanner(no_pii), str(path), is_file=True, sample_size=50)
    (obs,) = sampled.kind("db.password_column")
    assert (obs.attributes["rows_read"], obs.attributes["sampling"]) == (50, "first-rows")
    full = run(SqlDumpScanner(no_pii), str(path), is_file=True, full=True)
    (obs,) = full.kind("db.password_column")
    assert (obs.attributes["rows_read"], obs.attributes["sampling"]) == (5000, "full")


# ---- real pg_dump / mariadb-dump output --------------------------------------------------
@pytest.mark.postgres
def test_real_pg_dump_output(tmp_path: Path) -> None:
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump not installed")
    with pg_scratch() as (url, conn):
        conn.execute("CREATE TABLE nguoi_dung (id serial PRIMARY KEY, email text, "
                     "mat_khau text, anh bytea, ho_so jsonb)")
        conn.execute("INSERT INTO nguoi_dung (email, mat_khau, anh, ho_so) SELECT "
                     "'u' || g || '@example.vn', 'pw' || g, '\\xffd8ffe000104a464946'::bytea, "
                     "jsonb_build_object('sdt', '09' || lpad(g::text, 8, '0')) "
                     "FROM generate_series(1, 300) g")
        conn.execute("GRANT SELECT ON nguoi_dung TO PUBLIC")
        out = tmp_path / "real.sql.gz"
        plain = subprocess.run(["pg_dump", "--no-owner", url], check=True,
                               capture_output=True).stdout
        out.write_bytes(gzip.compress(plain))
        inserts = tmp_path / "inserts.sql"
        inserts.write_bytes(subprocess.run(["pg_dump", "--inserts", url], check=True,
                                           capture_output=True).stdout)
    for path in (out, inserts):
        result = run(SqlDumpScanner(no_pii), str(path), is_file=True)
        assert result.error is None and not result.problems, path.name
        (pw,) = result.kind("db.password_column")
        assert (pw.location.table, pw.attributes["storage"], pw.attributes["rows_read"]) == (
            "public.nguoi_dung", "plaintext", 300)
        (grant,) = result.kind("db.grant")
        assert grant.attributes["grantee"] == "PUBLIC"


@pytest.mark.mysql
def test_real_mariadb_dump_output(tmp_path: Path) -> None:
    tool = shutil.which("mariadb-dump") or shutil.which("mysqldump")
    if tool is None:
        pytest.skip("mysqldump not installed")
    with my_scratch() as (url, conn):
        database = url.rsplit("/", 1)[1]
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE nguoi_dung (id INT PRIMARY KEY, pwd VARCHAR(64), "
                        "anh BLOB, note TEXT)")
            cur.executemany("INSERT INTO nguoi_dung VALUES (%s, %s, %s, %s)",
                            [(i, f"{i:032x}", b"\xff\xd8\xff\xe0\x00'\\;\n" + bytes([i % 256]),
                              "it's; a \\ test\n") for i in range(1, 201)])
        host = MY_URL.split("@", 1)[1].split("/", 1)[0]
        hostname, _, port = host.partition(":")
        raw = subprocess.run([tool, "-h", hostname, "-P", port or "3306", "-u", "root",
                              database], check=True, capture_output=True).stdout
    path = tmp_path / "real.sql"
    path.write_bytes(raw)
    result = run(SqlDumpScanner(no_pii), str(path), is_file=True)
    assert result.error is None and not result.problems
    (pw,) = result.kind("db.password_column")
    assert (pw.attributes["storage"], pw.attributes["rows_read"]) == ("md5", 200)


# ---- claiming ----------------------------------------------------------------------------
@pytest.mark.parametrize(("head", "name", "confidence"), [
    (b"--\n-- PostgreSQL database dump\n--\n", "backup.txt", 90),
    (b"-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB\n", "x.dump", 90),
    (b"-- MySQL dump 10.13  Distrib 8.0.36\n", "x", 90),
    (b"CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);\n", "seed.sql", 60),
    (b"CREATE TABLE t (a int);\n", "seed.txt", 45),
    (b"hello world\n", "notes.sql", None),
    (b"\x00\x01binary", "x.sql", None),
])
def test_claim(head: bytes, name: str, confidence: int | None) -> None:
    claim = SqlDumpScanner().claim(Candidate(path="/x", uri=name, name=name, size=len(head),
                                             head=head))
    assert (claim.confidence if claim else None) == confidence


@pytest.mark.parametrize(("head", "dialect"), [
    ("-- PostgreSQL database dump\n", "postgresql"), ("-- MySQL dump 10.13\n", "mysql"),
    ("CREATE TABLE `t` (a int);\n", "mysql"), ("COPY public.t (a) FROM stdin;\n", "postgresql"),
    ("nothing here", None),
])
def test_dialect_detection(head: str, dialect: str | None) -> None:
    assert dialect_of(head) == dialect


def test_time_budget_stops_a_dump_scan(tmp_path: Path) -> None:
    path = tmp_path / "long.sql"
    with path.open("w", encoding="utf-8") as out:
        out.write("CREATE TABLE t (id int, password text);\n")
        for i in range(200_000):
            out.write(f"INSERT INTO t VALUES ({i}, 'p{i}');\n")
    result = run(SqlDumpScanner(no_pii), str(path), is_file=True, time_budget=0.2,
                 clock=FakeClock(0.05))
    assert result.error is not None
    assert "time budget of 0.2 s exhausted at line" in str(result.error)
    assert result.error.line is not None and result.error.line < 200_001
    assert result.kind("db.password_column"), "what was read is reported"


@pytest.mark.postgres
def test_custom_format_dump_is_claimed_and_explained(tmp_path: Path) -> None:
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump not installed")
    with pg_scratch() as (url, conn):
        conn.execute("CREATE TABLE t (id int)")
        archive = tmp_path / "backup.dump"
        subprocess.run(["pg_dump", "-Fc", "-f", str(archive), url], check=True)
    head = archive.read_bytes()[:8192]
    claim = SqlDumpScanner().claim(Candidate(path=str(archive), uri="backup.dump",
                                             name="backup.dump", size=len(head), head=head))
    assert claim is not None and claim.confidence == 100
    result = run(SqlDumpScanner(no_pii), str(archive), is_file=True)
    assert result.error is not None
    assert "custom-format archive" in str(result.error) and "pg_restore" in str(result.error)
