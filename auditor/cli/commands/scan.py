"""``auditor scan TARGET...``: discover, scan, judge, report (DESIGN.md "CLI")."""

from __future__ import annotations

import argparse
import io
import math
import os
import stat
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.cli.terminal import console as terminal_console
from auditor.document import COVER_FIELDS, apply_document, load_document, load_plan
from auditor.errors import ConfigError
from auditor.fileio import atomic_write
from auditor.gate.gating import Gate, prepare_evidence, write_bundle
from auditor.masking import load_hash_key
from auditor.models import Severity, Target
from auditor.pipeline.changes import changed_files
from auditor.pipeline.destination import resolve_output
from auditor.pipeline.discovery import DEFAULT_IGNORES, DiscoveryOptions, discover
from auditor.pipeline.engine import NOT_SCANNED, Engine
from auditor.pipeline.executors import LocalExecutor, add_executor_argument, executor_from
from auditor.pipeline.gitignore import find_worktree
from auditor.pipeline.interrupts import Interrupted, interruptible
from auditor.pipeline.options import check_scanner_options
from auditor.pipeline.output import (
    parse_formats,
    render_options,
    render_text,
    write_atomic,
    write_reports,
)
from auditor.pipeline.plugins import catalogue_of, load_reporters, load_scanners
from auditor.policy.attestations import apply_attestations, load_attestations
from auditor.policy.frameworks import split_parameters
from auditor.policy.loading import load_frameworks, load_packs, parse_assignments, parse_date
from auditor.reporting import RenderOptions, Reporter
from auditor.results import ScanResult, TargetResult
from auditor.scanner import Scanner, ScanOptions
from auditor.textsafe import rich_safe, term_safe

if TYPE_CHECKING:
    from rich.progress import ProgressColumn

__all__ = ["ScanOutcome", "perform", "register", "run"]

EXIT_INTERRUPTED = 130


