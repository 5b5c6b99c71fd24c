"""Build the finished objects the engine takes from command-line style settings
(STYLE.md habit 8: a separate builder reads configuration, the engine takes values)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from auditor.errors import ConfigError, RulePackError
from auditor.policy.frameworks import (
    Framework,
    builtin_frameworks,
    load_framework,
    select_frameworks,
)
from auditor.policy.rules import (
    RulePack,
    builtin_pack_ids,
    builtin_pack_path,
    load_pack,
    resolve_pack,
)

__all__ = ["load_frameworks", "load_packs", "parse_assignments", "parse_date"]


def load_packs(specs: Sequence[str]) -> tuple[RulePack, ...]:
    """``--pack`` values (ids or paths) to packs; none given = every built-in pack."""
    paths = [resolve_pack(s) for s in specs] if specs else \
        [builtin_pack_path(i) for i in builtin_pack_ids()]
    packs = tuple(load_pack(p) for p in paths)
    seen: dict[str, str] = {}
    for pack in packs:
        if pack.id in seen:
            raise RulePackError(pack.source, f"pack id {pack.id!r} already loaded from "
                                             f"{seen[pack.id]}")
        seen[pack.id] = pack.source
    return packs


def load_frameworks(specs: Sequence[str], as_of: dt.date) -> tuple[Framework, ...]:
    """``--framework`` values (ids or file paths); none given = those in force."""
    available = list(builtin_frameworks())
    wanted = []
    for spec in specs:
        if Path(spec).is_file():
            fw = load_framework(spec)
            available = [f for f in available if f.id != fw.id] + [fw]
            wanted.append(fw.id)
        else:
            wanted.append(spec)
    return select_frameworks(available, wanted, as_of)


def parse_date(text: str | None) -> dt.date:
    if not text:
        return dt.datetime.now(dt.UTC).date()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--as-of: {text!r} is not a date (YYYY-MM-DD)") from None


def parse_assignments(items: Sequence[str], flag: str) -> dict[str, Any]:
    """``NAME=VALUE`` pairs; values are YAML scalars (``true``, ``100``, ``text``)."""
    out: dict[str, Any] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"{flag}: expected NAME=VALUE, got {item!r}")
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        if isinstance(value, Mapping | list):
            value = raw
        out[name.strip()] = value
    return out
