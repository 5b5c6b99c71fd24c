"""Command-line interface: ``main(argv=None) -> int``, one module per subcommand.

Each module in :mod:`auditor.cli.commands` listed in :data:`COMMANDS` exposes
``register(subparsers)``, which adds its parser and sets ``handler`` (a function
``(args) -> int``). Exit codes follow DESIGN.md: 0 clean, 1 findings at or above
``--fail-on``, 2 usage or configuration error, 3 incomplete scan.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from auditor import __version__
from auditor.cli.settings import find_config, layered_defaults
from auditor.cli.terminal import EXIT_CODES, add_common_flags, setup_logging
from auditor.errors import ConfigError, ExitCode
from auditor.textsafe import term_safe

__all__ = ["COMMANDS", "build_parser", "main"]

#: subcommand modules under auditor.cli.commands, in help order
COMMANDS: tuple[str, ...] = ("scan", "scanners", "packs", "detect", "report", "diff", "keygen",
                             "verify", "ciphers", "run", "history", "trend", "schedule")

EXIT_USAGE = ExitCode.USAGE
EXIT_BROKEN_PIPE = 141  # NOTE: 128 + SIGPIPE, what a shell tool killed by the pipe returns


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="auditor", description=(
        "Offline auditor for personal-data protection and security compliance: scans "
        "databases, config files and network captures, judged by YAML rule packs."),
        epilog="Every option can also come from an AUDITOR_<OPTION> environment variable; "
               "`auditor COMMAND --help` lists them.\n\n" + EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"auditor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        importlib.import_module(f"auditor.cli.commands.{name}").register(sub)
    for child in sub.choices.values():
        add_common_flags(child)
    return parser


def _subparser(parser: argparse.ArgumentParser, command: str | None
               ) -> argparse.ArgumentParser | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            child: argparse.ArgumentParser = action.choices[command]
            return child
    return None


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse, then again with defaults from auditor.yaml and AUDITOR_* (the CLI wins)."""
    args = parser.parse_args(argv)
    child = _subparser(parser, getattr(args, "command", None))
    if child is None:
        return args
    config = None
    if args.command == "scan":
        given = getattr(args, "config", None) or os.environ.get("AUDITOR_CONFIG")
        config = Path(given) if given else find_config(args.targets, Path.cwd())
        if config is not None and not config.is_file():
            raise ConfigError(f"{config}: configuration file not found")
    layered = layered_defaults(child, config, os.environ)
    if layered:
        child.set_defaults(**layered)
        args = parser.parse_args(argv)
    if args.command == "scan":
        args.config_file = str(config) if config is not None else None
    return args


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = _parse(parser, argv)
    except SystemExit as exc:  # argparse exits 0 for --help/--version, 2 for errors
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    except BrokenPipeError:  # `auditor --help | head -1`
        _quiet_stdout()
        return EXIT_BROKEN_PIPE
    except ConfigError as exc:
        sys.stderr.write(f"auditor: error: {exc}\n")
        return EXIT_USAGE
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    if getattr(args, "debug", False):
        os.environ["AUDITOR_DEBUG"] = "1"  # NOTE: read by the engine in worker processes too
    setup_logging(getattr(args, "verbose", 0), getattr(args, "debug", False))
    try:
        code = int(handler(args))
        sys.stdout.flush()
        return code
    except BrokenPipeError:  # `auditor detect big | head -1`: the reader left, stop quietly
        _quiet_stdout()
        return EXIT_BROKEN_PIPE
    except ConfigError as exc:
        sys.stderr.write(f"auditor: error: {term_safe(exc)}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("auditor: interrupted\n")
        return ExitCode.INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
