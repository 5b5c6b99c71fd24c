"""Run tasks in worker processes so that a worker that dies costs one task, not the scan.

A worker killed outright (the kernel's OOM killer, a SIGKILL, a native crash in a parser)
breaks a :class:`~concurrent.futures.ProcessPoolExecutor`: every unfinished future fails
with ``BrokenProcessPool``. :func:`run_tasks` keeps at most ``jobs`` tasks in flight, so
after a break only those few are suspects. Each suspect is re-run alone in a fresh
one-worker pool: the one that kills its worker again is reported through ``lost`` (one
target error), the others finish normally, and a new pool carries on with the rest.
Results come back in completion order; callers sort.

Workers ignore SIGINT (the parent decides what a Ctrl-C means). When the caller stops
early — an interrupt raised while waiting, or the generator closed — the pool is
abandoned at once: tasks not started are cancelled and the workers killed, never waited
for (a long scan must not hold an interrupt for minutes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from auditor.pipeline.interrupts import worker_init

__all__ = ["run_tasks"]

T = TypeVar("T")
R = TypeVar("R")


def _abandon(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now: cancel what has not started, kill the workers, do not wait."""
    # NOTE: the executor has no public way to stop running tasks
    workers = list((getattr(pool, "_processes", None) or {}).values())
    for proc in workers:
        if proc.is_alive():
            proc.kill()
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in workers:
        proc.join(timeout=1.0)


def _alone(fn: Callable[[T], R], task: T, lost: Callable[[T], R]) -> R:
    pool = ProcessPoolExecutor(max_workers=1, initializer=worker_init)
    try:
        result = pool.submit(fn, task).result()
    except BrokenProcessPool:
        result = lost(task)
    except BaseException:
        _abandon(pool)
        raise
    pool.shutdown(wait=True)
    return result


def run_tasks(fn: Callable[[T], R], tasks: Sequence[T], jobs: int,
              lost: Callable[[T], R]) -> Iterator[R]:
    """``fn(task)`` for every task in up to ``jobs`` processes; ``lost(task)`` stands in
    for a task whose worker died even when it ran alone. ``fn`` must be picklable."""
    queue = list(reversed(tasks))
    while queue:
        suspects: list[T] = []
        pool = ProcessPoolExecutor(max_workers=max(1, min(jobs, len(queue))),
                                   initializer=worker_init)
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
        except BaseException:  # NOTE: interrupted, or closed by the caller: do not wait
            _abandon(pool)
            raise
        pool.shutdown(wait=True, cancel_futures=True)
        for task in suspects:  # NOTE: in submission order, each in its own process
            yield _alone(fn, task, lost)
