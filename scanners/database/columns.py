"""Per-column accumulation: bounded value samples, shapes, JSON keys and binary stats.

A :class:`ColumnAccumulator` receives the cells of one column (from a live database or a
SQL dump) and, when the table is done, yields :class:`ColumnResult` records:

- text-like values are kept up to the sample size and classified by the PII engine, and
  every value's shape is counted (ciphertext, token, hash). NOTE: sequential sampling:
  the first 200 values are classified first; a column found personal in >= 90 % of them
  is settled on those (``sample_size`` says so), any other column gets the whole sample;
- in full mode, unsettled columns are classified in batches of 10,000 values or 2 M
  characters, whichever comes first (a type
  counts in a batch of free text from 3 hits), settled columns are not re-examined value
  by value: their rows are counted and their distinct subjects estimated over every
  value with a keyed k-minimum-values sketch (:mod:`auditor.sketch`);
- JSON objects are walked key by key (``contact.phone``, ``phones[]``); every key path is
  a sub-column of its own, up to 64 paths per column;
- binary values contribute their length and format (JPEG, PNG, ISO/IEC 19794 biometric
  records, WSQ fingerprint images, random bytes) from their first 64 bytes;
- password columns (by name, see :func:`is_password_column`) are never given to the PII
  engine: only the storage format of their values is counted.

Nothing raw leaves this module: results hold verdict facts (masked examples from the PII
engine), counts and format names.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID

from auditor.sketch import DistinctSketch

from .classify import ColumnClassifier, ColumnFacts, facts_of
from .profile import ValueProfile
from .sampling import BinaryCell
from .shapes import dominant, hash_format, protected_shape

__all__ = ["BIOMETRIC_FORMATS", "ColumnAccumulator", "ColumnResult", "ColumnState",
           "binary_format", "is_password_column"]

MAX_JSON_KEYS = 64
#: values looked at before deciding whether a column needs its whole sample
EARLY = 200
#: values per detection batch in full mode (rare hits need >= 3 per batch to count)
FULL_BATCH = 10_000
#: characters buffered per column in full mode before a batch is classified anyway
FULL_BATCH_CHARS = 2_000_000
#: hit ratio above which a personal column is settled (no further value detection)
SETTLED_RATIO = 0.9
_JSON_DEPTH = 8

_PASSWORD_NAME = re.compile(
    r"(?:^|_|\b)(?:pass(?:word|wd|wort|phrase|code)?|pwd|pw|mat_?khau|matkhau|secret_?hash|"
    r"hashed_?password|password_?hash|pass_?hash|pwd_?hash|user_?pass)(?:_|$|\b)",
    re.IGNORECASE)
_NOT_PASSWORD = re.compile(
    r"(?:_at|_on)$|date|time|expir|reset|hint|policy|count|attempt|changed|length|strength|"
    r"required|enabled|salt|algo|type|version|rule|history_id", re.IGNORECASE)

#: magic prefix -> binary format name
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"FMR\x00", "iso-19794-2"), (b"FIR\x00", "iso-19794-4"), (b"FAC\x00", "iso-19794-5"),
    (b"IIR\x00", "iso-19794-6"), (b"\xff\xa0\xff\xa8", "wsq"), (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"), (b"GIF8", "gif"), (b"%PDF", "pdf"), (b"PK\x03\x04", "zip"),
    (b"\x1f\x8b", "gzip"), (b"RIFF", "riff"),
)
#: formats that are biometric records (ISO/IEC 19794 finger, face, iris; FBI WSQ)
BIOMETRIC_FORMATS = frozenset({"iso-19794-2", "iso-19794-4", "iso-19794-5", "iso-19794-6",
                               "wsq"})


def is_password_column(name: str, family: str) -> bool:
    """A text column whose name says it stores passwords (not their metadata)."""
    if family not in {"text", "binary", "other"}:
        return False
    return bool(_PASSWORD_NAME.search(name)) and not _NOT_PASSWORD.search(name)


def binary_format(prefix: bytes) -> str:
    """Format of a binary value from its first bytes; ``random`` for high-entropy bytes
    with no known signature (ciphertext, compressed), else ``unknown``."""
    for magic, name in _MAGIC:
        if prefix.startswith(magic):
            return name
    if len(prefix) >= 32:
        counts = Counter(prefix)
        entropy = -sum(c / len(prefix) * math.log2(c / len(prefix)) for c in counts.values())
        if entropy >= 4.5:
            return "random"
    return "unknown"


def _settled(facts: ColumnFacts) -> bool:
    return bool(facts.entities) and facts.hit_ratio >= SETTLED_RATIO


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal | UUID):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True, slots=True)
class ColumnResult:
    """What is known about one column (or one JSON key path of it) after a table."""

    column: str
    data_type: str
    facts: ColumnFacts | None
    non_null: int
    json_key: str | None = None
    protection: str | None = None
    password_storage: str | None = None
    storage_counts: dict[str, int] = field(default_factory=dict)
    binary_format: str | None = None
    binary_length: int | None = None
    #: counts over the sampled values (dates, organisations, categories, credentials)
    profile: ValueProfile | None = None
    #: credential detector name -> values holding one (``url-password``, ``github-token``)
    credentials: dict[str, int] = field(default_factory=dict)


class ColumnAccumulator:
    """Collects one column's cells for one table; see the module docstring."""

    def __init__(self, table: str, column: str, data_type: str, family: str,
                 classify: ColumnClassifier, *, sample_size: int, full: bool,
                 json_key: str | None = None, source_column: str | None = None,
                 subject_key: bytes = b"", sketch: DistinctSketch | None = None) -> None:
        self.table, self.column, self.data_type, self.family = table, column, data_type, family
        self.source = source_column or column  # the real column (JSON keys: the parent)
        self.classify = classify
        self.sample_size, self.full, self.json_key = sample_size, full, json_key
        self.password = json_key is None and is_password_column(column, family)
        self.values: list[str] = []
        self.non_null = 0
        self.shapes: Counter[str | None] = Counter()
        self.binary: Counter[str] = Counter()
        self.binary_bytes = 0
        self.texts = 0  # text values seen (not password columns)
        self.buffered = 0  # characters in ``values``
        self.facts: ColumnFacts | None = None
        self.children: dict[str, ColumnAccumulator] = {}
        self.subject_key = subject_key
        self.decided = False  # judged personal with a high hit ratio: no more detection
        self.looked = False  # the early look at the first EARLY values was taken
        # NOTE: a key range's blocks share one sketch per column (order does not matter)
        self.sketch = sketch if sketch is not None else (
            DistinctSketch(subject_key) if full and subject_key else None)
        self.profile = ValueProfile(column, sample_size)

    # ---- feeding ----------------------------------------------------------------------
    def add(self, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, BinaryCell):
            self.non_null += 1
            self.binary[binary_format(value.prefix)] += 1
            self.binary_bytes += value.length
            return
        if isinstance(value, dict | list):
            self._add_json(value, "", 0)
            self.non_null += 1
            return
        text = _text(value)
        if text is None:
            return
        if (self.family == "json" or text[:1] in "{[") and self.json_key is None:
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict | list):
                self._add_json(parsed, "", 0)
                self.non_null += 1
                return
        self._add_text(text)

    def _add_text(self, text: str) -> None:
        self.non_null += 1
        if self.password:
            self.shapes[hash_format(text) or ("empty" if not text else "plaintext")] += 1
            return
        self.texts += 1
        if self.texts <= self.sample_size:
            self.profile.add(text)
        if self.texts <= max(self.sample_size, FULL_BATCH):
            # NOTE: protection is a property of how the column is stored: the shapes of
            # its first values tell it; shaping every value of a full scan adds nothing.
            self.shapes[protected_shape(text)] += 1
        if self.sketch is not None:
            self.sketch.add(text)
        if self.decided or (not self.full and self.facts is not None):
            return
        self.values.append(text)
        self.buffered += len(text)
        n = len(self.values)
        if not self.looked and n == min(EARLY, self.sample_size):
            # NOTE: sequential sampling: a column whose first values are nearly all
            # personal data is judged on them; other columns get the whole sample.
            self.looked = True
            facts = facts_of(self.classify(self.column, self.values, self.table))
            if _settled(facts):
                self.facts, self.decided, self.values, self.buffered = facts, True, [], 0
        elif n >= (max(self.sample_size, FULL_BATCH) if self.full else self.sample_size) or (
                self.full and self.buffered >= FULL_BATCH_CHARS):
            self._flush()
            self.decided = self.full and self.facts is not None and _settled(self.facts)

    def _add_json(self, node: Any, path: str, depth: int) -> None:
        if depth > _JSON_DEPTH:
            return
        if isinstance(node, dict):
            for key in sorted(node, key=str):
                self._add_json(node[key], f"{path}.{key}" if path else str(key), depth + 1)
        elif isinstance(node, list):
            for item in node[:16]:
                self._add_json(item, f"{path}[]", depth + 1)
        elif node is not None and path:
            child = self.children.get(path)
            if child is None:
                if len(self.children) >= MAX_JSON_KEYS:
                    return
                leaf = path.rsplit(".", 1)[-1].replace("[]", "") or self.column
                child = ColumnAccumulator(self.table, leaf, self.data_type, "text",
                                          self.classify, sample_size=self.sample_size,
                                          full=self.full, json_key=path,
                                          source_column=self.source,
                                          subject_key=self.subject_key)
                self.children[path] = child
            text = _text(node)
            if text is not None:
                child._add_text(text)

    def _flush(self) -> None:
        facts = facts_of(self.classify(self.column, self.values, self.table))
        self.facts = facts if self.facts is None else self.facts.merge(facts)
        self.values, self.buffered = [], 0

    # ---- results ----------------------------------------------------------------------
    def finish(self) -> Iterator[ColumnResult]:
        """The column's results: itself (when it held text or binary) and its JSON keys."""
        return self.partial().finish()

    def partial(self) -> ColumnState:
        """Everything this accumulator knows, as mergeable state (see :class:`ColumnState`);
        classifies what is still buffered, so nothing raw is left in it."""
        name_facts: ColumnFacts | None = None
        if not self.password and (self.binary or (
                not self.texts and not self.children and self.json_key is None)):
            name_facts = facts_of(self.classify(self.column, [], self.table))
        facts: list[ColumnFacts] = []
        decided: list[bool] = []
        if self.texts and not self.password:
            if self.values or self.facts is None:
                self._flush()
            if self.facts is not None:
                facts.append(self.facts)
            decided.append(self.decided)
        return ColumnState(
            source=self.source, data_type=self.data_type, json_key=self.json_key,
            password=self.password, non_null=self.non_null, texts=self.texts,
            shapes=Counter(self.shapes), binary=Counter(self.binary),
            binary_bytes=self.binary_bytes, facts=facts, decided=decided,
            name_facts=name_facts, sketch=self.sketch,
            profile=self.profile if self.texts and not self.password else None,
            children={path: self.children[path].partial() for path in self.children})


