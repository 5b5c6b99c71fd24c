"""Two real processes write into one new SQLite store at the same moment: both migrate
(one waits), every run of both lands, and each system's lifecycle is intact."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

from auditor.history import Store, SystemInfo
from tests.history.helpers import finding, result

RUNS = 8
FINDINGS = 150


def _writer(url: str, system: str, barrier: Any, errors: Any) -> None:
    try:
        barrier.wait(timeout=60)
        with Store.open(url) as store:  # both open (and migrate) the new store at once
            for i in range(RUNS):
                # each run fixes one finding and brings one new one
                found = [finding(f"{system}-{j}") for j in range(i, i + FINDINGS)]
                store.record(result(f"{system}-run-{i}", i, found), SystemInfo(system, "x"))
    except BaseException as exc:
        errors.put(f"{system}: {type(exc).__name__}: {exc}")
        raise


def test_two_processes_write_one_sqlite_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared' / 'history.sqlite'}"
    ctx = multiprocessing.get_context("spawn")
    barrier, errors = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(url, name, barrier, errors))
             for name in ("alpha", "beta")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=240)
    assert [p.exitcode for p in procs] == [0, 0], errors.get() if not errors.empty() else ""
    with Store.open(url) as store:
        for system in ("alpha", "beta"):
            runs = store.trend(system)
            assert len(runs) == RUNS
            assert [(r["new"], r["fixed"], r["open"]["high"]) for r in runs] == \
                [(FINDINGS, 0, FINDINGS)] + [(1, 1, FINDINGS)] * (RUNS - 1)
