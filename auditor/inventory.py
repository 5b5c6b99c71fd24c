"""The personal-data inventory: which personal data sit where, how protected, for how many.

Built by the engine from the scanners' observations (``pii.column``, ``db.password_column``,
``pii.text``, ``net.pii``) — not from findings, so protected columns that raise no finding
are listed too. One entry per place (database/dump/CSV column, text file, capture flow):

- ``data``: the entity types seen there (``VN_CCCD``, ``EMAIL_ADDRESS``...), and what a
  personal column no entity type describes holds, by its name (``BLOOD_GROUP``, ``GENDER``);
- ``categories``: the sensitive categories (Decree 356 / Law 91: ``HEALTH``,
  ``BIOMETRIC``...); ``classification`` is ``sensitive`` when there is one, else ``basic``;
- ``protection``: ``cleartext``, ``hashed``, ``encrypted``, ``mixed``, ``not-read`` (known
  by its name only: no value was read) or ``cleartext-in-transit`` (a capture), with the
  scanner's own word in ``protection_detail`` (``md5``, ``fernet``, ``bcrypt``...);
- ``subjects``: estimated distinct data subjects (keyed-hash sketch), when known;
  ``rows``: the store's row estimate; ``sampled``: the values read to decide.

Entries carry names, types and counts only: never a value (the observations' masked
``examples`` are not copied).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from auditor.models import JSONValue, Observation

__all__ = [
    "INVENTORY_KINDS",
    "SENSITIVE_CATEGORIES",
    "InventoryEntry",
    "inventory_of",
    "merge_entries",
]

#: the sensitive categories of DESIGN.md ("PII entity types")
SENSITIVE_CATEGORIES: tuple[str, ...] = (
    "HEALTH", "BIOMETRIC", "GENETIC", "RELIGION", "ETHNICITY", "POLITICAL_OPINION",
    "SEXUAL_ORIENTATION", "CRIMINAL_RECORD", "FINANCIAL_ACCOUNT", "LOCATION_TRACE",
)
#: entity types that are themselves a sensitive category (card and bank account numbers)
_ENTITY_CATEGORY = {"CREDIT_CARD": "FINANCIAL_ACCOUNT", "IBAN_CODE": "FINANCIAL_ACCOUNT"}
INVENTORY_KINDS = frozenset({"pii.column", "db.password_column", "pii.text", "net.pii"})

_ENCRYPTED = frozenset({"fernet", "vault-transit", "pgp", "jwe", "prefixed-ciphertext",
                        "base64-random", "random-bytes"})
_HASHED = frozenset({"keyed-token", "hex-random"})
_STORE_KIND = {"database": "database", "sqldump": "dump", "pcap": "capture"}


@dataclass(frozen=True, slots=True, order=True)
class InventoryEntry:
    """One place that holds personal data (see the module docstring)."""

    system: str
    store: str
    store_kind: str  # database | dump | file | capture
    table: str = ""
    column: str = ""
    flow: str = ""
    data: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    protection: str = "cleartext"
    protection_detail: str = ""
    subjects: int | None = None
    rows: int | None = None
    sampled: int | None = None
    source: str = ""  # the observation kind

    @property
    def classification(self) -> str:
        return "sensitive" if self.categories else "basic"

    @property
    def place(self) -> str:
        """Where, in one line: ``table.column``, the flow, or the file."""
        if self.column:
            return f"{self.table}.{self.column}" if self.table else self.column
        return self.flow or self.store

    def key(self) -> tuple[str, str, str, str, str]:
        return (self.system, self.store, self.table, self.column, self.flow)

    def to_dict(self) -> dict[str, JSONValue]:
        return {
            "system": self.system, "store": self.store, "store_kind": self.store_kind,
            "table": self.table or None, "column": self.column or None,
            "flow": self.flow or None, "place": self.place,
            "data": list(self.data), "categories": list(self.categories),
            "classification": self.classification, "protection": self.protection,
            "protection_detail": self.protection_detail or None,
            "subjects": self.subjects, "rows": self.rows, "sampled": self.sampled,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InventoryEntry:
        def num(key: str) -> int | None:
            value = data.get(key)
            return int(value) if isinstance(value, int) else None

        return cls(
            system=str(data.get("system") or ""), store=str(data.get("store") or ""),
            store_kind=str(data.get("store_kind") or ""),
            table=str(data.get("table") or ""), column=str(data.get("column") or ""),
            flow=str(data.get("flow") or ""), data=tuple(data.get("data") or ()),
            categories=tuple(data.get("categories") or ()),
            protection=str(data.get("protection") or ""),
            protection_detail=str(data.get("protection_detail") or ""),
            subjects=num("subjects"), rows=num("rows"), sampled=num("sampled"),
            source=str(data.get("source") or ""),
        )


def _int(value: JSONValue | None) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _split(names: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    data: set[str] = set()
    cats: set[str] = set()
    for name in names:
        if name in SENSITIVE_CATEGORIES:
            cats.add(name)
        else:
            data.add(name)
            if name in _ENTITY_CATEGORY:
                cats.add(_ENTITY_CATEGORY[name])
    return tuple(sorted(data)), tuple(sorted(cats))


def _list(value: JSONValue | None) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _column_protection(attrs: Mapping[str, JSONValue]) -> tuple[str, str]:
    shape = attrs.get("protection")
    if isinstance(shape, str) and shape:
        if shape in _ENCRYPTED:
            return "encrypted", shape
        if shape in _HASHED:
            return "hashed", shape
        return "encrypted", shape  # a ciphertext/token shape the scanner knows
    if not _int(attrs.get("sample_size")) and not attrs.get("binary_format"):
        return "not-read", "known by its name; no value was read"
    return "cleartext", str(attrs.get("binary_format") or "")


def _password_protection(attrs: Mapping[str, JSONValue]) -> tuple[str, str]:
    storage = str(attrs.get("storage") or "")
    if storage == "plaintext":
        return "cleartext", storage
    if storage == "mixed":
        return "mixed", storage
    if attrs.get("fast_hash"):
        return "hashed", f"{storage} (fast hash)"
    if attrs.get("slow_hash"):
        return "hashed", storage
    return "mixed", storage


def _entry(obs: Observation, system: str, scanner: str) -> InventoryEntry | None:
    attrs = obs.attributes
    loc = obs.location
    names: list[str] = [*obs.entities, *_list(attrs.get("entities")),
                        *_list(attrs.get("categories"))]
    if obs.kind == "pii.column":
        # NOTE: ``personal_data``: personal data no entity type describes (BLOOD_GROUP)
        data, cats = _split([*names, *_list(attrs.get("personal_data"))])
        protection, detail = _column_protection(attrs)
        kind = "file" if attrs.get("source") == "csv" else _STORE_KIND.get(scanner, "database")
        # NOTE: 0 distinct subjects from a column known by its name (no value matched an
        # entity pattern) is "unknown", not "nobody": the row estimate stands for it.
        return InventoryEntry(
            system, loc.uri, kind, loc.table or "", loc.column or "", "", data, cats,
            protection, detail, obs.subjects or None, _int(attrs.get("row_estimate")),
            _int(attrs.get("sample_size")), obs.kind)
    if obs.kind == "db.password_column":
        protection, detail = _password_protection(attrs)
        return InventoryEntry(
            system, loc.uri, _STORE_KIND.get(scanner, "database"), loc.table or "",
            loc.column or "", "", ("PASSWORD",), (), protection, detail, None,
            _int(attrs.get("row_estimate")), _int(attrs.get("sample_size")), obs.kind)
    if obs.kind == "pii.text":
        entity = attrs.get("entity")
        data, cats = _split([*names, *([entity] if isinstance(entity, str) else [])])
        return InventoryEntry(
            system, loc.uri, "file", "", "", "", data, cats, "cleartext",
            str(attrs.get("file_kind") or ""), obs.subjects, None, _int(attrs.get("count")),
            obs.kind)
    if obs.kind == "net.pii":
        data, cats = _split(names)
        server = str(attrs.get("server") or "")
        flow = f"{attrs.get('protocol') or ''} {server}".strip() or (loc.flow or "")
        return InventoryEntry(
            system, loc.uri, "capture", "", "", flow, data, cats, "cleartext-in-transit",
            str(attrs.get("protocol") or ""), obs.subjects, None,
            _int(attrs.get("occurrences")), obs.kind)
    return None


_RANK = {"cleartext": 0, "cleartext-in-transit": 0, "mixed": 1, "not-read": 2, "hashed": 3,
         "encrypted": 4}


def _merge(a: InventoryEntry, b: InventoryEntry) -> InventoryEntry:
    """Two observations of one place (a column with e-mails and phone numbers; one
    file with several entity types): the union, the worse protection, the larger counts."""
    worse = min((a, b), key=lambda e: _RANK.get(e.protection, 0))

    def most(x: int | None, y: int | None) -> int | None:
        return max((v for v in (x, y) if v is not None), default=None)

    details = sorted({d for d in (a.protection_detail, b.protection_detail) if d})
    return replace(
        a, data=tuple(sorted({*a.data, *b.data})),
        categories=tuple(sorted({*a.categories, *b.categories})),
        protection=worse.protection, protection_detail=", ".join(details),
        subjects=most(a.subjects, b.subjects), rows=most(a.rows, b.rows),
        sampled=most(a.sampled, b.sampled),
        source=", ".join(sorted({*a.source.split(", "), *b.source.split(", ")})))


def merge_entries(entries: Iterable[InventoryEntry]) -> tuple[InventoryEntry, ...]:
    """One entry per place, in a stable order (system, store, table, column, flow)."""
    by_key: dict[tuple[str, str, str, str, str], InventoryEntry] = {}
    for entry in entries:
        known = by_key.get(entry.key())
        by_key[entry.key()] = entry if known is None else _merge(known, entry)
    return tuple(by_key[k] for k in sorted(by_key))


def inventory_of(observations: Sequence[Observation], *, scanner: str,
                 system: str = "") -> tuple[InventoryEntry, ...]:
    """The inventory entries one target's observations give."""
    entries = (_entry(o, system, scanner) for o in observations
               if o.kind in INVENTORY_KINDS)
    return merge_entries(e for e in entries if e is not None)
