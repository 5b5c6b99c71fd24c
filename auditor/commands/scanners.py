"""``auditor scanners``: the installed scanner plugins."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from rich.table import Table

from auditor.plugins import load_scanners
from auditor.terminal import console as terminal_console

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("scanners", help="list the installed scanner plugins")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    table = Table(title="scanners (entry-point group auditor.scanners)")
    for col in ("name", "description", "observation kinds"):
        table.add_column(col)
    for name, scanner in load_scanners().items():
        table.add_row(name, scanner.description, ", ".join(scanner.emits))
    terminal_console(sys.stdout, no_color=getattr(args, "no_color", False)).print(table)
    return 0
