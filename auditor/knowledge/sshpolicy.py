"""SSH algorithm lists resolved and graded with the data in ``data/ssh_algorithms.yaml``.

``resolve("ciphers", "+aes128-cbc")`` applies OpenSSH's list syntax (``+`` append to the
default, ``-`` remove, ``^`` prepend, otherwise replace; ``*``/``?`` patterns in ``-``
lists) against the OpenSSH default lists; :func:`grade` splits names into
``ok`` / ``legacy`` / ``weak`` / ``unknown``.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from auditor.yamlsource import safe_load

__all__ = ["KINDS", "Grades", "default_list", "grade", "grade_of", "resolve"]

KINDS = ("ciphers", "macs", "kex", "hostkey")


@dataclass(frozen=True, slots=True)
class Grades:
    ok: tuple[str, ...]
    legacy: tuple[str, ...]
    weak: tuple[str, ...]
    unknown: tuple[str, ...]


@cache
def _data() -> dict[str, Any]:
    # NOTE: cached read-only package data, not mutable state.
    text = resources.files("auditor.knowledge.data").joinpath("ssh_algorithms.yaml").read_text(
        encoding="utf-8")
    data: dict[str, Any] = safe_load(text)
    return data


def default_list(kind: str) -> tuple[str, ...]:
    """OpenSSH's default list for ``kind`` (one of :data:`KINDS`)."""
    return tuple(_data()["defaults"][kind])


def resolve(kind: str, value: str | None) -> tuple[str, ...]:
    """The effective algorithm list for a directive value (None: the default)."""
    default = default_list(kind)
    if value is None or not value.strip():
        return default
    value = value.strip()
    names = [n for n in value[1:].split(",") if n] if value[0] in "+-^" else []
    if value[0] == "+":
        return default + tuple(n for n in names if n not in default)
    if value[0] == "^":
        return tuple(names) + tuple(n for n in default if n not in names)
    if value[0] == "-":
        return tuple(n for n in default
                     if not any(fnmatch.fnmatchcase(n, pat) for pat in names))
    return tuple(n for n in value.split(",") if n)


def grade_of(kind: str, name: str) -> str:
    """``ok`` / ``legacy`` / ``weak`` / ``unknown`` for one algorithm name."""
    table: dict[str, str] = _data()[kind]
    if name in table:
        return table[name]
    for known, grade_ in table.items():  # gss-*-sha1-<mech> families
        if known.endswith("-") and name.startswith(known):
            return grade_
    return "unknown"


def grade(kind: str, names: tuple[str, ...]) -> Grades:
    buckets: dict[str, list[str]] = {"ok": [], "legacy": [], "weak": [], "unknown": []}
    for name in names:
        buckets[grade_of(kind, name)].append(name)
    return Grades(*(tuple(buckets[k]) for k in ("ok", "legacy", "weak", "unknown")))
