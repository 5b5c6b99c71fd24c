"""Build the finished objects the engine takes from command-line style settings
(STYLE.md habit 8: a separate builder reads configuration, the engine takes values)."""

from __future__ import annotations

import datetime as dt
import os
import types
from collections.abc import Mapping, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import yaml

from auditor.catalogue import Catalogue
from auditor.errors import ConfigError, PluginError, RulePackError
from auditor.policy.frameworks import (
    Framework,
    builtin_frameworks,
    load_framework,
    select_frameworks,
)
from auditor.policy.kindcheck import check_packs
from auditor.policy.rules import (
    RulePack,
    builtin_pack_ids,
    builtin_pack_path,
    load_pack,
    resolve_pack,
)

__all__ = [
    "FRAMEWORK_GROUP",
    "PACK_GROUP",
    "available_frameworks",
    "installed_framework_paths",
    "installed_pack_paths",
    "load_frameworks",
    "load_packs",
    "parse_assignments",
    "parse_date",
]

#: entry-point groups through which a distribution ships rule packs and framework files
PACK_GROUP = "auditor.packs"
FRAMEWORK_GROUP = "auditor.frameworks"


def _entry_point_paths(group: str) -> list[tuple[str, Path]]:
    """(name, path) of each entry point of ``group``. The entry point names a path
    (``str``, ``os.PathLike`` or an importlib ``Traversable``) or a package, whose folder
    is taken. A plugin that cannot be loaded is loud (PluginError)."""
    out: list[tuple[str, Path]] = []
    for ep in sorted(entry_points(group=group), key=lambda e: (e.name, e.value)):
        try:
            obj = ep.load()
        except Exception as exc:  # NOTE: a broken plugin must be loud, never skipped
            raise PluginError(f"cannot load {group} plugin {ep.name!r} ({ep.value}): {exc}"
                              ) from exc
        if isinstance(obj, types.ModuleType):
            origin = getattr(obj, "__file__", None)
            if origin is None:
                raise PluginError(f"{group} plugin {ep.name!r} ({ep.value}) has no folder")
            path = Path(origin).parent
        elif isinstance(obj, str | os.PathLike) or hasattr(obj, "joinpath"):
            path = Path(str(obj))
        else:
            raise PluginError(f"{group} plugin {ep.name!r} ({ep.value}) is not a path or a "
                              f"package")
        if not path.exists():
            raise PluginError(f"{group} plugin {ep.name!r} ({ep.value}): {path} does not exist")
        out.append((ep.name, path))
    return out


def installed_pack_paths() -> tuple[Path, ...]:
    """The built-in packs, then the packs that installed distributions ship through the
    ``auditor.packs`` entry-point group."""
    return (*(builtin_pack_path(i) for i in builtin_pack_ids()),
            *(p for _, p in _entry_point_paths(PACK_GROUP)))


def installed_framework_paths() -> tuple[Path, ...]:
    """Framework files shipped through the ``auditor.frameworks`` entry-point group (a
    YAML file, or a folder of them); the built-in ones come from the rules folder."""
    out: list[Path] = []
    for _, path in _entry_point_paths(FRAMEWORK_GROUP):
        out.extend(sorted(path.glob("*.yaml")) if path.is_dir() else [path])
    return tuple(out)


def load_packs(specs: Sequence[str], *, defaults: bool = True,
               catalogue: Catalogue | None = None) -> tuple[RulePack, ...]:
    """The installed packs (unless ``defaults`` is False) plus the ``--pack`` values (ids
    or paths). ``--pack`` adds: naming an installed pack again is not an error; two
    different packs with one id are. With a ``catalogue``, every rule is checked against
    the observation kinds (a misspelt field is a RulePackError with file and line)."""
    paths = list(installed_pack_paths()) if defaults else []
    known = {p.resolve() for p in paths}
    for spec in specs:
        path = resolve_pack(spec)
        if path.resolve() not in known:
            paths.append(path)
            known.add(path.resolve())
    if not paths:
        raise ConfigError("no rule pack to apply (--no-default-packs needs --pack)")
    packs = tuple(load_pack(p) for p in paths)
    seen: dict[str, str] = {}
    for pack in packs:
        if pack.id in seen:
            raise RulePackError(pack.source, f"pack id {pack.id!r} already loaded from "
                                             f"{seen[pack.id]}")
        seen[pack.id] = pack.source
    if catalogue is not None:
        check_packs(packs, catalogue)
    return packs


def available_frameworks() -> tuple[Framework, ...]:
    """Built-in frameworks, then those installed distributions ship (entry points)."""
    return (*builtin_frameworks(), *(load_framework(p) for p in installed_framework_paths()))


def load_frameworks(specs: Sequence[str], as_of: dt.date) -> tuple[Framework, ...]:
    """``--framework`` values (ids or file paths); none given = those in force."""
    available = list(available_frameworks())
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
