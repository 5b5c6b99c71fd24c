"""Database scanner against the real MariaDB/MySQL server (scratch database per test)."""

from __future__ import annotations

import importlib.util
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from auditor.scanners.database import DatabaseScanner
from auditor.scanners.database.options import Budget, DbSettings
from auditor.scanners.database.session import Session
from auditor.scanners.database.urls import parse_url

from tests.scanners.dbsupport import REPO, assert_no_leak, my_scratch, no_pii, real_pii, run

pytestmark = pytest.mark.mysql

_spec = importlib.util.spec_from_file_location("gen_db", REPO / "fixtures" / "gen_db.py")
assert _spec and _spec.loader
gen_db = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen_db)

_TYPES = {"integer": "INT PRIMARY KEY", "text": "VARCHAR(255)", "date": "DATE",
          "json": "JSON", "binary": "BLOB"}
COUNTS = {"cong_dan": 200, "tai_khoan": 30, "nhan_vien": 20, "khach_hang_cu": 20}


def _load(conn: Any) -> None:
    with conn.cursor() as cur:
        for table, columns in gen_db.TABLES.items():
            cols = ", ".join(f"`{c}` {_TYPES[t]}" for c, t in columns)
            cur.execute(f"CREATE TABLE `{table}` ({cols})")
            marks = ", ".join("%s" for _ in columns)
            cur.executemany(f"INSERT INTO `{table}` VALUES ({marks})",
                            list(gen_db.rows(table, COUNTS[table])))


@pytest.fixture
def my() -> Iterator[tuple[str, Any]]:
    with my_scratch() as (url, conn):
        _load(conn)
        yield url, conn


def _checksums(conn: Any, database: str) -> dict[str, int]:
    with conn.cursor() as cur:
        cur.execute(f"CHECKSUM TABLE {', '.join(f'`{database}`.`{t}`' for t in gen_db.TABLES)}")
        return {str(r[0]): int(r[1]) for r in cur.fetchall()}


def test_pii_columns_found_and_decoys_not_flagged(my: tuple[str, Any]) -> None:
    url, _ = my
    result = run(DatabaseScanner(real_pii()), url)
    assert result.error is None and not result.problems
    database = url.rsplit("/", 1)[1]
    cols = result.columns()
    for column, entity in (("so_cccd", "VN_CCCD"), ("so_dien_thoai", "VN_PHONE"),
                           ("email", "EMAIL_ADDRESS")):
        assert entity in cols[(f"{database}.cong_dan", column)].entities
    assert (f"{database}.cong_dan", "thong_tin_lien_he.lien_he.sdt") in cols
    for decoy in ("ma_ho_so", "ma_giao_dich", "email_template"):
        assert (f"{database}.cong_dan", decoy) not in cols
    hits = result.rule_hits()
    assert ("core.db.pii-cleartext", f"{database}.cong_dan", "so_cccd") in hits
    assert ("core.db.pii-cleartext-sensitive", f"{database}.cong_dan", "dan_toc") in hits


def test_password_storage_and_key_range_sampling(my: tuple[str, Any]) -> None:
    url, conn = my
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE lon (id INT PRIMARY KEY, pwd VARCHAR(64))")
        cur.executemany("INSERT INTO lon VALUES (%s, %s)",
                        [(i, f"{secrets.token_hex(16)}") for i in range(1, 20001)])
    database = url.rsplit("/", 1)[1]
    first = run(DatabaseScanner(no_pii), url, sample_size=150, seed=3)
    again = run(DatabaseScanner(no_pii), url, sample_size=150, seed=3)
    assert first.observations == again.observations
    storage = {(o.location.table, o.location.column): o.attributes
               for o in first.kind("db.password_column")}
    assert storage[(f"{database}.tai_khoan", "mat_khau")]["storage"] == "plaintext"
    assert storage[(f"{database}.nhan_vien", "password_hash")]["storage"] == "bcrypt"
    assert storage[(f"{database}.khach_hang_cu", "password")]["storage"] == "md5"
    big = storage[(f"{database}.lon", "pwd")]
    assert (big["storage"], big["sampling"], big["rows_read"]) == ("md5", "key-ranges", 150)
    hits = first.rule_hits()
    assert ("core.db.password-plaintext", f"{database}.tai_khoan", "mat_khau") in hits
    assert ("core.db.password-fast-hash", f"{database}.lon", "pwd") in hits