def _count(text: str) -> int:
    """A whole number >= 0 (argparse turns the ValueError into a usage error, exit 2)."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {text}")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text}")
    return value


def register(sub: Any) -> None:
    p = sub.add_parser("scan", help="scan files, directories and databases",
                       description="Scan TARGETs (files, directories, database URLs) with "
                                   "the installed scanners and judge them with rule packs.")
    p.add_argument("targets", nargs="+", metavar="TARGET",
                   help="file, directory, or database URL (postgresql://, mysql://, "
                        "mariadb://, sqlite:///path)")
    p.add_argument("--pack", action="append", default=[], metavar="ID|PATH",
                   help="add a rule pack by id or path to the installed packs (repeatable)")
    p.add_argument("--no-default-packs", action="store_true",
                   help="apply only the --pack packs, not the built-in and installed ones")
    p.add_argument("--framework", action="append", default=[], metavar="ID|PATH",
                   help="framework to assess (repeatable; default: those in force --as-of)")
    p.add_argument("--format", action="append", default=[], metavar="F",
                   help="report format(s): json, sarif, md, ... (repeatable or comma-separated)")
    p.add_argument("-o", "--output", metavar="DIR|FILE",
                   help="write reports into DIR, or one report to FILE when its name ends "
                        "in a report extension (report.html, scan.sarif...)")
    p.add_argument("--fail-on", default="low", metavar="SEVERITY|never",
                   help="exit 1 when an unsuppressed finding is at or above this "
                        "severity (default: low)")
    p.add_argument("--as-of", metavar="YYYY-MM-DD",
                   help="judge as of this date (certificates, laws in force; default: today)")
    p.add_argument("--lang", choices=("en", "vi"), default="en", help="report language")
    p.add_argument("--jobs", "-j", type=_count, default=0, metavar="N",
                   help="parallel worker processes (default: CPU count; 1 = in-process)")
    p.add_argument("--ignore", action="append", default=[], metavar="GLOB",
                   help="skip paths matching GLOB (repeatable; added to the defaults)")
    p.add_argument("--max-size", type=_count, default=4 * 1024**3, metavar="BYTES",
                   help="skip files larger than this (0 = no limit; default 4 GiB)")
    p.add_argument("--follow-symlinks", action="store_true",
                   help="follow file links that point outside a scanned directory "
                        "(default: reported as skipped)")
    p.add_argument("--option", "-O", action="append", default=[], metavar="SCANNER.KEY=VALUE",
                   help="scanner option, e.g. database.sample_size=500 (repeatable)")
    p.add_argument("--full", action="store_true",
                   help="databases: read every row instead of a sample (database.full=true)")
    p.add_argument("--sample-size", type=_positive_int, metavar="N",
                   help="databases and dumps: rows sampled per table (database.sample_size)")
    p.add_argument("--include", action="append", default=[], metavar="GLOB",
                   help="databases: only these schemas / schema.tables (database.include)")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                   help="databases: skip these schemas / schema.tables (database.exclude)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="override a rule-pack parameter, or a framework's as "
                        "FRAMEWORK.NAME=VALUE (repeatable)")
    p.add_argument("--time-budget", type=_seconds, default=None, metavar="SECONDS",
                   help="per-target time budget for scanners that honour it")
    p.add_argument("--suppressions", metavar="FILE",
                   help="YAML suppression file (reason, approved_by, expires per entry)")
    p.add_argument("--baseline", metavar="PREVIOUS.json",
                   help="suppress findings already in this JSON report: gate on new ones")
    p.add_argument("--evidence", metavar="DIR",
                   help="write a signed evidence bundle (reports, manifest, signature)")
    p.add_argument("--signing-key", metavar="PATH",
                   help="Ed25519 private key for --evidence (default: $AUDITOR_SIGNING_KEY, "
                        "else auditor-signing.key if present)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar or summary")
    p.add_argument("--no-gitignore", action="store_true",
                   help="also scan what .gitignore files exclude (default: honour them "
                        "inside a git work tree)")
    p.add_argument("--since", metavar="REF",
                   help="only files changed since the merge base of REF and HEAD, plus "
                        "uncommitted changes (what a merge request changes)")
    p.add_argument("--changed-only", action="store_true",
                   help="only files changed in the working tree against HEAD (staged, "
                        "unstaged, untracked)")
    p.add_argument("--config", metavar="FILE",
                   help="read defaults from FILE's `defaults:` section (default: "
                        "auditor.yaml at the root of the scanned git work tree)")
    add_executor_argument(p)
    p.add_argument("--attestations", metavar="FILE",
                   help="YAML of manual checks (requirement, result, evidence, assessor, "
                        "date, expires): a valid one decides a manual requirement")
    p.add_argument("--remediation-plan", metavar="FILE",
                   help="YAML remediation plan (rule, owner, deadline, status) shown in the "
                        "audit document; edit it and pass it again next run")
    doc = p.add_argument_group("audit document (cover page; docs/reports.md)")
    doc.add_argument("--document", metavar="FILE",
                     help="YAML with the cover facts and systems (flags below override it)")
    for flag, what in (("controller", "data controller"), ("processor", "data processor"),
                       ("system", "system audited (names the inventory's entries)"),
                       ("scope", "scope of the assessment"), ("period", "audit period"),
                       ("assessor", "assessor who signs the document")):
        doc.add_argument(f"--{flag}", metavar="TEXT", help=what)
    p.set_defaults(handler=run)


@contextmanager
def _progress(targets: Sequence[Target], enabled: bool, verbose: bool = False
              ) -> Iterator[Callable[[TargetResult], None] | None]:
    """A progress bar on stderr: targets done, bytes done of the files' total, ETA.
    With ``verbose`` (and no bar), one line per finished target instead."""
    if verbose and not enabled and targets:
        def line(result: TargetResult) -> None:
            sys.stderr.write(f"auditor: done: {result.uri} ({result.status})\n")
            sys.stderr.flush()
        yield line
        return
    if not enabled or not targets:
        yield None
        return
    # NOTE: rich is imported only when a bar is shown (start-up of `scan -q` and CI runs)
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    sizes: dict[tuple[str, str | None], int] = {(t.uri, t.scanner): (t.size or 0)
                                                 for t in targets}
    total_bytes = sum(sizes.values())
    columns: list[ProgressColumn] = [TextColumn("scanning"), BarColumn(), MofNCompleteColumn()]
    if total_bytes:
        columns += [DownloadColumn(), TransferSpeedColumn()]
    columns += [TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                TextColumn("{task.description}")]
    with Progress(*columns, console=terminal_console(sys.stderr), transient=True) as bar:
        # NOTE: with bytes known, the bar (and ETA) follows bytes: one big file dominates
        task = bar.add_task("", total=total_bytes or len(targets))
        done = [0]

        def step(result: TargetResult) -> None:
            done[0] += 1
            advance = sizes.get((result.uri, result.scanner), 0) if total_bytes else 1
            bar.update(task, advance=advance, description=rich_safe(
                       f"{done[0]}/{len(targets)} " + result.uri[-40:]))
        yield step


@contextmanager
def _cluster_progress(enabled: bool) -> Iterator[Callable[[int, int, int], None] | None]:
    """Progress of a distributed scan: tasks done / tasks known so far, bytes of files."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("scanning on the cluster"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("tasks"), TimeElapsedColumn(), TextColumn("{task.description}"),
                  transient=True) as bar:
        task = bar.add_task("", total=None)

        def step(done: int, total: int, nbytes: int) -> None:
            bar.update(task, completed=done, total=total,
                       description=f"{nbytes / 1e6:.1f} MB of files" if nbytes else "")
        yield step


