"""Database scanner against the real PostgreSQL server (scratch database per test)."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import secrets
import time
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from auditor.scanners.database import DatabaseScanner
from auditor.scanners.database.classify import Verdict
from auditor.scanners.database.options import Budget, DbSettings
from auditor.scanners.database.session import Session
from auditor.scanners.database.urls import parse_url

from auditor.errors import TargetError
from auditor.models import Observation, Problem, Target
from auditor.scanner import ScanContext
from tests.scanners.dbsupport import (
    HASH_KEY,
    REPO,
    assert_no_leak,
    no_pii,
    pg_scratch,
    real_pii,
    run,
)

pytestmark = pytest.mark.postgres

_spec = importlib.util.spec_from_file_location("gen_db", REPO / "fixtures" / "gen_db.py")
assert _spec and _spec.loader
gen_db = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen_db)

SCHEMA = """
CREATE TABLE cong_dan (
    id integer PRIMARY KEY, ho_ten text, ngay_sinh date, so_cccd text, so_dien_thoai text,
    email text, dia_chi text, ma_so_thue text, dan_toc text, ton_giao text, nhom_mau text,
    ma_ho_so text, ma_giao_dich uuid, cccd_ma_hoa text, thong_tin_lien_he jsonb,
    van_tay bytea, email_template text);
CREATE TABLE tai_khoan (id integer PRIMARY KEY, ten_dang_nhap text, mat_khau text);
CREATE TABLE nhan_vien (id integer PRIMARY KEY, email_cong_vu text, password_hash text,
                        password_changed_at date);
