"""Row sampling that stays fast on large tables, and ``full`` streaming of every row.

Sampled mode (default), deterministic for the same ``database.seed`` and table contents:

- PostgreSQL: small tables (estimate <= 4x the sample size) are read with ``LIMIT``;
  larger ones with ``TABLESAMPLE SYSTEM (p) REPEATABLE (seed)`` sized from ``reltuples``
  (about 3x the sample, so it reads only the sampled pages), of which a seeded subset of
  the sample size is kept. If the estimate was off and too few rows came back,
  the first rows are read instead.
- MySQL/MariaDB and SQLite: with a single integer key (SQLite: ``rowid``), up to 10
  seeded key ranges spread over ``[min, max]`` are read with ``WHERE key >= s ORDER BY key
  LIMIT m`` (index range reads); otherwise ``LIMIT n``.

Full mode (``database.full=true``) streams ``SELECT ... FROM t`` through a server-side
cursor (psycopg named cursor, PyMySQL ``SSCursor``) in batches, so memory stays flat.

Each cell is bounded at the server: text is cut to 2,048 characters, JSON over 64 KiB is
skipped, and binary columns return only their first 64 bytes and their length.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # NOTE: annotations only: SQLAlchemy loads when a database is read
    from sqlalchemy import Connection

    from .introspect import ColumnInfo, TableInfo

__all__ = ["BinaryCell", "SampleInfo", "key_expr", "key_stats", "read_keyed", "read_rows",
           "select_list"]

TEXT_LIMIT = 2048
JSON_LIMIT = 65536
BINARY_PREFIX = 64
_BATCH = 2000
_RANGES = 10


@dataclass(frozen=True, slots=True)
class BinaryCell:
    """The first bytes of a binary value and its full length."""

    prefix: bytes
    length: int


@dataclass(slots=True)
class SampleInfo:
    """How a table was read: ``full``, ``limit``, ``tablesample`` or ``key-ranges``
    (filled in by :func:`read_rows`, reported as the ``sampling`` attribute)."""

    method: str = ""


def _cell_exprs(dialect: str, quoted: str, column: ColumnInfo) -> list[str]:
    fam = column.family
    if dialect == "postgresql":
        if fam == "binary":
            if column.data_type.startswith("bit"):
                return [f"left({quoted}::text, {TEXT_LIMIT})"]
            return [f"substring({quoted} from 1 for {BINARY_PREFIX})", f"octet_length({quoted})"]
        if fam == "json":
            return [f"CASE WHEN pg_column_size({quoted}) <= {JSON_LIMIT} THEN {quoted}::text END"]
        return [f"left({quoted}::text, {TEXT_LIMIT})"]
    if dialect == "mysql":
        if fam == "binary":
            return [f"SUBSTRING({quoted}, 1, {BINARY_PREFIX})", f"LENGTH({quoted})"]
        if fam == "json":
            return [f"CASE WHEN LENGTH({quoted}) <= {JSON_LIMIT} THEN {quoted} END"]
        if fam == "text":
            return [f"LEFT({quoted}, {TEXT_LIMIT})"]
        return [quoted]
    # NOTE: SQLite is dynamically typed: any column may hold a blob, so decide per value.
    return [f"CASE typeof({quoted}) WHEN 'blob' THEN substr({quoted}, 1, {BINARY_PREFIX}) "
            f"WHEN 'text' THEN substr({quoted}, 1, {JSON_LIMIT}) ELSE {quoted} END",
            f"CASE typeof({quoted}) WHEN 'blob' THEN length({quoted}) END"]


def select_list(conn: Connection, dialect: str, table: TableInfo) -> tuple[str, list[int]]:
    """The SELECT list for a table and, per column, how many fields it takes (1 or 2)."""
    quote = conn.dialect.identifier_preparer.quote
    exprs: list[str] = []
    widths: list[int] = []
    for column in table.columns:
        parts = _cell_exprs(dialect, quote(column.name), column)
        exprs.extend(parts)
        widths.append(len(parts))
    return ", ".join(exprs) or "1", widths


def _decode(row: Sequence[Any], widths: Sequence[int], offset: int) -> tuple[Any, ...]:
    cells: list[Any] = []
    i = offset
    for width in widths:
        value = row[i]
        if width == 2:
            length = row[i + 1]
            if isinstance(value, memoryview | bytearray):
                value = bytes(value)
            if isinstance(value, bytes) and length is not None:
                value = BinaryCell(value, int(length))
        elif isinstance(value, memoryview | bytearray):
            value = BinaryCell(bytes(value)[:BINARY_PREFIX], len(value))
        elif isinstance(value, bytes):
            value = BinaryCell(value[:BINARY_PREFIX], len(value))
        cells.append(value)
        i += width
    return tuple(cells)


def _from(conn: Connection, table: TableInfo) -> str:
    quote = conn.dialect.identifier_preparer.quote
    if table.schema == "main" and conn.dialect.name == "sqlite":
        return quote(table.name)
    return f"{quote(table.schema)}.{quote(table.name)}"


def _stream(conn: Connection, sql: str) -> Iterator[Sequence[Any]]:
    # NOTE: per-statement options: Connection.execution_options() would change the
    # connection itself and turn every later statement into a server-side cursor.
    result = conn.exec_driver_sql(
        sql, execution_options={"stream_results": True, "yield_per": _BATCH})
    try:
        yield from result
    finally:
        result.close()


def read_rows(conn: Connection, dialect: str, table: TableInfo, *, sample_size: int,
              seed: int, full: bool, info: SampleInfo | None = None
              ) -> Iterator[tuple[Any, ...]]:
    """Rows of ``table`` as tuples of cells (``BinaryCell`` for binary values); ``info``
    receives the method used."""
    info = info if info is not None else SampleInfo()
    exprs, widths = select_list(conn, dialect, table)
    source = _from(conn, table)
    info.method = "full" if full else "limit"
    if full:
        for row in _stream(conn, f"SELECT {exprs} FROM {source}"):
            yield _decode(row, widths, 0)
        return
    n = sample_size
    if dialect == "postgresql":
        yield from _pg_sample(conn, table, exprs=exprs, source=source, widths=widths, n=n,
                              seed=seed, info=info)
        return
    if table.int_key:
        yield from _range_sample(conn, dialect, table, exprs=exprs, source=source,
                                 widths=widths, n=n, seed=seed, info=info)
        return
    for row in conn.exec_driver_sql(f"SELECT {exprs} FROM {source} LIMIT {n}"):
        yield _decode(row, widths, 0)


def _pg_sample(conn: Connection, table: TableInfo, *, exprs: str, source: str,
               widths: Sequence[int], n: int, seed: int, info: SampleInfo
               ) -> Iterator[tuple[Any, ...]]:
    estimate = table.row_estimate
    if estimate is None and table.size_bytes is not None:
        estimate = table.size_bytes // 64  # NOTE: never analysed: assume >= 64 B per row
    if estimate is None or estimate <= 4 * n:
        for row in conn.exec_driver_sql(f"SELECT {exprs} FROM {source} LIMIT {n}"):
            yield _decode(row, widths, 0)
        return
    percent = min(100.0, 100.0 * 3.0 * n / estimate)  # NOTE: pages vary in rows
    rows = conn.exec_driver_sql(
        f"SELECT {exprs} FROM {source} TABLESAMPLE SYSTEM ({percent:.6f}) "
        f"REPEATABLE ({seed % 2**31}) LIMIT {6 * n}").all()
    info.method = "tablesample"
    if len(rows) < min(n, estimate) // 2:
        info.method = "limit"
        rows = conn.exec_driver_sql(f"SELECT {exprs} FROM {source} LIMIT {n}").all()
    elif len(rows) > n:
        # NOTE: keep a seeded subset of all sampled pages, not the first pages only
        keep = sorted(random.Random(f"{seed}:{table.qualified}").sample(range(len(rows)), n))
        rows = [rows[i] for i in keep]
    for row in rows:
        yield _decode(row, widths, 0)


def _range_sample(conn: Connection, dialect: str, table: TableInfo, *, exprs: str, source: str,
                  widths: Sequence[int], n: int, seed: int, info: SampleInfo
                  ) -> Iterator[tuple[Any, ...]]:
    quote = conn.dialect.identifier_preparer.quote
    key = "rowid" if table.int_key == "rowid" and dialect == "sqlite" \
        else quote(table.int_key or "")
    low, high = conn.exec_driver_sql(f"SELECT MIN({key}), MAX({key}) FROM {source}").one()
    if low is None:
        return
    low, high = int(low), int(high)
    if high - low + 1 <= 4 * n:
        for row in conn.exec_driver_sql(
                f"SELECT {exprs} FROM {source} ORDER BY {key} LIMIT {n}"):
            yield _decode(row, widths, 0)
        return
    info.method = "key-ranges"
    rng = random.Random(f"{seed}:{table.qualified}")
    ranges = min(_RANGES, n)
    per = -(-n // ranges)
    starts = sorted(rng.randint(low, high) for _ in range(ranges))
    marker = "?" if dialect == "sqlite" else "%s"
    after = low - 1
    taken = 0
    first = starts[0]
    # NOTE: ranges may overlap or run off the end; the shortfall is topped up after the
    # last row read, then from the start of the key space.
    for start, limit in [(s, per) for s in starts] + [(after + 1, n)]:
        want = min(limit, n - taken)
        if want <= 0:
            break
        for row in conn.exec_driver_sql(
                f"SELECT {key}, {exprs} FROM {source} WHERE {key} >= {marker} "
                f"ORDER BY {key} LIMIT {want}", (max(start, after + 1),)):
            after = int(row[0])
            taken += 1
            yield _decode(row, widths, 1)
    if taken < n:
        for row in conn.exec_driver_sql(
                f"SELECT {key}, {exprs} FROM {source} WHERE {key} < {marker} "
                f"ORDER BY {key} LIMIT {n - taken}", (first,)):
            yield _decode(row, widths, 1)


def key_expr(conn: Connection, dialect: str, table: TableInfo) -> str:
    """The table's integer key as SQL (``rowid`` on SQLite rowid tables)."""
    if table.int_key == "rowid" and dialect == "sqlite":
        return "rowid"
    return conn.dialect.identifier_preparer.quote(table.int_key or "")


def key_stats(conn: Connection, dialect: str, table: TableInfo) -> tuple[int, int, int] | None:
    """Exact row count and key bounds of a table with an integer key (None when empty)."""
    key = key_expr(conn, dialect, table)
    count, low, high = conn.exec_driver_sql(
        f"SELECT COUNT(*), MIN({key}), MAX({key}) FROM {_from(conn, table)}").one()
    if not count or low is None or high is None:
        return None
    return int(count), int(low), int(high)


def read_keyed(conn: Connection, dialect: str, table: TableInfo, *, low: int | None = None,
               high: int | None = None) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """Every row with ``low <= key < high`` (either bound may be open) in key order, as
    ``(key, cells)``, streamed like a full read."""
    exprs, widths = select_list(conn, dialect, table)
    key = key_expr(conn, dialect, table)
    where = [f"{key} >= {int(low)}"] if low is not None else []
    where += [f"{key} < {int(high)}"] if high is not None else []
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    for row in _stream(conn, f"SELECT {key}, {exprs} FROM {_from(conn, table)}{clause} "
                             f"ORDER BY {key}"):
        yield int(row[0]), _decode(row, widths, 1)
