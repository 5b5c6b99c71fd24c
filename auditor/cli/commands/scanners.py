"""``auditor scanners``: the installed scanner plugins."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from rich.table import Table

from auditor.cli.terminal import console as terminal_console
from auditor.errors import ExitCode
from auditor.pipeline.options import declared_options
from auditor.pipeline.plugins import load_scanners

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("scanners", help="list the installed scanner plugins")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    table = Table(title="scanners (entry-point group auditor.scanners)")
    for col in ("name", "description", "observation kinds"):
        table.add_column(col)
    scanners = load_scanners()
    for name, scanner in scanners.items():
        table.add_row(name, scanner.description, ", ".join(scanner.emits))
    console = terminal_console(sys.stdout, no_color=getattr(args, "no_color", False))
    console.print(table)
    options = Table(title="scanner options (--option PREFIX.NAME=VALUE)")
    for col in ("option", "read by", "type, default: meaning"):
        options.add_column(col)
    for prefix, table_ in declared_options(scanners).items():
        readers = ", ".join(n for n, s in scanners.items() if (s.option_prefix or n) == prefix)
        for opt_name, option in sorted(table_.items()):
            options.add_row(f"{prefix}.{opt_name}", readers, option.describe())
    console.print(options)
    return ExitCode.OK
