"""``auditor scan TARGET...``: discover, scan, judge, report (DESIGN.md "CLI")."""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from auditor.bundle.signing import key_id
from auditor.cli.summary import print_summary
from auditor.document import COVER_FIELDS, apply_document, load_document, load_plan
from auditor.errors import ConfigError
from auditor.fileio import atomic_write
from auditor.gate.gating import Gate, prepare_evidence, write_bundle
from auditor.masking import load_hash_key
from auditor.models import Severity
from auditor.pipeline.destination import resolve_output
from auditor.pipeline.discovery import DEFAULT_IGNORES, DiscoveryOptions, discover
from auditor.pipeline.engine import Engine
from auditor.pipeline.options import check_scanner_options
from auditor.pipeline.output import parse_formats, render_text, write_atomic, write_reports
from auditor.pipeline.plugins import catalogue_of, load_reporters, load_scanners
from auditor.policy.attestations import apply_attestations, load_attestations
from auditor.policy.frameworks import split_parameters
from auditor.policy.loading import load_frameworks, load_packs, parse_assignments, parse_date
from auditor.reporting import RenderOptions
from auditor.results import TargetResult
from auditor.scanner import Scanner, ScanOptions

__all__ = ["register"]


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
def _progress(total: int, enabled: bool) -> Iterator[Callable[[TargetResult], None] | None]:
    if not enabled or total == 0:
        yield None
        return
    with Progress(TextColumn("scanning"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TextColumn("{task.description}"),
                  transient=True) as bar:
        task = bar.add_task("", total=total)

        def step(result: TargetResult) -> None:
            bar.update(task, advance=1, description=result.uri[-50:])
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


def run(args: argparse.Namespace) -> int:
    as_of = parse_date(args.as_of)
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
    frameworks = tuple(f.with_parameters(framework_params.get(f.id, {})) for f in frameworks)
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
    targets, pre = discover(args.targets, scanners,
                            DiscoveryOptions(ignore=ignore, max_size=args.max_size or None))
    jobs = args.jobs if args.jobs > 0 else (os.cpu_count() or 1)
    engine = Engine(scanners, packs, frameworks, params)
    with _progress(len(targets), sys.stderr.isatty() and not args.quiet) as step:
        result = engine.scan(targets, options, pre_results=pre, jobs=jobs, fail_on=fail_on,
                             lang=args.lang, progress=step, finding_filters=gate.filters(),
                             extra={"settings": _settings(scanners, options.params)})
    result = gate.finish(result, sys.stderr)
    if attestations is not None:
        result = apply_attestations(result, attestations, args.attestations, sys.stderr)
    result = apply_document(result, document)
    if plan is not None:
        result = replace(result, extra={**result.extra, "remediation_plan": plan})
    if args.evidence and signing_key is not None:
        result = replace(result, extra={**result.extra, "evidence": {
            "dir": args.evidence, "key_id": key_id(signing_key.public_key()),
            "manifest": "manifest.json"}})
        write_bundle(result, args.evidence, reporters, formats, signing_key, gate=gate)
    for t in result.targets:
        if t.status == "error":
            sys.stderr.write(f"auditor: {t.uri}: {t.error}\n")
    if out_file is not None:
        reporter = reporters[formats[0]]
        if reporter.binary:
            atomic_write(out_file, reporter.render_bytes(result, RenderOptions(lang=args.lang)))
        else:
            write_atomic(out_file, render_text(reporter, result, RenderOptions(lang=args.lang)))
    elif out_dir is not None:
        write_reports(result, reporters, formats, out_dir, RenderOptions(lang=args.lang))
    elif formats:
        sys.stdout.write(render_text(reporters[formats[0]], result,
                                     RenderOptions(lang=args.lang)))
        return result.exit_code()
    if not args.quiet:
        print_summary(result, sys.stdout)
    return result.exit_code()
