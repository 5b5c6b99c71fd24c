"""Plugin loading: entry points in, a registry value out (STYLE.md habit 2).

Scanners come from the ``auditor.scanners`` entry-point group and report renderers from
``auditor.reports``; built-ins are registered the same way in pyproject.toml. Nothing is
built at import time. A plugin that fails to import, is not the right type, or reuses a
name raises :class:`~auditor.errors.PluginError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from auditor.catalogue import Catalogue, builtin_kinds
from auditor.errors import PluginError
from auditor.reporting import Reporter
from auditor.scanner import Scanner

__all__ = [
    "REPORT_GROUP",
    "SCANNER_GROUP",
    "Registry",
    "catalogue_of",
    "load_reporters",
    "load_scanners",
]

SCANNER_GROUP = "auditor.scanners"
REPORT_GROUP = "auditor.reports"

T = TypeVar("T")


class Registry(Mapping[str, T], Generic[T]):
    """An immutable, name-ordered mapping of plugin name -> plugin instance."""

    def __init__(self, items: Iterable[tuple[str, T]]) -> None:
        data: dict[str, T] = {}
        for name, item in items:
            if name in data:
                raise PluginError(f"duplicate plugin name {name!r}")
            data[name] = item
        self._data = dict(sorted(data.items()))

    def __getitem__(self, name: str) -> T:
        return self._data[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


def _load(group: str, base: type[T]) -> Iterator[tuple[str, T]]:
    for ep in sorted(entry_points(group=group), key=lambda e: (e.name, e.value)):
        try:
            cls = ep.load()
        except Exception as exc:  # NOTE: any import failure of a plugin must be loud
            raise PluginError(f"cannot load plugin {ep.name!r} ({ep.value}): {exc}") from exc
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise PluginError(f"plugin {ep.name!r} ({ep.value}) is not a {base.__name__}")
        instance = cls()
        declared = getattr(instance, "name", None)
        if declared != ep.name:
            raise PluginError(
                f"plugin {ep.value} declares name {declared!r} but is registered as {ep.name!r}"
            )
        yield ep.name, instance


def load_scanners(extra: Iterable[Scanner] = ()) -> Registry[Scanner]:
    """All installed scanners, plus ``extra`` ones (tests, embedding applications)."""
    items = list(_load(SCANNER_GROUP, Scanner))  # type: ignore[type-abstract]
    items.extend((s.name, s) for s in extra)
    return Registry(items)


def load_reporters(extra: Iterable[Reporter] = ()) -> Registry[Reporter]:
    """All installed report renderers, plus ``extra`` ones."""
    items = list(_load(REPORT_GROUP, Reporter))  # type: ignore[type-abstract]
    items.extend((r.name, r) for r in extra)
    return Registry(items)


def catalogue_of(scanners: Mapping[str, Scanner]) -> Catalogue:
    """The observation-kind catalogue of these scanners: built-in kinds plus the kinds
    each scanner declares."""
    return Catalogue([*builtin_kinds(), *(k for s in scanners.values() for k in s.kinds)])
