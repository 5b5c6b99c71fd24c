"""Helpers for the database and SQL dump scanner tests: scratch databases on the real
servers, running a scanner, judging with the real ``core`` pack, and leak checks.

Servers come from ``AUDITOR_TEST_PG_URL`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``) and ``AUDITOR_TEST_MYSQL_URL`` (default
``mysql://root@127.0.0.1:3306/mysql``); each scratch database is created for one test and
dropped afterwards. Tests skip when a server is unreachable.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from auditor.scanners.database.classify import ColumnClassifier, Verdict, pii_classifier
from auditor.scanners.database.urls import parse_url

from auditor.errors import TargetError
from auditor.models import JSONValue, Observation, Problem, Target
from auditor.policy.evaluate import evaluate
from auditor.policy.rules import load_pack
from auditor.results import Finding
from auditor.scanner import ScanContext, Scanner

__all__ = [
    "MY_URL",
    "PG_URL",
    "REPO",
    "ScanRun",
    "assert_no_leak",
    "my_scratch",
    "no_pii",
    "pg_scratch",
    "real_pii",
    "run",
]

REPO = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("AUDITOR_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
MY_URL = os.environ.get("AUDITOR_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/mysql")
HASH_KEY = b"auditor-test-suite-key"


@dataclass(frozen=True)
class _EmptyVerdict:
    entities: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    hit_ratio: float = 0.0
    confidence: float = 0.0
    sample_size: int = 0
    distinct_subjects: int | None = 0
    by_name: bool = False
    examples: tuple[str, ...] = ()

    def to_attributes(self) -> dict[str, Any]:
        return {}


def no_pii(_key: bytes) -> ColumnClassifier:
    """A classifier that finds nothing: isolates posture/password tests from the PII
    engine (they assert facts the PII engine has no say in)."""
    def classify(column: str, values: Sequence[str], table: str) -> Verdict:
        return _EmptyVerdict(sample_size=len(values))
    return classify


def real_pii() -> Callable[[bytes], ColumnClassifier]:
    """The real PII engine's classifier factory; skips when auditor.pii is absent."""
    pytest.importorskip("auditor.pii")
    return pii_classifier


@dataclass
class ScanRun:
    observations: list[Observation] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    error: TargetError | None = None
    fingerprint: str | None = None

    def kind(self, kind: str) -> list[Observation]:
        return [o for o in self.observations if o.kind == kind]

    def columns(self, kind: str = "pii.column") -> dict[tuple[str, str], Observation]:
        out = {}
        for o in self.kind(kind):
            key = (o.location.table or "", o.location.column or "")
            if o.attributes.get("json_key"):
                key = (key[0], f"{key[1]}.{o.attributes['json_key']}")
            out[key] = o
        return out

    def findings(self) -> list[Finding]:
        return evaluate(self.observations, [load_pack(REPO / "rules" / "core")])

    def rule_hits(self) -> set[tuple[str, str, str]]:
        """(rule id, table or key, column) for every finding."""
        return {(f.rule_id, f.location.table or f.location.key or "", f.location.column or "")
                for f in self.findings()}


def run(scanner: Scanner, locator: str, *, uri: str | None = None, is_file: bool = False,
        time_budget: float | None = None, clock: Callable[[], float] | None = None,
        **params: JSONValue) -> ScanRun:
    """Scan one target, collecting observations, problems and a final TargetError."""
    target = Target(uri=uri or locator, locator=locator, kind="test", scanner=scanner.name,
                    is_file=is_file)
    options = ScanContext(as_of=dt.date(2026, 1, 1), hash_key=HASH_KEY, time_budget=time_budget,
                          params={f"database.{k}": v for k, v in params.items()},
                          **({"clock": clock} if clock is not None else {}))
    out = ScanRun()
    try:
        for item in scanner.scan(target, options):
            if isinstance(item, Problem):
                out.problems.append(item)
            else:
                out.observations.append(item)
    except TargetError as exc:
        out.error = exc
    out.fingerprint = options.fingerprint
    return out


def assert_no_leak(run_result: ScanRun, *canaries: str) -> None:
    """No canary appears in any observation, problem, error or finding."""
    texts = [repr(run_result.observations), repr(run_result.problems), str(run_result.error)]
    texts += [json.dumps(o.attributes, ensure_ascii=False) + json.dumps(o.evidence,
                                                                        ensure_ascii=False)
              for o in run_result.observations]
    texts += [json.dumps(f.to_dict(), ensure_ascii=False) for f in run_result.findings()]
    blob = "\n".join(texts)
    for canary in canaries:
        assert canary not in blob, f"canary {canary[:3]}... leaked"


# ---- scratch databases -------------------------------------------------------------------
def _scratch_name() -> str:
    return "auditor_t_" + secrets.token_hex(4)


@contextmanager
def pg_scratch() -> Iterator[tuple[str, Any]]:
    """(URL of a fresh database, admin psycopg connection to it, autocommit)."""
    psycopg = pytest.importorskip("psycopg")
    base = parse_url(PG_URL)
    try:
        admin = psycopg.connect(host=base.host, port=base.port or 5432, user=base.user,
                                password=base.password, dbname=base.database or "postgres",
                                autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL not reachable: {type(exc).__name__}")
    name = _scratch_name()
    admin.execute(f'CREATE DATABASE "{name}"')
    conn = psycopg.connect(host=base.host, port=base.port or 5432, user=base.user,
                           password=base.password, dbname=name, autocommit=True)
    full = PG_URL.rsplit("/", 1)[0] + "/" + name
    try:
        yield full, conn
    finally:
        conn.close()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@contextmanager
def my_scratch() -> Iterator[tuple[str, Any]]:
    """(URL of a fresh MySQL/MariaDB database, admin PyMySQL connection, autocommit)."""
    pymysql = pytest.importorskip("pymysql")
    base = parse_url(MY_URL)
    try:
        admin = pymysql.connect(host=base.host, port=base.port or 3306, user=base.user,
                                password=base.password or "", autocommit=True,
                                connect_timeout=5, charset="utf8mb4")
    except pymysql.Error as exc:
        pytest.skip(f"MySQL/MariaDB not reachable: {type(exc).__name__}")
    name = _scratch_name()
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        cur.execute(f"USE `{name}`")
    full = MY_URL.rsplit("/", 1)[0] + "/" + name
    try:
        yield full, admin
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


class FakeClock:
    """A monotonic clock that moves ``step`` seconds each time it is read: time budgets
    run out after a known number of checks, however fast or loaded the machine is."""

    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now
