"""Scanner settings read from ``ScanOptions`` (``--option database.KEY=VALUE``).

=============================  =========  =================================================
parameter                      default    meaning
=============================  =========  =================================================
``database.sample_size``       1000       rows sampled per table (per column for dumps)
``database.seed``              0          sampling seed: same seed, same rows
``database.full``              false      read every row (server-side cursor, streamed)
``database.include``           (all)      globs, comma-separated or a list (see below)
``database.exclude``           (none)     globs excluded after ``include``
``database.statement_timeout`` 30         seconds per SQL statement
``database.time_budget``       (none)     seconds for the whole target (also ``ScanOptions``)
``database.max_tables``        10000      tables examined at most (the rest is reported)
``database.password_file``     (none)     file holding the password when the URL has none
                                          (read where the scan runs, e.g. a Dask worker)
``database.batch_rows``        50000      distributed scans: rows read per task (smaller
                                          tables are grouped, larger ones get a task each)
=============================  =========  =================================================

A glob containing a dot is matched against ``schema.table`` (``public.citizen*``); a glob
without a dot is matched against the schema name (``public``). SQLite's schema is ``main``.
"""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from auditor.errors import ConfigError
from auditor.models import JSONValue
from auditor.scanner import Option, ScanContext, ScanOptions

__all__ = ["DATABASE_OPTIONS", "Budget", "DbSettings", "settings_from"]

#: ``database.*`` options, read by the database and sqldump scanners alike
DATABASE_OPTIONS = (
    Option("sample_size", "int", 1000, "rows sampled per table (per column for dumps)", 1),
    Option("seed", "int", 0, "sampling seed: same seed, same rows", 0),
    Option("full", "bool", False, "read every row (server-side cursor, streamed)"),
    Option("include", "globs", None, "only these schemas / schema.tables"),
    Option("exclude", "globs", None, "skip these schemas / schema.tables"),
    Option("statement_timeout", "number", 30, "seconds per SQL statement", 0.001),
    Option("time_budget", "number", None, "seconds for the whole target", 0.001),
    Option("max_tables", "int", 10_000, "tables examined at most", 1),
    Option("password_file", "text", None,
           "file holding the password (read where the scan runs: a Dask worker)"),
    Option("batch_rows", "int", 50_000,
           "distributed scans: rows read per task (small tables are grouped)", 1),
)


def _globs(value: JSONValue, name: str) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(str(v) for v in value)
    raise ConfigError(f"option {name} must be a glob or a list of globs")


def _number(value: JSONValue, name: str, *, minimum: float, integer: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ConfigError(f"option {name} must be a number")
    try:
        number = int(value) if integer else float(value)
    except ValueError:
        raise ConfigError(f"option {name} must be a number, got {value!r}") from None
    if number < minimum:
        raise ConfigError(f"option {name} must be at least {minimum:g}")
    return number


def _flag(value: JSONValue, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "yes", "on", "1", "false", "no",
                                                    "off", "0"}:
        return value.lower() in {"true", "yes", "on", "1"}
    raise ConfigError(f"option {name} must be true or false")


@dataclass(frozen=True, slots=True)
class DbSettings:
    """Validated database-scanner settings."""

    sample_size: int = 1000
    seed: int = 0
    full: bool = False
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    statement_timeout: float = 30.0
    time_budget: float | None = None
    max_tables: int = 10_000
    #: the clock of the time budget (the scan context's: tests give a fake one)
    clock: Callable[[], float] = field(default=time.monotonic, compare=False, repr=False)

    def selects(self, schema: str, table: str) -> bool:
        """Whether ``schema.table`` passes the include/exclude globs."""
        qualified = f"{schema}.{table}"

        def hit(pattern: str) -> bool:
            subject = qualified if "." in pattern else schema
            return fnmatch.fnmatchcase(subject, pattern)

        if self.include and not any(hit(p) for p in self.include):
            return False
        return not any(hit(p) for p in self.exclude)


def settings_from(options: ScanOptions) -> DbSettings:
    """Read and check ``database.*`` parameters; bad values raise ConfigError."""
    get = options.get
    budget = get("database.time_budget")
    time_budget = options.time_budget
    if budget is not None:
        time_budget = _number(budget, "database.time_budget", minimum=0.001, integer=False)
    return DbSettings(
        sample_size=int(_number(get("database.sample_size", 1000), "database.sample_size",
                                minimum=1, integer=True)),
        seed=int(_number(get("database.seed", 0), "database.seed", minimum=0, integer=True)),
        full=_flag(get("database.full", False), "database.full"),
        include=_globs(get("database.include"), "database.include"),
        exclude=_globs(get("database.exclude"), "database.exclude"),
        statement_timeout=_number(get("database.statement_timeout", 30),
                                  "database.statement_timeout", minimum=0.001, integer=False),
        time_budget=time_budget,
        max_tables=int(_number(get("database.max_tables", 10_000), "database.max_tables",
                               minimum=1, integer=True)),
        clock=options.clock if isinstance(options, ScanContext) else time.monotonic,
    )


class Budget:
    """A per-target deadline (monotonic clock). ``None`` budget never expires."""

    def __init__(self, seconds: float | None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._deadline = None if seconds is None else clock() + seconds

    def remaining(self) -> float | None:
        if self._deadline is None:
            return None
        return max(0.0, self._deadline - self._clock())

    def expired(self) -> bool:
        left = self.remaining()
        return left is not None and left <= 0.0

    def timeout(self, statement_timeout: float) -> float:
        """The timeout for the next statement: the smaller of the two limits."""
        left = self.remaining()
        return statement_timeout if left is None else max(0.001, min(statement_timeout, left))
