"""The SQL dump scanner: pg_dump and mysqldump/mariadb-dump plain files, gzip or not.

Reads the dump as a stream (:mod:`auditor.scanners.database.sqldump.reader`): ``CREATE TABLE`` gives
column names and types; ``INSERT`` and ``COPY`` rows feed the same per-column
classification as live databases (the first ``database.sample_size`` rows of each table,
or every row with ``database.full=true``), so memory stays flat whatever the dump size.
A table is judged when its data ends (end of its COPY block, or the first statement that
is not an INSERT into it). Grants are reported at the end of the file, once it is known
which tables hold personal data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from auditor.errors import ConfigError, TargetError
from auditor.models import Location, Observation, Problem, Target
from auditor.scanner import Candidate, Claim, Scanner, ScanOptions

from ..classify import ColumnClassifier, pii_classifier
from ..columns import ColumnAccumulator
from ..comments import dump_comment, inline_comments
from ..introspect import family_of
from ..observe import table_observations
from ..options import DATABASE_OPTIONS, Budget, DbSettings, settings_from
from ..sampling import BINARY_PREFIX, BinaryCell
from . import statements as st
from .accounts import grant_observations, role_observation
from .reader import CopyEnd, CopyRow, DumpReader, Statement, open_dump

__all__ = ["SqlDumpScanner"]

_PG_SIGNATURE = re.compile(r"^--\s*PostgreSQL database (?:cluster )?dump", re.MULTILINE)
_MY_SIGNATURE = re.compile(r"^-- (?:MySQL|MariaDB) dump \d", re.MULTILINE)
_GENERIC = re.compile(r"^\s*(?:CREATE TABLE|INSERT INTO|COPY \S+ .*FROM stdin;)", re.I | re.M)
_HEADER_DB = re.compile(r"^-- Host: .*Database: (\S+)", re.MULTILINE)
_KEEPS_TABLE_OPEN = ("INSERT INTO", "REPLACE INTO", "SET", "")
_MAX_GRANTS = 10_000
_BUDGET_EVERY = 5000


def dialect_of(head: str) -> str | None:
    """``postgresql`` / ``mysql`` from a dump's first bytes, or None."""
    if _PG_SIGNATURE.search(head):
        return "postgresql"
    if _MY_SIGNATURE.search(head) or ("`" in head and _GENERIC.search(head)):
        return "mysql"
    if _GENERIC.search(head):
        return "postgresql" if "FROM stdin" in head or "public." in head else "mysql"
    return None


@dataclass
class _Table:
    schema: str
    name: str
    line: int
    columns: list[tuple[str, str]]
    accumulators: list[ColumnAccumulator] = field(default_factory=list)
    taken: int = 0
    seen: int = 0
    counted: bool = True  # False once rows are skipped unparsed (INSERT after the sample)
    width_problem: bool = False

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


