"""Alembic environment: always given an open connection by :func:`auditor.history.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from auditor.history.tables import metadata

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):  # pragma: no cover - only the store runs us
    raise RuntimeError("the results store migrations run through auditor.history only")

context.configure(connection=connection, target_metadata=metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    if connection.dialect.name == "postgresql":
        # NOTE: two runs opening a new store at once: one migrates, the other waits
        connection.execute(text("SELECT pg_advisory_xact_lock(724311001)"))
    context.run_migrations()