def _scanner_params(args: argparse.Namespace) -> dict[str, Any]:
    """``--option SCANNER.KEY=VALUE`` (text, checked against the declarations by
    :func:`~auditor.pipeline.options.check_scanner_options`) plus the database flags."""
    params: dict[str, Any] = {}
    for item in args.option:
        name, sep, raw = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--option: expected SCANNER.KEY=VALUE, got {item!r}")
        params[name.strip()] = raw
    if args.full:
        params["database.full"] = True
    if args.sample_size is not None:
        params["database.sample_size"] = args.sample_size
    if args.include:
        params["database.include"] = list(args.include)
    if args.exclude:
        params["database.exclude"] = list(args.exclude)
    return params


def _settings(scanners: Mapping[str, Scanner], params: Mapping[str, Any]) -> dict[str, Any]:
    """The scanner options in effect (given or default) for the methodology section of the
    audit document; ``secret`` options are never recorded."""
    out: dict[str, Any] = {}
    for prefix, scanner in sorted(scanners.items()):
        for opt in getattr(scanner, "options", ()):
            if opt.type == "secret":
                continue
            key = f"{prefix}.{opt.name}"
            out[key] = params.get(key, opt.default)
    return out


def _check_targets(targets: Sequence[str]) -> None:
    """A path that does not exist is a usage error before anything runs (exit 2)."""
    for given in targets:
        if "://" in given:
            continue
        path = Path(given)
        if not path.exists() and not path.is_symlink():
            raise ConfigError(f"{given}: no such file or directory")


def _own_paths(args: argparse.Namespace, out_dir: Path | None) -> tuple[tuple[str, str], ...]:
    """This run's own files and folders, never scanned (the -o folder, the baseline...)."""
    own = [(out_dir, "the report folder of this run (-o)"),
           (Path(args.evidence) if args.evidence else None, "the evidence bundle of this run"),
           (Path(args.baseline) if args.baseline else None, "the baseline of this run"),
           (Path(args.suppressions) if args.suppressions else None,
            "the suppression file of this run"),
           (Path(args.config_file) if getattr(args, "config_file", None) else None,
            "the configuration of this run")]
    stdout = _stdout_file()
    if stdout is not None:
        own.append((stdout, "the report this run writes to standard output"))
    return tuple((str(p.resolve()), why) for p, why in own if p is not None)


def _stdout_file() -> Path | None:
    """The regular file standard output is redirected to (``> baseline.json``), if any:
    the shell creates it empty before the scan starts, and it must not be judged."""
    try:
        fd = sys.stdout.fileno()
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        link = Path(os.readlink(f"/proc/self/fd/{fd}"))
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return None
    return link if link.is_absolute() else None


def _paths_extra(targets: Sequence[str]) -> dict[str, Any]:
    """``run.working_directory`` and ``run.source_root`` (the git work tree of the first
    scanned path, else the working directory): SARIF paths are made relative to it."""
    cwd = Path.cwd()
    local = [Path(t) for t in targets if "://" not in t]
    root = None
    if local:
        start = local[0] if local[0].is_dir() else local[0].parent
        root = find_worktree(start)
    return {"working_directory": cwd.as_posix(), "source_root": (root or cwd).as_posix()}


