"""``auditor scanners``: the installed scanner plugins."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console
from rich.table import Table

from auditor.pipeline.plugins import load_scanners

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
    Console(width=160).print(table)
    return 0
