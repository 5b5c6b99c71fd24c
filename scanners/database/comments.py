"""Column comments: what the schema's author wrote about a column.

A column comment (PostgreSQL ``COMMENT ON COLUMN``, MySQL/MariaDB ``COMMENT '...'``) often
names what a meaninglessly named column holds (``c3 COMMENT 'Dân tộc'``). The database
scanner reads comments from the catalog (:func:`read_comments`); the SQL dump scanner from
``COMMENT ON COLUMN`` statements and inline ``COMMENT '...'`` clauses
(:func:`dump_comment`, :func:`inline_comments`). :mod:`scanners.database.tablecontext`
takes the sensitive categories a comment names (values cannot show those) and a date of
birth when the values are dates. Comments are never reported (they could quote data).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Connection

__all__ = ["dump_comment", "inline_comments", "read_comments"]

_PG = """
SELECT n.nspname || '.' || c.relname, a.attname, d.description
FROM pg_description d JOIN pg_class c ON c.oid = d.objoid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid
WHERE d.classoid = 'pg_class'::regclass AND d.objsubid > 0
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
"""
_MY = """
SELECT CONCAT(TABLE_SCHEMA, '.', TABLE_NAME), COLUMN_NAME, COLUMN_COMMENT
FROM information_schema.COLUMNS
WHERE COLUMN_COMMENT <> '' AND TABLE_SCHEMA NOT IN
  ('mysql', 'information_schema', 'performance_schema', 'sys')
"""
_COMMENT_ON = re.compile(
    r"(?is)^\s*COMMENT\s+ON\s+COLUMN\s+(?P<name>(?:\"(?:[^\"]|\"\")+\"|[\w$]+)"
    r"(?:\.(?:\"(?:[^\"]|\"\")+\"|[\w$]+)){1,3})\s+IS\s+E?'(?P<text>(?:[^']|'')*)'")
# One column definition per line, as mysqldump and most tools write them.
_INLINE = re.compile(r"(?im)^\s*(?P<col>`(?:[^`]|``)+`|\"(?:[^\"]|\"\")+\"|[\w$]+)\s[^\n]*?"
                     r"\bCOMMENT\s+'(?P<text>(?:[^'\\\n]|''|\\.)*)'")
_PART = re.compile(r'"(?:[^"]|"")+"|[\w$]+')


def read_comments(conn: Connection, dialect: str) -> dict[tuple[str, str], str]:
    """``(schema.table, column) -> comment`` from the catalog (empty for SQLite)."""
    from sqlalchemy import text  # NOTE: here: the dump scanner imports this module too

    query = _PG if dialect == "postgresql" else _MY if dialect == "mysql" else None
    if query is None:
        return {}
    return {(str(t), str(c)): str(d) for t, c, d in conn.execute(text(query)).all() if d}


def _unquote(part: str) -> str:
    return part[1:-1].replace('""', '"') if part.startswith('"') else part


def dump_comment(statement: str) -> tuple[str | None, str, str, str] | None:
    """``(schema, table, column, comment)`` of a ``COMMENT ON COLUMN`` statement."""
    m = _COMMENT_ON.match(statement)
    if m is None:
        return None
    parts = [_unquote(p) for p in _PART.findall(m.group("name"))]
    schema = parts[-3] if len(parts) >= 3 else None
    return schema, parts[-2], parts[-1], m.group("text").replace("''", "'")


def inline_comments(create_table: str) -> dict[str, str]:
    """column -> its ``COMMENT '...'`` in a MySQL ``CREATE TABLE`` statement."""
    out = {}
    for m in _INLINE.finditer(create_table):
        col = m.group("col")
        if col[:1] in "`\"":
            col = col[1:-1].replace(col[0] * 2, col[0])
        if col.upper() not in {"PRIMARY", "KEY", "UNIQUE", "CONSTRAINT", ")"}:
            out[col] = m.group("text").replace("''", "'").replace("\\'", "'")
    return out
