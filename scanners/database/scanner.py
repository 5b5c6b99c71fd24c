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
from .observe import table_observations
from .options import DATABASE_OPTIONS, Budget, DbSettings, settings_from
from .urls import DIALECTS, DbUrl, is_database_url, parse_url, redact_url

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from .introspect import TableInfo
    from .session import Session

# NOTE: the modules that use SQLAlchemy (session, introspect, sampling, comments,
# posture_*) are imported where a database is read, not here: this module is loaded at
# every `auditor` start-up (plugin discovery) and SQLAlchemy alone costs ~0.15 s of CPU.

__all__ = ["DatabaseScanner", "scan_table"]

_SQLITE_MAGIC = b"SQLite format 3\x00"
_BUDGET_CHECK_ROWS = 2000
#: internal parameters of a part of a planned (distributed) scan; not user options (the
#: central option check rejects them on the command line)
PART, PART_TABLES, PART_PII = "database._part", "database._tables", "database._pii_tables"
PART_SELECTED, PART_UNREAD = "database._selected", "database._unread"
T = TypeVar("T")


class _BudgetSpentError(Exception):
    pass


def scan_table(conn: Connection, dialect: str, table: TableInfo, *, settings: DbSettings,
               classify: ColumnClassifier, uri: str, budget: Budget,
               subject_key: bytes = b"", comments: dict[str, str] | None = None
               ) -> list[Observation]:
    """Observations for one table (read inside the caller's read-only transaction)."""
    accumulators = [
        ColumnAccumulator(table.qualified, c.name, c.data_type, c.family, classify,
                          sample_size=settings.sample_size, full=settings.full,
                          subject_key=subject_key)
        for c in table.columns
    ]
    rows = 0
    from .sampling import SampleInfo, read_rows

    info = SampleInfo()
    for row in read_rows(conn, dialect, table, sample_size=settings.sample_size,
                         seed=settings.seed, full=settings.full, info=info):
        rows += 1
        for acc, cell in zip(accumulators, row, strict=True):
            acc.add(cell)
        if rows % _BUDGET_CHECK_ROWS == 0 and budget.expired():
            raise _BudgetSpentError
    results = [result for acc in accumulators for result in acc.finish()]
    return table_observations(uri, table.qualified, results, row_estimate=table.row_estimate,
                              rows_read=rows, sampling=info.method, comments=comments)


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
        (a larger table is a part of its own), then grants (which need to know which
        tables hold personal data: :meth:`carry`)."""
        settings, dburl = self._open(target, options)
        budget = Budget(settings.time_budget, settings.clock)
        raw = options.get("database.batch_rows", 50_000)
        batch_rows = int(raw) if isinstance(raw, int | float | str) else 50_000
        from .introspect import list_tables
        from .session import Session

        with Session(dburl, settings, budget) as session:
            run = _Run(session, settings, budget, classify=self._classifier(b""),
                       uri=target.uri, hash_key=b"")
            tables, problem = run._read("schema introspection",
                                        lambda c: list_tables(c, session.dialect,
                                                              dburl.database))
        if problem:
            raise TargetError(problem.message)
        selected = [t for t in tables if settings.selects(t.schema, t.name)]
        selected = selected[: settings.max_tables]
        parts: list[Mapping[str, JSONValue]] = [{PART: "head"}]
        batch: list[str] = []
        rows = 0
        for table in selected:
            estimate = max(table.row_estimate or 0, 1)
            cost = estimate if settings.full else min(estimate, settings.sample_size)
            if batch and rows + cost > batch_rows:
                parts.append({PART: "tables", PART_TABLES: list(batch)})
                batch, rows = [], 0
            batch.append(table.qualified)
            rows += cost
        if batch:
            parts.append({PART: "tables", PART_TABLES: list(batch)})
        parts.append({PART: "tail", PART_SELECTED: len(selected)})
        return parts

    def carry(self, observations: Sequence[Observation],
              problems: Sequence[Problem] = ()) -> Mapping[str, JSONValue]:
        pii: dict[str, list[str]] = {}
        for obs in observations:
            if obs.kind == "pii.column" and not obs.attributes.get("protected"):
                pii.setdefault(obs.location.table or "", []).extend(obs.entities)
        # NOTE: a table that could not be read is the only problem located at a table
        unread = [p.message for p in problems if p.location and p.location.table]
        return {PART_PII: {t: list(e) for t, e in pii.items()},
                PART_UNREAD: [len(unread), unread[0] if unread else ""]}

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
            for item in _Run(session, settings, budget, classify=classify, uri=uri,
                             hash_key=options.hash_key).run(part):
                if isinstance(item, Observation) and item.kind == "target.fingerprint":
                    if isinstance(options, ScanContext):  # NOTE: tests may pass bare options
                        options.record_fingerprint(str(item.attributes["sha256"]))
                else:
                    yield item


def _fail_unread(unread: int, selected: int, first: str) -> None:
    """What was not read was not checked: the target is incomplete (exit 3, its
    requirements not assessed), never "ok" with a pass it did not earn."""
    if unread:
        raise TargetError(f"{unread} of {selected} tables could not be read, "
                          f"so their columns were not checked (first: {first})")


class _Part:
    """Which part of a planned scan this is (``whole`` when not planned)."""

    def __init__(self, stage: str, tables: frozenset[str] = frozenset(),
                 pii: Mapping[str, list[str]] | None = None, selected: int = 0,
                 unread: tuple[int, str] = (0, "")) -> None:
        self.stage, self.tables, self.pii = stage, tables, dict(pii or {})
        self.selected, self.unread = selected, unread

    @classmethod
    def of(cls, options: ScanContext) -> _Part:
        stage = options.get(PART) or "whole"
        if stage not in ("whole", "head", "tables", "tail"):
            raise TargetError(f"unknown part {stage!r} of a planned database scan")
        tables = options.get(PART_TABLES) or []
        pii = options.get(PART_PII) or {}
        selected = options.get(PART_SELECTED) or 0
        unread = options.get(PART_UNREAD) or [0, ""]
        if not isinstance(tables, list) or not isinstance(pii, dict) or \
                not isinstance(selected, int) or not isinstance(unread, list):
            raise TargetError("malformed part of a planned database scan")
        return cls(str(stage), frozenset(str(t) for t in tables),
                   {str(k): [str(e) for e in v] if isinstance(v, list) else []
                    for k, v in pii.items()}, selected,
                   (int(str(unread[0])), str(unread[1])))

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
        from .comments import read_comments
        from .introspect import list_tables

        part = part or _Part("whole")
        if part.stage == "tail":
            yield from self._grants(part.pii)
            _fail_unread(part.unread[0], part.selected, part.unread[1])
            return
        if part.head:
            yield from self._posture()
        database = self.session.dburl.database
        tables, problem = self._read(
            "schema introspection", lambda c: list_tables(c, self.dialect, database))
        if problem:
            raise TargetError(problem.message)
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
        found_comments, _problem = self._read(
            "column comments", lambda c: list(read_comments(c, self.dialect).items()))
        comments: dict[str, dict[str, str]] = {}
        for (qualified, column), comment in found_comments:
            comments.setdefault(qualified, {})[column] = comment
        for index, table in enumerate(selected):
            where = f"table {table.qualified} ({index} of {len(selected)} tables done)"
            if self.budget.expired():
                raise self._budget_error(where)
            location = Location(self.uri, table=table.qualified)
            try:
                found, problem = self._read(
                    f"table {table.qualified}",
                    lambda c, t=table: scan_table(  # type: ignore[misc]
                        c, self.dialect, t, settings=self.settings, classify=self.classify,
                        uri=self.uri, budget=self.budget, subject_key=self.hash_key,
                        comments=comments.get(t.qualified)),
                    location, streaming=self.settings.full)
            except _BudgetSpentError:
                raise self._budget_error(where) from None
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
