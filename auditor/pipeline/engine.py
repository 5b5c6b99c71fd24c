"""The scan engine: targets in, a finished :class:`~auditor.results.ScanResult` out.

The unit of work is a picklable :class:`ScanTask` ``(target, options, rules)``. A task runs
the target's scanner and evaluates the rule packs on its observations where it runs, so
only findings travel back: tasks go to a process pool (``jobs > 1``) or run in-process, and
a distributed executor can be added later by shipping the same tasks elsewhere. Worker
processes build their scanner registry and packs once (per-process cache).

One bad target never sinks the scan: a :class:`~auditor.errors.TargetError` (or any
exception from a scanner) marks that target ``error`` and keeps the findings made before
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
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from typing import Any

from auditor import __version__
from auditor.errors import ConfigError, TargetError
from auditor.fileio import sha256_file
from auditor.inventory import InventoryEntry, inventory_of, merge_entries
from auditor.models import Observation, Problem, Severity, Target
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

__all__ = ["Engine", "ScanTask", "TaskOutcome", "run_task"]

FindingFilter = Callable[[Sequence[Finding]], Sequence[Finding]]


@dataclass(frozen=True, slots=True)
class ScanTask:
    """Picklable unit of work. ``packs`` are pack paths; ``params`` pack-parameter overrides."""

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


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _file_sha256(path: str) -> str | None:
    try:
        return sha256_file(path)[0]
    except OSError:
        return None


def execute(task: ScanTask, scanner: Scanner, packs: Sequence[RulePack]) -> TaskOutcome:
    """Run one task with the given scanner and packs (in whatever process this is)."""
    target = task.target
    observations: list[Observation] = []
    problems: list[Problem] = []
    status, error = "ok", None
    ctx = ScanContext.of(task.options)
    try:
        for item in scanner.scan(target, ctx):
            if isinstance(item, Problem):
                problems.append(item)
            else:
                observations.append(item)
    except TargetError as exc:
        status, error = "error", str(exc)
    except ConfigError as exc:  # NOTE: our own messages: they name options, not data
        status, error = "error", f"invalid configuration: {exc}"
    except Exception as exc:  # NOTE: one bad target never sinks the scan
        status = "error"
        error = f"scanner {scanner.name!r} failed ({type(exc).__name__})"
        if os.environ.get("AUDITOR_DEBUG") == "1":
            traceback.print_exc(file=sys.stderr)
    schema_fp = ctx.fingerprint
    findings = evaluate(observations, packs, dict(task.params))
    result = TargetResult(
        uri=target.uri, kind=target.kind, scanner=target.scanner, status=status,
        error=error, sha256=_file_sha256(target.locator) if target.is_file else None,
        problems=tuple(problems), observations=len(observations), fingerprint=schema_fp,
    )
    kinds = tuple(sorted({o.kind for o in observations}))
    return TaskOutcome(result, tuple(findings), kinds,
                       inventory_of(observations, scanner=target.scanner))


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
             extra: Mapping[str, Any] | None = None) -> ScanResult:
        started = _now()
        tasks = [ScanTask(t, options, tuple(p.source for p in self.packs),
                          tuple(sorted(self.params.items()))) for t in targets]
        outcomes = self._run(tasks, jobs, progress)
        results = sorted([*pre_results, *(o.result for o in outcomes)],
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
        compliance = assess(self.frameworks, rules, ordered,
                            self._assessed_kinds(outcomes), options.as_of)
        return ScanResult(
            tool_version=__version__, run_id=str(uuid.uuid4()), started_at=started,
            finished_at=_now(), as_of=options.as_of,
            packs=tuple(_pack_ref(p) for p in self.packs), targets=tuple(results),
            findings=ordered, frameworks=tuple(f.ref() for f in self.frameworks),
            compliance=compliance, fail_on=fail_on, lang=lang, extra=dict(extra or {}),
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

    def _run(self, tasks: Sequence[ScanTask], jobs: int,
             progress: Callable[[TargetResult], None] | None) -> list[TaskOutcome]:
        outcomes: list[TaskOutcome] = []
        if jobs <= 1 or len(tasks) <= 1:
            for task in tasks:
                outcome = execute(task, self.scanners[task.target.scanner], self.packs)
                outcomes.append(outcome)
                if progress:
                    progress(outcome.result)
            return outcomes
        with ProcessPoolExecutor(max_workers=min(jobs, len(tasks))) as pool:
            futures = [pool.submit(run_task, t) for t in tasks]
            for fut in as_completed(futures):
                outcome = fut.result()
                outcomes.append(outcome)
                if progress:
                    progress(outcome.result)
        return outcomes


def _pack_ref(pack: RulePack) -> PackRef:
    return PackRef(pack.id, pack.version, pack.sha256, pack.title)
