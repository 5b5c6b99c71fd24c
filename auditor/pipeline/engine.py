"""The scan engine: targets in, a finished :class:`~auditor.results.ScanResult` out.

The unit of work is a picklable :class:`ScanTask` ``(target, options, rules)``. A task runs
the target's scanner and evaluates the rule packs on its observations where it runs, so
only findings travel back: tasks go to a process pool (``jobs > 1``) or run in-process, and
a distributed executor can be added later by shipping the same tasks elsewhere. Worker
processes build their scanner registry and packs once (per-process cache).

One bad target never sinks the scan: a :class:`~auditor.errors.TargetError` (or any
exception from a scanner, or a worker process that dies: :mod:`auditor.pipeline.workers`) marks
that target ``error`` and keeps the findings made before
it; the message of an unexpected exception is never shown (it may quote scanned data),
only its type, unless ``AUDITOR_DEBUG=1``.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import sys
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from auditor import __version__
from auditor.errors import ConfigError, TargetError
from auditor.fileio import sha256_file
from auditor.inventory import InventoryEntry, inventory_of, merge_entries
from auditor.models import Observation, Problem, Severity, Target
from auditor.names import clean_observation, clean_problem, escape_name
from auditor.pipeline.interrupts import BudgetExceeded, Interrupted, after_interrupt, time_limit
from auditor.pipeline.plugins import load_scanners
from auditor.policy.compliance import (
    assess,
    controls_by_rule,
    finding_controls,
    narrowed_requirements,
)
from auditor.policy.evaluate import evaluate
from auditor.policy.frameworks import Framework
from auditor.policy.rules import RulePack, load_pack
from auditor.results import Finding, PackRef, ScanResult, TargetResult, sorted_findings
from auditor.scanner import ScanContext, Scanner, ScanOptions

__all__ = ["NOT_SCANNED", "Collected", "Engine", "Executor", "ScanTask", "TaskOutcome",
           "collect", "execute", "hard_limit", "judge", "run_task"]

#: the error of a target an interrupt left unscanned
NOT_SCANNED = "not scanned: the scan was interrupted"


def hard_limit(budget: float | None) -> float | None:
    """The engine's hard stop for a ``--time-budget``: 10% + 1 s of grace."""
    return None if budget is None else budget * 1.1 + 1.0

FindingFilter = Callable[[Sequence[Finding]], Sequence[Finding]]


@dataclass(frozen=True, slots=True)
class ScanTask:
    """Picklable unit of work. ``packs`` are pack paths (local process pool; a distributed
    executor ships the packs themselves instead); ``params`` pack-parameter overrides."""

    target: Target
    options: ScanOptions
    packs: tuple[str, ...]
    params: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class TaskOutcome:
    result: TargetResult
    findings: tuple[Finding, ...]
    kinds: tuple[str, ...] = ()
    inventory: tuple[InventoryEntry, ...] = ()


class Executor(Protocol):
    """Where tasks run: :mod:`auditor.pipeline.executors` (a local process pool, Dask)."""

    def run(self, engine: Engine, tasks: Sequence[ScanTask],
            progress: Callable[[TargetResult], None] | None
            ) -> tuple[list[TaskOutcome], str | None]:
        """Outcomes of the finished tasks, and the signal's name if interrupted (the
        executor then has stopped its tasks)."""
        ...


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _file_sha256(path: str) -> str | None:
    try:
        return sha256_file(path)[0]
    except OSError:
        return None


@dataclass(frozen=True, slots=True)
class Collected:
    """What a scanner produced for one task (or one part of a planned target), before
    the rules judge it: observations and problems in order, and how the scan ended."""

    observations: tuple[Observation, ...] = ()
    problems: tuple[Problem, ...] = ()
    status: str = "ok"
    error: str | None = None
    fingerprint: str | None = None
    sha256: str | None = None
    #: mergeable states recorded by a part (ScanContext.record_state; Scanner.combine)
    states: tuple[object, ...] = ()


