"""Where ``-o`` writes (issue 19): a directory (one fixed file name per format, as before)
or, when the argument is a file name with a known report extension, that one file.

Decided before the scan, so a bad destination is a usage error (exit 2) and never a
traceback after a long scan:

- an existing directory, or a new name without a known extension → a directory;
- ``report.html``, ``out/scan.sarif``, ``x.oscal.json``... (the extension of a format's
  fixed file name) → that file. The format is ``--format`` when given (exactly one),
  else the one the extension names; an extension several formats share (``.csv``,
  ``.json``) names the ``report.*`` one (``csv``, ``json``); the others need ``--format``;
- an existing path that is not a directory and has no known extension → an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import ConfigError
from auditor.reporting import Reporter

__all__ = ["Destination", "resolve_output"]


@dataclass(frozen=True, slots=True)
class Destination:
    directory: Path | None
    file: Path | None
    formats: tuple[str, ...]


def _suffix(filename: str) -> str:
    return filename[filename.index("."):] if "." in filename else ""


def _by_suffix(reporters: Mapping[str, Reporter]) -> dict[str, str]:
    table: dict[str, str] = {}
    for name, rep in sorted(reporters.items(), key=lambda kv: not
                            kv[1].filename.startswith("report.")):
        table.setdefault(_suffix(rep.filename), name)
    return table


def _known(path: Path, table: Mapping[str, str]) -> str | None:
    """The longest known suffix the name ends with (``.oscal.json`` before ``.json``)."""
    name = path.name
    for suffix in sorted(table, key=len, reverse=True):
        if suffix and name.endswith(suffix) and len(name) > len(suffix):
            return suffix
    return None


def resolve_output(arg: str, formats: Sequence[str],
                   reporters: Mapping[str, Reporter]) -> Destination:
    path = Path(arg)
    table = _by_suffix(reporters)
    suffix = None if path.is_dir() else _known(path, table)
    if suffix is None:
        if path.exists() and not path.is_dir():
            raise ConfigError(f"-o {arg}: exists and is not a directory (give a directory, "
                              "or a file name ending in a report extension: "
                              f"{', '.join(sorted(s for s in table if s))})")
        return Destination(path, None, tuple(formats) or ("json",))
    if len(formats) > 1:
        raise ConfigError(f"-o {arg}: one file holds one format; for {len(formats)} formats "
                          "give a directory")
    fmt = formats[0] if formats else table[suffix]
    if _suffix(reporters[fmt].filename) != suffix and not formats:
        raise ConfigError(f"-o {arg}: give --format for this extension")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise ConfigError(f"-o {arg}: {parent} is not a directory")
    return Destination(None, path, (fmt,))