class SqlDumpScanner(Scanner):
    """pg_dump / mysqldump plain-format dumps (optionally gzip-compressed)."""

    name = "sqldump"
    description = "SQL dump files: personal data in rows, passwords, roles and grants"
    emits = ("pii.column", "db.password_column", "db.credential_column", "db.account",
             "db.grant")

    options = DATABASE_OPTIONS
    option_prefix = "database"

    def __init__(self, classifier: Callable[[bytes], ColumnClassifier] | None = None) -> None:
        self._classifier = classifier or pii_classifier

    def claim(self, candidate: Candidate) -> Claim | None:
        if candidate.head.startswith(b"PGDMP"):
            return Claim("pg_dump-custom", 100)  # NOTE: claimed to say why it is not read
        head = candidate.text_head()
        if head is None:
            return self._claim_binary(candidate)
        if _PG_SIGNATURE.search(head) or _MY_SIGNATURE.search(head):
            return Claim("sqldump", 90)
        if _GENERIC.search(head):
            return Claim("sqldump", 60 if candidate.suffix == ".sql" else 45)
        return None

    @staticmethod
    def _claim_binary(candidate: Candidate) -> Claim | None:
        """A head that is not clean text: mysqldump writes BLOB bytes raw (NUL, ``\xff``)
        into its INSERTs, so a real dump can look binary within its first 8 KiB. It is
        claimed when it *starts* as a dump — the dump tool's header in the text before the
        first binary byte — never for dump-like text somewhere inside a binary file."""
        text = candidate.head.decode("utf-8", errors="surrogateescape")
        clean = re.match(r"[^\x00-\x08\x0e-\x1f\udc80-\udcff]*", text)
        prefix = clean.group(0)[:512] if clean else ""  # NOTE: the header opens the file
        if _PG_SIGNATURE.search(prefix) or _MY_SIGNATURE.search(prefix):
            return Claim("sqldump", 90)
        return None

    def scan(self, target: Target, options: ScanOptions) -> Iterator[Observation | Problem]:
        try:
            settings = settings_from(options)
        except ConfigError as exc:
            raise TargetError(f"invalid scanner option: {exc}") from None
        try:
            stream = open_dump(target.locator)
        except OSError as exc:
            raise TargetError(f"cannot open {target.uri}: {exc.strerror or exc}") from None
        with stream:
            try:
                if stream.read(5) == b"PGDMP":
                    raise TargetError(
                        f"{target.uri} is a pg_dump custom-format archive, which is not read; "
                        "convert it to plain SQL first: pg_restore -f dump.sql ARCHIVE")
                stream.seek(0)
                head = stream.read(16384).decode("utf-8", errors="replace")
                stream.seek(0)
            except (OSError, EOFError) as exc:
                raise TargetError(f"cannot read {target.uri}: {exc}") from None
            dialect = dialect_of(head) or "postgresql"
            backslash = dialect == "mysql" or bool(
                re.search(r"standard_conforming_strings\s*=\s*'?off", head, re.I))
            header_db = _HEADER_DB.search(head)
            run = _DumpRun(target.uri, dialect, settings=settings,
                           classify=self._classifier(options.hash_key), hash_key=options.hash_key,
                           database=header_db.group(1) if header_db else None)
            reader = DumpReader(stream, backslash_escapes=backslash)
            yield from run.run(reader)


