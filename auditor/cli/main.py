"""Command-line interface: ``main(argv=None) -> int``, one module per subcommand.

Each module in :mod:`auditor.cli.commands` listed in :data:`COMMANDS` exposes
``register(subparsers)``, which adds its parser and sets ``handler`` (a function
``(args) -> int``). Exit codes follow DESIGN.md: 0 clean, 1 findings at or above
``--fail-on``, 2 usage or configuration error, 3 incomplete scan.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from auditor import __version__
from auditor.errors import ConfigError, ExitCode

__all__ = ["COMMANDS", "build_parser", "main"]

#: subcommand modules under auditor.cli.commands, in help order
COMMANDS: tuple[str, ...] = ("scan", "scanners", "packs", "detect", "report", "diff", "keygen",
                             "verify", "ciphers", "run", "history", "trend", "schedule",
                             "serve", "dashboard")

EXIT_USAGE = ExitCode.USAGE


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="auditor", description=(
        "Offline auditor for personal-data protection and security compliance: scans "
        "databases, config files and network captures, judged by YAML rule packs."))
    parser.add_argument("--version", action="version", version=f"auditor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        importlib.import_module(f"auditor.cli.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 0 for --help/--version, 2 for errors
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(handler(args))
    except ConfigError as exc:
        sys.stderr.write(f"auditor: error: {exc}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("auditor: interrupted\n")
        return ExitCode.INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