def _not_scanned(result: ScanResult) -> int:
    return sum(1 for t in result.targets if t.error == NOT_SCANNED)


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    """A finished scan and how its reports are to be written; ``interrupted`` when a
    signal stopped it (the result is marked incomplete, the exit code is 130)."""

    result: ScanResult
    reporters: Mapping[str, Reporter]
    formats: list[str]
    out_dir: Path | None
    render: RenderOptions
    interrupted: bool = False
    out_file: Path | None = None

    @property
    def exit_code(self) -> int:
        return EXIT_INTERRUPTED if self.interrupted else self.result.exit_code()


class ScanInterrupted(KeyboardInterrupt):
    """Interrupted before any target was scanned: nothing worth a report."""


def run(args: argparse.Namespace) -> int:
    try:
        outcome = perform(args)
    except ScanInterrupted:
        sys.stderr.write("auditor: interrupted before scanning\n")
        return EXIT_INTERRUPTED
    result, reporters, formats = outcome.result, outcome.reporters, outcome.formats
    if outcome.out_file is not None:
        reporter = reporters[formats[0]]
        if reporter.binary:
            atomic_write(outcome.out_file, reporter.render_bytes(result, outcome.render))
        else:
            write_atomic(outcome.out_file, render_text(reporter, result, outcome.render))
    elif outcome.out_dir is not None:
        write_reports(result, reporters, formats, outcome.out_dir, outcome.render)
    elif formats:
        sys.stdout.write(render_text(reporters[formats[0]], result, outcome.render))
        return outcome.exit_code
    if not args.quiet:
        from auditor.cli.summary import print_summary  # NOTE: rich, only when printed

        print_summary(result, sys.stdout, color=None if not args.no_color else False)
    return outcome.exit_code


