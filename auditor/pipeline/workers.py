"""Run tasks in worker processes so that a worker that dies costs one task, not the scan.

A worker killed outright (the kernel's OOM killer, a SIGKILL, a native crash in a parser)
breaks a :class:`~concurrent.futures.ProcessPoolExecutor`: every unfinished future fails
with ``BrokenProcessPool``. :func:`run_tasks` keeps at most ``jobs`` tasks in flight, so
after a break only those few are suspects. Each suspect is re-run alone in a fresh
one-worker pool: the one that kills its worker again is reported through ``lost`` (one
target error), the others finish normally, and a new pool carries on with the rest.
Results come back in completion order; callers sort.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

__all__ = ["run_tasks"]

T = TypeVar("T")
R = TypeVar("R")


def _alone(fn: Callable[[T], R], task: T, lost: Callable[[T], R]) -> R:
    with ProcessPoolExecutor(max_workers=1) as pool:
        try:
            return pool.submit(fn, task).result()
        except BrokenProcessPool:
            return lost(task)


def run_tasks(fn: Callable[[T], R], tasks: Sequence[T], jobs: int,
              lost: Callable[[T], R]) -> Iterator[R]:
    """``fn(task)`` for every task in up to ``jobs`` processes; ``lost(task)`` stands in
    for a task whose worker died even when it ran alone. ``fn`` must be picklable."""
    queue = list(reversed(tasks))
    while queue:
        suspects: list[T] = []
        pool = ProcessPoolExecutor(max_workers=max(1, min(jobs, len(queue))))
        running: dict[Future[R], T] = {}
        try:
            while queue or running:
                while queue and len(running) < jobs:
                    task = queue.pop()
                    running[pool.submit(fn, task)] = task
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                broken = False
                for fut in done:
                    task = running.pop(fut)
                    try:
                        yield fut.result()
                    except BrokenProcessPool:
                        suspects.append(task)
                        broken = True
                if broken:
                    suspects.extend(running.values())
                    running.clear()
                    break
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        for task in suspects:  # NOTE: in submission order, each in its own process
            yield _alone(fn, task, lost)
