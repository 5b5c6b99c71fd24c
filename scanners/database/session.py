"""Read-only database sessions with statement timeouts, and password-free error messages.

Every read happens inside :meth:`Session.read`, a short read-only transaction:

- PostgreSQL: the connection starts with ``default_transaction_read_only=on`` and a
  ``lock_timeout``; each transaction runs ``SET TRANSACTION READ ONLY`` and
  ``SET LOCAL statement_timeout``.
- MySQL / MariaDB: ``SET SESSION TRANSACTION READ ONLY`` at connect, then
  ``START TRANSACTION READ ONLY`` with ``max_execution_time`` (MySQL, ms) or
  ``max_statement_time`` (MariaDB, s).
- SQLite: the stdlib driver opens ``file:PATH?mode=ro`` (URI) with ``PRAGMA query_only``;
  a progress handler interrupts a statement that runs past its timeout.

Transactions end with ROLLBACK. NOTE: one transaction per table (not one for the whole
scan) so the scanner never holds locks on every table at once and never blocks the
application's DDL for the length of a scan.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from auditor.errors import TargetError

from .options import Budget, DbSettings
from .urls import DbUrl, scrub

__all__ = ["CONNECT_TIMEOUT_S", "Session", "describe_error"]

#: seconds to establish a connection: TCP connect *and* the server's first answer (a
#: server that accepts and then stays silent is given up on after this, too)
CONNECT_TIMEOUT_S = 10.0


def describe_error(exc: BaseException, dburl: DbUrl) -> str:
    """A one-line, password-free description of a driver error."""
    orig = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    args: tuple[object, ...] = tuple(getattr(orig, "args", ()))
    if len(args) >= 2 and isinstance(args[0], int):  # PyMySQL: (code, message)
        message = f"{args[1]} (error {args[0]})"
    else:
        message = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    message = message.removeprefix("connection failed: ")
    return scrub(message, dburl.password)


def _sqlite_connect(path: str) -> sqlite3.Connection:
    uri = f"file:{quote(path)}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
    # NOTE: SQLite does not enforce encodings; invalid UTF-8 in a TEXT value must not
    # make a whole table unreadable (the bytes survive as surrogates).
    conn.text_factory = lambda raw: raw.decode("utf-8", "surrogateescape")
    conn.execute("PRAGMA query_only = ON")
    return conn


class Session:
    """One read-only connection to the scanned database (a context manager)."""

    def __init__(self, dburl: DbUrl, settings: DbSettings, budget: Budget, *,
                 connect_timeout: float = CONNECT_TIMEOUT_S) -> None:
        self.dburl = dburl
        self.connect_timeout = connect_timeout
        self.settings = settings
        self.budget = budget
        self.dialect = dburl.dialect
        self.is_mariadb = False
        self.server_version = ""
        self._deadline = float("inf")
        self._engine = self._make_engine()
        try:
            self._conn = self._engine.connect()
            self._identify()
        except SQLAlchemyError as exc:
            self._engine.dispose()
            raise TargetError(f"cannot connect to {dburl.redacted}: "
                              f"{describe_error(exc, dburl)}") from None

    # ---- setup ------------------------------------------------------------------------
    def _make_engine(self) -> Engine:
        url = self.dburl
        if url.dialect == "sqlite":
            path = url.database or ""
            engine = create_engine("sqlite://", creator=lambda: _sqlite_connect(path),
                                   poolclass=NullPool)

            @event.listens_for(engine, "connect")
            def _watch(dbapi_conn: Any, _record: Any) -> None:
                # NOTE: abort a statement past its timeout (returning non-zero interrupts).
                dbapi_conn.set_progress_handler(
                    lambda: 1 if time.monotonic() > self._deadline else 0, 10_000)
            return engine
        connect_args: dict[str, Any] = {
            "connect_timeout": max(2, round(self.connect_timeout))
            if url.dialect == "postgresql" else self.connect_timeout}  # NOTE: libpq: int, >= 2
        if url.dialect == "postgresql":
            connect_args["options"] = ("-c default_transaction_read_only=on "
                                       "-c lock_timeout=5000 "
                                       "-c idle_in_transaction_session_timeout=600000")
            connect_args["application_name"] = "auditor"
        else:
            # NOTE: PyMySQL reads the server greeting with read_timeout, not
            # connect_timeout: the connect timeout must bound it too (issue 17 item 19: a
            # silent server held the scan for statement_timeout + 30 s = 60 s)
            connect_args["read_timeout"] = self.connect_timeout
        engine = create_engine(url.sqlalchemy_url(), poolclass=NullPool,
                               connect_args=connect_args)
        if url.dialect == "mysql":
            read_timeout = int(self.settings.statement_timeout) + 30

            @event.listens_for(engine, "connect")
            def _readonly(dbapi_conn: Any, _record: Any) -> None:
                # NOTE: connected: from now on reads wait as long as a statement may run
                # (PyMySQL applies _read_timeout before every read)
                dbapi_conn._read_timeout = read_timeout
                with dbapi_conn.cursor() as cur:
                    cur.execute("SET SESSION TRANSACTION READ ONLY")
        return engine

    def _identify(self) -> None:
        if self.dialect == "sqlite":
            self.server_version = "SQLite " + sqlite3.sqlite_version
            return
        version = self._conn.execute(text("SELECT version()")).scalar()
        self._conn.rollback()
        self.server_version = str(version or "")
        self.is_mariadb = "mariadb" in self.server_version.lower()

    # ---- use --------------------------------------------------------------------------
    @contextmanager
    def read(self, *, streaming: bool = False) -> Iterator[Connection]:
        """A read-only transaction with the statement timeout set; rolled back after.

        ``streaming`` (full-table reads): the statement may run until the time budget
        is spent instead of ``statement_timeout`` (no limit without a budget)."""
        conn = self._conn
        limit = self.budget.remaining() if streaming else \
            self.budget.timeout(self.settings.statement_timeout)
        if limit is not None:
            limit = max(limit, 0.001)
        self._deadline = float("inf") if limit is None else time.monotonic() + limit
        ms = 0 if limit is None else max(1, int(limit * 1000))
        if self.dialect == "postgresql":
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {ms}")
        elif self.dialect == "mysql":
            if self.is_mariadb:
                conn.exec_driver_sql(f"SET SESSION max_statement_time = {ms / 1000:.3f}")
            else:
                conn.exec_driver_sql(f"SET SESSION max_execution_time = {ms}")
            conn.exec_driver_sql("START TRANSACTION READ ONLY")
        try:
            yield conn
        finally:
            with suppress(SQLAlchemyError):
                conn.rollback()
            self._deadline = float("inf")

    def close(self) -> None:
        try:
            self._conn.close()
        finally:
            self._engine.dispose()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
