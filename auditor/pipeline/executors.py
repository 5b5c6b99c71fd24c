"""Where scan tasks run: the local process pool (``--executor local``, the default) or a
Dask distributed cluster (``--executor dask://HOST:PORT``, docs/scale-out.md).

The report does not depend on the executor: the same targets give the same findings,
fingerprints, order and data-subject counts.

On a cluster:

- **What travels.** Each task carries its target (a file *path*: workers must see files at
  the same path; a database URL *without a password*: a URL with one is refused, workers
  read passwords from their own environment), the scan options *without* the keyed-hash
  key (workers read it from their own environment too; the client compares key ids
  before any task, so counts and fingerprints match a local scan) and the rule packs
  themselves (scattered once to every worker; workers need no copy of the user's
  packs). Frameworks never leave the client: compliance is assessed there.
- **Finer tasks.** A target whose scanner can :meth:`~auditor.scanner.Scanner.plan` (a
  database) is planned on a worker and scanned in parts (posture, batches of tables,
  grants); the parts' observations come back in order and the client judges them as one
  target, so fingerprints and occurrence counts are exactly a local scan's. Other targets
  (files) travel in batches of files. In full mode a large table is cut into key ranges
  whose column states the client merges (:meth:`~auditor.scanner.Scanner.combine`).
- **Faults.** A task that raises is retried once (``retries=1``); a worker that dies
  mid-task has its task rescheduled by the scheduler (``distributed.scheduler.
  allowed-failures``: auditor expects 1, so a task that kills two workers fails). A task
  that fails twice makes its targets ``error`` (exit 3); the scan completes. Before any
  task runs, every worker's auditor version, code digest and scanners are compared with
  the client's: a mismatch is a usage error (exit 2). Ctrl-C cancels the cluster's tasks
  and the finished work is reported, marked incomplete (as with the local pool).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import importlib
import os
import socket
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from auditor import __version__
from auditor.errors import ConfigError
from auditor.models import JSONValue, Observation, Problem, Target
from auditor.pipeline.engine import (
    Collected,
    ScanTask,
    TaskOutcome,
    _worker_scanners,
    collect,
    execute,
    judge,
)
from auditor.pipeline.interrupts import Interrupted, after_interrupt
from auditor.policy.rules import RulePack
from auditor.results import TargetResult
from auditor.scanner import ScanContext, Scanner

if TYPE_CHECKING:
    from auditor.pipeline.engine import Engine, Executor

__all__ = [
    "ENV",
    "DaskExecutor",
    "KeyMismatchError",
    "LocalExecutor",
    "TaskProgress",
    "VersionMismatchError",
    "add_executor_argument",
    "executor_from",
    "identity",
]

#: the environment variable naming the executor when ``--executor`` is not given
ENV = "AUDITOR_EXECUTOR"
#: callback of cluster progress: (tasks done, tasks known so far, bytes of files done)
TaskProgress = Callable[[int, int, int], None]

_SECRET_QUERY = frozenset({"password", "pass", "pwd", "sslpassword"})


class VersionMismatchError(ConfigError):
    """Workers run another auditor (version, code or scanners) than the client (exit 2)."""


class KeyMismatchError(ConfigError):
    """A worker holds another keyed-hash key than the client (exit 2)."""


# ---- choosing an executor ----------------------------------------------------------------
def add_executor_argument(parser: argparse.ArgumentParser) -> None:
    """``--executor local|dask://HOST:PORT`` for a command that scans (scan, run)."""
    parser.add_argument(
        "--executor", metavar="local|dask://HOST:PORT", default=None,
        help="where tasks run: the local process pool (default) or a Dask scheduler "
             "(dask://HOST:PORT, dask+tls://HOST:PORT; also $AUDITOR_EXECUTOR)")


def executor_from(spec: str | None, *, jobs: int,
                  env: Mapping[str, str] | None = None,
                  on_tasks: TaskProgress | None = None) -> Executor:
    """The executor named by ``spec`` (``--executor``), else by ``$AUDITOR_EXECUTOR``,
    else the local pool of ``jobs`` processes. Bad values are a ConfigError (exit 2)."""
    environ = os.environ if env is None else env
    text = (spec if spec is not None else environ.get(ENV, "")).strip() or "local"
    if text == "local":
        return LocalExecutor(jobs)
    scheme, sep, rest = text.partition("://")
    if not sep or scheme not in ("dask", "dask+tls") or not _valid_hostport(rest):
        raise ConfigError(f"--executor: expected 'local' or dask://HOST:PORT, got {text!r}")
    address = ("tls://" if scheme == "dask+tls" else "tcp://") + rest
    return DaskExecutor(address, on_tasks=on_tasks)


