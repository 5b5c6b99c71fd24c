"""Measure a detector on a labelled corpus (used by the tests and ``benchmarks/``).

Label syntax, one record per line: ``[[TYPE:text]]`` marks an entity, the markup is
removed to get the input text; ``#`` starts a comment line. Example::

    Khách hàng [[PERSON:Nguyễn Văn An]], SĐT [[VN_PHONE:0912 345 678]]

Scoring is exact-span, per type: a prediction is a true positive when a gold entity of
the same type has the same start and end; every other prediction is a false positive and
every unmatched gold entity a false negative.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

__all__ = ["Labelled", "Scores", "parse_labelled", "score"]

_MARK = re.compile(r"\[\[([A-Z_]+):(.+?)\]\]")


@dataclass(frozen=True, slots=True)
class Labelled:
    """One corpus line: the text and its gold entities ``(type, start, end)``."""

    text: str
    gold: tuple[tuple[str, int, int], ...]


def parse_labelled(lines: Iterable[str]) -> list[Labelled]:
    """Parse labelled lines (see module docstring); comments and blank lines skipped."""
    out: list[Labelled] = []
    for raw in lines:
        line = raw.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts: list[str] = []
        gold: list[tuple[str, int, int]] = []
        pos = 0
        length = 0
        for m in _MARK.finditer(line):
            before = line[pos:m.start()]
            parts.append(before)
            length += len(before)
            value = m.group(2)
            gold.append((m.group(1), length, length + len(value)))
            parts.append(value)
            length += len(value)
            pos = m.end()
        parts.append(line[pos:])
        out.append(Labelled("".join(parts), tuple(gold)))
    return out


@dataclass(frozen=True, slots=True)
class Scores:
    """True positives, false positives and false negatives per entity type."""

    tp: dict[str, int]
    fp: dict[str, int]
    fn: dict[str, int]

    def precision(self, entity: str) -> float:
        found = self.tp.get(entity, 0) + self.fp.get(entity, 0)
        return self.tp.get(entity, 0) / found if found else 1.0

    def recall(self, entity: str) -> float:
        gold = self.tp.get(entity, 0) + self.fn.get(entity, 0)
        return self.tp.get(entity, 0) / gold if gold else 1.0

    def f1(self, types: Sequence[str] | None = None) -> float:
        """Micro-averaged F1 over ``types`` (default: every type seen)."""
        keys = set(types) if types is not None else set(self.tp) | set(self.fp) | set(self.fn)
        tp = sum(self.tp.get(t, 0) for t in keys)
        fp = sum(self.fp.get(t, 0) for t in keys)
        fn = sum(self.fn.get(t, 0) for t in keys)
        return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0

    def types(self) -> list[str]:
        return sorted(set(self.tp) | set(self.fp) | set(self.fn))


def score(corpus: Sequence[Labelled],
          predictions: Iterable[Sequence[tuple[str, int, int]]],
          mapping: Callable[[str], str] = str) -> Scores:
    """Compare predictions ``(type, start, end)`` per line with the gold labels;
    ``mapping`` renames predicted types (e.g. a peer's PHONE_NUMBER to VN_PHONE)."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for item, predicted in zip(corpus, predictions, strict=True):
        gold = set(item.gold)
        seen = set()
        for etype, start, end in predicted:
            key = (mapping(etype), start, end)
            if key in seen:
                continue
            seen.add(key)
            if key in gold:
                tp[key[0]] += 1
            else:
                fp[key[0]] += 1
        for g in gold - seen:
            fn[g[0]] += 1
    return Scores(dict(tp), dict(fp), dict(fn))