@dataclass(slots=True)
class ColumnState:
    """What one column's accumulator knew at the end of a block of rows, mergeable with
    the next blocks' (a large table read in key ranges, possibly on several machines):
    counts and format counters add up, the per-block verdicts are kept in block order
    and merged once at the end, the distinct-subject sketches merge exactly, the value
    profile is the first block's that held text, JSON key paths keep their first-seen
    order up to 64. :meth:`merge` in block order, then :meth:`finish`, gives the same
    results however the blocks were grouped. Holds no raw value except the dates of the
    value profile (which a local scan holds too)."""

    source: str
    data_type: str
    json_key: str | None
    password: bool
    non_null: int = 0
    texts: int = 0
    shapes: Counter[str | None] = field(default_factory=Counter)
    binary: Counter[str] = field(default_factory=Counter)
    binary_bytes: int = 0
    #: the verdict of every block that held text, in block order
    facts: list[ColumnFacts] = field(default_factory=list)
    #: per block that held text: settled on its first values (no further detection)
    decided: list[bool] = field(default_factory=list)
    #: the verdict by the column's name alone (binary and empty columns)
    name_facts: ColumnFacts | None = None
    sketch: DistinctSketch | None = None
    profile: ValueProfile | None = None
    children: dict[str, ColumnState] = field(default_factory=dict)

    def merge(self, later: ColumnState) -> None:
        """Add the state of the next block(s) of the same column."""
        self.non_null += later.non_null
        self.texts += later.texts
        self.shapes.update(later.shapes)
        self.binary.update(later.binary)
        self.binary_bytes += later.binary_bytes
        self.facts.extend(later.facts)
        self.decided.extend(later.decided)
        self.name_facts = self.name_facts or later.name_facts
        if later.sketch is not None and later.sketch is not self.sketch:
            if self.sketch is None:
                self.sketch = later.sketch
            else:
                self.sketch.merge(later.sketch)
        if self.profile is None:
            self.profile = later.profile
        for path, child in later.children.items():
            mine = self.children.get(path)
            if mine is not None:
                mine.merge(child)
            elif len(self.children) < MAX_JSON_KEYS:
                self.children[path] = child

    def finish(self) -> Iterator[ColumnResult]:
        """The column's results (itself and its JSON keys), as one accumulator's."""
        if self.password:
            storage, _share = dominant(self.shapes, threshold=0.5)
            if self.non_null:
                yield ColumnResult(self.source, self.data_type, None, self.non_null,
                                   password_storage=storage or "mixed",
                                   storage_counts={str(k): v for k, v in
                                                   sorted(self.shapes.items(), key=str)})
            return
        if self.binary:
            fmt, _share = dominant(self.binary, threshold=0.5)
            facts = self.name_facts or ColumnFacts()
            if fmt in BIOMETRIC_FORMATS:
                facts = facts.with_categories(["BIOMETRIC"])
            yield ColumnResult(self.source, self.data_type, facts, self.non_null,
                               protection="random-bytes" if fmt == "random" else None,
                               binary_format=fmt or "mixed",
                               binary_length=self.binary_bytes // max(1, sum(
                                   self.binary.values())))
        if self.texts:
            merged: ColumnFacts | None = None
            for facts in self.facts:
                merged = facts if merged is None else merged.merge(facts)
            if self.sketch is not None and self.decided and all(self.decided) and \
                    merged is not None:
                merged = merged.with_subjects(self.sketch.estimate())
            shape, _share = dominant(self.shapes, threshold=0.8)
            yield ColumnResult(self.source, self.data_type, merged,
                               self.texts, json_key=self.json_key,
                               protection=shape, profile=self.profile)
        elif not self.binary and not self.children and self.json_key is None and \
                self.name_facts is not None and self.name_facts.is_personal:
            # NOTE: an empty column can still be personal by its name alone.
            yield ColumnResult(self.source, self.data_type, self.name_facts, 0)
        for path in sorted(self.children):
            yield from self.children[path].finish()
