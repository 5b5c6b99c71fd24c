"""Terminal manners shared by every command (issue 20, item 5).

- colour: off with ``--no-color``, ``NO_COLOR`` (any non-empty value, see no-color.org) or
  when the stream is not a terminal; ``FORCE_COLOR`` forces it on;
- width: tables take the terminal's width (``COLUMNS`` when set), never a fixed width;
  when the output is not a terminal, 100 columns;
- help texts: docstring markup (``literal``, :role:`x`) removed, and an epilog listing the
  environment variables and exit codes;
- common flags on every command: ``-v/--verbose``, ``--debug``, ``--no-color``.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["EXIT_CODES", "add_common_flags", "console", "plain", "setup_logging",
           "use_color", "width"]

EXIT_CODES = """exit codes:
  0    nothing at or above the --fail-on threshold (or: the command succeeded)
  1    an unsuppressed finding at or above --fail-on
  2    usage or configuration error (bad option, invalid pack, missing target)
  3    the scan was incomplete (a target could not be scanned) and nothing reached
       the threshold
  130  interrupted (Ctrl-C or SIGTERM); finished work was written, marked incomplete"""

_ENV = """environment:
  AUDITOR_<OPTION>      any long option of this command, e.g. AUDITOR_FAIL_ON=high,
                        AUDITOR_JOBS=2, AUDITOR_QUIET=1 (the command line wins)
  AUDITOR_CONFIG        auditor.yaml to read scan defaults from (default: the one at
                        the root of the scanned git work tree)
  AUDITOR_HASH_KEY      key for keyed hashes of found values (or AUDITOR_HASH_KEY_FILE)
  AUDITOR_DB_PASSWORD   database password (also PGPASSWORD, MYSQL_PWD)
  AUDITOR_SIGNING_KEY   private key for --evidence (AUDITOR_SIGNING_KEY_PASSWORD)
  AUDITOR_VERIFY_KEY    trusted public key for verify
  AUDITOR_DEBUG=1       same as --debug
  AUDITOR_CACHE_DIR     where verdicts on valid rule packs are kept (default
                        ~/.cache/auditor; empty: no cache)
  NO_COLOR              no colour in terminal output (same as --no-color)
  COLUMNS               terminal width for tables"""

_ROLE = re.compile(r":[a-z]+:`~?([^`]*)`")


def plain(text: str | None) -> str | None:
    """Docstring text without reStructuredText markup, for --help."""
    if text is None:
        return None
    return _ROLE.sub(r"\1", text).replace("``", "")


def add_common_flags(parser: argparse.ArgumentParser) -> None:
    """``-v``, ``--debug``, ``--no-color`` and the help epilog, on one subcommand."""
    group = parser.add_argument_group("output")
    group.add_argument("-v", "--verbose", action="count", default=0,
                       help="say more on stderr: each skipped target and why (-vv: debug log)")
    group.add_argument("--debug", action="store_true",
                       help="debug log and tracebacks of scanner failures on stderr "
                            "(may quote scanned data: never in shared logs)")
    group.add_argument("--no-color", action="store_true",
                       help="no colour (also NO_COLOR=1, or when not a terminal)")
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.description = plain(parser.description)
    parser.epilog = "\n\n".join(p for p in (plain(parser.epilog), _ENV, EXIT_CODES) if p)


def use_color(stream: TextIO, no_color: bool = False,
              environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    if no_color or env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def width(stream: TextIO, environ: Mapping[str, str] | None = None) -> int:
    """Columns for tables: COLUMNS, else the terminal's, else 100 (not a terminal)."""
    env = os.environ if environ is None else environ
    cols = env.get("COLUMNS", "")
    if cols.isdigit() and int(cols) >= 20:
        return int(cols)
    isatty = getattr(stream, "isatty", None)
    if isatty and isatty():
        return shutil.get_terminal_size((100, 24)).columns
    return 100


def console(stream: TextIO, no_color: bool = False) -> Console:
    from rich.console import Console  # NOTE: only commands that print tables pay for rich

    color = use_color(stream, no_color)
    return Console(file=stream, width=width(stream), force_terminal=color,
                   no_color=not color, color_system="auto" if color else None,
                   highlight=False, soft_wrap=False)


def setup_logging(verbose: int, debug: bool) -> None:
    level = logging.DEBUG if debug or verbose >= 2 else (
        logging.INFO if verbose else logging.WARNING)
    logging.basicConfig(stream=sys.stderr, level=level,
                        format="auditor: %(levelname)s: %(message)s", force=True)
