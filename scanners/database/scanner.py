"""The database scanner: live PostgreSQL, MySQL/MariaDB and SQLite, read-only.

Order of work for one target (deterministic): posture (settings, accounts, pg_hba rules),
then every selected table in ``schema.table`` order (sampled or full, one short read-only
transaction each), then grants (which need to know which tables hold personal data).
A digest of the schema is recorded through the scan context
(``ScanContext.record_fingerprint``); the report shows it as the target's
``fingerprint``. A table that cannot be read (permission denied,
dropped mid-scan, statement timeout) is a
:class:`~auditor.models.Problem` and the scan goes on; at the end the target is still
failed with a :class:`~auditor.errors.TargetError` naming how many tables were not read
(what was not read was not checked: the target is not ``ok`` and its requirements are not
assessed). A connection failure or an exhausted time budget is a
:class:`~auditor.errors.TargetError` at once.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from auditor.errors import ConfigError, TargetError
from auditor.models import JSONValue, Location, Observation, Problem, Target, canonical_json
from auditor.scanner import Candidate, Claim, ScanContext, Scanner, ScanOptions

from .classify import ColumnClassifier, pii_classifier
from .columns import ColumnAccumulator
from .comments import read_comments
from .introspect import ColumnInfo, TableInfo, list_tables
from .observe import table_observations
from .options import DATABASE_OPTIONS, Budget, DbSettings, settings_from
from .ranges import KeyBlocks, RangeState, key_blocks, read_blocks, split
from .sampling import SampleInfo, read_rows
from .urls import DIALECTS, DbUrl, is_database_url, parse_url, redact_url

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from .session import Session

# NOTE: the modules that import SQLAlchemy at their top (session, posture_*) are imported
# where a database is read, not here: this module is loaded at every `auditor` start-up
# (plugin discovery) and SQLAlchemy alone costs ~0.15 s of CPU. introspect, sampling,
# comments and ranges import it inside their functions.

__all__ = ["DatabaseScanner", "scan_table"]

_SQLITE_MAGIC = b"SQLite format 3\x00"
_BUDGET_CHECK_ROWS = 2000
#: internal parameters of a part of a planned (distributed) scan; not user options (the
#: central option check rejects them on the command line)
PART, PART_TABLES, PART_PII = "database._part", "database._tables", "database._pii_tables"
PART_SELECTED, PART_UNREAD = "database._selected", "database._unread"
PART_SCHEMA, PART_COMMENTS = "database._schema", "database._comments"
PART_RANGE = "database._range"
#: the placeholder a key-range part leaves where its table's observations go
RANGE_KIND = "database.range"
T = TypeVar("T")


class _BudgetSpentError(Exception):
    pass


def scan_table(conn: Connection, dialect: str, table: TableInfo, *, settings: DbSettings,
               classify: ColumnClassifier, uri: str, budget: Budget,
               subject_key: bytes = b"", comments: dict[str, str] | None = None
               ) -> list[Observation]:
    """Observations for one table (read inside the caller's read-only transaction)."""
    blocks = key_blocks(conn, dialect, table) if settings.full else None
    if blocks is not None:
        # NOTE: a large table in full mode: in key blocks, exactly as its key ranges
        # would be on a cluster (scanners/database/ranges.py)
        state = read_blocks(conn, dialect, table, blocks.width, classify=classify,
                            sample_size=settings.sample_size, subject_key=subject_key,
                            expired=lambda: _check_budget(budget))
        return table_observations(uri, table.qualified, state.results(),
                                  row_estimate=table.row_estimate, rows_read=state.rows,
                                  sampling="full", comments=comments)
    accumulators = [
        ColumnAccumulator(table.qualified, c.name, c.data_type, c.family, classify,
                          sample_size=settings.sample_size, full=settings.full,
                          subject_key=subject_key)
        for c in table.columns
    ]
    rows = 0
    info = SampleInfo()
    for row in read_rows(conn, dialect, table, sample_size=settings.sample_size,
                         seed=settings.seed, full=settings.full, info=info):
        rows += 1
        for acc, cell in zip(accumulators, row, strict=True):
            acc.add(cell)
        if rows % _BUDGET_CHECK_ROWS == 0:
            _check_budget(budget)
    results = [result for acc in accumulators for result in acc.finish()]
    return table_observations(uri, table.qualified, results, row_estimate=table.row_estimate,
                              rows_read=rows, sampling=info.method, comments=comments)


def _check_budget(budget: Budget) -> None:
    if budget.expired():
        raise _BudgetSpentError


@dataclasses.dataclass(frozen=True, slots=True)
class _RangeDone:
    """What a key-range part hands to the client (:meth:`DatabaseScanner.combine`)."""

    uri: str
    table: str
    index: int
    ranges: int
    row_estimate: int | None
    comments: dict[str, str] | None
    state: RangeState


def _schema_rows(tables: Sequence[TableInfo]) -> list[JSONValue]:
    """Tables as a plan carries them to its parts (so no part introspects again)."""
    return [[t.schema, t.name, [[c.name, c.data_type, c.family] for c in t.columns],
             t.row_estimate, t.size_bytes, t.int_key] for t in tables]


def _schema_of(rows: JSONValue) -> list[TableInfo]:
    if not isinstance(rows, list):
        raise TargetError("malformed part of a planned database scan (schema)")
    out = []
    for row in rows:
        if not isinstance(row, list) or len(row) != 6 or not isinstance(row[2], list):
            raise TargetError("malformed part of a planned database scan (schema)")
        schema, name, columns, estimate, size, key = row
        cols = columns if isinstance(columns, list) else []
        out.append(TableInfo(
            str(schema), str(name),
            tuple(ColumnInfo(str(c[0]), str(c[1]), str(c[2])) for c in cols
                  if isinstance(c, list) and len(c) == 3),
            int(estimate) if isinstance(estimate, int) else None,
            int(size) if isinstance(size, int) else None,
            str(key) if key is not None else None))
    return out


def _read_secret(path: str) -> str:
    """The password in ``database.password_file`` (first line; the file, not the URL,
    holds it, so it never travels with a distributed task)."""
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.readline().rstrip("\r\n")
    except OSError as exc:
        raise TargetError(f"database.password_file {path}: cannot read it "
                          f"({exc.strerror or type(exc).__name__})") from None


def _schema_fingerprint(uri: str, tables: list[TableInfo]) -> Observation:
    """``target.fingerprint``: a digest of the schema (tables, columns, types), so a report
    shows whether two scans looked at the same structure."""
    shape = [[t.qualified, [[c.name, c.data_type] for c in t.columns]] for t in tables]
    digest = hashlib.sha256(canonical_json(shape).encode("utf-8")).hexdigest()
    return Observation("target.fingerprint", Location(uri),
                       {"sha256": digest, "tables": len(tables)})


class DatabaseScanner(Scanner):
    """Live databases by URL, and SQLite files by magic bytes."""

    name = "database"
    description = "PostgreSQL, MySQL/MariaDB and SQLite: personal data, passwords, posture"
    emits = ("pii.column", "db.password_column", "db.credential_column", "db.setting",
             "db.account", "db.grant", "db.hba_rule")

    options = DATABASE_OPTIONS

    def __init__(self, classifier: Callable[[bytes], ColumnClassifier] | None = None) -> None:
        # NOTE: the classifier factory takes the hash key, known only per scan.
        self._classifier = classifier or pii_classifier

    def claim(self, candidate: Candidate) -> Claim | None:
        if candidate.compression is None and candidate.head.startswith(_SQLITE_MAGIC):
            return Claim("sqlite", 100)
        return None

    def claim_url(self, url: str) -> Claim | None:
        if not is_database_url(url):
            return None
        try:
            return Claim(parse_url(url, env={}).dialect, 100)
        except ValueError:  # NOTE: claimed all the same: scan() names what is wrong
            return Claim(DIALECTS[url.strip().split(":", 1)[0].split("+", 1)[0].lower()], 100)

    def check_options(self, options: ScanOptions) -> None:
        settings_from(options)

    def redact_url(self, url: str) -> str:
        # NOTE: the dialect knows which query parameters are harmless (allow-list)
        return redact_url(url)

    def plan(self, target: Target, options: ScanContext
             ) -> Sequence[Mapping[str, JSONValue]] | None:
        """Parts of a distributed scan: posture first, then the selected tables in
        ``schema.table`` order grouped up to ``database.batch_rows`` rows read per part
        (a larger table is a part of its own; in full mode a table with an integer key
        and more rows than that is cut into key ranges, a part each: see
        :mod:`.ranges`), then grants (which need to know which tables hold personal
        data: :meth:`carry`). The parts carry the schema and the column comments read
        here, so no part introspects the database again."""
        settings, dburl = self._open(target, options)
        budget = Budget(settings.time_budget, settings.clock)
        raw = options.get("database.batch_rows", 50_000)
        batch_rows = int(raw) if isinstance(raw, int | float | str) else 50_000
        from .session import Session

        with Session(dburl, settings, budget) as session:
            run = _Run(session, settings, budget, classify=self._classifier(b""),
                       uri=target.uri, hash_key=b"")
            tables, problem = run._read("schema introspection",
                                        lambda c: list_tables(c, session.dialect,
                                                              dburl.database))
            if problem:
                raise TargetError(problem.message)
            comments = run._comments()
            selected = [t for t in tables if settings.selects(t.schema, t.name)]
            selected = selected[: settings.max_tables]
            blocks: dict[str, KeyBlocks] = {}
            if settings.full:
                for table in selected:
                    if table.int_key and (table.row_estimate is None
                                          or table.row_estimate > batch_rows):
                        found, _problem = run._read(
                            f"table {table.qualified}",
                            lambda c, t=table: [key_blocks(  # type: ignore[misc]
                                c, session.dialect, t)])
                        if found and found[0] is not None:
                            blocks[table.qualified] = found[0]
        parts: list[Mapping[str, JSONValue]] = [{PART: "head",
                                                 PART_SCHEMA: _schema_rows(tables)}]
        batch: list[TableInfo] = []
        rows = 0

        def flush() -> None:
            nonlocal batch, rows
            if batch:
                parts.append({PART: "tables", PART_TABLES: [t.qualified for t in batch],
                              PART_SCHEMA: _schema_rows(batch),
                              PART_COMMENTS: _comments_of(comments, batch)})
            batch, rows = [], 0

        for table in selected:
            kb = blocks.get(table.qualified)
            ranges = split(kb, batch_rows) if kb is not None else []
            if kb is not None and len(ranges) > 1:
                flush()
                for index, (low, high) in enumerate(ranges):
                    parts.append({PART: "range", PART_TABLES: [table.qualified],
                                  PART_RANGE: [index, len(ranges), low, high, kb.width],
                                  PART_SCHEMA: _schema_rows([table]),
                                  PART_COMMENTS: _comments_of(comments, [table])})
                continue
            estimate = max(table.row_estimate or 0, 1)
            cost = estimate if settings.full else min(estimate, settings.sample_size)
            if batch and rows + cost > batch_rows:
                flush()
            batch.append(table)
            rows += cost
        flush()
        parts.append({PART: "tail", PART_SELECTED: len(selected)})
        return parts

    def part_label(self, part: Mapping[str, JSONValue]) -> str:
        stage, tables = part.get(PART), part.get(PART_TABLES)
        names = ", ".join(str(t) for t in tables) if isinstance(tables, list) else ""
        key_range = part.get(PART_RANGE)
        if stage == "range" and isinstance(key_range, list) and len(key_range) == 5:
            return f"table {names}, key range {int(str(key_range[0])) + 1} of {key_range[1]}"
        if stage == "tables":
            return f"table{'s' if isinstance(tables, list) and len(tables) > 1 else ''} {names}"
        return {"head": "posture and schema", "tail": "grants"}.get(str(stage), "")

    def carry(self, observations: Sequence[Observation],
              problems: Sequence[Problem] = ()) -> Mapping[str, JSONValue]:
        pii: dict[str, list[str]] = {}
        for obs in observations:
            if obs.kind == "pii.column" and not obs.attributes.get("protected"):
                pii.setdefault(obs.location.table or "", []).extend(obs.entities)
        # NOTE: a table that could not be read is the only problem located at a table
        # (a table read in key ranges may have several: it counts once)
        unread: dict[str, str] = {}
        for p in problems:
            if p.location and p.location.table:
                unread.setdefault(p.location.table, p.message)
        first = next(iter(unread.values()), "")
        return {PART_PII: {t: list(e) for t, e in pii.items()},
                PART_UNREAD: [len(unread), first]}

    def combine(self, observations: Sequence[Observation], states: Sequence[object]
                ) -> list[Observation]:
        """A key-range part leaves a placeholder where its table's observations go and
        hands its state over; here, for each table, the ranges' states are merged in
        key order and the columns classified once, in place of the first placeholder.
        A table of which a range is missing (its part failed) gives no observations."""
        done: dict[str, list[_RangeDone]] = {}
        for item in states:
            if isinstance(item, _RangeDone):
                done.setdefault(item.table, []).append(item)
        out: list[Observation] = []
        for obs in observations:
            if obs.kind != RANGE_KIND:
                out.append(obs)
                continue
            table = obs.location.table or ""
            ranges = sorted(done.get(table, []), key=lambda r: r.index)
            if obs.attributes.get("range") != 0 or not ranges or \
                    [r.index for r in ranges] != list(range(ranges[0].ranges)):
                continue
            state = RangeState(table)
            for part in ranges:
                # NOTE: merging adopts and grows the parts' objects: work on copies, the
                # same parts are combined again for the last part's carry and the report
                state.merge(copy.deepcopy(part.state))
            first = ranges[0]
            out.extend(table_observations(first.uri, table, state.results(),
                                          row_estimate=first.row_estimate,
                                          rows_read=state.rows, sampling="full",
                                          comments=first.comments))
        return out

    def _open(self, target: Target, options: ScanContext) -> tuple[DbSettings, DbUrl]:
        try:
            settings = settings_from(options)
        except ConfigError as exc:
            raise TargetError(f"invalid scanner option: {exc}") from None
        if target.is_file and not target.locator.startswith("sqlite:"):
            dburl = DbUrl("sqlite", "sqlite", database=target.locator)
        else:
            try:
                dburl = parse_url(target.locator)
            except ValueError as exc:
                raise TargetError(str(exc)) from None
            secret_file = options.get("database.password_file")
            if secret_file and dburl.dialect != "sqlite" and \
                    urlsplit(target.locator).password is None:
                dburl = dataclasses.replace(dburl, password=_read_secret(str(secret_file)))
        return settings, dburl

    def scan(self, target: Target, options: ScanContext) -> Iterator[Observation | Problem]:
        settings, dburl = self._open(target, options)
        part = _Part.of(options)
        budget = Budget(settings.time_budget, settings.clock)
        classify = self._classifier(options.hash_key)
        from .session import Session

        with Session(dburl, settings, budget) as session:
            # NOTE: defence in depth: query parameters may carry secrets (?password=...)
            uri = redact_url(target.uri) if "?" in target.uri else target.uri
            run = _Run(session, settings, budget, classify=classify, uri=uri,
                       hash_key=options.hash_key)
            for item in run.run(part):
                if isinstance(item, Observation) and item.kind == "target.fingerprint":
                    options.record_fingerprint(str(item.attributes["sha256"]))
                else:
                    yield item
            for state in run.states:
                options.record_state(state)


def _fail_unread(unread: int, selected: int, first: str) -> None:
    """What was not read was not checked: the target is incomplete (exit 3, its
    requirements not assessed), never "ok" with a pass it did not earn."""
    if unread:
        raise TargetError(f"{unread} of {selected} tables could not be read, "
                          f"so their columns were not checked (first: {first})")


def _comments_of(comments: Mapping[str, Mapping[str, str]], tables: Sequence[TableInfo]
                 ) -> JSONValue:
    return {t.qualified: dict(comments[t.qualified]) for t in tables
            if t.qualified in comments}


class _Part:
    """Which part of a planned scan this is (``whole`` when not planned), and what the
    plan read for it (schema, comments: None = read them here)."""

    def __init__(self, stage: str, tables: frozenset[str] = frozenset(),
                 pii: Mapping[str, list[str]] | None = None, selected: int = 0,
                 unread: tuple[int, str] = (0, ""), *,
                 schema: list[TableInfo] | None = None,
                 comments: dict[str, dict[str, str]] | None = None,
                 key_range: tuple[int, int, int | None, int | None, int] | None = None
                 ) -> None:
        self.stage, self.tables, self.pii = stage, tables, dict(pii or {})
        self.selected, self.unread = selected, unread
        self.schema, self.comments, self.key_range = schema, comments, key_range

    @classmethod
    def of(cls, options: ScanContext) -> _Part:
        stage = options.get(PART) or "whole"
        if stage not in ("whole", "head", "tables", "range", "tail"):
            raise TargetError(f"unknown part {stage!r} of a planned database scan")
        tables = options.get(PART_TABLES) or []
        pii = options.get(PART_PII) or {}
        selected = options.get(PART_SELECTED) or 0
        unread = options.get(PART_UNREAD) or [0, ""]
        raw_schema = options.get(PART_SCHEMA)
        raw_comments = options.get(PART_COMMENTS)
        raw_range = options.get(PART_RANGE)
        if not isinstance(tables, list) or not isinstance(pii, dict) or \
                not isinstance(selected, int) or not isinstance(unread, list) or \
                not isinstance(raw_comments, dict | None) or \
                (stage == "range") != isinstance(raw_range, list):
            raise TargetError("malformed part of a planned database scan")
        key_range = None
        if isinstance(raw_range, list):
            if len(raw_range) != 5 or not all(isinstance(v, int | None) for v in raw_range):
                raise TargetError("malformed part of a planned database scan (key range)")
            index, count, low, high, width = raw_range
            key_range = (int(str(index)), int(str(count)),
                         None if low is None else int(str(low)),
                         None if high is None else int(str(high)), int(str(width)))
        comments = None if raw_comments is None else {
            str(t): {str(c): str(v) for c, v in cols.items()}
            for t, cols in raw_comments.items() if isinstance(cols, dict)}
        return cls(str(stage), frozenset(str(t) for t in tables),
                   {str(k): [str(e) for e in v] if isinstance(v, list) else []
                    for k, v in pii.items()}, selected,
                   (int(str(unread[0])), str(unread[1])),
                   schema=None if raw_schema is None else _schema_of(raw_schema),
                   comments=comments, key_range=key_range)

    @property
    def head(self) -> bool:
        return self.stage in ("whole", "head")


class _Run:
    """One target's scan (holds the per-target state)."""

    def __init__(self, session: Session, settings: DbSettings, budget: Budget, *,
                 classify: ColumnClassifier, uri: str, hash_key: bytes) -> None:
        self.session, self.settings, self.budget = session, settings, budget
        self.classify, self.uri, self.hash_key = classify, uri, hash_key
        self.dialect = session.dialect
        self.server = "mariadb" if session.is_mariadb else "mysql"
        #: what key-range parts hand to the client (DatabaseScanner.combine)
        self.states: list[_RangeDone] = []

    def _comments(self) -> dict[str, dict[str, str]]:
        """Column comments by table (none when they cannot be read)."""
        found, _problem = self._read(
            "column comments", lambda c: list(read_comments(c, self.dialect).items()))
        comments: dict[str, dict[str, str]] = {}
        for (qualified, column), comment in found:
            comments.setdefault(qualified, {})[column] = comment
        return comments

    def _read(self, what: str, fn: Callable[[Connection], list[T]],
              location: Location | None = None, *, streaming: bool = False,
              unchecked: tuple[str, ...] = ()) -> tuple[list[T], Problem | None]:
        """Run ``fn`` in its own read-only transaction; a failure becomes a Problem naming
        the observation kinds it left ``unchecked``."""
        from sqlalchemy.exc import SQLAlchemyError

        from .session import describe_error

        try:
            with self.session.read(streaming=streaming) as conn:
                return fn(conn), None
        except SQLAlchemyError as exc:
            if self.budget.expired():
                raise self._budget_error(what) from None
            message = f"{what}: {describe_error(exc, self.session.dburl)}"
            return [], Problem(message, location or Location(self.uri), unchecked)

    def _budget_error(self, where: str) -> TargetError:
        return TargetError(f"time budget of {self.budget.seconds:g} s exhausted at {where}; "
                           "the rest of the database was not scanned")

    def _posture(self) -> Iterator[Observation | Problem]:
        from . import posture_mysql, posture_pg

        uri = self.uri
        # NOTE: each check names the kind it produces: a check that fails leaves that
        # kind unchecked, so the requirements resting on it are not assessed, not passed
        checks: list[tuple[str, str, Callable[[Connection], list[Observation]]]] = []
        if self.dialect == "postgresql":
            superuser = self._is_pg_superuser()
            checks = [
                ("settings", "db.setting", lambda c: list(posture_pg.settings(c, uri))),
                ("roles", "db.account", lambda c: list(posture_pg.accounts(
                    c, uri, passwords_readable=superuser))),
            ]
            if superuser:
                checks.append(("pg_hba_file_rules", "db.hba_rule",
                               lambda c: list(posture_pg.hba_rules(c, uri))))
            else:
                yield Problem("pg_hba_file_rules not checked: reading it needs superuser",
                              Location(uri), ("db.hba_rule",))
        elif self.dialect == "mysql":
            checks = [
                ("global variables", "db.setting",
                 lambda c: list(posture_mysql.settings(c, uri, self.server))),
                ("accounts", "db.account",
                 lambda c: list(posture_mysql.accounts(c, uri, self.server))),
            ]
        for what, kind, fn in checks:
            found, problem = self._read(what, fn, unchecked=(kind,))
            yield from found
            if problem:
                yield problem

    def _is_pg_superuser(self) -> bool:
        rows, _ = self._read("role check", lambda c: [
            bool(c.exec_driver_sql("SELECT rolsuper FROM pg_roles "
                                   "WHERE rolname = current_user").scalar())])
        return bool(rows and rows[0])

    def run(self, part: _Part | None = None) -> Iterator[Observation | Problem]:
        """The whole scan, or one part of a planned one (see ``DatabaseScanner.plan``:
        ``head`` = posture and schema, ``tables`` = some tables, ``tail`` = grants)."""
        part = part or _Part("whole")
        if part.stage == "tail":
            yield from self._grants(part.pii)
            _fail_unread(part.unread[0], part.selected, part.unread[1])
            return
        if part.head:
            yield from self._posture()
        if part.schema is not None:
            tables = part.schema  # NOTE: read once by the plan, for every part
        else:
            database = self.session.dburl.database
            tables, problem = self._read(
                "schema introspection", lambda c: list_tables(c, self.dialect, database))
            if problem:
                raise TargetError(problem.message)
        if part.stage == "range":
            yield from self._range(part, tables)
            return
        selected = [t for t in tables if self.settings.selects(t.schema, t.name)]
        if part.head:
            yield _schema_fingerprint(self.uri, tables)
        if len(selected) > self.settings.max_tables:
            if part.head:
                yield Problem(f"{len(selected)} tables selected, only the first "
                              f"{self.settings.max_tables} scanned (database.max_tables)",
                              Location(self.uri))
            selected = selected[: self.settings.max_tables]
        if part.stage == "head":
            return
        if part.stage == "tables":
            selected = [t for t in selected if t.qualified in part.tables]
        pii_tables: dict[str, list[str]] = {}
        unread: list[Problem] = []
        comments = part.comments if part.comments is not None else self._comments()
        for index, table in enumerate(selected):
            found, problem = self._read_table(
                table, f"{index} of {len(selected)} tables done",
                lambda c, t=table: scan_table(  # type: ignore[misc]
                    c, self.dialect, t, settings=self.settings, classify=self.classify,
                    uri=self.uri, budget=self.budget, subject_key=self.hash_key,
                    comments=comments.get(t.qualified)),
                streaming=self.settings.full)
            for obs in found:
                if obs.kind == "pii.column" and not obs.attributes.get("protected"):
                    pii_tables.setdefault(table.qualified, []).extend(obs.entities)
            yield from found
            if problem:
                unread.append(problem)
                yield problem
        if part.stage == "whole":
            yield from self._grants(pii_tables)
            _fail_unread(len(unread), len(selected), unread[0].message if unread else "")

    def _read_table(self, table: TableInfo, progress: str,
                    fn: Callable[[Connection], list[T]], *, streaming: bool
                    ) -> tuple[list[T], Problem | None]:
        """Read one table (or one key range of it) in its own transaction: a read that
        fails is a Problem located at the table; the time budget running out on the way
        is the target's error, saying where the scan stopped (``progress``)."""
        where = f"table {table.qualified} ({progress})"
        if self.budget.expired():
            raise self._budget_error(where)
        try:
            return self._read(f"table {table.qualified}", fn,
                              Location(self.uri, table=table.qualified), streaming=streaming)
        except _BudgetSpentError:
            raise self._budget_error(where) from None

    def _range(self, part: _Part, tables: Sequence[TableInfo]
               ) -> Iterator[Observation | Problem]:
        """One key range of a large table: its state for the client, a placeholder
        where the table's observations go, or the problem that it could not be read."""
        if part.key_range is None:
            raise TargetError("malformed part of a planned database scan (key range)")
        index, count, low, high, width = part.key_range
        table = next((t for t in tables if t.qualified in part.tables), None)
        if table is None:
            raise TargetError("malformed part of a planned database scan (no table)")
        found, problem = self._read_table(
            table, f"key range {index + 1} of {count}",
            lambda c: [read_blocks(c, self.dialect, table, width, classify=self.classify,
                                   sample_size=self.settings.sample_size,
                                   subject_key=self.hash_key,
                                   expired=lambda: _check_budget(self.budget),
                                   low=low, high=high)],
            streaming=True)
        if problem:
            yield problem
            return
        comments = (part.comments or {}).get(table.qualified)
        self.states.append(_RangeDone(self.uri, table.qualified, index, count,
                                      table.row_estimate, comments, found[0]))
        yield Observation(RANGE_KIND, Location(self.uri, table=table.qualified),
                          {"range": index, "ranges": count})

    def _grants(self, pii_tables: dict[str, list[str]]) -> Iterator[Observation | Problem]:
        from . import posture_mysql, posture_pg

        entities = {t: sorted(set(e)) for t, e in pii_tables.items()}
        fn: Callable[[Connection], list[Observation]] | None = None
        if self.dialect == "postgresql":
            fn = lambda c: [*posture_pg.grants(c, self.uri, entities),  # noqa: E731
                            *posture_pg.default_grants(c, self.uri)]
        elif self.dialect == "mysql":
            fn = lambda c: list(posture_mysql.grants(c, self.uri, self.server,  # noqa: E731
                                                     entities))
        if fn is None:
            return
        found, problem = self._read("grants", fn, unchecked=("db.grant",))
        yield from found
        if problem:
            yield problem
