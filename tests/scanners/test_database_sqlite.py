"""Database scanner on SQLite files (stdlib driver, opened read-only), the demo fixture,
its deterministic generator, and the CLI end to end."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from auditor.scanners.database import DatabaseScanner
from auditor.scanners.database.options import Budget, DbSettings
from auditor.scanners.database.session import Session
from auditor.scanners.database.urls import DbUrl

from auditor.cli import main as cli_main
from auditor.scanner import Candidate
from tests.scanners.dbsupport import REPO, assert_no_leak, no_pii, real_pii, run

DEMO = REPO / "fixtures" / "demo" / "db"
_spec = importlib.util.spec_from_file_location("gen_db", REPO / "fixtures" / "gen_db.py")
assert _spec and _spec.loader
gen_db = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen_db)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    target = tmp_path / "citizens.sqlite"
    shutil.copy(DEMO / "citizens.sqlite", target)
    return target


# ---- the demo database: golden expectations -------------------------------------------
#: (rule id, table, column) the demo database must produce, with the real PII engine
GOLDEN = {
    ("core.db.pii-cleartext", "main.cong_dan", "so_cccd"),
    ("core.db.pii-cleartext", "main.cong_dan", "so_dien_thoai"),
    ("core.db.pii-cleartext", "main.cong_dan", "email"),
    ("core.db.pii-cleartext", "main.cong_dan", "ho_ten"),
    ("core.db.pii-cleartext", "main.cong_dan", "ma_so_thue"),
    ("core.db.pii-cleartext-sensitive", "main.cong_dan", "dan_toc"),
    ("core.db.pii-cleartext-sensitive", "main.cong_dan", "ton_giao"),
    ("core.db.pii-cleartext-sensitive", "main.cong_dan", "van_tay"),
    ("core.db.password-plaintext", "main.tai_khoan", "mat_khau"),
    ("core.db.password-fast-hash", "main.khach_hang_cu", "password"),
}
DECOYS = ("ma_ho_so", "ma_giao_dich", "cccd_ma_hoa", "email_template", "id")


def test_demo_database_golden_findings(demo_copy: Path) -> None:
    result = run(DatabaseScanner(real_pii()), str(demo_copy), uri="db/citizens.sqlite",
                 is_file=True)
    assert result.error is None and not result.problems
    hits = result.rule_hits()
    missing = GOLDEN - hits
    assert not missing, f"missing findings: {sorted(missing)}"
    flagged = {h[2] for h in hits if h[1] == "main.cong_dan"}
    assert not flagged & set(DECOYS), f"decoys flagged: {flagged & set(DECOYS)}"
    assert not any(h[1:] == ("main.nhan_vien", "password_hash") for h in hits), \
        "bcrypt column flagged"
    assert ("core.db.pii-cleartext", "main.nhan_vien", "email_cong_vu") in hits
    json_keys = {o.attributes.get("json_key") for o in result.kind("pii.column")
                 if o.location.column == "thong_tin_lien_he"}
    assert {"lien_he.sdt", "lien_he.email"} <= json_keys


def test_demo_scan_is_deterministic_and_does_not_leak(demo_copy: Path) -> None:
    first = run(DatabaseScanner(real_pii()), str(demo_copy), is_file=True)
    again = run(DatabaseScanner(real_pii()), str(demo_copy), is_file=True)
    assert first.observations == again.observations
    assert [f.fingerprint for f in first.findings()] == [f.fingerprint for f in again.findings()]
    conn = sqlite3.connect(demo_copy)
    canaries = [str(v) for v in conn.execute(
        "SELECT so_cccd FROM cong_dan UNION SELECT so_dien_thoai FROM cong_dan "
        "UNION SELECT mat_khau FROM tai_khoan UNION SELECT email FROM cong_dan").fetchall()]
    conn.close()
    assert_no_leak(first, *[c.strip("(),'") for c in canaries])


# ---- read-only -----------------------------------------------------------------------
def test_sqlite_scan_changes_nothing(demo_copy: Path) -> None:
    before, mtime = _sha(demo_copy), demo_copy.stat().st_mtime_ns
    for full in (False, True):
        result = run(DatabaseScanner(no_pii), f"sqlite:///{demo_copy}", full=full)
        assert result.error is None and not result.problems
    assert _sha(demo_copy) == before and demo_copy.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in demo_copy.parent.iterdir()) == ["citizens.sqlite"]


def test_write_inside_sqlite_session_fails(demo_copy: Path) -> None:
    before = _sha(demo_copy)
    with Session(DbUrl("sqlite", "sqlite", database=str(demo_copy)), DbSettings(),
                 Budget(None)) as session:
        for statement in ("INSERT INTO tai_khoan VALUES (9999, 'x', 'y')",
                          "DELETE FROM cong_dan", "CREATE TABLE t (a)", "PRAGMA user_version = 7"):
            with pytest.raises(Exception, match=r"readonly|read-only|query_only"), \
                    session.read() as c:
                c.exec_driver_sql(statement)
    assert _sha(demo_copy) == before


# ---- errors ----------------------------------------------------------------------------
def test_missing_file_is_a_target_error(tmp_path: Path) -> None:
    result = run(DatabaseScanner(no_pii), f"sqlite:///{tmp_path / 'nope.db'}")
    assert result.error is not None and "unable to open database file" in str(result.error)
    assert not (tmp_path / "nope.db").exists(), "a read-only scan must not create the file"


def test_corrupt_file_is_a_target_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.sqlite"
    path.write_bytes(b"SQLite format 3\x00" + os.urandom(4000))
    result = run(DatabaseScanner(no_pii), str(path), is_file=True)
    assert result.error is not None
    assert "not a database" in str(result.error) or "malformed" in str(result.error)


def test_unreadable_table_is_a_problem_and_the_rest_is_scanned(tmp_path: Path) -> None:
    path = tmp_path / "partly.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript("CREATE TABLE a (id INTEGER PRIMARY KEY, password TEXT);"
                       "INSERT INTO a VALUES (1, 'plain');"
                       "CREATE VIRTUAL TABLE b USING fts4(password);"
                       "INSERT INTO b VALUES ('plain');"
                       "CREATE TABLE c (id INTEGER PRIMARY KEY, pwd TEXT);"
                       "INSERT INTO c VALUES (1, 'plain');")
    conn.close()
    # NOTE: corrupt table b's shadow content by renaming it: reading b then fails
    conn = sqlite3.connect(path)
    conn.execute("ALTER TABLE b_content RENAME TO b_gone")
    conn.commit()
    conn.close()
    result = run(DatabaseScanner(no_pii), str(path), is_file=True)
    assert "tables could not be read" in str(result.error)  # incomplete, not "ok"
    tables = {o.location.table for o in result.kind("db.password_column")}
    assert {"main.a", "main.c"} <= tables
    assert any(p.location and p.location.table == "main.b" for p in result.problems)


# ---- sampling --------------------------------------------------------------------------
def test_rowid_key_range_sampling(tmp_path: Path) -> None:
    path = tmp_path / "big.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (pwd TEXT)")
    conn.executemany("INSERT INTO t VALUES (?)",
                     ((hashlib.md5(str(i).encode()).hexdigest(),) for i in range(30000)))
    conn.commit()
    conn.close()
    first = run(DatabaseScanner(no_pii), str(path), is_file=True, sample_size=100, seed=5)
    again = run(DatabaseScanner(no_pii), str(path), is_file=True, sample_size=100, seed=5)
    assert first.observations == again.observations
    (obs,) = first.kind("db.password_column")
    assert (obs.attributes["sampling"], obs.attributes["rows_read"],
            obs.attributes["storage"]) == ("key-ranges", 100, "md5")
    assert obs.attributes["row_estimate"] == 30000


# ---- claiming and the generator --------------------------------------------------------
@pytest.mark.parametrize(("head", "compression", "claimed"), [
    (b"SQLite format 3\x00" + bytes(84), None, True),
    (b"SQLite format 3\x00", "gzip", False),
    (b"SQLite format 2\x00", None, False),
    (b"-- PostgreSQL database dump\n", None, False),
])
def test_claim_by_magic(head: bytes, compression: str | None, claimed: bool) -> None:
    cand = Candidate(path="/x", uri="x", name="x.db", size=100, head=head,
                     compression=compression)
    claim = DatabaseScanner().claim(cand)
    assert (claim is not None and claim.confidence == 100) is claimed


@pytest.mark.parametrize(("url", "kind"), [
    ("postgresql://u@h/db", "postgresql"), ("postgres://h/db", "postgresql"),
    ("mysql://root@h:3306/x", "mysql"), ("mariadb://h/x", "mysql"),
    ("sqlite:///tmp/a.db", "sqlite"), ("https://example.com", None),
])
def test_claim_url(url: str, kind: str | None) -> None:
    claim = DatabaseScanner().claim_url(url)
    assert (claim.kind if claim else None) == kind


def test_generator_is_deterministic(tmp_path: Path) -> None:
    counts = {"cong_dan": 40, "tai_khoan": 5, "nhan_vien": 5, "khach_hang_cu": 5}
    one = gen_db.generate(tmp_path / "one", counts)
    two = gen_db.generate(tmp_path / "two", counts)
    for a, b in zip(one, two, strict=True):
        if a.suffix == ".sqlite":
            dump_a = "\n".join(sqlite3.connect(a).iterdump())
            dump_b = "\n".join(sqlite3.connect(b).iterdump())
            assert dump_a == dump_b
        else:
            assert a.read_bytes() == b.read_bytes()


def test_committed_demo_files_match_the_generator(tmp_path: Path) -> None:
    fresh = gen_db.generate(tmp_path, None)
    for path in fresh:
        committed = DEMO / path.name
        if path.suffix == ".sqlite":
            assert "\n".join(sqlite3.connect(path).iterdump()) == \
                "\n".join(sqlite3.connect(committed).iterdump())
        else:
            assert path.read_bytes() == committed.read_bytes(), f"{path.name} is stale"


# ---- the CLI, end to end -------------------------------------------------------------
def test_cli_scan_of_the_demo_databases(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    real_pii()
    out = tmp_path / "out"
    code = cli_main(["scan", str(DEMO), "--format", "json", "-o", str(out), "--jobs", "1",
                     "--quiet"])
    assert code == 1
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    targets = {Path(t["uri"]).name: t for t in report["targets"]}
    assert {targets[n]["scanner"] for n in ("citizens.sqlite",)} == {"database"}
    assert {targets[n]["scanner"] for n in ("citizens_pg.sql", "citizens_mysql.sql.gz")} == {
        "sqldump"}
    assert all(t["status"] == "ok" for t in targets.values())
    rules = {(f["rule_id"], f["location"].get("table"), f["location"].get("column"))
             for f in report["findings"] if f["location"]["uri"].endswith("citizens.sqlite")}
    assert rules >= GOLDEN


def test_full_mode_finds_sparse_personal_data_the_sample_misses(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE nhat_ky (id INTEGER PRIMARY KEY, ghi_chu TEXT)")
    conn.executemany("INSERT INTO nhat_ky VALUES (?, ?)", (
        (i, f"Khách hẹn gọi lại số 0912{i:06d}" if i % 1000 == 500 else
         "Đã tiếp nhận và xử lý hồ sơ") for i in range(1, 30001)))
    conn.commit()
    conn.close()
    classify = real_pii()
    sampled = run(DatabaseScanner(classify), str(path), is_file=True, seed=1)
    assert not sampled.kind("pii.column")
    full = run(DatabaseScanner(classify), str(path), is_file=True, full=True)
    (obs,) = full.kind("pii.column")
    assert obs.location.column == "ghi_chu" and "VN_PHONE" in obs.entities
    assert obs.attributes["sample_size"] == 30000 and obs.attributes["sampling"] == "full"


def test_schema_fingerprint_follows_the_structure(demo_copy: Path) -> None:
    def fingerprint() -> str:
        result = run(DatabaseScanner(no_pii), str(demo_copy), is_file=True,
                     include="main.tai_khoan")
        assert not result.kind("target.fingerprint"), "recorded through the context"
        assert result.fingerprint is not None
        return result.fingerprint

    first = fingerprint()
    assert fingerprint() == first
    conn = sqlite3.connect(demo_copy)
    conn.execute("ALTER TABLE nhan_vien ADD COLUMN ghi_chu TEXT")
    conn.commit()
    conn.close()
    assert fingerprint() != first


def test_invalid_utf8_text_does_not_hide_the_table(tmp_path: Path) -> None:
    path = tmp_path / "latin.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, password TEXT)")
    conn.execute("INSERT INTO t VALUES (1, CAST(x'6d61c3' AS TEXT)), (2, 'plain')")
    conn.commit()
    conn.close()
    result = run(DatabaseScanner(no_pii), str(path), is_file=True)
    assert result.error is None and not result.problems
    (obs,) = result.kind("db.password_column")
    assert obs.attributes["storage"] == "plaintext" and obs.attributes["sample_size"] == 2


def test_bad_option_is_a_clear_target_error(demo_copy: Path) -> None:
    result = run(DatabaseScanner(no_pii), str(demo_copy), is_file=True, sample_size="lots")
    assert result.error is not None
    assert "invalid scanner option: option database.sample_size must be a number" in str(
        result.error)


def test_ciphertext_columns_are_protected_and_not_findings(tmp_path: Path) -> None:
    import base64
    import random

    rng = random.Random(7)
    path = tmp_path / "enc.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE ho_so (id INTEGER PRIMARY KEY, van_tay BLOB, van_tay_goc BLOB, "
                 "ton_giao_ma_hoa TEXT)")
    conn.executemany("INSERT INTO ho_so VALUES (?, ?, ?, ?)", [
        (i, rng.randbytes(300), b"FMR\x00 20\x00" + rng.randbytes(300),
         "gAAAAA" + base64.urlsafe_b64encode(rng.randbytes(90)).decode())
        for i in range(1, 301)])
    conn.commit()
    conn.close()
    result = run(DatabaseScanner(real_pii()), str(path), is_file=True)
    cols = result.columns()
    encrypted = cols[("main.ho_so", "van_tay")].attributes
    assert (encrypted["protected"], encrypted["protection"]) == (True, "random-bytes")
    assert "BIOMETRIC" in encrypted["categories"]
    assert cols[("main.ho_so", "van_tay_goc")].attributes["protected"] is False
    religion = cols.get(("main.ho_so", "ton_giao_ma_hoa"))
    assert religion is None or religion.attributes["protection"] == "fernet"
    hits = result.rule_hits()
    assert ("core.db.pii-cleartext-sensitive", "main.ho_so", "van_tay_goc") in hits
    assert not {h for h in hits if h[2] in {"van_tay", "ton_giao_ma_hoa"}}


@pytest.mark.parametrize("timeout", [0.001])
def test_statement_timeout_is_a_table_problem(tmp_path: Path, timeout: float) -> None:
    path = tmp_path / "slow.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (pwd TEXT)")
    conn.executemany("INSERT INTO t VALUES (?)", ((f"p{i}",) for i in range(200000)))
    conn.commit()
    conn.close()
    result = run(DatabaseScanner(no_pii), str(path), is_file=True, full=False,
                 statement_timeout=timeout, sample_size=200000)
    assert "1 of 1 tables could not be read" in str(result.error)
    assert [p.location.table for p in result.problems if p.location] == ["main.t"]
    assert "interrupted" in result.problems[0].message


def test_max_tables_limits_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "many.sqlite"
    conn = sqlite3.connect(path)
    for name in ("a", "b", "c"):
        conn.execute(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, password TEXT)")
        conn.execute(f"INSERT INTO {name} VALUES (1, 'plain')")
    conn.commit()
    conn.close()
    result = run(DatabaseScanner(no_pii), str(path), is_file=True, max_tables=2)
    assert {o.location.table for o in result.kind("db.password_column")} == {"main.a", "main.b"}
    assert [p.message for p in result.problems] == [
        "3 tables selected, only the first 2 scanned (database.max_tables)"]


def test_misleading_names_with_contradicting_values_are_not_personal(tmp_path: Path) -> None:
    path = tmp_path / "decoys.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE ho_so (id INTEGER PRIMARY KEY, so_cccd TEXT, phone TEXT, "
                 "email TEXT, ma_ho_so TEXT, ma_giao_dich TEXT, password_hash TEXT)")
    conn.executemany("INSERT INTO ho_so VALUES (?, ?, ?, ?, ?, ?, ?)", [
        (i, f"2024{i * 7919 % 10**8:08d}", f"iPhone {12 + i % 4} Pro", "n/a",
         f"2025{i * 104729 % 10**8:08d}", f"{i:08x}-1c2d-4e5f-8a9b-{i * 31:012x}",
         "$2b$12$" + hashlib.sha256(str(i).encode()).hexdigest()[:53].ljust(53, "a"))
        for i in range(1, 401)])
    conn.commit()
    conn.close()
    result = run(DatabaseScanner(real_pii()), str(path), is_file=True)
    assert result.error is None and not result.problems
    assert result.kind("pii.column") == []
    assert result.findings() == []


def test_a_category_column_whose_values_look_like_names_counts_no_subjects(
        tmp_path: Path) -> None:
    """"Cao Đài" (a religion) reads like a surname and a given name: the table's context
    drops PERSON from the religion column, and with it the subject count and the masked
    name examples; the real name column keeps both."""
    db = tmp_path / "dan_cu.sqlite"
    faiths = ["Cao Đài", "Phật giáo", "Công giáo", "Không", "Tin Lành"]
    people = ["Nguyễn Văn An", "Trần Thị Bích", "Lê Hoàng Cường", "Phạm Minh Đức",
              "Hoàng Thị Giang", "Vũ Quốc Huy", "Đặng Thu Hà", "Bùi Anh Khoa"]
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE cong_dan (id INTEGER PRIMARY KEY, ho_ten TEXT, ton_giao TEXT)")
        conn.executemany("INSERT INTO cong_dan (ho_ten, ton_giao) VALUES (?, ?)",
                         [(f"{people[i % 8]} {chr(65 + i % 26)}", faiths[i % 5])
                          for i in range(200)])
    result = run(DatabaseScanner(real_pii()), str(db), is_file=True)
    columns = {o.location.column: o for o in result.kind("pii.column")}
    religion = columns["ton_giao"]
    assert religion.attributes["categories"] == ["RELIGION"]
    assert "PERSON" not in religion.entities
    assert religion.subjects is None
    assert "examples" not in religion.evidence
    assert columns["ho_ten"].subjects and columns["ho_ten"].subjects > 1
