"""``auditor packs list|show|validate``: the rule packs and framework mappings."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from auditor.cli.terminal import console as terminal_console
from auditor.errors import ExitCode, RulePackError
from auditor.pipeline.plugins import catalogue_of, load_scanners
from auditor.policy.frameworks import load_framework
from auditor.policy.kindcheck import check_packs
from auditor.policy.loading import available_frameworks, load_packs
from auditor.policy.rules import load_pack
from auditor.textsafe import rich_safe, term_safe

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("packs", help="list, show and validate rule packs and frameworks")
    psub = p.add_subparsers(dest="packs_command", metavar="ACTION", required=True)
    ls = psub.add_parser("list", help="built-in rule packs and frameworks")
    ls.set_defaults(handler=run_list)
    show = psub.add_parser("show", help="the rules of a pack, or the requirements of a framework")
    show.add_argument("id", help="pack id or path, or framework id")
    show.set_defaults(handler=run_show)
    val = psub.add_parser("validate", help="validate pack directories, pack or framework files")
    val.add_argument("paths", nargs="+", metavar="PATH")
    val.set_defaults(handler=run_validate)


def _row(table: Table, *cells: str) -> None:
    """A table row of names that may come from a user's pack: no markup, no escapes."""
    table.add_row(*(rich_safe(c) for c in cells))


def _console() -> Console:
    return terminal_console(sys.stdout)


def run_list(args: argparse.Namespace) -> int:
    table = Table(title="rule packs")
    for col in ("id", "version", "rules", "title", "source"):
        table.add_column(col)
    for pack in load_packs(()):
        _row(table, pack.id, pack.version, str(len(pack.rules)), pack.title, pack.source)
    console = _console()
    console.print(table)
    fws = Table(title="frameworks")
    for col in ("id", "version", "requirements", "in force", "title"):
        fws.add_column(col)
    for fw in available_frameworks():
        until = fw.effective_to.isoformat() if fw.effective_to else "…"
        _row(fws, fw.id, fw.version, str(len(fw.requirements)),
                    f"{fw.effective_from.isoformat()} – {until}", fw.title)
    console.print(fws)
    return ExitCode.OK


def run_show(args: argparse.Namespace) -> int:
    console = _console()
    frameworks = {f.id: f for f in available_frameworks()}
    if args.id in frameworks:
        fw = frameworks[args.id]
        table = Table(title=rich_safe(f"{fw.id} {fw.version}: {fw.title}"))
        for col in ("requirement", "provision", "title", "evidence"):
            table.add_column(col)
        for req in fw.requirements:
            sel = ", ".join([*req.rules, *req.cwe, *(f"tag:{t}" for t in req.tags)])
            _row(table, req.id, req.provision, req.title, sel or "manual")
        console.print(table)
        return ExitCode.OK
    pack = load_packs([args.id], defaults=False)[0]
    table = Table(title=rich_safe(f"{pack.id} {pack.version}: {pack.title} "
                                  f"({len(pack.rules)} rules)"))
    for col in ("id", "severity", "cwe", "kind", "title"):
        table.add_column(col)
    for rule in pack.rules:
        _row(table, rule.id, rule.severity.label, ", ".join(rule.cwe), ", ".join(rule.kinds),
                      rule.title)
    console.print(table)
    if pack.parameters:
        params = Table(title="parameters (override with --param NAME=VALUE)")
        for col in ("name", "default", "description"):
            params.add_column(col)
        for name, value in pack.parameters.items():
            _row(params, name, repr(value), pack.parameter_help.get(name, ""))
        console.print(params)
    return ExitCode.OK


def _is_framework(path: Path) -> bool:
    if path.is_dir():
        return False
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:4096]
    except OSError:
        return False
    return any(line.startswith("framework:") for line in head.splitlines())


def run_validate(args: argparse.Namespace) -> int:
    status = 0
    catalogue = catalogue_of(load_scanners())
    for spec in args.paths:
        path = Path(spec)
        try:
            if _is_framework(path):
                fw = load_framework(path)
                print(term_safe(f"ok: {spec}: framework {fw.id} {fw.version}, "
                                f"{len(fw.requirements)} requirements"))
            else:
                pack = load_pack(path)
                check_packs([pack], catalogue)
                print(term_safe(f"ok: {spec}: pack {pack.id} {pack.version}, "
                                f"{len(pack.rules)} rules"))
        except RulePackError as exc:
            sys.stderr.write(f"invalid: {term_safe(exc)}\n")
            status = 2
    return status
