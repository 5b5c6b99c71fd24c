"""Schema introspection: tables, columns, types and row estimates, one query per kind.

PostgreSQL reads ``pg_catalog`` (ordinary, partitioned and materialized tables; partitions
are reached through their parent), MySQL/MariaDB ``information_schema`` (every non-system
schema, or only the URL's database when it names a user database), SQLite
``sqlite_schema`` and ``pragma_table_info`` (schema ``main``). Results are sorted by
schema, table and column position so scans are deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # NOTE: SQLAlchemy is imported by the functions that read a database
    from sqlalchemy import Connection

__all__ = ["SYSTEM_SCHEMAS", "ColumnInfo", "TableInfo", "family_of", "list_tables"]

#: schemas never scanned for personal data (posture checks read them separately)
SYSTEM_SCHEMAS = frozenset({"pg_catalog", "information_schema", "mysql", "performance_schema",
                            "sys", "pg_toast"})

_FAMILIES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (family, re.compile(pattern, re.IGNORECASE)) for family, pattern in (
        ("json", r"^jsonb?\b|^json$"),
        ("binary", r"bytea|blob|binary|varbinary|^bit\b|image"),
        ("boolean", r"^bool|^tinyint\(1\)"),
        ("uuid", r"^uuid"),
        ("temporal", r"date|time|interval|year"),
        ("number", r"int|serial|numeric|decimal|real|double|float|money|number"),
        ("text", r"char|text|string|clob|citext|name|enum|set\b|inet|cidr|xml|^$"),
    )
)


def family_of(data_type: str) -> str:
    """Coarse type family of a server type name: text, json, binary, number, temporal,
    boolean, uuid or other. (SQLite's declared types follow its affinity rules.)"""
    for family, pattern in _FAMILIES:
        if pattern.search(data_type.strip()):
            return family
    return "other"


@dataclass(frozen=True, slots=True)
class ColumnInfo:
    name: str
    data_type: str
    family: str


@dataclass(frozen=True, slots=True)
class TableInfo:
    schema: str
    name: str
    columns: tuple[ColumnInfo, ...]
    row_estimate: int | None = None
    size_bytes: int | None = None
    #: a single-column integer key usable for range reads: the primary key, else a
    #: unique not-null column (PostgreSQL, MySQL/MariaDB); ``rowid`` on SQLite
    int_key: str | None = None

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


_PG_TABLES = """
SELECT n.nspname, c.relname,
       CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END,
       pg_relation_size(c.oid),
       (SELECT a.attname FROM pg_index i JOIN pg_attribute a
            ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
         WHERE i.indrelid = c.oid AND i.indnatts = 1
           AND (i.indisprimary OR (i.indisunique AND a.attnotnull AND i.indimmediate
                                   AND i.indpred IS NULL AND i.indexprs IS NULL))
           AND a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype)
         ORDER BY i.indisprimary DESC, a.attnum LIMIT 1)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
ORDER BY 1, 2
"""

_PG_COLUMNS = """
SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'm')
  AND NOT c.relispartition AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
ORDER BY 1, 2, a.attnum
"""

_MY_TABLES = """
SELECT t.TABLE_SCHEMA, t.TABLE_NAME, t.TABLE_ROWS, t.DATA_LENGTH,
       (SELECT s.COLUMN_NAME FROM information_schema.STATISTICS s
         JOIN information_schema.COLUMNS c ON c.TABLE_SCHEMA = s.TABLE_SCHEMA
          AND c.TABLE_NAME = s.TABLE_NAME AND c.COLUMN_NAME = s.COLUMN_NAME
         WHERE s.TABLE_SCHEMA = t.TABLE_SCHEMA AND s.TABLE_NAME = t.TABLE_NAME
           AND s.NON_UNIQUE = 0 AND s.SUB_PART IS NULL AND c.IS_NULLABLE = 'NO'
           AND c.DATA_TYPE IN ('tinyint', 'smallint', 'mediumint', 'int', 'bigint')
           AND NOT EXISTS (SELECT 1 FROM information_schema.STATISTICS s2
                            WHERE s2.TABLE_SCHEMA = s.TABLE_SCHEMA
                              AND s2.TABLE_NAME = s.TABLE_NAME
                              AND s2.INDEX_NAME = s.INDEX_NAME AND s2.SEQ_IN_INDEX > 1)
         ORDER BY s.INDEX_NAME = 'PRIMARY' DESC, c.ORDINAL_POSITION LIMIT 1)
FROM information_schema.TABLES t
WHERE t.TABLE_TYPE = 'BASE TABLE' AND t.TABLE_SCHEMA IN :schemas
ORDER BY 1, 2
"""

_MY_COLUMNS = """
SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, COLUMN_TYPE
FROM information_schema.COLUMNS WHERE TABLE_SCHEMA IN :schemas
ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION
"""


def _assemble(tables: Iterable[Sequence[object]],
              columns: Iterable[Sequence[object]]) -> list[TableInfo]:
    cols: dict[tuple[str, str], list[ColumnInfo]] = {}
    for schema, table, name, data_type in columns:
        dtype = str(data_type or "")
        cols.setdefault((str(schema), str(table)), []).append(
            ColumnInfo(str(name), dtype, family_of(dtype)))
    out = []
    for schema, name, rows, size, key in tables:
        out.append(TableInfo(
            schema=str(schema), name=str(name),
            columns=tuple(cols.get((str(schema), str(name)), ())),
            row_estimate=int(str(rows)) if rows is not None else None,
            size_bytes=int(str(size)) if size is not None else None,
            int_key=str(key) if key is not None else None,
        ))
    return out


def _mysql_schemas(conn: Connection, database: str | None) -> tuple[str, ...]:
    from sqlalchemy import text

    if database and database not in SYSTEM_SCHEMAS:
        return (database,)
    rows = conn.execute(text("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA "
                             "ORDER BY SCHEMA_NAME")).all()
    return tuple(str(r[0]) for r in rows if str(r[0]) not in SYSTEM_SCHEMAS)


def _sqlite_tables(conn: Connection) -> list[TableInfo]:
    from sqlalchemy.exc import SQLAlchemyError

    rows = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_schema WHERE type = 'table' "
        "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name").all()
    out = []
    for name, sql in rows:
        info = conn.exec_driver_sql(
            "SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid", (name,)).all()
        columns = tuple(ColumnInfo(str(c[0]), str(c[1] or ""), family_of(str(c[1] or "")))
                        for c in info)
        pks = [c for c in info if c[2]]
        without_rowid = bool(re.search(r"\)\s*WITHOUT\s+ROWID", str(sql or ""), re.I))
        key = None
        if not without_rowid:
            # NOTE: an INTEGER PRIMARY KEY is an alias of rowid; any rowid table has one.
            key = str(pks[0][0]) if len(pks) == 1 and str(pks[0][1]).upper() == "INTEGER" \
                else "rowid"
        estimate = None
        if key is not None:
            # NOTE: max(rowid) is an index lookup; exact when no rows were deleted
            quoted = conn.dialect.identifier_preparer.quote(str(name))
            with suppress(SQLAlchemyError):
                top = conn.exec_driver_sql(f"SELECT max(rowid) FROM {quoted}").scalar()
                estimate = int(top) if top is not None else 0
        out.append(TableInfo("main", str(name), columns, estimate, None, key))
    return out


def list_tables(conn: Connection, dialect: str, database: str | None) -> list[TableInfo]:
    """All user tables of the connected database, sorted by schema and name."""
    from sqlalchemy import bindparam, text

    if dialect == "postgresql":
        return _assemble(conn.execute(text(_PG_TABLES)).all(),
                         conn.execute(text(_PG_COLUMNS)).all())
    if dialect == "mysql":
        schemas = _mysql_schemas(conn, database)
        if not schemas:
            return []
        params = {"schemas": schemas}
        tables_q = text(_MY_TABLES).bindparams(bindparam("schemas", expanding=True))
        cols_q = text(_MY_COLUMNS).bindparams(bindparam("schemas", expanding=True))
        return _assemble(conn.execute(tables_q, params).all(),
                         conn.execute(cols_q, params).all())
    return _sqlite_tables(conn)
