"""A bound on the values of one configuration file, checked before it is parsed.

Parsed YAML costs about 1.5 KB of memory per value (PyYAML nodes, then settings and
observations), JSON about 1 KB: a 14 MB one-line YAML mapping took 1.2 GB and 3 minutes,
a 20 MB JSON object with a million keys 1.1 GB. No configuration file has that many
settings; such a file is refused as a target error naming the line where the limit was
passed (reported, never silently cut), before the parser builds anything.

The count is cheap: an upper bound from character counts first (every value needs a
separator or a line of its own), then, only past the limit, an exact count by a
non-recursive scan (libyaml events for YAML; strings skipped for JSON and TOML).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from auditor.errors import TargetError

__all__ = ["MAX_VALUES", "check_values"]

#: values (scalars) one YAML, JSON or TOML file may hold
MAX_VALUES = 200_000

_Parser: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_JSON_SEP = re.compile(r'"(?:[^"\\\n]|\\.)*"|[,:\[{]')
_TOML_SEP = re.compile(r'"""(?:[^\\]|\\.)*?"""|\'\'\'.*?\'\'\'|"(?:[^"\\\n]|\\.)*"'
                       r"|'[^'\n]*'|#[^\n]*|[,=\[{]", re.DOTALL)


def _rough(text: str) -> int:
    return sum(text.count(c) for c in ",:-[{=\n?") + 1


def _too_many(what: str, line: int, limit: int) -> TargetError:
    return TargetError(f"{what} holds more than {limit:,} values (passed at line {line}): "
                       "too large to audit as a configuration file; not parsed", line=line)


def check_values(kind: str, text: str, limit: int = MAX_VALUES) -> None:
    """Raise :class:`TargetError` when ``text`` (format ``kind``: yaml, json or toml)
    holds more than ``limit`` values."""
    if _rough(text) <= limit:
        return
    count = 0
    if kind == "yaml":
        try:
            for event in yaml.parse(text, Loader=_Parser):
                if isinstance(event, yaml.ScalarEvent | yaml.AliasEvent):
                    count += 1
                    if count > limit:
                        mark = event.start_mark
                        raise _too_many("YAML", mark.line + 1 if mark else 1, limit)
        except yaml.YAMLError:
            return  # NOTE: the parser proper reports the syntax error with its line
        return
    pattern = _JSON_SEP if kind == "json" else _TOML_SEP
    for m in pattern.finditer(text):
        token = m.group()
        if token in {",", ":", "=", "[", "{"}:
            count += 1
            if count > limit:
                raise _too_many(kind.upper(), text.count("\n", 0, m.start()) + 1, limit)
