"""A database account that cannot read the tables (issue 17, item 3): "permission denied"
on every table is a target error (exit 3), never an "ok" target whose requirements pass.
Real PostgreSQL and MariaDB roles without grants, no mocks."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from auditor.scanners.database import DatabaseScanner
from auditor.scanners.database.urls import parse_url

from auditor.cli import main
from tests.scanners.dbsupport import my_scratch, no_pii, pg_scratch, run

ROWS = [(i, f"Nguyễn Văn {chr(65 + i % 26)}", f"0010990{i:05d}", f"{i:032x}")
        for i in range(1, 60)]
DB_KINDS = ("core.db.",)


def _role() -> str:
    return "auditor_hard_a_" + secrets.token_hex(4)


@contextmanager
def pg_without_grants() -> Iterator[tuple[str, str]]:
    """(admin URL, URL of a LOGIN role with no SELECT on any table) of a fresh database."""
    with pg_scratch() as (admin_url, conn):
        role = _role()
        conn.execute(f"CREATE ROLE {role} LOGIN")
        try:
            conn.execute("CREATE TABLE cong_dan (id int, ho_ten text, cccd text, password text)")
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO cong_dan VALUES (%s, %s, %s, %s)", ROWS)
            conn.execute("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC")
            user = parse_url(admin_url).user
            yield admin_url, admin_url.replace(f"://{user}@", f"://{role}@")
        finally:
            conn.execute(f"DROP OWNED BY {role}")
            # NOTE: the role outlives nothing: the scratch database is dropped next
            conn.execute(f"DROP ROLE IF EXISTS {role}")


@contextmanager
def mysql_without_grants() -> Iterator[tuple[str, str]]:
    with my_scratch() as (admin_url, admin):
        user = _role()[:32]
        with admin.cursor() as cur:
            cur.execute("CREATE TABLE cong_dan (id INT, ho_ten TEXT, cccd TEXT, password TEXT)")
            cur.executemany("INSERT INTO cong_dan VALUES (%s, %s, %s, %s)", ROWS)
            cur.execute(f"CREATE USER '{user}'@'%'")
            # NOTE: it may see the table exists (SHOW VIEW-less metadata) but not read it
            name = admin_url.rsplit("/", 1)[1]
            cur.execute(f"GRANT SHOW VIEW ON `{name}`.* TO '{user}'@'%'")
        try:
            base_user = parse_url(admin_url).user
            yield admin_url, admin_url.replace(f"://{base_user}@", f"://{user}@")
        finally:
            with admin.cursor() as cur:
                cur.execute(f"DROP USER IF EXISTS '{user}'@'%'")


SOURCES = [pytest.param(pg_without_grants, marks=pytest.mark.postgres, id="postgresql"),
           pytest.param(mysql_without_grants, marks=pytest.mark.mysql, id="mariadb")]


@pytest.mark.parametrize("source", SOURCES)
def test_no_select_on_tables_is_a_target_error(source: Any) -> None:
    with source() as (admin_url, limited_url):
        full = run(DatabaseScanner(no_pii), admin_url)
        limited = run(DatabaseScanner(no_pii), limited_url)
    assert full.error is None
    assert full.kind("db.password_column"), "the admin sees the plaintext password column"
    assert limited.error is not None
    assert "1 of 1 tables could not be read" in str(limited.error)
    assert "denied" in str(limited.error).lower()
    assert not limited.kind("db.password_column")


@pytest.mark.parametrize("source", SOURCES)
def test_no_select_scan_exits_3_and_never_passes(
        source: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with source() as (_, limited_url):
        code = main(["scan", limited_url, "--format", "json", "-o", str(tmp_path), "-q",
                     "--framework", "vn-pdpl-2025", "--jobs", "1", "--fail-on", "never"])
    assert code == 3, capsys.readouterr().err
    doc = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    (target,) = doc["targets"]
    assert target["status"] == "error"
    db_reqs = [c for c in doc["compliance"]
               if any(r.startswith(DB_KINDS) for r in c["rules"])]
    assert db_reqs and "pass" not in {c["status"] for c in db_reqs}


@pytest.mark.postgres
def test_unreadable_pg_hba_rules_leave_their_requirements_not_assessed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A role that may read the tables but not ``pg_hba_file_rules`` (superuser only): the
    target is scanned ("ok"), the problem names the kind it left unchecked, and a
    requirement that only the pg_hba rules could have assessed here is not "pass"."""
    psycopg = pytest.importorskip("psycopg")
    with pg_without_grants() as (admin_url, limited_url):
        role = parse_url(limited_url).user
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"GRANT SELECT ON cong_dan TO {role}")
        code = main(["scan", limited_url, "--format", "json", "-o", str(tmp_path), "-q",
                     "--jobs", "1", "--fail-on", "never"])
        assert code == 0, capsys.readouterr().err
        doc = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
        admin_dir = tmp_path / "admin"
        assert main(["scan", admin_url, "--format", "json", "-o", str(admin_dir), "-q",
                     "--jobs", "1", "--fail-on", "never"]) == 0
        admin = json.loads((admin_dir / "report.json").read_text(encoding="utf-8"))
    (target,) = doc["targets"]
    assert target["status"] == "ok"
    (problem,) = [p for p in target["problems"] if "pg_hba_file_rules" in p["message"]]
    assert problem["unchecked"] == ["db.hba_rule"]
    # requirements that no other database rule (core.db.*) assesses: the pg_hba rules
    # were the only evidence a database scan could give for them
    hba_only = [c for c in doc["compliance"]
                if any(r.startswith("core.pg-hba.") for r in c["rules"])
                and not any(r.startswith(DB_KINDS) for r in c["rules"])]
    assert ("iso27001-2022", "A.8.20") in {(c["framework"], c["requirement"])
                                           for c in hba_only}
    for item in hba_only:
        assert item["status"] != "pass", (item["framework"], item["requirement"])
    # the superuser's scan read the rules: the same requirements are assessed there
    by_req = {(c["framework"], c["requirement"]): c["status"] for c in admin["compliance"]}
    assert any(by_req[(c["framework"], c["requirement"])] != "not_assessed" for c in hba_only)
