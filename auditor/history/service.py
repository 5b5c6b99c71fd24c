"""The results store as one object: ``Store.open(url)`` then record, read, prune."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, exists, select
from sqlalchemy.engine import Connection

from auditor.history import queries
from auditor.history.ingest import Recorded, SystemInfo, record_result
from auditor.history.store import StoreEngine, open_engine
from auditor.history.tables import findings, run_compliance, run_findings, run_frameworks, runs
from auditor.results import ScanResult

__all__ = ["Store"]


@dataclass(frozen=True, slots=True)
class Store:
    """A results store (SQLite file or PostgreSQL database), migrated and ready."""

    db: StoreEngine

    @classmethod
    def open(cls, url: str, *, password: str | None = None) -> Store:
        return cls(open_engine(url, password=password))

    @property
    def display(self) -> str:
        """The store URL without any password."""
        return self.db.display

    def close(self) -> None:
        self.db.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ---- writing ---------------------------------------------------------------------
    def record(self, result: ScanResult, system: SystemInfo, *, source: str = "run",
               report_dir: str | None = None, duration_s: float | None = None) -> Recorded:
        """Record a finished scan as a run of ``system`` (idempotent by run id).
        ``duration_s`` defaults to the report's (whole-second) start and finish times."""
        if not system.name:
            raise ValueError("a run is recorded for a named system")
        return self.db.write(lambda conn: record_result(
            conn, result, system, source=source, report_dir=report_dir,
            duration_s=duration_s))

    def prune(self, keep_days: int, now: dt.datetime | None = None) -> int:
        """Delete runs that started more than ``keep_days`` ago, except each system's
        newest run (the lifecycle goes on from it); fixed findings no run mentions any
        more go with them. Returns the number of runs deleted."""
        moment = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
        cutoff = moment - dt.timedelta(days=keep_days)

        def work(conn: Connection) -> int:
            keep = self._newest_ids(conn)
            old = [int(r.id) for r in conn.execute(select(runs.c.id).where(
                runs.c.started_at < cutoff)) if int(r.id) not in keep]
            for i in range(0, len(old), 500):
                chunk = old[i:i + 500]
                for table in (run_findings, run_compliance, run_frameworks):
                    conn.execute(delete(table).where(table.c.run_id.in_(chunk)))
                conn.execute(delete(runs).where(runs.c.id.in_(chunk)))
            conn.execute(delete(findings).where(~exists().where(
                run_findings.c.finding_id == findings.c.id)))
            return len(old)

        return self.db.write(work)

    @staticmethod
    def _newest_ids(conn: Connection) -> set[int]:
        best: dict[int, tuple[dt.datetime, int]] = {}
        for r in conn.execute(select(runs.c.id, runs.c.system_id, runs.c.started_at)):
            key = (r.started_at, int(r.id))
            if r.system_id not in best or key > best[r.system_id]:
                best[r.system_id] = key
        return {v[1] for v in best.values()}

    # ---- reading ---------------------------------------------------------------------
    def _read(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        with self.db.engine.connect() as conn:
            return fn(conn, *args, **kwargs)

    def runs(self, system: str | None = None, limit: int | None = None
             ) -> list[dict[str, Any]]:
        return list(self._read(queries.list_runs, system, limit))

    def run(self, ref: str) -> dict[str, Any]:
        return dict(self._read(queries.find_run, ref))

    def findings(self, run_id: int) -> list[dict[str, Any]]:
        return list(self._read(queries.run_findings_of, run_id))

    def result(self, ref: str) -> ScanResult:
        result: ScanResult = self._read(queries.run_result, ref)
        return result

    def trend(self, system: str | None = None, framework: str | None = None,
              since: dt.datetime | None = None) -> list[dict[str, Any]]:
        return list(self._read(queries.trend, system, framework, since))

    def time_to_fix(self, system: str | None = None) -> dict[str, dict[str, Any]]:
        return dict(self._read(queries.time_to_fix, system))

    def overview(self, owner: str | None = None) -> list[dict[str, Any]]:
        return list(self._read(queries.overview, owner))

    def requirement(self, framework: str, requirement: str) -> list[dict[str, Any]]:
        return list(self._read(queries.requirement_status, framework, requirement))

    def timeline(self, system: str, fingerprint: str) -> list[dict[str, Any]]:
        return list(self._read(queries.finding_timeline, system, fingerprint))

    def systems(self) -> Sequence[str]:
        return [r["system"] for r in self.overview()]
