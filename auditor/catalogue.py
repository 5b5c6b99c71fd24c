"""The observation-kind catalogue: which kinds exist and which attributes each carries.

It is the contract between scanners (which emit observations) and rule packs (which
match them). Built-in kinds are data (``auditor/knowledge/observation_kinds.yaml``); a
scanner plugin adds its own through ``Scanner.kinds``. The pack loader checks every
rule's ``match.kind``, every ``field:`` path and every message placeholder against the
catalogue (:meth:`Catalogue.path_problem`), so a misspelt field is an error with file and
line instead of a rule that never fires; tests check that what scanners emit conforms
(:meth:`Catalogue.observation_problems`).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources

from auditor.errors import ConfigError
from auditor.models import JSONValue, Observation
from auditor.yamlsource import safe_load

__all__ = ["COMMON_FIELDS", "Catalogue", "ObservationKind", "builtin_kinds", "load_kinds"]

#: fields every observation has besides its attributes
COMMON_FIELDS = frozenset({"kind", "entities", "subjects", "location.uri", "location.line",
                           "location.key", "location.table", "location.column",
                           "location.flow", "location.packet"})

_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str, "integer": int, "number": (int, float), "boolean": bool, "list": list,
    "object": dict, "null": type(None)}


@dataclass(frozen=True, slots=True)
class ObservationKind:
    """One kind: its name, what it means, and ``attributes`` (name -> type text such as
    ``integer|null``; ``any`` accepts everything)."""

    name: str
    description: str = ""
    attributes: Mapping[str, str] = field(default_factory=dict)

    def accepts(self, name: str, value: JSONValue) -> bool:
        spec = self.attributes.get(name)
        if spec is None:
            return False
        if spec == "any":
            return True
        for word in spec.split("|"):
            kind = _TYPES.get(word)
            if kind is None:
                continue
            if kind is int and isinstance(value, bool):
                continue
            if isinstance(value, kind):
                return True
        return False


def _parse(text: str, source: str) -> tuple[ObservationKind, ...]:
    data = safe_load(text)
    kinds = data.get("kinds") if isinstance(data, Mapping) else None
    if not isinstance(kinds, Mapping):
        raise ConfigError(f"{source}: an observation-kind catalogue needs a 'kinds:' mapping")
    out = []
    for name, raw in kinds.items():
        spec = raw if isinstance(raw, Mapping) else {}
        attrs = spec.get("attributes") or {}
        if not isinstance(attrs, Mapping):
            raise ConfigError(f"{source}: kind {name}: 'attributes' must be a mapping")
        out.append(ObservationKind(str(name), str(spec.get("description") or ""),
                                   {str(k): str(v) for k, v in attrs.items()}))
    return tuple(out)


def load_kinds(package: str, resource: str = "kinds.yaml") -> tuple[ObservationKind, ...]:
    """Kinds declared in a YAML resource of ``package`` (for ``Scanner.kinds``)."""
    text = resources.files(package).joinpath(resource).read_text(encoding="utf-8")
    return _parse(text, f"{package}/{resource}")


def builtin_kinds() -> tuple[ObservationKind, ...]:
    """The kinds of the built-in scanners."""
    return load_kinds("auditor.knowledge", "observation_kinds.yaml")


class Catalogue(Mapping[str, ObservationKind]):
    """Kinds by name. A kind declared twice (two scanners emit it) gets the union of
    the attributes; an attribute declared with two types accepts both."""

    def __init__(self, kinds: Iterable[ObservationKind]) -> None:
        merged: dict[str, ObservationKind] = {}
        for kind in kinds:
            known = merged.get(kind.name)
            if known is None:
                merged[kind.name] = kind
                continue
            attrs = dict(known.attributes)
            for name, spec in kind.attributes.items():
                old = attrs.get(name)
                attrs[name] = spec if old in (None, spec) else \
                    "|".join(sorted(set(old.split("|")) | set(spec.split("|"))))
            merged[kind.name] = ObservationKind(kind.name, known.description or
                                                kind.description, attrs)
        self._kinds = dict(sorted(merged.items()))

    def __getitem__(self, name: str) -> ObservationKind:
        return self._kinds[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._kinds)

    def __len__(self) -> int:
        return len(self._kinds)

    def matching(self, pattern: str) -> list[ObservationKind]:
        """The kinds a rule's ``match.kind`` (a name or a glob) selects."""
        if any(c in pattern for c in "*?["):
            return [k for n, k in self._kinds.items() if fnmatch.fnmatchcase(n, pattern)]
        kind = self._kinds.get(pattern)
        return [kind] if kind is not None else []

    def path_problem(self, patterns: Iterable[str], path: str) -> str | None:
        """Why ``path`` cannot be read from observations of these kinds, or None."""
        if path in COMMON_FIELDS:
            return None
        if path.startswith("location."):
            return (f"unknown location field {path!r} (known: "
                    f"{', '.join(sorted(f for f in COMMON_FIELDS if '.' in f))})")
        kinds = [k for p in patterns for k in self.matching(p)]
        for kind in kinds:
            if path in kind.attributes:
                return None
            head, *rest = path.split(".")
            spec = kind.attributes.get(head)
            if spec is not None and rest and (
                    "object" in spec.split("|") or spec == "any"
                    or ("list" in spec.split("|") and rest[0].isdigit())):
                return None
        names = sorted({a for k in kinds for a in k.attributes})
        shown = ", ".join(names[:40]) + (", ..." if len(names) > 40 else "")
        return f"no attribute {path!r} in {'/'.join(sorted({k.name for k in kinds}))} " \
               f"observations (known: {shown})"

    def observation_problems(self, obs: Observation) -> list[str]:
        """How an emitted observation departs from the catalogue (for tests)."""
        kind = self._kinds.get(obs.kind)
        if kind is None:
            return [f"kind {obs.kind!r} is not in the catalogue"]
        return [f"{obs.kind}: attribute {name!r} = {type(value).__name__} not declared as "
                f"{kind.attributes.get(name, 'anything')}"
                for name, value in obs.attributes.items() if not kind.accepts(name, value)]
