"""``auditor report RESULT.json --format F [-o DIR] [--lang en|vi]``: re-render a saved
JSON report in other formats (html, csv, junit, oscal, sarif, md, json).

With ``-o DIR`` each format is written atomically under its fixed name
(``report.html``...); without it, a single format goes to stdout. ``--lang`` overrides
the language the scan was run with.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from auditor.errors import ConfigError, ExitCode
from auditor.gate.baseline import load_report
from auditor.pipeline.output import parse_formats, render_options, render_text, write_reports
from auditor.pipeline.plugins import load_reporters
from auditor.policy.loading import load_packs
from auditor.textsafe import term_safe

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "report", help="re-render a saved JSON report in other formats", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("result", metavar="RESULT.json", help="a JSON report (--format json)")
    parser.add_argument("--format", action="append", default=[], metavar="F", required=True,
                        help="output format(s), repeatable or comma-separated")
    parser.add_argument("-o", "--output", metavar="DIR", help="write reports into DIR")
    parser.add_argument("--lang", choices=("en", "vi"), default=None,
                        help="report language (default: the scan's)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    reporters = load_reporters()
    formats = parse_formats(args.format, reporters)
    if not formats:
        raise ConfigError("--format: no format given")
    if args.output is None and len(formats) > 1:
        raise ConfigError("several --format values need -o DIR (one file per format)")
    if args.output is None and not reporters[formats[0]].machine:
        raise ConfigError(f"--format {formats[0]} writes a document, not a stream: give -o DIR")
    result = load_report(args.result)
    render = render_options(load_packs([]), args.lang or result.lang)
    if args.output is not None:
        for path in write_reports(result, reporters, formats, Path(args.output), render):
            print(term_safe(path))
    else:
        sys.stdout.write(render_text(reporters[formats[0]], result, render))
    return ExitCode.OK