def test_posture_accounts_settings_and_global_grants(my: tuple[str, Any]) -> None:
    url, conn = my
    user = "auditor_t_" + secrets.token_hex(3)
    with conn.cursor() as cur:
        cur.execute(f"CREATE USER '{user}_empty'@'%'")
        cur.execute(f"CREATE USER '{user}_native'@'10.0.0.%' IDENTIFIED VIA "
                    "mysql_native_password USING PASSWORD('not-a-real-secret')")
        cur.execute(f"GRANT ALL PRIVILEGES ON *.* TO '{user}_native'@'10.0.0.%'")
    try:
        result = run(DatabaseScanner(no_pii), url)
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP USER '{user}_empty'@'%'")
            cur.execute(f"DROP USER '{user}_native'@'10.0.0.%'")
    assert result.error is None and not result.problems
    accounts = {o.attributes["account"]: o.attributes for o in result.kind("db.account")}
    empty = accounts[f"{user}_empty@%"]
    assert empty["empty_password"] is True and empty["any_host"] is True
    native = accounts[f"{user}_native@10.0.0.%"]
    assert native["weak_plugin"] is True and native["empty_password"] is False
    settings = {o.attributes["name"]: o.attributes for o in result.kind("db.setting")}
    assert {"require_secure_transport", "local_infile", "have_ssl"} <= set(settings)
    hits = result.rule_hits()
    assert ("core.db.account-empty-password", f"account:{user}_empty@%", "") in hits
    assert ("core.db.account-weak-auth-plugin", f"account:{user}_native@10.0.0.%", "") in hits
    assert ("core.db.global-all-privileges", f"grant:{user}_native@10.0.0.%:*.*", "") in hits
    assert not any(h[0] == "core.db.global-all-privileges" and "root@localhost" in h[1]
                   for h in hits)
    if settings["local_infile"]["value"] == "ON":
        assert ("core.db.local-infile-enabled", "local_infile", "") in hits
    if settings["require_secure_transport"]["value"] == "OFF":
        assert ("core.db.secure-transport-not-required", "require_secure_transport",
                "") in hits
    assert_no_leak(result, "not-a-real-secret")


def test_scan_changes_nothing_and_writes_fail(my: tuple[str, Any]) -> None:
    url, conn = my
    database = url.rsplit("/", 1)[1]
    before = _checksums(conn, database)
    for full in (False, True):
        result = run(DatabaseScanner(no_pii), url, full=full)
        assert result.error is None and not result.problems
    assert _checksums(conn, database) == before
    with Session(parse_url(url), DbSettings(), Budget(None)) as session:
        for statement in (f"INSERT INTO `{database}`.tai_khoan VALUES (9999, 'x', 'y')",
                          f"UPDATE `{database}`.cong_dan SET ho_ten = 'x'",
                          f"DELETE FROM `{database}`.nhan_vien"):
            with pytest.raises(Exception, match="READ ONLY"), session.read() as c:
                c.exec_driver_sql(statement)
    assert _checksums(conn, database) == before


def test_wrong_password_is_a_target_error_without_password(my: tuple[str, Any]) -> None:
    url, conn = my
    user, good = "auditor_t_" + secrets.token_hex(3), "Right-" + secrets.token_hex(4)
    wrong = "Wrong-" + secrets.token_hex(4)
    with conn.cursor() as cur:
        cur.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{good}'")
    try:
        bad_url = url.replace("://root@", f"://{user}:{wrong}@")
        result = run(DatabaseScanner(no_pii), bad_url, uri=parse_url(bad_url).redacted)
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP USER '{user}'@'%'")
    assert result.error is not None
    message = str(result.error)
    assert "Access denied" in message and "(error 1045)" in message
    assert wrong not in message and good not in message
    assert message.startswith(f"cannot connect to mysql://{user}@")


def test_limited_account_reports_unreadable_posture_as_problems(my: tuple[str, Any]) -> None:
    url, conn = my
    database = url.rsplit("/", 1)[1]
    user = "auditor_t_" + secrets.token_hex(3)
    with conn.cursor() as cur:
        cur.execute(f"CREATE USER '{user}'@'%'")
        cur.execute(f"GRANT SELECT ON `{database}`.tai_khoan TO '{user}'@'%'")
    try:
        result = run(DatabaseScanner(no_pii), url.replace("://root@", f"://{user}@"))
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP USER '{user}'@'%'")
    assert result.error is None
    assert any(p.message.startswith("accounts:") and "denied" in p.message
               for p in result.problems)
    assert {o.location.table for o in result.kind("db.password_column")} == {
        f"{database}.tai_khoan"}


def test_time_budget_stops_a_full_scan(my: tuple[str, Any]) -> None:
    url, conn = my
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE zz_big (id INT PRIMARY KEY, notes VARCHAR(64))")
        cur.execute("CREATE TABLE d (n INT)")
        cur.execute("INSERT INTO d VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)")
        cur.execute("INSERT INTO zz_big SELECT a.n + 10*b.n + 100*c.n + 1000*e.n + "
                    "10000*f.n, MD5(a.n + 10*b.n) FROM d a, d b, d c, d e, d f")
    result = run(DatabaseScanner(no_pii), url, full=True, time_budget=0.5)
    assert result.error is not None
    assert "time budget of 0.5 s exhausted" in str(result.error)
    assert result.kind("db.setting"), "posture read before the budget ran out is kept"
