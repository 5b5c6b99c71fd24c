"""The one bridge to the PII engine: per-column verdicts, and merging them in full mode.

``pii_classifier(hash_key)`` binds ``auditor.pii.classify_column`` to the default
detector; the scanners receive such a classifier through their constructor, so tests and
embedders can pass another one. A verdict is read through the documented fields of
``auditor.pii.ColumnVerdict`` (entities, categories, hit_ratio, confidence, sample_size,
distinct_subjects, by_name, examples, ``to_attributes()``) into :class:`ColumnFacts`.

NOTE: in full mode a column's values are classified in bounded batches and the facts are
merged: hit ratios are weighted by batch size, entities and categories are unioned, and
distinct subjects are summed (an upper bound: the same person in two batches counts twice).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from auditor.models import JSONValue

__all__ = ["ColumnClassifier", "ColumnFacts", "Verdict", "facts_of", "pii_classifier"]


class Verdict(Protocol):
    """What the scanners read from ``auditor.pii.ColumnVerdict``."""

    @property
    def entities(self) -> Sequence[str]: ...
    @property
    def categories(self) -> Sequence[str]: ...
    @property
    def hit_ratio(self) -> float: ...
    @property
    def confidence(self) -> float: ...
    @property
    def sample_size(self) -> int: ...
    @property
    def distinct_subjects(self) -> int | None: ...
    @property
    def by_name(self) -> Any: ...
    @property
    def examples(self) -> Sequence[str]: ...
    def to_attributes(self) -> dict[str, Any]: ...


#: ``classify(column, values, table) -> Verdict``
ColumnClassifier = Callable[[str, Sequence[str], str], Verdict]


def pii_classifier(hash_key: bytes) -> ColumnClassifier:
    """The PII engine's column classifier with its default (offline) detector."""
    from auditor.pii import classify_column, get_detector  # NOTE: loads the engine lazily

    detector = get_detector()

    def classify(column: str, values: Sequence[str], table: str) -> Verdict:
        return classify_column(detector, column, values, table=table, hash_key=hash_key)

    return classify


@dataclass(frozen=True, slots=True)
class ColumnFacts:
    """A column verdict in the scanners' terms; mergeable across batches."""

    entities: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    hit_ratio: float = 0.0
    confidence: float = 0.0
    sample_size: int = 0
    distinct_subjects: int | None = None
    by_name: bool = False
    examples: tuple[str, ...] = ()
    attributes: dict[str, JSONValue] = field(default_factory=dict)

    @property
    def is_personal(self) -> bool:
        return bool(self.entities or self.categories)

    def merge(self, other: ColumnFacts) -> ColumnFacts:
        total = self.sample_size + other.sample_size
        if not total:
            return other if other.is_personal else self
        ratio = (self.hit_ratio * self.sample_size + other.hit_ratio * other.sample_size) / total
        subjects = None
        if self.distinct_subjects is not None or other.distinct_subjects is not None:
            subjects = (self.distinct_subjects or 0) + (other.distinct_subjects or 0)
        base = other.attributes if other.is_personal or not self.is_personal \
            else self.attributes
        merged = ColumnFacts(
            entities=_union(self.entities, other.entities),
            categories=_union(self.categories, other.categories),
            hit_ratio=round(ratio, 4),
            confidence=max(self.confidence, other.confidence),
            sample_size=total,
            distinct_subjects=subjects,
            by_name=self.by_name or other.by_name,
            examples=_union(self.examples, other.examples)[:3],
        )
        return ColumnFacts(**{**_fields(merged), "attributes": {**base, **merged.summary()}})

    def summary(self) -> dict[str, JSONValue]:
        """The merged numeric fields under the verdict's attribute names."""
        out: dict[str, JSONValue] = {
            "entities": list(self.entities), "categories": list(self.categories),
            "hit_ratio": self.hit_ratio, "confidence": self.confidence,
            "sample_size": self.sample_size, "by_name": self.by_name,
            "examples": list(self.examples),
        }
        if self.distinct_subjects is not None:
            out["distinct_subjects"] = self.distinct_subjects
        return out

    def with_subjects(self, subjects: int) -> ColumnFacts:
        """The facts with a distinct-subject count measured over the whole column."""
        return ColumnFacts(**{**_fields(self), "distinct_subjects": subjects,
                              "attributes": {**self.attributes,
                                             "distinct_subjects": subjects}})

    def revised(self, entities: Sequence[str], categories: Sequence[str], *,
                confidence: float | None = None, hit_ratio: float | None = None,
                extra: dict[str, JSONValue] | None = None) -> ColumnFacts:
        """The facts with other entity types and categories (a decision taken with the
        whole table in view), the attributes kept in step. Left with no entity type (a
        religion column whose "Cao Đài" the detector took for a name), the column holds no
        identifier: its subject count and its masked examples, which were the dropped
        type's, go too."""
        ents, cats = tuple(sorted(set(entities))), tuple(sorted(set(categories)))
        conf = self.confidence if confidence is None else confidence
        ratio = self.hit_ratio if hit_ratio is None else round(hit_ratio, 4)
        attributes = {**self.attributes, **(extra or {}), "entities": list(ents),
                      "categories": list(cats), "confidence": conf, "hit_ratio": ratio}
        facts = ColumnFacts(**{**_fields(self), "entities": ents, "categories": cats,
                               "confidence": conf, "hit_ratio": ratio,
                               "attributes": attributes})
        if ents or not self.entities:
            return facts
        attributes.pop("distinct_subjects", None)
        attributes.pop("examples", None)
        return dataclasses.replace(facts, distinct_subjects=None, examples=())

    def with_categories(self, extra: Sequence[str]) -> ColumnFacts:
        categories = _union(self.categories, tuple(extra))
        return ColumnFacts(**{**_fields(self), "categories": categories,
                              "attributes": {**self.attributes,
                                             "categories": list(categories)}})


def _fields(facts: ColumnFacts) -> dict[str, Any]:
    return {name: getattr(facts, name) for name in ColumnFacts.__slots__}


def _union(a: Sequence[str], b: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*a, *b]))


def _json_safe(value: Any) -> JSONValue:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_json_safe(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    return str(value)


def facts_of(verdict: Verdict) -> ColumnFacts:
    """Read a PII-engine verdict into :class:`ColumnFacts`."""
    attributes = _json_safe(verdict.to_attributes())
    by_name = verdict.by_name
    return ColumnFacts(
        entities=tuple(str(e) for e in verdict.entities),
        categories=tuple(str(c) for c in verdict.categories),
        hit_ratio=float(verdict.hit_ratio),
        confidence=float(verdict.confidence),
        sample_size=int(verdict.sample_size),
        distinct_subjects=(int(verdict.distinct_subjects)
                           if verdict.distinct_subjects is not None else None),
        by_name=bool(by_name),
        examples=tuple(str(e) for e in verdict.examples),
        attributes=attributes if isinstance(attributes, dict) else {},
    )
