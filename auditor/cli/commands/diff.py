"""``auditor diff OLD NEW``: which findings are new, fixed or unchanged.

OLD and NEW are saved JSON reports, or ids of runs in the results store (``auditor history
list``; ``--store URL`` or ``$AUDITOR_STORE`` names the store).

Findings are compared by fingerprint (content-based: a finding that moved to another
line is unchanged; a different secret on the same line is new). ``--format json`` gives
``{"summary": {...}, "new": [...], "fixed": [...], "unchanged": [...]}`` with findings in
the JSON report's form. ``--exit-code`` exits 1 when there is a new unsuppressed finding.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from auditor.errors import ConfigError, ExitCode
from auditor.gate.baseline import diff_results, load_report
from auditor.results import Finding, ScanResult
from auditor.textsafe import term_safe
from auditor.views import location_label

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "diff", help="compare two JSON reports: new, fixed, unchanged findings",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("old", metavar="OLD", help="JSON report, or a stored run id")
    parser.add_argument("new", metavar="NEW", help="JSON report, or a stored run id")
    parser.add_argument("--store", metavar="URL",
                        help="results store holding the run ids (default: $AUDITOR_STORE, "
                             "else the per-user file)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--exit-code", action="store_true",
                        help="exit 1 when NEW has an unsuppressed finding OLD did not have")
    parser.add_argument("--unchanged", action="store_true",
                        help="list unchanged findings too (text output)")
    parser.set_defaults(handler=run)


def _line(mark: str, f: Finding) -> str:
    state = " (suppressed)" if f.suppressed else ""
    return term_safe(f"{mark} {f.severity.label:<8} {f.rule_id}  {location_label(f.location)}  "
                     f"{f.message}{state}")


def _load(refs: list[str], store_url: str | None) -> list[ScanResult]:
    """Report files as files; anything else is a stored run id."""
    stored = [r for r in refs if not Path(r).exists() and not r.endswith(".json")]
    results: dict[str, ScanResult] = {}
    if stored:
        from auditor.history import Store, resolve_store_url
        with Store.open(resolve_store_url(store_url)) as store:
            for ref in stored:
                try:
                    results[ref] = store.result(ref)
                except ConfigError as exc:
                    raise ConfigError(f"{ref}: not a report file, and {exc} in "
                                      f"{store.display}") from None
    return [results[r] if r in results else load_report(r) for r in refs]


def run(args: argparse.Namespace) -> int:
    old, new = _load([args.old, args.new], getattr(args, "store", None))
    diff = diff_results(old, new)
    if args.format == "json":
        json.dump(diff.to_dict(), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        print(f"{len(diff.new)} new, {len(diff.fixed)} fixed, {len(diff.unchanged)} unchanged")
        for f in diff.new:
            print(_line("+", f))
        for f in diff.fixed:
            print(_line("-", f))
        if args.unchanged:
            for f in diff.unchanged:
                print(_line("=", f))
    if args.exit_code and any(not f.suppressed for f in diff.new):
        return ExitCode.FINDINGS
    return ExitCode.OK
