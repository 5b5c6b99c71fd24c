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

import hashlib
from collections.abc import Callable, Iterator
from typing import TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from auditor.errors import ConfigError, TargetError
from auditor.models import Location, Observation, Problem, Target, canonical_json
from auditor.scanner import Candidate, Claim, ScanContext, Scanner, ScanOptions

from . import posture_mysql, posture_pg
from .classify import ColumnClassifier, pii_classifier
from .columns import ColumnAccumulator
from .comments import read_comments
from .introspect import TableInfo, list_tables
from .observe import table_observations
from .options import DATABASE_OPTIONS, Budget, DbSettings, settings_from
from .sampling import SampleInfo, read_rows
from .session import Session, describe_error
from .urls import DIALECTS, DbUrl, is_database_url, parse_url, redact_url

__all__ = ["DatabaseScanner", "scan_table"]

_SQLITE_MAGIC = b"SQLite format 3\x00"
_BUDGET_CHECK_ROWS = 2000
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

    def scan(self, target: Target, options: ScanContext) -> Iterator[Observation | Problem]:
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
        budget = Budget(settings.time_budget, settings.clock)
        classify = self._classifier(options.hash_key)
        with Session(dburl, settings, budget) as session:
            # NOTE: defence in depth: query parameters may carry secrets (?password=...)
            uri = redact_url(target.uri) if "?" in target.uri else target.uri
            for item in _Run(session, settings, budget, classify=classify, uri=uri,
                             hash_key=options.hash_key).run():
                if isinstance(item, Observation) and item.kind == "target.fingerprint":
                    if isinstance(options, ScanContext):  # NOTE: tests may pass bare options
                        options.record_fingerprint(str(item.attributes["sha256"]))
                else:
                    yield item


class _Run:
    """One target's scan (holds the per-target state)."""

    def __init__(self, session: Session, settings: DbSettings, budget: Budget, *,
                 classify: ColumnClassifier, uri: str, hash_key: bytes) -> None:
        self.session, self.settings, self.budget = session, settings, budget
        self.classify, self.uri, self.hash_key = classify, uri, hash_key
        self.dialect = session.dialect
        self.server = "mariadb" if session.is_mariadb else "mysql"

    def _read(self, what: str, fn: Callable[[Connection], list[T]],
              location: Location | None = None, *, streaming: bool = False
              ) -> tuple[list[T], Problem | None]:
        """Run ``fn`` in its own read-only transaction; a failure becomes a Problem."""
        try:
            with self.session.read(streaming=streaming) as conn:
                return fn(conn), None
        except SQLAlchemyError as exc:
            if self.budget.expired():
                raise self._budget_error(what) from None
            message = f"{what}: {describe_error(exc, self.session.dburl)}"
            return [], Problem(message, location or Location(self.uri))

    def _budget_error(self, where: str) -> TargetError:
        return TargetError(f"time budget of {self.budget.seconds:g} s exhausted at {where}; "
                           "the rest of the database was not scanned")

    def _posture(self) -> Iterator[Observation | Problem]:
        uri = self.uri
        checks: list[tuple[str, Callable[[Connection], list[Observation]]]] = []
        if self.dialect == "postgresql":
            superuser = self._is_pg_superuser()
            checks = [
                ("settings", lambda c: list(posture_pg.settings(c, uri))),
                ("roles", lambda c: list(posture_pg.accounts(c, uri,
                                                             passwords_readable=superuser))),
            ]
            if superuser:
                checks.append(("pg_hba_file_rules", lambda c: list(posture_pg.hba_rules(c, uri))))
            else:
                yield Problem("pg_hba_file_rules not checked: reading it needs superuser",
                              Location(uri))
        elif self.dialect == "mysql":
            checks = [
                ("global variables", lambda c: list(posture_mysql.settings(c, uri, self.server))),
                ("accounts", lambda c: list(posture_mysql.accounts(c, uri, self.server))),
            ]
        for what, fn in checks:
            found, problem = self._read(what, fn)
            yield from found
            if problem:
                yield problem

    def _is_pg_superuser(self) -> bool:
        rows, _ = self._read("role check", lambda c: [
            bool(c.exec_driver_sql("SELECT rolsuper FROM pg_roles "
                                   "WHERE rolname = current_user").scalar())])
        return bool(rows and rows[0])

    def run(self) -> Iterator[Observation | Problem]:
        yield from self._posture()
        database = self.session.dburl.database
        tables, problem = self._read(
            "schema introspection", lambda c: list_tables(c, self.dialect, database))
        if problem:
            raise TargetError(problem.message)
        selected = [t for t in tables if self.settings.selects(t.schema, t.name)]
        yield _schema_fingerprint(self.uri, tables)
        if len(selected) > self.settings.max_tables:
            yield Problem(f"{len(selected)} tables selected, only the first "
                          f"{self.settings.max_tables} scanned (database.max_tables)",
                          Location(self.uri))
            selected = selected[: self.settings.max_tables]
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
        yield from self._grants(pii_tables)
        if unread:
            # NOTE: what was not read was not checked: the target is incomplete (exit 3,
            # its requirements not assessed), never "ok" with a pass it did not earn
            raise TargetError(f"{len(unread)} of {len(selected)} tables could not be read, "
                              f"so their columns were not checked (first: "
                              f"{unread[0].message})")

    def _grants(self, pii_tables: dict[str, list[str]]) -> Iterator[Observation | Problem]:
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
        found, problem = self._read("grants", fn)
        yield from found
        if problem:
            yield problem