class _DumpRun:
    def __init__(self, uri: str, dialect: str, *, settings: DbSettings,
                 classify: ColumnClassifier, hash_key: bytes, database: str | None) -> None:
        self.uri, self.dialect, self.settings = uri, dialect, settings
        self.classify, self.hash_key = classify, hash_key
        self.backslash = dialect == "mysql"
        self.schema = database or ("public" if dialect == "postgresql" else "main")
        self.definitions: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self.comments: dict[tuple[str, str], dict[str, str]] = {}
        self.open: dict[str, _Table] = {}
        self.done: set[str] = set()
        self.pii_tables: dict[str, list[str]] = {}
        self.grants: list[tuple[int, st.GrantStmt]] = []
        self.budget = Budget(settings.time_budget, settings.clock)
        self.copy_table: _Table | None = None
        self.pending: list[Problem] = []
        self.finished: list[Observation | Problem] = []

    # ---- driver -----------------------------------------------------------------------
    def run(self, reader: DumpReader) -> Iterator[Observation | Problem]:
        self.backslash = reader.backslash_escapes
        count = 0
        try:
            for event in reader.events():
                count += 1
                # NOTE: every statement (they may be megabytes long), every 5,000 COPY rows
                if (not isinstance(event, CopyRow) or count % _BUDGET_EVERY == 0) \
                        and self.budget.expired():
                    raise TargetError(f"time budget of {self.budget.seconds:g} s exhausted at "
                                      f"line {reader.line}; the rest of the dump was not "
                                      "scanned", line=reader.line)
                if isinstance(event, CopyRow):
                    self._copy_row(event)
                elif isinstance(event, CopyEnd):
                    if self.copy_table is not None:
                        yield from self._finish(self.copy_table)
                    self.copy_table = None
                else:
                    yield from self._statement(event)
                if self.finished:
                    yield from self.finished
                    self.finished = []
                if self.pending:
                    yield from self.pending
                    self.pending = []
        except TargetError:
            yield from self.finished
            yield from self.pending
            yield from self._finish_all()
            yield from self._grant_observations()
            raise
        yield from self._finish_all()
        yield from self._grant_observations()

    def _statement(self, stmt: Statement) -> Iterator[Observation | Problem]:
        kind = st.statement_kind(stmt.text)
        if kind not in _KEEPS_TABLE_OPEN:
            yield from self._finish_all()
        if kind in {"INSERT INTO", "REPLACE INTO"}:
            yield from self._insert(stmt)
        elif kind == "COPY":
            yield from self._copy_start(stmt)
        elif kind == "CREATE TABLE":
            yield from self._create(stmt)
        elif kind == "COMMENT" or stmt.text.lstrip()[:7].upper() == "COMMENT":
            said = dump_comment(stmt.text)
            if said is not None:
                schema, table, column, comment = said
                self.comments.setdefault((schema or self.schema, table), {})[column] = comment
        elif kind in {"CREATE ROLE", "ALTER ROLE", "CREATE USER", "ALTER USER", "SET PASSWORD"}:
            yield from self._role(stmt)
        elif kind == "GRANT":
            grant = st.parse_grant(stmt.text)
            if grant is not None and len(self.grants) < _MAX_GRANTS:
                self.grants.append((stmt.line, grant))
        elif kind == "USE":
            m = re.match(r"(?is)^\s*USE\s+(\S+)", stmt.text)
            if m:
                self.schema = st.unquote(m.group(1))

    # ---- tables -----------------------------------------------------------------------
    def _create(self, stmt: Statement) -> Iterator[Problem]:
        try:
            parsed = st.create_table(stmt.text)
        except Exception:  # NOTE: sqlparse raises various errors on odd input
            parsed = None
        if parsed is None:
            yield Problem(f"line {stmt.line}: CREATE TABLE statement could not be parsed",
                          Location(self.uri, line=stmt.line))
            return
        schema, name, columns = parsed
        self.definitions[(schema or self.schema, name)] = columns
        inline = inline_comments(stmt.text)
        if inline:
            self.comments.setdefault((schema or self.schema, name), {}).update(inline)

    def _table(self, schema: str | None, name: str, columns: list[str] | None,
               line: int) -> _Table | None:
        """The open table receiving rows; other open tables are judged first (a dump
        writes each table's data in one run), so at most one table is held at a time."""
        key_schema = schema or self.schema
        qualified = f"{key_schema}.{name}"
        for other in [t for t in self.open.values() if t.qualified != qualified]:
            self.finished.extend(self._finish(other))
        if qualified in self.done:
            return None
        table = self.open.get(qualified)
        if table is not None:
            return table
        defined = self.definitions.get((key_schema, name), [])
        types = dict(defined)
        if columns is None:
            columns = [c for c, _ in defined]
        table = _Table(key_schema, name, line, [(c, types.get(c, "")) for c in columns])
        table.accumulators = [
            ColumnAccumulator(qualified, c, t, family_of(t) if t else "other", self.classify,
                              sample_size=self.settings.sample_size, full=self.settings.full,
                              subject_key=self.hash_key)
            for c, t in table.columns]
        self.open[qualified] = table
        return table

    def _wants(self, table: _Table) -> bool:
        return self.settings.full or table.taken < self.settings.sample_size

    def _feed(self, table: _Table, values: list[Any], line: int) -> None:
        table.seen += 1
        if not table.columns:
            table.columns = [(f"column_{i + 1}", "") for i in range(len(values))]
            table.accumulators = [
                ColumnAccumulator(table.qualified, c, "", "other", self.classify,
                                  sample_size=self.settings.sample_size,
                                  full=self.settings.full, subject_key=self.hash_key)
                for c, _ in table.columns]
        if len(values) != len(table.columns):
            if table.width_problem:
                return
            table.width_problem = True
            self.pending.append(Problem(f"line {line}: row of {len(values)} values for table "
                           f"{table.qualified} of {len(table.columns)} columns; such rows "
                           "are skipped", Location(self.uri, line=line, table=table.qualified)))
            return
        table.taken += 1
        for acc, (_name, dtype), value in zip(table.accumulators, table.columns, values,
                                              strict=True):
            acc.add(_cell(value, family_of(dtype) if dtype else "other"))

    def _insert(self, stmt: Statement) -> Iterator[Observation | Problem]:
        parsed = st.insert_rows(stmt.text, backslash=self.backslash)
        if parsed is None:
            yield Problem(f"line {stmt.line}: INSERT statement could not be parsed",
                          Location(self.uri, line=stmt.line))
            return
        schema, name, columns, rows = parsed
        if not self.settings.selects(schema or self.schema, name):
            return
        table = self._table(schema, name, columns, stmt.line)
        if table is None:
            return
        if stmt.truncated:
            yield Problem(f"line {stmt.line}: INSERT into {table.qualified} longer than "
                          "16 MiB; only its beginning was read",
                          Location(self.uri, line=stmt.line, table=table.qualified))
        if not self._wants(table):
            table.counted = False
            return
        for values in rows:
            self._feed(table, values, stmt.line)
            if not self._wants(table):
                table.counted = False
                break

    def _copy_start(self, stmt: Statement) -> Iterator[Observation | Problem]:
        parsed = st.copy_header(stmt.text)
        if parsed is None:
            yield Problem(f"line {stmt.line}: COPY statement could not be parsed",
                          Location(self.uri, line=stmt.line))
            return
        schema, name, columns = parsed
        if self.settings.selects(schema or self.schema, name):
            self.copy_table = self._table(schema, name, columns, stmt.line)

    def _copy_row(self, row: CopyRow) -> None:
        table = self.copy_table
        if table is None:
            return
        if not self._wants(table):
            table.seen += 1
            return
        self._feed(table, st.copy_values(row.text), row.line)

    def _finish(self, table: _Table) -> Iterator[Observation | Problem]:
        self.open.pop(table.qualified, None)
        self.done.add(table.qualified)
        estimate = table.seen if table.counted else None
        results = [result for acc in table.accumulators for result in acc.finish()]
        for obs in table_observations(self.uri, table.qualified, results,
                                      row_estimate=estimate, rows_read=table.taken,
                                      line=table.line,
                                      sampling="full" if self.settings.full else "first-rows",
                                      comments=self.comments.get((table.schema, table.name))):
            if obs.kind == "pii.column" and not obs.attributes.get("protected"):
                self.pii_tables.setdefault(table.qualified, []).extend(obs.entities)
            yield obs

    def _finish_all(self) -> Iterator[Observation | Problem]:
        for table in list(self.open.values()):
            yield from self._finish(table)
        self.copy_table = None

    # ---- roles and grants -------------------------------------------------------------
    def _role(self, stmt: Statement) -> Iterator[Observation]:
        role = st.parse_role(stmt.text, backslash=self.backslash)
        if role is not None:
            obs = role_observation(role, uri=self.uri, line=stmt.line, dialect=self.dialect,
                                   hash_key=self.hash_key)
            if obs is not None:
                yield obs

    def _grant_observations(self) -> Iterator[Observation]:
        for line, grant in self.grants:
            yield from grant_observations(grant, uri=self.uri, line=line,
                                          dialect=self.dialect, schema=self.schema,
                                          pii_tables=self.pii_tables)


def _cell(value: Any, family: str) -> Any:
    """A dump value as the column accumulator expects it."""
    if isinstance(value, bytes):
        return BinaryCell(value[:BINARY_PREFIX], len(value))
    if family == "binary" and isinstance(value, str):
        if value.startswith("\\x"):
            digits = value[2:2 + 2 * BINARY_PREFIX]
            try:
                return BinaryCell(bytes.fromhex(digits), (len(value) - 2) // 2)
            except ValueError:
                pass
        data = value.encode("utf-8", errors="surrogateescape")
        return BinaryCell(data[:BINARY_PREFIX], len(data))
    return value