def perform(args: argparse.Namespace, *, extra: Mapping[str, Any] | None = None
            ) -> ScanOutcome:
    """Everything ``auditor scan`` does before writing reports (shared with ``auditor run``).

    ``extra`` goes into the JSON report's ``run`` object; ``args.framework_defaults``
    (optional, ``{framework: {param: value}}``) sets framework parameters that
    ``--param`` may still override. Raises :class:`ScanInterrupted` when a signal stops
    it before anything was scanned.
    """
    _check_targets(args.targets)
    as_of = parse_date(args.as_of)
    jobs = args.jobs if args.jobs > 0 else (os.cpu_count() or 1)
    # NOTE: a bad value fails first; `auditor run` passes its own --executor through
    executor = executor_from(getattr(args, "executor", None), jobs=jobs)
    try:
        fail_on = None if args.fail_on == "never" else Severity.parse(args.fail_on)
    except ValueError as exc:
        raise ConfigError(f"--fail-on: {exc}") from None
    scanners = load_scanners()
    reporters = load_reporters()
    formats = parse_formats(args.format, reporters)
    destination = resolve_output(args.output, formats, reporters) if args.output else None
    out_dir = destination.directory if destination else None
    out_file = destination.file if destination else None
    if destination is not None:
        formats = list(destination.formats)
    if destination is None and len(formats) > 1:
        raise ConfigError("several --format values need -o DIR (one file per format)")
    if destination is None and formats and not reporters[formats[0]].machine:
        raise ConfigError(f"--format {formats[0]} writes a document, not a stream: give -o DIR")
    packs = load_packs(args.pack, defaults=not args.no_default_packs,
                       catalogue=catalogue_of(scanners))
    frameworks = load_frameworks(args.framework, as_of)
    framework_params, params = split_parameters(parse_assignments(args.param, "--param"),
                                                frameworks)
    unknown = sorted(set(params) - {n for p in packs for n in p.parameters})
    if unknown:
        raise ConfigError(f"--param: no loaded pack has a parameter named {unknown[0]!r}")
    packs = tuple(p.with_parameters(params) for p in packs)
    defaults: Mapping[str, Mapping[str, Any]] = getattr(args, "framework_defaults", None) or {}
    frameworks = tuple(f.with_parameters({**{k: v for k, v in defaults.get(f.id, {}).items()
                                              if k in f.parameters},
                                           **framework_params.get(f.id, {})})
                       for f in frameworks)
    gate = Gate.load(as_of, args.suppressions, args.baseline)
    attestations = load_attestations(args.attestations) if args.attestations else None
    plan = load_plan(args.remediation_plan) if args.remediation_plan else None
    document = load_document(args.document, {f: getattr(args, f) for f in COVER_FIELDS
                                             if f != "date"}, as_of)
    signing_key = prepare_evidence(args.evidence, args.signing_key) if args.evidence else None
    options = ScanOptions(as_of=as_of, hash_key=load_hash_key(),
                          time_budget=args.time_budget)
    options = replace(options, params=check_scanner_options(scanners, _scanner_params(args),
                                                            options))
    ignore = (*DEFAULT_IGNORES, *args.ignore)
    partial = bool(args.since or args.changed_only)
    only = changed_files(args.targets, args.since) if partial else None
    with interruptible():
        try:
            targets, pre = discover(args.targets, scanners, DiscoveryOptions(
                ignore=ignore, max_size=args.max_size or None, gitignore=not args.no_gitignore,
                exclude_paths=_own_paths(args, out_dir), only=only,
                follow_symlinks=args.follow_symlinks))
        except Interrupted:  # NOTE: nothing scanned yet: nothing worth a report
            raise ScanInterrupted from None
        if args.verbose:
            for t in pre:
                sys.stderr.write(f"auditor: {t.status}: {t.uri}: {t.error}\n")
        jobs = args.jobs if args.jobs > 0 else (os.cpu_count() or 1)
        engine = Engine(scanners, packs, frameworks, params)
        extra = {**_paths_extra(args.targets), **(extra or {}),
                 "settings": _settings(scanners, options.params)}
        if only is not None:
            extra["changed_only"] = {"since": args.since, "files": len(only)}
        if args.verbose:
            sys.stderr.write(f"auditor: scanning {len(targets)} targets with {jobs} "
                             f"job(s)\n")
            sys.stderr.flush()
        show = sys.stderr.isatty() and not args.quiet
        local = isinstance(executor, LocalExecutor)
        with _progress(targets, show and local, verbose=bool(args.verbose)) as step, \
                _cluster_progress(show and not local) as on_tasks:
            if on_tasks is not None:
                executor = executor_from(getattr(args, "executor", None), jobs=jobs,
                                         on_tasks=on_tasks)
            result = engine.scan(targets, options, pre_results=pre, jobs=jobs, fail_on=fail_on,
                                 lang=args.lang, progress=step,
                                 finding_filters=gate.filters(), extra=extra,
                                 executor=None if local else executor)
    interrupted = "incomplete" in result.extra
    result = gate.finish(result, sys.stderr, unused=not partial and not interrupted)
    if attestations is not None:
        result = apply_attestations(result, attestations, args.attestations, sys.stderr)
    result = apply_document(result, document)
    if plan is not None:
        result = replace(result, extra={**result.extra, "remediation_plan": plan})
    if args.evidence and signing_key is not None and not interrupted:
        from auditor.bundle.signing import key_id  # NOTE: cryptography, only for --evidence

        result = replace(result, extra={**result.extra, "evidence": {
            "dir": args.evidence, "key_id": key_id(signing_key.public_key()),
            "manifest": "manifest.json"}})
    if interrupted:
        sys.stderr.write(f"auditor: interrupted: writing the finished work, marked incomplete "
                         f"({_not_scanned(result)} targets not scanned)\n")
    elif args.evidence and signing_key is not None:
        write_bundle(result, args.evidence, reporters, formats, signing_key, gate=gate,
                     render=render_options(packs, args.lang))
    for t in result.targets:
        if t.status == "error" and not (interrupted and t.error == NOT_SCANNED):
            sys.stderr.write(f"auditor: {term_safe(t.uri)}: {term_safe(t.error or '')}\n")
    return ScanOutcome(result, reporters, formats, out_dir, render_options(packs, args.lang),
                       interrupted=interrupted, out_file=out_file)