CREATE TABLE khach_hang_cu (id integer PRIMARY KEY, username text, password text);
CREATE SCHEMA bao_cao;
CREATE TABLE bao_cao.thong_ke (id integer PRIMARY KEY, so_dien_thoai text);
GRANT SELECT ON cong_dan TO PUBLIC;
"""


def _load(conn: Any, counts: dict[str, int] | None = None) -> None:
    counts = counts or {"cong_dan": 200, "tai_khoan": 30, "nhan_vien": 20, "khach_hang_cu": 20}
    conn.execute(SCHEMA)
    for table, n in counts.items():
        cols = [c for c, _ in gen_db.TABLES[table]]
        with conn.cursor() as cur, cur.copy(
                f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
            for row in gen_db.rows(table, n):
                copy.write_row(row)
    conn.execute("INSERT INTO bao_cao.thong_ke SELECT g, '09' || lpad(g::text, 8, '0') "
                 "FROM generate_series(1, 50) g")
    conn.execute("ANALYZE")


@pytest.fixture
def pg() -> Iterator[tuple[str, Any]]:
    with pg_scratch() as (url, conn):
        _load(conn)
        yield url, conn


def _checksums(conn: Any) -> dict[str, str]:
    out = {}
    for (table,) in conn.execute("SELECT schemaname || '.' || relname FROM pg_stat_user_tables "
                                 "ORDER BY 1").fetchall():
        text = conn.execute(f"SELECT coalesce(string_agg(t::text, '|' ORDER BY t::text), '') "
                            f"FROM {table} t").fetchone()[0]
        out[table] = hashlib.sha256(text.encode()).hexdigest()
    return out


def _write_counters(conn: Any) -> dict[str, tuple[int, ...]]:
    # NOTE: this connection loaded the data; its statistics reach the shared counters
    # lazily (at most once a second) unless a flush is forced (PostgreSQL >= 15).
    if conn.info.server_version >= 150000:
        conn.execute("SELECT pg_stat_force_next_flush()")
        conn.execute("SELECT 1")
    else:
        time.sleep(1.5)
    conn.execute("SELECT pg_stat_clear_snapshot()")
    rows = conn.execute("SELECT schemaname || '.' || relname, n_tup_ins, n_tup_upd, n_tup_del, "
                        "n_tup_hot_upd, seq_scan FROM pg_stat_user_tables ORDER BY 1").fetchall()
    return {r[0]: tuple(r[1:]) for r in rows}


# ---- personal data, with the real PII engine ---------------------------------------------
def test_pii_columns_found_and_decoys_not_flagged(pg: tuple[str, Any]) -> None:
    url, _conn = pg
    result = run(DatabaseScanner(real_pii()), url)
    assert result.error is None and not result.problems
    cols = result.columns()
    expected = {
        ("public.cong_dan", "so_cccd"): "VN_CCCD",
        ("public.cong_dan", "so_dien_thoai"): "VN_PHONE",
        ("public.cong_dan", "email"): "EMAIL_ADDRESS",
        ("public.cong_dan", "ho_ten"): "PERSON",
        ("public.cong_dan", "thong_tin_lien_he.lien_he.sdt"): "VN_PHONE",
        ("public.cong_dan", "thong_tin_lien_he.lien_he.email"): "EMAIL_ADDRESS",
    }
    for key, entity in expected.items():
        assert key in cols, f"{key} not reported"
        assert entity in cols[key].entities
        assert cols[key].attributes["protected"] is False
    assert "ETHNICITY" in cols[("public.cong_dan", "dan_toc")].attributes["categories"]
    assert cols[("public.cong_dan", "dan_toc")].attributes["sensitive"] is True
    assert "BIOMETRIC" in cols[("public.cong_dan", "van_tay")].attributes["categories"]
    assert cols[("public.cong_dan", "van_tay")].attributes["binary_format"] == "iso-19794-2"
    for decoy in ("ma_ho_so", "ma_giao_dich", "email_template", "id"):
        assert ("public.cong_dan", decoy) not in cols, f"decoy {decoy} flagged"
    cipher = cols.get(("public.cong_dan", "cccd_ma_hoa"))
    assert cipher is None or cipher.attributes["protected"] is True
    hits = result.rule_hits()
    assert ("core.db.pii-cleartext", "public.cong_dan", "so_cccd") in hits
    assert ("core.db.pii-cleartext-sensitive", "public.cong_dan", "dan_toc") in hits
    assert ("core.db.public-grant-pii", "public.cong_dan", "") in hits
    assert not any(h[2] in {"ma_ho_so", "ma_giao_dich", "cccd_ma_hoa", "email_template"}
                   for h in hits)


def test_no_personal_data_or_password_leaks(pg: tuple[str, Any]) -> None:
    url, conn = pg
    cccd, password = "079188" + f"{secrets.randbelow(10**6):06d}", "Canary-" + secrets.token_hex(6)
    conn.execute("UPDATE cong_dan SET so_cccd = %s WHERE id = 1", (cccd,))
    conn.execute("UPDATE tai_khoan SET mat_khau = %s WHERE id = 1", (password,))
    url_password = "UrlCanary" + secrets.token_hex(4)
    with_password = url.replace("://postgres@", f"://postgres:{url_password}@")
    result = run(DatabaseScanner(real_pii()), with_password, uri=parse_url(url).redacted,
                 full=True)
    assert result.kind("pii.column")
    assert_no_leak(result, cccd, password, url_password)


def test_password_in_query_string_never_reaches_observations(pg: tuple[str, Any]) -> None:
    url, _ = pg
    secret = "QueryCanary" + secrets.token_hex(4)
    with_query = f"{url}?password={secret}&application_name=auditor"
    result = run(DatabaseScanner(no_pii), with_query, uri=with_query)
    assert result.error is None
    assert result.observations
    assert {o.location.uri for o in result.observations} == {
        url + "?application_name=auditor"}
    assert_no_leak(result, secret)


# ---- password storage and posture (PII engine not involved) --------------------------
def test_password_storage_formats(pg: tuple[str, Any]) -> None:
    url, _ = pg
    result = run(DatabaseScanner(no_pii), url)
    storage = {(o.location.table, o.location.column): o.attributes["storage"]
               for o in result.kind("db.password_column")}
    assert storage == {("public.tai_khoan", "mat_khau"): "plaintext",
                       ("public.nhan_vien", "password_hash"): "bcrypt",
                       ("public.khach_hang_cu", "password"): "md5"}
    hits = result.rule_hits()
    assert ("core.db.password-plaintext", "public.tai_khoan", "mat_khau") in hits
    assert ("core.db.password-fast-hash", "public.khach_hang_cu", "password") in hits
    assert not any(h[1] == "public.nhan_vien" for h in hits)


def test_posture_settings_roles_hba_grants(pg: tuple[str, Any]) -> None:
    url, conn = pg
    role = "auditor_t_su_" + secrets.token_hex(3)
    conn.execute(f"CREATE ROLE {role} LOGIN SUPERUSER")
    conn.execute(f"CREATE ROLE {role}_md5 LOGIN")
    conn.execute("ALTER DEFAULT PRIVILEGES IN SCHEMA bao_cao GRANT SELECT ON TABLES TO PUBLIC")
    conn.execute("SET password_encryption = 'md5'")
    conn.execute(f"ALTER ROLE {role}_md5 PASSWORD 'not-a-real-secret'")
    try:
        result = run(DatabaseScanner(no_pii), url)
    finally:
        conn.execute(f"DROP ROLE {role}")
        conn.execute(f"DROP ROLE {role}_md5")
    settings = {o.attributes["name"]: o.attributes["value"] for o in result.kind("db.setting")}
    assert {"ssl", "password_encryption", "log_connections"} <= set(settings)
    accounts = {o.attributes["name"]: o.attributes for o in result.kind("db.account")}
    assert accounts[role]["superuser"] is True and accounts[role]["bootstrap"] is False
    assert accounts[f"{role}_md5"]["password"] == "md5"
    assert accounts["postgres"]["bootstrap"] is True
    hba = result.kind("db.hba_rule")
    assert hba and all("method" in o.attributes for o in hba)
    grants = {o.location.table: o.attributes for o in result.kind("db.grant")
              if o.attributes["scope"] == "table"}
    assert grants["public.cong_dan"]["privileges"] == ["SELECT"]
    defaults = [o.attributes for o in result.kind("db.grant")
                if o.attributes["scope"] == "default"]
    assert defaults == [{"dialect": "postgresql", "grantee": "PUBLIC", "privileges": ["SELECT"],
                         "scope": "default", "object": "bao_cao", "table_has_pii": False,
                         "pii_entities": []}]
    hits = result.rule_hits()
    assert ("core.db.public-grant", "default:bao_cao", "") in hits
    assert ("core.db.superuser-role", f"role:{role}", "") in hits
    assert ("core.db.role-md5-password", f"role:{role}_md5", "") in hits
    # NOTE: even without the PII engine, the ISO 19794 fingerprint column makes the table
    # personal (binary format detection), so the PUBLIC grant is the PII one.
    assert ("core.db.public-grant-pii", "public.cong_dan", "") in hits
    assert not any(h[1].startswith("schema:") for h in hits)
    if settings["ssl"] == "off":
        assert ("core.db.ssl-disabled", "ssl", "") in hits
    assert hba, "pg_hba_file_rules is readable as superuser"
    for obs in hba:  # live rules carry the pg_hba.conf file attributes (same rules)
        assert {"type", "database", "user", "address", "method", "address_any",
                "address_loopback"} <= set(obs.attributes)
        assert obs.attributes["source"] == "server"
        if obs.attributes["method"] == "trust" and obs.attributes["address_loopback"]:
            assert ("core.pg-hba.trust-local", obs.location.key, "") in hits
        if obs.attributes["method"] == "trust" and not obs.attributes["address_loopback"]:
            assert ("core.pg-hba.trust", obs.location.key, "") in hits


# ---- read-only proof -----------------------------------------------------------------
def test_scan_changes_nothing(pg: tuple[str, Any]) -> None:
    url, conn = pg
    before_sums, before = _checksums(conn), _write_counters(conn)
    sampled = run(DatabaseScanner(no_pii), url)
    full = run(DatabaseScanner(no_pii), url, full=True)
    assert not sampled.problems and not full.problems
    assert sampled.error is None and full.error is None
    deadline = time.monotonic() + 10
    after = _write_counters(conn)
    while time.monotonic() < deadline and after["public.cong_dan"][4] == before[
            "public.cong_dan"][4]:
        time.sleep(0.3)  # NOTE: statistics reach the shared counters asynchronously
        after = _write_counters(conn)
    assert _checksums(conn) == before_sums
    for table, counters in before.items():
        assert after[table][:4] == counters[:4], f"write counters changed on {table}"
    assert after["public.cong_dan"][4] > before["public.cong_dan"][4], "scan did not read"


def test_write_inside_scan_session_fails(pg: tuple[str, Any]) -> None:
    url, conn = pg
    psycopg = pytest.importorskip("psycopg")
    with Session(parse_url(url), DbSettings(), Budget(None)) as session:
        for statement in ("INSERT INTO tai_khoan VALUES (9999, 'x', 'y')",
                          "UPDATE cong_dan SET ho_ten = 'x'", "CREATE TABLE t_new (a int)",
                          "DELETE FROM nhan_vien"):
            with pytest.raises(Exception) as info, session.read() as c:
                c.exec_driver_sql(statement)
            assert isinstance(getattr(info.value, "orig", None),
                              psycopg.errors.ReadOnlySqlTransaction)
    assert conn.execute("SELECT count(*) FROM tai_khoan WHERE id = 9999").fetchone()[0] == 0


# ---- errors --------------------------------------------------------------------------
def test_unreachable_server_is_a_target_error_without_password() -> None:
    secret = "Unreach" + secrets.token_hex(4)
    result = run(DatabaseScanner(no_pii), f"postgresql://postgres:{secret}@127.0.0.1:1/db",
                 uri="postgresql://postgres@127.0.0.1:1/db")
    assert result.error is not None
    message = str(result.error)
    assert message.startswith("cannot connect to postgresql://postgres@127.0.0.1:1/db")
    assert "refused" in message.lower()
    assert secret not in message


def test_permission_denied_on_a_table_is_a_problem(pg: tuple[str, Any]) -> None:
    url, conn = pg
    role = "auditor_t_ro_" + secrets.token_hex(3)
    conn.execute(f"CREATE ROLE {role} LOGIN")
    conn.execute(f"GRANT USAGE ON SCHEMA public, bao_cao TO {role}")
    conn.execute(f"GRANT SELECT ON tai_khoan, khach_hang_cu, bao_cao.thong_ke TO {role}")
    conn.execute("REVOKE SELECT ON cong_dan FROM PUBLIC")
    try:
        limited = url.replace("://postgres@", f"://{role}@")
        result = run(DatabaseScanner(no_pii), limited)
    finally:
        conn.execute(f"DROP OWNED BY {role}")
        conn.execute(f"DROP ROLE {role}")
    # NOTE: issue 17 item 3: tables not read make the target incomplete, never "ok"
    assert "2 of 5 tables could not be read" in str(result.error)
    denied = {p.location.table: p.message for p in result.problems
              if p.location and p.location.table}
    assert set(denied) == {"public.cong_dan", "public.nhan_vien"}
    assert "permission denied" in denied["public.cong_dan"]
    assert any("pg_hba_file_rules not checked" in p.message for p in result.problems)
    tables = {o.location.table for o in result.kind("db.password_column")}
    assert tables == {"public.tai_khoan", "public.khach_hang_cu"}


def test_table_dropped_mid_scan_is_a_problem(pg: tuple[str, Any]) -> None:
    url, conn = pg
    conn.execute("CREATE TABLE a_first (id int, password text);"
                 "INSERT INTO a_first VALUES (1, 'plain');"
                 "CREATE TABLE b_dropped (id int, password text);"
                 "INSERT INTO b_dropped VALUES (1, 'plain');")
    scanner = DatabaseScanner(no_pii)
    options = ScanContext(as_of=dt.date(2026, 1, 1), hash_key=HASH_KEY)
    seen: list[Observation | Problem] = []
    with pytest.raises(TargetError, match=r"1 of [0-9]+ tables could not be read"):
        for item in scanner.scan(Target(url, url, "postgresql", "database", is_file=False),
                                 options):
            seen.append(item)
            if isinstance(item, Observation) and item.location.table == "public.a_first":
                conn.execute("DROP TABLE b_dropped")
    problems = [p for p in seen if isinstance(p, Problem)]
    assert [p.location.table for p in problems if p.location] == ["public.b_dropped"]
    assert "does not exist" in problems[0].message
    later = {o.location.table for o in seen if isinstance(o, Observation)
             and o.kind == "db.password_column"}
    assert {"public.tai_khoan", "public.nhan_vien", "public.khach_hang_cu"} <= later


def test_time_budget_stops_the_scan(pg: tuple[str, Any]) -> None:
    url, conn = pg
    conn.execute("CREATE TABLE zz_big AS SELECT g AS id, md5(g::text) AS notes "
                 "FROM generate_series(1, 300000) g")
    result = run(DatabaseScanner(no_pii), url, full=True, time_budget=0.3)
    assert result.error is not None
    assert "time budget of 0.3 s exhausted" in str(result.error)


# ---- sampling --------------------------------------------------------------------------
def test_sampling_is_bounded_deterministic_and_uses_tablesample(pg: tuple[str, Any]) -> None:
    url, conn = pg
    conn.execute("CREATE TABLE lon (id int PRIMARY KEY, password text)")
    conn.execute("INSERT INTO lon SELECT g, CASE WHEN g % 2 = 0 THEN md5(g::text) "
                 "ELSE 'plain' || g END FROM generate_series(1, 60000) g")
    conn.execute("ANALYZE lon")
    first = run(DatabaseScanner(no_pii), url, sample_size=300, seed=7, include="public.lon")
    again = run(DatabaseScanner(no_pii), url, sample_size=300, seed=7, include="public.lon")
    (obs,) = first.kind("db.password_column")
    assert obs.attributes["sampling"] == "tablesample"
    assert obs.attributes["rows_read"] == 300
    assert first.observations == again.observations
    full = run(DatabaseScanner(no_pii), url, full=True, include="public.lon")
    (whole,) = full.kind("db.password_column")
    assert whole.attributes["sampling"] == "full"
    assert whole.attributes["rows_read"] == 60000
    assert whole.attributes["storage_counts"] == {"md5": 30000, "plaintext": 30000}


@pytest.mark.parametrize(("include", "exclude", "tables"), [
    ("bao_cao", None, {"bao_cao.thong_ke"}),
    ("public.tai_*,public.nhan_*", None, {"public.tai_khoan", "public.nhan_vien"}),
    (None, "public", {"bao_cao.thong_ke"}),
])
def test_include_exclude(pg: tuple[str, Any], include: str | None, exclude: str | None,
                         tables: set[str]) -> None:
    url, _ = pg
    params = {k: v for k, v in (("include", include), ("exclude", exclude)) if v}
    seen: set[str] = set()

    def recorder(column: str, values: Sequence[str], table: str) -> Verdict:
        seen.add(table)
        return no_pii(b"")(column, values, table)

    result = run(DatabaseScanner(lambda key: recorder), url, **params)
    assert result.error is None
    assert seen == tables
