"""Loaders for the lexicon data files in ``auditor/pii/lexicons/`` (shipped in the wheel).

Every loader returns immutable values (tuples, frozensets, read-only mappings) and is
cached: the files are read once per process and nobody can mutate the result.
"""

from __future__ import annotations

from functools import cache, lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from auditor.errors import ConfigError
from auditor.pii.text import fold_lower
from auditor.yamlsource import safe_load

__all__ = [
    "admin_vocabulary",
    "context_words",
    "negative_context_words",
    "read_lines",
    "read_yaml",
    "surnames",
    "veto_context_words",
    "vn_codes",
]


def _open_text(name: str) -> str:
    return resources.files("auditor.pii").joinpath("lexicons", name).read_text("utf-8")


@cache
def read_yaml(name: str) -> MappingProxyType[str, Any]:
    """A lexicon YAML file (``schema_version: 1``) as a read-only mapping."""
    data = safe_load(_open_text(name))
    if not isinstance(data, dict) or data.get("schema_version") != 1:
        raise ConfigError(f"auditor/pii/lexicons/{name}: expected a mapping with "
                          "schema_version: 1")
    return MappingProxyType(data)


@cache
def read_lines(name: str) -> tuple[str, ...]:
    """Non-empty, non-comment lines of a lexicon text file."""
    return tuple(line.strip() for line in _open_text(name).splitlines()
                 if line.strip() and not line.lstrip().startswith("#"))


@lru_cache(maxsize=1)
def context_words() -> MappingProxyType[str, tuple[str, ...]]:
    """Entity type -> folded lower-case context words."""
    raw = read_yaml("context.yaml")["context"]
    return MappingProxyType({
        entity: tuple(dict.fromkeys(fold_lower(str(w)) for w in words))
        for entity, words in raw.items()
    })


@lru_cache(maxsize=1)
def negative_context_words() -> MappingProxyType[str, frozenset[str]]:
    """Entity type -> folded lower-case words that speak against a context-less match."""
    raw = read_yaml("context.yaml").get("negative") or {}
    return MappingProxyType({entity: frozenset(fold_lower(str(w)) for w in words)
                             for entity, words in raw.items()})


@lru_cache(maxsize=1)
def veto_context_words() -> MappingProxyType[str, frozenset[str]]:
    """Entity type -> folded words that veto a detection right after them, context or
    not (organisation names built from a person's name)."""
    raw = read_yaml("context.yaml").get("veto") or {}
    return MappingProxyType({entity: frozenset(fold_lower(str(w)) for w in words)
                             for entity, words in raw.items()})


@lru_cache(maxsize=1)
def surnames() -> frozenset[str]:
    """Folded lower-case Vietnamese surnames."""
    return frozenset(fold_lower(s) for s in read_lines("surnames.txt"))


@lru_cache(maxsize=1)
def vn_codes() -> MappingProxyType[str, frozenset[str]]:
    """Code tables: ``cccd_provinces``, ``bhyt_groups``."""
    raw = read_yaml("vn_codes.yaml")
    return MappingProxyType({key: frozenset(str(v) for v in raw[key])
                             for key in ("cccd_provinces", "bhyt_groups")})


@lru_cache(maxsize=1)
def admin_vocabulary() -> MappingProxyType[str, tuple[str, ...]]:
    """Folded lower-case address vocabulary: ``units``, ``abbreviations``, ``streets``,
    ``english_streets``, ``provinces``, ``not_names``."""
    raw = read_yaml("admin.yaml")
    return MappingProxyType({
        key: tuple(dict.fromkeys(fold_lower(str(v)) for v in raw[key]))
        for key in ("units", "abbreviations", "streets", "english_streets", "provinces",
                    "not_names")
    })