def _valid_hostport(text: str) -> bool:
    host, sep, port = text.rpartition(":")
    return bool(sep and host and port.isdigit() and 0 < int(port) < 65536
                and "/" not in host and "@" not in host)


@dataclass(frozen=True, slots=True)
class LocalExecutor:
    """Today's executor: in-process (``jobs`` 1) or a pool of ``jobs`` processes."""

    jobs: int = 1

    def run(self, engine: Engine, tasks: Sequence[ScanTask],
            progress: Callable[[TargetResult], None] | None
            ) -> tuple[list[TaskOutcome], str | None]:
        return engine._run(tasks, self.jobs, progress)


# ---- what runs on a worker ---------------------------------------------------------------
@functools.cache
def _code_digest() -> str:
    """SHA-256 over the source of auditor and of every loaded scanner's package."""
    import auditor
    roots = {Path(auditor.__file__).parent}
    for scanner in _worker_scanners().values():
        module = sys.modules.get(type(scanner).__module__)
        if module is not None and getattr(module, "__file__", None):
            roots.add(Path(str(module.__file__)).parent)
    digest = hashlib.sha256()
    for root in sorted(roots):
        for path in sorted(root.rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def identity() -> dict[str, Any]:
    """What must be equal on the client and every worker."""
    scanners = _worker_scanners()
    return {"auditor": __version__, "code": _code_digest(),
            "scanners": sorted(f"{n}={type(s).__module__}.{type(s).__qualname__}"
                               for n, s in scanners.items())}


def _worker_identity() -> dict[str, Any]:
    """Run on every worker by the client's version probe (separate name on purpose)."""
    return identity()


@functools.cache
def _worker_key() -> bytes:
    """This worker's keyed-hash key, from its own environment (``AUDITOR_HASH_KEY``,
    ``AUDITOR_HASH_KEY_FILE`` or its user's key file): never sent by the client."""
    from auditor.masking import load_hash_key
    return load_hash_key(create=False)


def _worker_key_id() -> str:
    """Run on every worker by the client's key probe: the key's id, never the key."""
    from auditor.masking import key_id
    try:
        key = _worker_key()
    except OSError as exc:
        return f"unreadable AUDITOR_HASH_KEY_FILE ({exc.strerror or type(exc).__name__})"
    return f"key id {key_id(key)}" if key else "no key: AUDITOR_HASH_KEY is not set"


def _keyed(task: ScanTask) -> ScanTask:
    """The task with this worker's hash key (tasks travel without one)."""
    return replace(task, options=replace(task.options, hash_key=_worker_key()))


@dataclass(frozen=True, slots=True)
class _Packs:
    """The rule packs, scattered once to every worker."""

    packs: tuple[RulePack, ...]


def _missing(target: Target) -> str | None:
    if target.is_file and not os.path.exists(target.locator):
        return (f"{target.locator}: not found on worker {socket.gethostname()} (file "
                "targets must be visible at the same path on every worker)")
    return None


def _error(task: ScanTask, message: str) -> Collected:
    return Collected(status="error", error=message)


def _scanner_for(task: ScanTask) -> Scanner | str:
    try:
        return _worker_scanners()[task.target.scanner]
    except Exception as exc:  # NOTE: a worker that cannot start the task reports it
        return f"cannot run scanner {task.target.scanner!r} in a worker ({type(exc).__name__})"


def remote_batch(tasks: Sequence[ScanTask], packs: _Packs) -> list[TaskOutcome]:
    """Worker: scan and judge a batch of whole targets."""
    out = []
    for task in map(_keyed, tasks):
        scanner = _scanner_for(task)
        problem = scanner if isinstance(scanner, str) else _missing(task.target)
        if problem is not None or isinstance(scanner, str):
            out.append(judge(task, _error(task, problem or "no scanner"), packs.packs))
        else:
            out.append(execute(task, scanner, packs.packs))
    return out


@dataclass(frozen=True, slots=True)
class _Plan:
    parts: tuple[dict[str, JSONValue], ...] | None
    error: str | None = None


def remote_plan(task: ScanTask) -> _Plan:
    """Worker: the parts of a target (None: scan it whole)."""
    from auditor.errors import TargetError
    task = _keyed(task)
    scanner = _scanner_for(task)
    if isinstance(scanner, str):
        return _Plan(None, scanner)
    missing = _missing(task.target)
    if missing:
        return _Plan(None, missing)
    try:
        parts = scanner.plan(task.target, ScanContext.of(task.options))
    except TargetError as exc:
        return _Plan(None, str(exc))
    except ConfigError as exc:
        return _Plan(None, f"invalid configuration: {exc}")
    except Exception as exc:  # NOTE: as in collect(): the type only, never the message
        return _Plan(None, f"scanner {scanner.name!r} failed ({type(exc).__name__})")
    return _Plan(None if parts is None else tuple(dict(p) for p in parts))


def remote_part(task: ScanTask) -> Collected:
    """Worker: scan one part of a planned target (the client judges the merged parts)."""
    task = _keyed(task)
    scanner = _scanner_for(task)
    if isinstance(scanner, str):
        return _error(task, scanner)
    missing = _missing(task.target)
    return _error(task, missing) if missing else collect(task, scanner)


def merge(parts: Sequence[Collected], scanner: Scanner | None = None) -> Collected:
    """Parts in order as one target's collection; a failed part ends it (as a
    TargetError ends a whole scan: what came before is kept). ``scanner`` combines the
    states the parts recorded (:meth:`~auditor.scanner.Scanner.combine`)."""
    observations: list[Observation] = []
    problems: list[Problem] = []
    states: list[object] = []
    status, error = "ok", None
    for part in parts:
        observations.extend(part.observations)
        problems.extend(part.problems)
        states.extend(part.states)
        if part.status != "ok":
            status, error = part.status, part.error
            break
    if scanner is not None:
        observations = scanner.combine(observations, states)
    return Collected(tuple(observations), tuple(problems), status, error,
                     next((p.fingerprint for p in parts if p.fingerprint), None),
                     parts[0].sha256 if parts else None)


def with_params(task: ScanTask, overlay: Mapping[str, JSONValue]) -> ScanTask:
    options = replace(task.options, params={**task.options.params, **overlay})
    return replace(task, options=options)


def _has_password(target: Target) -> bool:
    if target.is_file:
        return False
    try:
        parts = urlsplit(target.locator)
        password = parts.password
    except ValueError:
        return False
    query = {k.lower() for k, _ in parse_qsl(parts.query, keep_blank_values=True)}
    return password is not None or bool(query & _SECRET_QUERY)


# ---- the client side ---------------------------------------------------------------------
@dataclass
class _Target:
    """A planned target's state on the client."""

    task: ScanTask
    scanner: Scanner
    parts: list[Collected | None] = field(default_factory=list)
    overlays: list[dict[str, JSONValue]] = field(default_factory=list)


@dataclass
class DaskExecutor:
    """Tasks on a Dask distributed scheduler at ``address`` (``tcp://`` or ``tls://``;
    TLS settings come from Dask's configuration, ``distributed.comm.tls.*``)."""

    address: str
    on_tasks: TaskProgress | None = None
    #: whole targets (files) per task, and bytes of files per task at most
    batch_files: int = 32
    batch_bytes: int = 64 * 1024 * 1024
    connect_timeout: float = 20.0
    client: Any = None  # NOTE: distributed.Client while running

    def run(self, engine: Engine, tasks: Sequence[ScanTask],
            progress: Callable[[TargetResult], None] | None
            ) -> tuple[list[TaskOutcome], str | None]:
        for task in tasks:
            if _has_password(task.target):
                raise ConfigError(
                    f"--executor: {task.target.uri}: a password in the URL is never sent to "
                    "workers; give it to the workers in their environment "
                    "(AUDITOR_DB_PASSWORD, PGPASSWORD, MYSQL_PWD) and drop it from the URL")
        try:
            distributed: Any = importlib.import_module("distributed")
        except ImportError:
            raise ConfigError("--executor dask:// needs Dask distributed: "
                              "pip install 'auditor[distributed]'") from None
        try:
            client = distributed.Client(self.address, timeout=self.connect_timeout,
                            set_as_default=False)
        except OSError as exc:
            raise ConfigError(f"--executor: cannot reach the Dask scheduler at "
                              f"{self.address} ({type(exc).__name__})") from None
        self.client = client
        try:
            self._check_workers(client)
            self._check_keys(client, tasks)
            return _Run(self, engine, client, progress).run(tasks)
        finally:
            self.client = None
            client.close()

    def _check_workers(self, client: Any) -> None:
        try:
            client.wait_for_workers(1, timeout=self.connect_timeout)
        except TimeoutError:
            raise ConfigError(f"--executor: no Dask worker joined {self.address} within "
                              f"{self.connect_timeout:g} s") from None
        mine = identity()
        theirs: dict[str, dict[str, Any]] = client.run(_worker_identity)
        for worker, ident in sorted(theirs.items()):
            if ident != mine:
                what = [k for k in ("auditor", "code", "scanners") if ident.get(k) != mine[k]]
                raise VersionMismatchError(
                    f"--executor: worker {worker} runs another auditor than this client "
                    f"(differs in: {', '.join(what)}; client {mine['auditor']} code "
                    f"{mine['code'][:12]}, worker {ident.get('auditor')} code "
                    f"{str(ident.get('code'))[:12]}): install the same version everywhere")
        allowed = client.run_on_scheduler(
            lambda dask_scheduler: getattr(dask_scheduler, "allowed_failures", None))
        if isinstance(allowed, int) and allowed != 1:
            sys.stderr.write(
                f"auditor: note: the scheduler reschedules a task after {allowed} worker "
                "deaths (distributed.scheduler.allowed-failures); auditor expects 1\n")


    def _check_keys(self, client: Any, tasks: Sequence[ScanTask]) -> None:
        """Every worker must hold the scan's keyed-hash key (compared by key id)."""
        from auditor.masking import key_id
        if not tasks:
            return
        mine = f"key id {key_id(tasks[0].options.hash_key)}"
        theirs: dict[str, str] = client.run(_worker_key_id)
        for worker, ident in sorted(theirs.items()):
            if ident != mine:
                raise KeyMismatchError(
                    f"--executor: worker {worker} has another keyed-hash key than this "
                    f"client (worker: {ident}; client: {mine}): fingerprints and data-subject "
                    "counts would not match; set the same AUDITOR_HASH_KEY (or "
                    "AUDITOR_HASH_KEY_FILE) on the client and on every worker")


def _failure(exc: BaseException) -> str:
    name = type(exc).__name__
    if name == "KilledWorker":
        return "task failed twice on the Dask cluster: its worker died each time (KilledWorker)"
    return f"task failed twice on the Dask cluster ({name})"


class _Run:
    """One scan's traffic with the cluster: submit, follow plans, merge, report progress."""

    def __init__(self, executor: DaskExecutor, engine: Engine, client: Any,
                 progress: Callable[[TargetResult], None] | None) -> None:
        distributed: Any = importlib.import_module("distributed")
        self.executor, self.engine, self.client, self.progress = (
            executor, engine, client, progress)
        self.queue: Any = distributed.as_completed(loop=client.loop, with_results=False)
        self.handlers: dict[str, Callable[[Any, BaseException | None], None]] = {}
        self.futures: list[Any] = []
        self.outcomes: list[TaskOutcome] = []
        self.done = self.total = self.nbytes = 0
        self.packs: Any = None

    def submit(self, fn: Callable[..., Any], *args: Any,
               then: Callable[[Any, BaseException | None], None]) -> None:
        future = self.client.submit(fn, *args, retries=1, pure=False)
        self.handlers[future.key] = then
        self.futures.append(future)
        self.queue.add(future)
        self.total += 1

    def finish(self, outcome: TaskOutcome) -> None:
        self.outcomes.append(outcome)
        if self.progress:
            self.progress(outcome.result)

    def run(self, tasks: Sequence[ScanTask]) -> tuple[list[TaskOutcome], str | None]:
        """The finished outcomes; on an interrupt (Ctrl-C, SIGTERM) the cluster's tasks
        are cancelled and the signal's name is returned with what had finished."""
        # NOTE: packs travel as objects; the hash key never: workers hold their own
        bare = [replace(t, packs=(), options=replace(t.options, hash_key=b""))
                for t in tasks]
        self.packs = self.client.scatter(_Packs(tuple(self.engine.packs)), broadcast=True,
                                         hash=False)
        whole: list[ScanTask] = []
        for task in bare:
            scanner = self.engine.scanners.get(task.target.scanner)
            if scanner is not None and type(scanner).plan is not Scanner.plan:
                self._plan(task, scanner)
            else:
                whole.append(task)
        for batch in self._batches(whole):
            self._batch(batch)
        try:
            self._drain()
        except KeyboardInterrupt as exc:  # NOTE: Ctrl-C, SIGTERM: cancel, report the rest
            self.client.cancel(self.futures, force=True)
            after_interrupt()
            return self.outcomes, (exc.signame if isinstance(exc, Interrupted) else "SIGINT")
        except BaseException:  # NOTE: anything else: leave nothing on the cluster
            self.client.cancel(self.futures, force=True)
            raise
        return self.outcomes, None

    def _drain(self) -> None:
        on_tasks = self.executor.on_tasks
        if on_tasks:
            on_tasks(0, self.total, 0)
        for future in self.queue:
            then = self.handlers.pop(future.key)
            if future.status == "finished":
                then(future.result(), None)
            else:
                then(None, future.exception())
            future.release()
            self.done += 1
            if on_tasks:
                on_tasks(self.done, self.total, self.nbytes)

    def _batches(self, tasks: Sequence[ScanTask]) -> Iterator[list[ScanTask]]:
        batch: list[ScanTask] = []
        size = 0
        for task in tasks:
            n = task.target.size or 0
            if batch and (len(batch) >= self.executor.batch_files
                          or size + n > self.executor.batch_bytes):
                yield batch
                batch, size = [], 0
            batch.append(task)
            size += n
        if batch:
            yield batch

    def _batch(self, batch: list[ScanTask]) -> None:
        def then(outcomes: list[TaskOutcome] | None, exc: BaseException | None) -> None:
            self.nbytes += sum(t.target.size or 0 for t in batch)
            if outcomes is None:
                outcomes = [judge(t, _error(t, _failure(exc or RuntimeError())),
                                  self.engine.packs) for t in batch]
            for outcome in outcomes:
                self.finish(outcome)
        self.submit(remote_batch, batch, self.packs, then=then)

    def _plan(self, task: ScanTask, scanner: Scanner) -> None:
        state = _Target(task, scanner)

        def planned(plan: _Plan | None, exc: BaseException | None) -> None:
            if plan is None:
                self.finish(judge(task, _error(task, _failure(exc or RuntimeError())),
                                  self.engine.packs))
            elif plan.error is not None:
                self.finish(judge(task, _error(task, plan.error), self.engine.packs))
            elif not plan.parts:
                self._batch([task])
            else:
                state.overlays = list(plan.parts)
                state.parts = [None] * len(plan.parts)
                for index in range(len(plan.parts) - 1):
                    self._part(state, index)
                if len(plan.parts) == 1:
                    self._part(state, 0)
        self.submit(remote_plan, task, then=planned)

    def _part(self, state: _Target, index: int) -> None:
        overlay = state.overlays[index]
        last = len(state.parts) - 1
        if index == last and last > 0:
            earlier = merge([p for p in state.parts[:last] if p is not None], state.scanner)
            overlay = {**overlay, **state.scanner.carry(earlier.observations,
                                                        earlier.problems)}

        def then(collected: Collected | None, exc: BaseException | None) -> None:
            if collected is None:
                label = state.scanner.part_label(state.overlays[index]) or \
                    f"part {index + 1} of {last + 1}"
                collected = _error(state.task, f"{label}: {_failure(exc or RuntimeError())}")
            state.parts[index] = collected
            waiting = [i for i, p in enumerate(state.parts) if p is None]
            if waiting == [last] and index != last:
                self._part(state, last)
            elif not waiting:
                merged = merge([p for p in state.parts if p is not None], state.scanner)
                self.finish(judge(state.task, merged, self.engine.packs))
        self.submit(remote_part, with_params(state.task, overlay), then=then)
