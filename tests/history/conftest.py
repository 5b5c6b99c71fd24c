"""Stores for the history tests: a real SQLite file and a real PostgreSQL database
(created for the test, named ``auditor_history_<random>``, dropped afterwards)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_ADMIN = os.environ.get("AUDITOR_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _pg_connect(dbname: str | None = None) -> object:
    psycopg = pytest.importorskip("psycopg")
    from sqlalchemy.engine import make_url
    url = make_url(PG_ADMIN)
    try:
        return psycopg.connect(host=url.host, port=url.port or 5432, user=url.username,
                               password=url.password, dbname=dbname or url.database or
                               "postgres", autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL not reachable: {type(exc).__name__}")


@pytest.fixture(scope="session")
def _pg_database() -> Iterator[str]:
    """One PostgreSQL database for the session (creating one per test is slow)."""
    admin = _pg_connect()
    name = "auditor_history_" + secrets.token_hex(4)
    admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[attr-defined]
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[attr-defined]
        admin.close()  # type: ignore[attr-defined]


@pytest.fixture
def pg_store_url(_pg_database: str) -> str:
    """The session's PostgreSQL database, emptied: no tables, as a new store."""
    from sqlalchemy.engine import make_url
    conn = _pg_connect(make_url(_pg_database).database)
    try:
        conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")  # type: ignore[attr-defined]
    finally:
        conn.close()  # type: ignore[attr-defined]
    return _pg_database


def pg_all_text(url: str) -> str:
    """Every row of every table of the database at ``url``, as text."""
    from sqlalchemy.engine import make_url
    conn = _pg_connect(make_url(url).database)
    try:
        tables = [r[0] for r in conn.execute(  # type: ignore[attr-defined]
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()]
        assert tables, "no tables in the store"
        parts = []
        for t in tables:
            rows = conn.execute(f'SELECT t::text FROM "{t}" t').fetchall()  # type: ignore[attr-defined]
            parts.extend(r[0] for r in rows)
        return "\n".join(parts)
    finally:
        conn.close()  # type: ignore[attr-defined]


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test twice: a real SQLite file and a real PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store' / 'history.sqlite'}"
    url: str = request.getfixturevalue("pg_store_url")
    return url
