"""Core records: what a scan looks at, what scanners see, and what rules conclude.

Data flow (see DESIGN.md)::

    Target --scanner.scan()--> Observation* --rule engine--> Finding* --> ScanResult

Every record is a frozen, slotted dataclass, complete at construction. Mappings inside
records are plain dicts that nobody mutates after construction; records that hold them
define ``__hash__`` from a canonical JSON form so equality and hashing agree.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

__all__ = [
    "JSONValue",
    "Location",
    "Observation",
    "Problem",
    "Severity",
    "Target",
    "canonical_json",
]

JSONValue: TypeAlias = (
    str | int | float | bool | list["JSONValue"] | dict[str, "JSONValue"] | None
)


def canonical_json(value: Any) -> str:
    """Deterministic JSON text (sorted keys, no spaces) used for hashing and identity."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


class Severity(enum.IntEnum):
    """Finding severity; the integer order lets ``--fail-on`` compare thresholds."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in sorted(cls, reverse=True))
            raise ValueError(f"unknown severity {text!r} (expected one of: {names})") from None

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Target:
    """One thing to scan: a file, or a database URL.

    ``uri`` is what reports show (a path as given, or a URL *without credentials*).
    ``locator`` is what the scanner opens: an absolute path, or the full connection URL
    (it may carry a password and is never written anywhere).
    ``kind`` is the content kind the claiming scanner recognised (``yaml``, ``pcap``...).
    """

    uri: str
    locator: str
    kind: str
    scanner: str
    is_file: bool = True
    size: int | None = None

    def __repr__(self) -> str:  # NOTE: never show the locator, it may hold credentials
        return f"Target(uri={self.uri!r}, kind={self.kind!r}, scanner={self.scanner!r})"


@dataclass(frozen=True, slots=True)
class Location:
    """Where an observation was made; fields follow the JSON report contract."""

    uri: str
    line: int | None = None
    key: str | None = None
    table: str | None = None
    column: str | None = None
    flow: str | None = None
    packet: int | None = None

    def to_dict(self) -> dict[str, JSONValue]:
        out: dict[str, JSONValue] = {"uri": self.uri}
        for name in ("line", "key", "table", "column", "flow", "packet"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Location:
        return cls(
            uri=str(data["uri"]),
            line=data.get("line"),
            key=data.get("key"),
            table=data.get("table"),
            column=data.get("column"),
            flow=data.get("flow"),
            packet=data.get("packet"),
        )


@dataclass(frozen=True, slots=True, eq=True)
class Observation:
    """A fact a scanner saw. Scanners hold no policy: rules decide what is a violation.

    - ``kind``: dotted observation kind (``config.setting``, ``secret``, ``pii.column``...).
    - ``attributes``: JSON-safe facts that rules match on. Never raw secrets or PII:
      use masks, lengths, types and keyed hashes.
    - ``evidence``: masked values shown in reports.
    - ``identity``: content identity used by the finding fingerprint (e.g. a keyed hash of
      the secret); when empty, a hash of the attributes is used. Must not contain line
      numbers, so fingerprints survive edits that move lines.
    - ``entities``: PII entity types, for PII observations.
    - ``subjects``: estimated distinct data subjects (from keyed hashes), when known.
    """

    kind: str
    location: Location
    attributes: dict[str, JSONValue] = field(default_factory=dict)
    evidence: dict[str, JSONValue] = field(default_factory=dict)
    identity: str = ""
    entities: tuple[str, ...] = ()
    subjects: int | None = None

    def __hash__(self) -> int:
        return hash((self.kind, self.location, canonical_json(self.attributes),
                     canonical_json(self.evidence), self.identity, self.entities,
                     self.subjects))

    def identity_digest(self) -> str:
        """The content identity, defaulting to a digest of the attributes."""
        if self.identity:
            return self.identity
        return hashlib.sha256(canonical_json(self.attributes).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Problem:
    """A partial failure inside a target (a table that could not be read, a corrupt
    packet...): the rest of the target was scanned. The message must not leak data.

    ``unchecked`` names the observation kinds the failure left unread (a database's
    ``pg_hba`` rules that needed superuser: ``("db.hba_rule",)``): a requirement resting
    only on them is ``not_assessed`` in this run, never ``pass``."""

    message: str
    location: Location | None = None
    unchecked: tuple[str, ...] = ()
