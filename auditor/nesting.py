"""Nesting-depth guards for structured text, run before a parser that recurses.

libyaml's composer (PyYAML's ``CSafeLoader``) recurses in C without a limit: a YAML
flow sequence nested ~30,000 deep kills the process with a segmentation fault, so no
exception can catch it. ``tomllib`` and ``json`` recurse in Python and end in
``RecursionError``, which says neither where nor what. These checks find the depth
first, without recursion, and name the line where the limit was passed.

A cheap upper bound on the depth is computed first; the exact (event-based) check runs
only when that bound is above the limit, so ordinary files pay one linear pass.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

__all__ = ["MAX_DEPTH", "NestingError", "json_nesting", "toml_nesting", "yaml_nesting"]

#: deeper than any configuration, manifest or rule pack seen in practice
MAX_DEPTH = 200

_BLOCK_PREFIX = re.compile(r"^[ \t?-]*", re.MULTILINE)
_Parser: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class NestingError(ValueError):
    """The text nests deeper than :data:`MAX_DEPTH`; ``line`` is 1-based (or None)."""

    def __init__(self, what: str, line: int | None, limit: int = MAX_DEPTH) -> None:
        where = f" at line {line}" if line else ""
        super().__init__(f"{what} nested more than {limit} levels deep{where}")
        self.line = line


def _rough_bound(text: str) -> int:
    """An upper bound of the nesting depth of YAML, JSON or TOML text: a level needs an
    opening bracket, or (YAML block style) more indentation or a '- '/'? ' prefix."""
    flow = text.count("[") + text.count("{")
    if flow > MAX_DEPTH:
        return flow
    block = max((len(m) for m in _BLOCK_PREFIX.findall(text)), default=0)
    return flow + block + 2


def yaml_nesting(text: str, limit: int = MAX_DEPTH) -> None:
    """Raise :class:`NestingError` when a YAML stream nests deeper than ``limit``.

    Uses libyaml's event parser (a state machine, no recursion) only when needed. Syntax
    errors are left for the real parse, which reports them with their line."""
    if _rough_bound(text) <= limit:
        return
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_Parser):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > limit:
                    mark = event.start_mark
                    raise NestingError("YAML", mark.line + 1 if mark else None, limit)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        # NOTE: PyYAML >= 6.0.4 stops a flow collection nested past its own limit while
        # scanning ahead, before the events reach our count: the same verdict, ours to say
        if "nesting depth" in str(exc.problem or ""):
            mark = exc.problem_mark or exc.context_mark
            raise NestingError("YAML", mark.line + 1 if mark else None, limit) from None
        return
    except yaml.YAMLError:
        return


_JSON_TOKENS = re.compile(r'"(?:[^"\\\n]|\\.)*"|[\[\]{}]')
_TOML_TOKENS = re.compile(r'"""(?:[^\\]|\\.)*?"""|\'\'\'.*?\'\'\'|"(?:[^"\\\n]|\\.)*"'
                          r"|'[^'\n]*'|#[^\n]*|[\[\]{}]", re.DOTALL)


def _bracket_depth(text: str, what: str, limit: int, tokens: re.Pattern[str]) -> None:
    """Depth of ``[``/``{`` outside strings (and TOML comments); strings and comments
    are skipped whole by the token pattern."""
    if _rough_bound(text) <= limit:
        return
    depth = 0
    for m in tokens.finditer(text):
        ch = m.group()
        if ch in ("[", "{"):
            depth += 1
            if depth > limit:
                raise NestingError(what, text.count("\n", 0, m.start()) + 1, limit)
        elif ch in ("]", "}"):
            depth = max(0, depth - 1)


def toml_nesting(text: str, limit: int = MAX_DEPTH) -> None:
    """Raise :class:`NestingError` when TOML arrays/inline tables nest deeper than
    ``limit`` (``tomllib`` would end in ``RecursionError``)."""
    _bracket_depth(text, "TOML", limit, _TOML_TOKENS)


def json_nesting(text: str, limit: int = MAX_DEPTH) -> None:
    """Raise :class:`NestingError` when JSON nests deeper than ``limit``."""
    _bracket_depth(text, "JSON", limit, _JSON_TOKENS)
