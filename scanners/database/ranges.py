"""Large tables in full mode: blocks of keys, and key ranges that can run anywhere.

A full scan (``database.full=true``) of a table with an integer key (a single-column
integer primary key, else a unique not-null integer column; ``rowid`` on SQLite) and
more than :data:`BLOCK_MIN_ROWS` rows reads it in key order and accumulates it in
**blocks** of keys: block ``b`` holds the rows with ``b * width <= key < (b + 1) *
width``, the width a power of two chosen from the exact row
count and key bounds so that a block holds about :data:`~.columns.FULL_BATCH` rows on
average. Each block is accumulated on its own (its early look, its detection batches,
whether it settled) and the blocks' :class:`~.columns.ColumnState` are merged in block
order, then classified once. The report therefore depends on the table's contents only,
never on how the blocks were grouped: a local scan reads every block in one query, a
distributed scan reads **key ranges** (runs of consecutive blocks, about
``database.batch_rows`` rows each, one task each) on any worker, and the client merges
the ranges' states into the same results.

The first range is open below and the last open above, so every row present at reading
time is read exactly once; each range is read in its own transaction (see
docs/scale-out.md for what that means for rows written during the scan).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from auditor.sketch import DistinctSketch

from .classify import ColumnClassifier
from .columns import FULL_BATCH, ColumnAccumulator, ColumnResult, ColumnState
from .introspect import TableInfo
from .sampling import key_stats, read_keyed

if TYPE_CHECKING:  # NOTE: annotations only: SQLAlchemy loads when a database is read
    from sqlalchemy import Connection

__all__ = ["BLOCK_MIN_ROWS", "KeyBlocks", "RangeState", "key_blocks", "read_blocks",
           "split"]

#: tables of more rows than this are accumulated in key blocks in full mode
BLOCK_MIN_ROWS = 2 * FULL_BATCH
_BUDGET_CHECK_ROWS = 2000


@dataclass(frozen=True, slots=True)
class KeyBlocks:
    """How a table's key space is cut into blocks (from its exact count and bounds)."""

    count: int
    low: int
    high: int
    width: int

    @classmethod
    def of(cls, count: int, low: int, high: int) -> KeyBlocks:
        span = high - low + 1
        target = max(1.0, span * FULL_BATCH / max(1, count))
        return cls(count, low, high, 1 << math.floor(math.log2(target)))


def key_blocks(conn: Connection, dialect: str, table: TableInfo) -> KeyBlocks | None:
    """The blocks of a table read in full mode, or None when it is read as one stream
    (no integer key, or at most :data:`BLOCK_MIN_ROWS` rows)."""
    if not table.int_key:
        return None
    stats = key_stats(conn, dialect, table)
    if stats is None or stats[0] <= BLOCK_MIN_ROWS:
        return None
    return KeyBlocks.of(*stats)


def split(blocks: KeyBlocks, batch_rows: int) -> list[tuple[int | None, int | None]]:
    """Key ranges ``[low, high)`` of about ``batch_rows`` rows each, on block boundaries
    (consecutive blocks, evenly by key: a skewed key gives uneven ranges); the first is
    open below, the last open above."""
    first, last = blocks.low // blocks.width, blocks.high // blocks.width
    nblocks = last - first + 1
    n = min(nblocks, max(1, -(-blocks.count // max(1, batch_rows))))
    cuts = [(first + round(i * nblocks / n)) * blocks.width for i in range(1, n)]
    bounds: list[int | None] = [None, *cuts, None]
    return [(bounds[i], bounds[i + 1]) for i in range(n)]


@dataclass(slots=True)
class RangeState:
    """What a key range (or a whole blocked table) read: rows and per-column state."""

    table: str
    rows: int = 0
    columns: list[ColumnState] = field(default_factory=list)

    def merge(self, later: RangeState) -> None:
        """Add the next range (in key order) of the same table."""
        if not self.columns:
            self.columns = later.columns
        elif later.columns:
            for mine, theirs in zip(self.columns, later.columns, strict=True):
                mine.merge(theirs)
        self.rows += later.rows

    def results(self) -> list[ColumnResult]:
        return [result for column in self.columns for result in column.finish()]


def read_blocks(conn: Connection, dialect: str, table: TableInfo, width: int, *,
                classify: ColumnClassifier, sample_size: int, subject_key: bytes,
                expired: Callable[[], None], low: int | None = None,
                high: int | None = None) -> RangeState:
    """Read the rows with ``low <= key < high`` in key order, one accumulator per column
    and block, into a :class:`RangeState` (``expired``, polled every 2,000 rows, raises
    the caller's budget error once the budget is spent)."""
    sketches: Sequence[DistinctSketch | None] = [
        DistinctSketch(subject_key) if subject_key else None for _ in table.columns]
    state = RangeState(table.qualified)
    accumulators: list[ColumnAccumulator] = []
    block: int | None = None

    def close() -> None:
        part = RangeState(table.qualified, columns=[a.partial() for a in accumulators])
        state.merge(part)

    for key, row in read_keyed(conn, dialect, table, low=low, high=high):
        here = key // width
        if here != block:
            if accumulators:
                close()
            block = here
            accumulators = [
                ColumnAccumulator(table.qualified, c.name, c.data_type, c.family, classify,
                                  sample_size=sample_size, full=True,
                                  subject_key=subject_key, sketch=sketch)
                for c, sketch in zip(table.columns, sketches, strict=True)]
        for acc, cell in zip(accumulators, row, strict=True):
            acc.add(cell)
        state.rows += 1
        if state.rows % _BUDGET_CHECK_ROWS == 0:
            expired()
    if accumulators:
        close()
    return state
