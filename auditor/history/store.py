"""Opening the results store: URL resolution, engine set-up, migrations, safe writes.

The store URL comes from ``--store``, else ``$AUDITOR_STORE``, else the configuration's
``store:``, else the per-user default ``$XDG_DATA_HOME/auditor/history.sqlite``
(``~/.local/share/auditor/history.sqlite``). ``sqlite:///PATH`` opens an embedded file
(WAL journal, busy timeout, write transactions taken with ``BEGIN IMMEDIATE`` and retried
while another process holds the lock); ``postgresql://USER@HOST/DB`` uses psycopg 3, with
the password from libpq's usual sources (``PGPASSWORD``, ``~/.pgpass``) or the
configuration's ``store_password_env`` / ``store_password_file``. Opening a store applies
the Alembic migrations shipped in :mod:`auditor.history.migrations`.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from auditor.errors import ConfigError

__all__ = ["ENV_STORE", "StoreEngine", "default_store_url", "open_engine", "resolve_store_url"]

ENV_STORE = "AUDITOR_STORE"
T = TypeVar("T")
_WRITE_ATTEMPTS = 40


def default_store_url(env: Mapping[str, str] | None = None) -> str:
    environ = os.environ if env is None else env
    base = Path(environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"sqlite:///{base / 'auditor' / 'history.sqlite'}"


def resolve_store_url(option: str | None, configured: str | None = None,
                      env: Mapping[str, str] | None = None) -> str:
    """``--store``, then ``$AUDITOR_STORE``, then the config's ``store:``, then the default."""
    environ = os.environ if env is None else env
    return option or environ.get(ENV_STORE) or configured or default_store_url(environ)


def _parse(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"--store: {_redact(url)!r} is not a store URL (sqlite:///PATH or "
                          f"postgresql://USER@HOST/DB)") from None
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg"):
        return parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername == "sqlite":
        return parsed
    raise ConfigError(f"--store: unsupported store {parsed.drivername!r} (sqlite:///PATH or "
                      f"postgresql://USER@HOST/DB)")


def _redact(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.rsplit("@", maxsplit=1)[-1]


def _migrations_config(conn: Connection) -> Config:
    cfg = Config()
    location = resources.files("auditor.history").joinpath("migrations")
    cfg.set_main_option("script_location", str(location))
    cfg.attributes["connection"] = conn
    return cfg


def _head() -> str | None:
    cfg = Config()
    cfg.set_main_option("script_location",
                        str(resources.files("auditor.history").joinpath("migrations")))
    return ScriptDirectory.from_config(cfg).get_current_head()


def _is_transient(exc: DBAPIError, dialect: str) -> bool:
    if dialect == "sqlite":
        message = str(exc.orig).lower()
        return "locked" in message or "busy" in message
    code = getattr(exc.orig, "sqlstate", None)
    return code in ("40001", "40P01", "55P03")


@dataclass(frozen=True, slots=True)
class StoreEngine:
    """An engine for reads and an engine whose transactions are safe concurrent writes."""

    engine: Engine
    writer: Engine
    display: str

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one write transaction, retried while another writer holds a lock."""
        for attempt in range(_WRITE_ATTEMPTS):
            try:
                with self.writer.begin() as conn:
                    return work(conn)
            except OperationalError as exc:
                if attempt + 1 == _WRITE_ATTEMPTS or not _is_transient(exc, self.dialect):
                    raise
            except DBAPIError as exc:
                if attempt + 1 == _WRITE_ATTEMPTS or not _is_transient(exc, self.dialect):
                    raise
            # NOTE: jittered back-off so two waiting writers do not collide again
            jitter = 0.5 + random.random()  # noqa: S311 (spreads retries, not a secret)
            time.sleep(min(2.0, 0.05 * (attempt + 1)) * jitter)
        raise AssertionError("unreachable")

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_engine(url: URL) -> tuple[Engine, Engine]:
    database = url.database or ""
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # NOTE: we issue BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout = 30000")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # NOTE: a writer takes the lock up front: a read lock upgraded later can deadlock
        write = conn.get_execution_options().get("auditor_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine, engine.execution_options(auditor_write=True)


def open_engine(url: str, *, password: str | None = None, migrate: bool = True
                ) -> StoreEngine:
    """Connect to the store at ``url`` and bring its schema to the newest revision."""
    parsed = _parse(url)
    if password is not None and parsed.drivername != "sqlite":
        parsed = parsed.set(password=password)
    display = parsed.render_as_string(hide_password=True)
    if parsed.drivername == "sqlite":
        engine, writer = _sqlite_engine(parsed)
    else:
        engine = create_engine(parsed, pool_pre_ping=True,
                               connect_args={"connect_timeout": 10})
        writer = engine
    store = StoreEngine(engine, writer, display)
    try:
        if migrate:
            _migrate(store)
    except OperationalError as exc:
        engine.dispose()
        raise ConfigError(f"cannot open the results store {display}: "
                          f"{type(exc.orig).__name__}: {str(exc.orig).splitlines()[0]}"
                          ) from None
    return store


def _current(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    return str(row[0]) if row else None


def _migrate(store: StoreEngine) -> None:
    head = _head()
    with store.engine.connect() as conn:
        if _current(conn) == head:
            return

    def upgrade(conn: Connection) -> None:
        command.upgrade(_migrations_config(conn), "head")

    store.write(upgrade)