def collect(task: ScanTask, scanner: Scanner) -> Collected:
    """Run the task's scanner (in whatever process this is); never raises."""
    target = task.target
    observations: list[Observation] = []
    problems: list[Problem] = []
    status, error = "ok", None
    ctx = ScanContext.of(task.options)
    budget = task.options.time_budget
    try:
        # NOTE: a hard limit a little past the budget: scanners that honour the budget
        # themselves (databases, dumps) stop first and say precisely where
        with time_limit(hard_limit(budget)) as expired:
            for item in scanner.scan(target, ctx):
                if isinstance(item, Problem):
                    problems.append(clean_problem(item))
                else:
                    observations.append(clean_observation(item))  # NOTE: names are data
                if expired():
                    raise BudgetExceeded()
    except BudgetExceeded:
        status = "error"
        error = (f"time budget of {budget:g} s exhausted: the rest of this target was not "
                 f"scanned ({len(observations)} observations before the stop are kept)")
    except TargetError as exc:
        status, error = "error", escape_name(str(exc))
    except ConfigError as exc:  # NOTE: our own messages: they name options, not data
        status, error = "error", f"invalid configuration: {exc}"
    except Exception as exc:  # NOTE: one bad target never sinks the scan
        status = "error"
        error = f"scanner {scanner.name!r} failed ({type(exc).__name__})"
        if os.environ.get("AUDITOR_DEBUG") == "1":
            traceback.print_exc(file=sys.stderr)
    return Collected(tuple(observations), tuple(problems), status, error, ctx.fingerprint,
                     _file_sha256(target.locator) if target.is_file else None, ctx.states)


def judge(task: ScanTask, collected: Collected, packs: Sequence[RulePack]) -> TaskOutcome:
    """Evaluate the packs on what was collected: the task's outcome."""
    target = task.target
    findings = evaluate(collected.observations, packs, dict(task.params))
    result = TargetResult(
        uri=target.uri, kind=target.kind, scanner=target.scanner, status=collected.status,
        error=collected.error, sha256=collected.sha256, problems=collected.problems,
        observations=len(collected.observations), fingerprint=collected.fingerprint,
    )
    kinds = tuple(sorted({o.kind for o in collected.observations}))
    return TaskOutcome(result, tuple(findings), kinds,
                       inventory_of(collected.observations, scanner=target.scanner))


def execute(task: ScanTask, scanner: Scanner, packs: Sequence[RulePack]) -> TaskOutcome:
    """Run one task with the given scanner and packs (in whatever process this is)."""
    return judge(task, collect(task, scanner), packs)


@functools.cache
def _worker_scanners() -> Mapping[str, Scanner]:
    return load_scanners()


def run_task(task: ScanTask) -> TaskOutcome:
    """Entry point for worker processes: resolve the scanner and packs by name and path."""
    target = task.target
    try:
        scanner = _worker_scanners()[target.scanner]
        packs = [load_pack(p) for p in task.packs]
    except Exception as exc:  # NOTE: a worker that cannot start the task reports it
        return TaskOutcome(TargetResult(
            target.uri, target.kind, target.scanner, "error",
            error=f"cannot run scanner {target.scanner!r} in a worker ({type(exc).__name__})"),
            ())
    return execute(task, scanner, packs)


def _lost_worker(task: ScanTask) -> TaskOutcome:
    """The outcome of a task whose worker process died (e.g. killed for memory)."""
    target = task.target
    return TaskOutcome(TargetResult(
        target.uri, target.kind, target.scanner, "error",
        error="the worker process scanning this target died (killed, e.g. out of memory); "
              "the rest of the scan went on", sha256=_file_sha256(target.locator)
        if target.is_file else None), ())


