"""Column classification for the database and dump scanners.

``classify_column(detector, column, values, table=..., hash_key=...)`` judges one column
from its name, its table's name and a sample of its values:

- **values**: each non-empty value goes through the detector with the column and table
  names as context. A type counts as present when it is found in at least half of the
  values of a structured column (one token per value: IDs, phones, codes), or, in a
  free-text column, in at least ``min(3, max(1, 2% of the sample))`` values (sparse PII in
  notes and messages). When the name points at the same type, a fifth of the values
  is enough. This keeps decoys negative: a column of 12-digit dossier numbers has a few
  numbers that happen to look like a valid CCCD, not half.
- **name** (``lexicons/columns.yaml``): ``so_dien_thoai``, ``soDienThoai``,
  ``sodienthoai``, ``customer_phone``... imply entity types, and ``dan_toc``,
  ``ton_giao``, ``chan_doan``, ``van_tay``... sensitive categories (ETHNICITY, RELIGION,
  HEALTH, BIOMETRIC...) that values alone cannot show. Name-implied types are reported
  unless most values are opaque (hashes, ciphertext, UUIDs): ``mat_khau`` full of bcrypt
  hashes reports ``by_name`` and ``opaque_ratio`` but not PASSWORD.
- **subjects**: distinct keyed hashes (``auditor.masking.keyed_hash``) of what was
  detected in each value (normalised: digits only for numbers, folded lower case for
  names), an estimate of distinct data subjects; raw values are never kept.
- **examples**: at most three masked detections (``auditor.masking.mask_entity``).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from auditor.masking import keyed_hash, mask_entity
from auditor.models import JSONValue
from auditor.pii.config import Entity
from auditor.pii.detector import PiiDetector
from auditor.pii.lexicon import context_words, read_yaml
from auditor.pii.text import fold_lower, name_tokens

__all__ = ["ColumnVerdict", "NameSignal", "classify_column", "is_opaque", "name_signal"]

MAX_VALUE_CHARS = 20_000

_OPAQUE = (
    re.compile(r"^\$(?:2[abxy]?|argon2(?:id|i|d)|[156]|pbkdf2[\w-]*|scrypt|sha\d+)\$\S+$"),
    re.compile(r"^(?:[0-9a-fA-F]{2}){16,}$"),
    re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"),
    re.compile(r"^(?=.*[A-Z])(?=.*[a-z])(?=.*\d)[A-Za-z0-9+/_\-]{24,}={0,2}$"),
    re.compile(r"^(?:pbkdf2_sha256|bcrypt|argon2|sha1|md5)\$\S+$"),
)


def _subject_key(value: str, found: list[Entity]) -> str:
    """What identifies the data subject of a value: its detected identifiers, normalised
    (``0912 345 678`` and ``0912345678`` are one person; a note that repeats a phone
    number is the same person as the phone column)."""
    parts = set()
    for e in found:
        text = value[e.start:e.end]
        digits = "".join(ch for ch in text if ch.isdigit())
        parts.add(digits if len(digits) >= 6 and e.type != "ADDRESS" else
                  " ".join(fold_lower(text).split()))
    return "\x1f".join(sorted(parts))


def is_opaque(value: str) -> bool:
    """True for values that look like hashes, ciphertext, tokens or UUIDs."""
    return any(p.match(value) for p in _OPAQUE)


@dataclass(frozen=True, slots=True)
class NameSignal:
    """What a column (and table) name alone says."""

    entities: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    personal: bool = False
    #: what a personal name without an entity type holds (``BLOOD_GROUP``, ``GENDER``)
    labels: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ColumnVerdict:
    """The judgement on one column (see module docstring)."""

    entities: tuple[str, ...]
    categories: tuple[str, ...]
    hit_ratio: float
    confidence: float
    sample_size: int
    distinct_subjects: int
    by_name: bool
    examples: tuple[str, ...]
    name_entities: tuple[str, ...] = ()
    opaque_ratio: float = 0.0

    def to_attributes(self) -> dict[str, JSONValue]:
        """JSON-safe attributes for an Observation (masked examples only)."""
        return {
            "entities": list(self.entities),
            "categories": list(self.categories),
            "hit_ratio": self.hit_ratio,
            "confidence": self.confidence,
            "sample_size": self.sample_size,
            "distinct_subjects": self.distinct_subjects,
            "by_name": self.by_name,
            "examples": list(self.examples),
            "name_entities": list(self.name_entities),
            "opaque_ratio": self.opaque_ratio,
        }


@lru_cache(maxsize=1)
def _lexicon() -> tuple[tuple[tuple[tuple[str, ...], ...], tuple[tuple[str, ...], ...],
                              tuple[str, ...], tuple[str, ...], bool, tuple[str, ...]], ...]:
    raw = read_yaml("columns.yaml")
    entries = []
    for entry in raw["columns"]:
        entries.append((
            tuple(name_tokens(t) for t in entry.get("terms", ())),
            tuple(name_tokens(t) for t in entry.get("weak", ())),
            tuple(entry.get("entities", ())),
            tuple(entry.get("categories", ())),
            bool(entry.get("personal", False) or entry.get("entities")),
            tuple(entry.get("labels", ())),
        ))
    return tuple(entries)


@lru_cache(maxsize=1)
def _owner_words() -> tuple[frozenset[tuple[str, ...]], frozenset[tuple[str, ...]]]:
    raw = read_yaml("columns.yaml")
    owners = frozenset(name_tokens(w) for w in raw["owners"])
    people = frozenset(name_tokens(w) for w in raw["tables"]["people"])
    return owners, people


@lru_cache(maxsize=1)
def _not_sensitive() -> tuple[tuple[str, ...], ...]:
    return tuple(name_tokens(w) for w in read_yaml("columns.yaml").get("not_sensitive", ()))


def _contains(words: tuple[str, ...], term: tuple[str, ...]) -> bool:
    joined = "".join(term)
    if joined in words:
        return True
    k = len(term)
    return any(words[i:i + k] == term for i in range(len(words) - k + 1))


def _all_owner_words(words: tuple[str, ...], owners: frozenset[tuple[str, ...]]) -> bool:
    """True when ``words`` splits entirely into owner words/phrases."""
    if not words:
        return False
    i = 0
    while i < len(words):
        for k in (3, 2, 1):
            if tuple(words[i:i + k]) in owners:
                i += k
                break
        else:
            return False
    return True


def name_signal(column: str, table: str | None = None) -> NameSignal:
    """Entity types and categories implied by a column name (and its table name)."""
    words = name_tokens(column)
    owners, people = _owner_words()
    table_words = name_tokens(table.rsplit(".", 1)[-1]) if table else ()
    table_is_people = bool(table_words) and (
        _all_owner_words(table_words, people) or any(w in people for w in
                                                     ((w,) for w in table_words)))
    entities: set[str] = set()
    categories: set[str] = set()
    personal = False
    labels: set[str] = set()
    for terms, weak, ents, cats, is_personal, labs in _lexicon():
        hit = any(_contains(words, t) for t in terms)
        if not hit:
            for t in weak:
                k = len(t)
                if words == t:
                    hit = not table_words or table_is_people
                elif (words[:k] == t and _all_owner_words(words[k:], owners)) or (
                        words[-k:] == t and _all_owner_words(words[:-k], owners)):
                    hit = True
                if hit:
                    break
        if hit:
            entities.update(ents)
            categories.update(cats)
            personal = personal or is_personal
            labels.update(labs)
    # NOTE: categories are decided per column, never from the table's name (a facility
    # name in a health_records table is not health data).
    if categories and any(_contains(words, t) for t in _not_sensitive()):
        categories.clear()
    return NameSignal(tuple(sorted(entities)), tuple(sorted(categories)), personal,
                      tuple(sorted(labels)))


#: table-name words that describe people, not values: "hoc_sinh" (pupil) and "sinh_vien"
#: (student) hold "sinh" (birth), which would make every date in the table a birth date
_TABLE_NOT_CONTEXT = frozenset({"sinh", "ns", "sn"})


def _table_context(table: str | None) -> list[str]:
    if not table:
        return []
    words = [w for w in name_tokens(table.rsplit(".", 1)[-1]) if w not in _TABLE_NOT_CONTEXT]
    return [" ".join(words)] if words else []


def classify_column(detector: PiiDetector, column: str, values: Iterable[str | None], *,
                    table: str | None = None, hash_key: bytes) -> ColumnVerdict:
    """Judge one column from its name and a sample of its values (module docstring)."""
    signal = name_signal(column, table)
    # NOTE: a name the lexicon understood (SOCMND, sodienthoai) also speaks through its
    # entity's first context word, which run-together names do not contain as a token.
    # NOTE: every CCCD starts with 0 (province codes 001-096), as do the tax codes of
    # Hanoi and Ho Chi Minh City: stored as integers they lose it. A column named for one
    # of them gets its digit-only values padded back to the full length.
    pad = 12 if "VN_CCCD" in signal.entities else 10 if "VN_TAX_CODE" in signal.entities \
        else 0
    ctx_words = context_words()
    context = [column, *_table_context(table),
               *(ctx_words[e][0] for e in signal.entities if ctx_words.get(e))]
    n = opaque = single = hit_values = 0
    counts: Counter[str] = Counter()
    subjects: set[str] = set()
    examples: list[str] = []
    for raw in values:
        if raw is None:
            continue
        value = unicodedata.normalize("NFC", str(raw)).strip()[:MAX_VALUE_CHARS]
        if not value:
            continue
        if pad and value.isdigit() and len(value) < pad:
            value = value.zfill(pad)  # an integer column lost the leading zeros
        n += 1
        opaque += is_opaque(value)
        single += " " not in value
        found = detector.detect(value, context=context)
        if not found:
            continue
        hit_values += 1
        subjects.add(keyed_hash(_subject_key(value, found), hash_key))
        counts.update({e.type for e in found})
        for e in found:
            example = mask_entity(e.type, value[e.start:e.end])
            if len(examples) < 3 and example not in examples:
                examples.append(example)
    structured = n > 0 and single / n >= 0.8
    sparse_min = min(3, max(1, math.ceil(0.02 * n)))
    value_types = set()
    for entity, count in counts.items():
        ratio = count / n
        if entity in signal.entities:
            present = ratio >= 0.2 or (not structured and count >= sparse_min)
        else:
            present = ratio >= 0.5 if structured else count >= sparse_min
        if present:
            value_types.add(entity)
    opaque_ratio = opaque / n if n else 0.0
    named = set(signal.entities) if (n == 0 or opaque_ratio < 0.5) else set()
    entities = value_types | named
    categories = set(signal.categories)
    if entities & {"CREDIT_CARD", "IBAN_CODE"}:
        categories.add("FINANCIAL_ACCOUNT")
    best = max((counts[t] / n for t in value_types), default=0.0)
    if value_types and value_types & set(signal.entities):
        confidence = 0.7 + 0.3 * best
    elif value_types:
        confidence = 0.4 + 0.5 * best
    elif named:
        confidence = 0.6 if n == 0 else 0.45
    elif signal.entities or categories:
        confidence = 0.6 if categories else 0.3
    elif signal.personal:
        confidence = 0.5     # personal by name only (gioi_tinh): no entity type applies
    else:
        confidence = 0.0
    return ColumnVerdict(
        entities=tuple(sorted(entities)),
        categories=tuple(sorted(categories)),
        hit_ratio=round(hit_values / n, 4) if n else 0.0,
        confidence=round(min(confidence, 1.0), 3),
        sample_size=n,
        distinct_subjects=len(subjects),
        by_name=bool(signal.entities or signal.categories or signal.personal),
        examples=tuple(examples),
        name_entities=signal.entities,
        opaque_ratio=round(opaque_ratio, 4),
    )
