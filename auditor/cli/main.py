"""Command-line interface: ``main(argv=None) -> int``, one module per subcommand.

Each module in :mod:`auditor.cli.commands` listed in :data:`COMMANDS` exposes
``register(subparsers)``, which adds its parser and sets ``handler`` (a function
``(args) -> int``). Exit codes follow DESIGN.md: 0 clean, 1 findings at or above
``--fail-on``, 2 usage or configuration error, 3 incomplete scan.

Start-up (docs/internals.md, "Start-up"): only the module of the command being run is
imported; the other commands get a placeholder parser carrying their one-line help from
:data:`COMMANDS`, which is all ``auditor --help`` and an unknown command's error show.
tests/test_startup.py checks that the placeholders say what the modules register.
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

#: subcommand modules under auditor.cli.commands, in help order, with the one-line help
#: each module's ``register`` gives its parser (shown by ``auditor --help`` without
#: importing the module)
COMMANDS: dict[str, str] = {
    "scan": "scan files, directories and databases",
    "scanners": "list the installed scanner plugins",
    "packs": "list, show and validate rule packs and frameworks",
    "detect": "detect personal data in text, one line per record (JSON Lines)",
    "report": "re-render a saved JSON report in other formats",
    "diff": "compare two JSON reports: new, fixed, unchanged findings",
    "keygen": "create an Ed25519 key pair for signing evidence bundles",
    "verify": "verify a signed evidence bundle",
    "ciphers": "expand an OpenSSL cipher string and grade it against the TLS profiles",
    "run": "scan the systems of auditor.yaml and record the runs",
    "history": "runs recorded in the results store",
    "trend": "findings and compliance over the recorded runs",
    "schedule": "print systemd, cron or Kubernetes scheduling",
    "serve": "web dashboard over the results store (read-only)",
    "dashboard": "static offline snapshot of the dashboard",
}

EXIT_USAGE = ExitCode.USAGE
EXIT_BROKEN_PIPE = 141  # NOTE: 128 + SIGPIPE, what a shell tool killed by the pipe returns


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def command_of(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` runs, if it names one: the top-level parser has only
    ``--help`` and ``--version``, neither taking a value, so it is the first word."""
    for word in argv:
        if not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def build_parser(only: str | None = None, *, every: bool = True) -> argparse.ArgumentParser:
    """The parser; with ``every=False`` only the command ``only`` is fully built (its
    module imported), the others are placeholders that know their one-line help."""
    parser = _Parser(prog="auditor", description=(
        "Offline auditor for personal-data protection and security compliance: scans "
        "databases, config files and network captures, judged by YAML rule packs."),
        epilog="Every option can also come from an AUDITOR_<OPTION> environment variable; "
               "`auditor COMMAND --help` lists them.\n\n" + EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"auditor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, summary in COMMANDS.items():
        if every or name == only:
            importlib.import_module(f"auditor.cli.commands.{name}").register(sub)
        else:
            sub.add_parser(name, help=summary)
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
    words = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(command_of(words), every=False)
    try:
        args = _parse(parser, words)
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