@dataclass(frozen=True, slots=True)
class Engine:
    """``Engine(scanners, packs, frameworks)`` runs scans; everything comes in finished."""

    scanners: Mapping[str, Scanner]
    packs: tuple[RulePack, ...]
    frameworks: tuple[Framework, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)

    def scan(self, targets: Sequence[Target], options: ScanOptions, *,
             pre_results: Iterable[TargetResult] = (), jobs: int = 1,
             fail_on: Severity | None = Severity.LOW, lang: str = "en",
             finding_filters: Sequence[FindingFilter] = (),
             progress: Callable[[TargetResult], None] | None = None,
             extra: Mapping[str, Any] | None = None,
             executor: Executor | None = None) -> ScanResult:
        """Scan ``targets``; ``executor`` (default: the local pool of ``jobs`` processes)
        decides where tasks run. The report does not depend on it."""
        started = _now()
        tasks = [ScanTask(t, options, tuple(p.source for p in self.packs),
                          tuple(sorted(self.params.items()))) for t in targets]
        if executor is None:
            outcomes, interrupted = self._run(tasks, jobs, progress)
        else:
            outcomes, interrupted = executor.run(self, tasks, progress)
        extra = dict(extra or {})
        unscanned: list[TargetResult] = []
        if interrupted is not None:
            done = {(o.result.uri, o.result.scanner) for o in outcomes}
            unscanned = [TargetResult(t.uri, t.kind, t.scanner, "error", error=NOT_SCANNED)
                         for t in targets if (t.uri, t.scanner) not in done]
            extra["incomplete"] = {"reason": f"interrupted ({interrupted})",
                                   "targets_not_scanned": len(unscanned)}
        results = sorted([*pre_results, *(o.result for o in outcomes), *unscanned],
                         key=lambda r: (r.uri, r.scanner or ""))
        rules = [r for p in self.packs for r in p.rules]
        controls = controls_by_rule(self.frameworks, rules, options.as_of)
        narrowed = narrowed_requirements(self.frameworks)
        findings: Sequence[Finding] = [
            replace(f, controls=finding_controls(f, controls.get(f.rule_id, ()), narrowed))
            for o in outcomes for f in o.findings]
        for flt in finding_filters:
            findings = flt(findings)
        ordered = sorted_findings(findings)
        # NOTE: an interrupted run proves no requirement met: nothing is "pass" (fails stay)
        assessed = (self._assessed_kinds(outcomes) - self._unread_kinds(results)
                    if interrupted is None else set())
        compliance = assess(self.frameworks, rules, ordered, assessed, options.as_of)
        return ScanResult(
            tool_version=__version__, run_id=str(uuid.uuid4()), started_at=started,
            finished_at=_now(), as_of=options.as_of,
            packs=tuple(_pack_ref(p) for p in self.packs), targets=tuple(results),
            findings=ordered, frameworks=tuple(f.ref() for f in self.frameworks),
            compliance=compliance, fail_on=fail_on, lang=lang, extra=extra,
            inventory=merge_entries(e for o in outcomes for e in o.inventory),
        )

    def _assessed_kinds(self, outcomes: Iterable[TaskOutcome]) -> set[str]:
        kinds: set[str] = set()
        for o in outcomes:
            if o.result.status != "ok":
                continue
            kinds.update(o.kinds)
            scanner = self.scanners.get(o.result.scanner or "")
            if scanner is not None:
                kinds.update(scanner.emits)
        return kinds

    def _unread_kinds(self, results: Iterable[TargetResult]) -> set[str]:
        """Observation kinds a failed target could have produced: a requirement resting on
        them is not assessed, never ``pass`` (what was not read was not checked). A target
        that failed before any scanner claimed it (a directory that cannot be listed, an
        unreadable file, an unknown URL scheme) blocks every scanner that takes that kind
        of input. A problem inside a scanned target names the kinds it left unchecked."""
        unread: set[str] = set()
        for r in results:
            unread.update(k for p in r.problems for k in p.unchecked)
            if r.status != "error":
                continue
            scanner = self.scanners.get(r.scanner or "")
            if scanner is not None:
                unread.update(scanner.emits)
                continue
            method = "claim_url" if r.kind == "url" else "claim"
            for candidate in self.scanners.values():
                if getattr(type(candidate), method) is not getattr(Scanner, method):
                    unread.update(candidate.emits)
        return unread

    def _run(self, tasks: Sequence[ScanTask], jobs: int,
             progress: Callable[[TargetResult], None] | None
             ) -> tuple[list[TaskOutcome], str | None]:
        """Outcomes of the finished tasks, and the signal name if the run was interrupted."""
        outcomes: list[TaskOutcome] = []
        if jobs > 1 and len(tasks) == 1:
            # NOTE: a target scanned alone gets the workers for its own parts (a large
            # log in byte ranges, a capture's payload detection) instead of one core
            task = tasks[0]
            tasks = [replace(task, options=replace(task.options, workers=jobs))]
        if jobs <= 1 or len(tasks) <= 1:
            try:
                for task in tasks:
                    outcome = execute(task, self.scanners[task.target.scanner], self.packs)
                    outcomes.append(outcome)
                    if progress:
                        progress(outcome.result)
            except KeyboardInterrupt as exc:
                after_interrupt()
                return outcomes, _signame(exc)
            return outcomes, None
        from auditor.pipeline.workers import run_tasks  # NOTE: the process pool, only here

        try:
            for outcome in run_tasks(run_task, tasks, jobs, _lost_worker):
                outcomes.append(outcome)
                if progress:
                    progress(outcome.result)
        except KeyboardInterrupt as exc:  # NOTE: run_tasks has killed its workers
            after_interrupt()
            return outcomes, _signame(exc)
        return outcomes, None


def _signame(exc: KeyboardInterrupt) -> str:
    return exc.signame if isinstance(exc, Interrupted) else "SIGINT"


def _pack_ref(pack: RulePack) -> PackRef:
    return PackRef(pack.id, pack.version, pack.sha256, pack.title)
