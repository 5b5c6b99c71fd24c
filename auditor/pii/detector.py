"""The PII detector every scanner uses: ``PiiDetector.detect(text)`` -> ``[Entity]``.

Pipeline for one text:

1. normalise to NFC (offsets are mapped back to the caller's string);
2. the trigger prefilter (``auditor.pii.prefilter``) names the types the text could hold;
   clean text stops here and never reaches Presidio;
3. Presidio (offline, ``auditor.pii.engine``) runs only the recognizers of those types,
   with context words from the text and from ``context=`` (column names, config keys);
4. overlapping detections are resolved: a detection inside a longer one is dropped; of
   partly overlapping ones, a context-supported detection beats one without context,
   then the higher score, the longer span, and the type order of DESIGN.md;
5. detections below ``DetectorConfig.score_threshold`` are dropped.

``detect_many`` streams: with ``n_process > 1`` texts go to a process pool in batches of
``batch_size``, results come back in input order. ``get_detector(config)`` returns a
per-process cached detector, so the start-up cost (≈1 s) is paid once per process.
"""

from __future__ import annotations

import itertools
import multiprocessing
from collections.abc import Collection, Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any

from auditor.pii.config import ALL_TYPES, DetectorConfig, Entity
from auditor.pii.prefilter import Prefilter
from auditor.pii.text import fold, name_tokens, to_nfc

__all__ = ["PiiDetector", "get_detector"]

_PRIORITY = {t: i for i, t in enumerate(ALL_TYPES)}


class PiiDetector:
    """Vietnamese-first PII detection on short texts (values, lines, messages)."""

    def __init__(self, config: DetectorConfig | None = None) -> None:
        from auditor.pii.engine import build_analyzer  # NOTE: heavy import, deferred

        self.config = config or DetectorConfig()
        self._types = frozenset(self.config.enabled_types)
        self._analyzer = build_analyzer(self.config)
        self._prefilter = Prefilter(self._types)

    def __repr__(self) -> str:
        return f"PiiDetector({self.config!r})"

    def detect(self, text: str, *, context: Sequence[str] = (),
               types: Collection[str] | None = None) -> list[Entity]:
        """Entities in ``text``, sorted by offset. ``context``: words or identifiers
        (``so_dien_thoai``, ``customer.phone``) that describe the text; ``types``: restrict
        to these entity types."""
        if not text:
            return []
        wanted = self._types if types is None else self._types & frozenset(types)
        if not wanted:
            return []
        nfc, offsets = to_nfc(text)
        words = _context_words(context)
        if self.config.prefilter:
            wanted = wanted & self._prefilter.candidates(fold(nfc), words)
            if not wanted:
                return []
        results = self._analyzer.analyze(
            text=nfc, language="en", entities=sorted(wanted), context=list(words),
            score_threshold=self.config.score_threshold, return_decision_process=True)
        return _resolve(results, wanted, offsets)

    def detect_many(self, texts: Iterable[str], *, context: Sequence[str] = (),
                    types: Collection[str] | None = None) -> Iterator[list[Entity]]:
        """``detect`` over many texts, streamed, in input order."""
        if self.config.n_process == 1:
            for text in texts:
                yield self.detect(text, context=context, types=types)
            return
        ctx = multiprocessing.get_context()
        with ctx.Pool(self.config.n_process, initializer=_init_worker,
                      initargs=(self.config,)) as pool:
            batches = _batched(texts, self.config.batch_size)
            jobs = ((batch, tuple(context), None if types is None else tuple(types))
                    for batch in batches)
            for batch_result in pool.imap(_detect_batch, jobs):
                yield from batch_result


def _context_words(context: Sequence[str]) -> tuple[str, ...]:
    words: list[str] = []
    for item in context:
        words.extend(name_tokens(item))
        joined = "".join(name_tokens(item))
        if joined:
            words.append(joined)
    return tuple(dict.fromkeys(words))


def _resolve(results: list[Any], wanted: frozenset[str],
             offsets: list[int] | None) -> list[Entity]:
    def supported(r: Any) -> bool:
        explanation = r.analysis_explanation
        return bool(explanation is not None and explanation.supportive_context_word)

    candidates = [r for r in results if r.entity_type in wanted]
    # NOTE: a detection inside a longer one (a street named after a person inside an
    # address, a phone-like run inside a card number) is part of the longer one.
    candidates = [r for r in candidates if not any(
        o is not r and o.start <= r.start and r.end <= o.end and (o.end - o.start) >
        (r.end - r.start) for o in candidates)]
    ranked = sorted(
        candidates,
        key=lambda r: (not supported(r), -r.score, -(r.end - r.start),
                       _PRIORITY.get(r.entity_type, 99), r.start))
    kept: list[Any] = []
    for r in ranked:
        if all(r.end <= k.start or r.start >= k.end for k in kept):
            kept.append(r)
    kept.sort(key=lambda r: (r.start, r.end, r.entity_type))
    out = []
    for r in kept:
        start, end = (r.start, r.end) if offsets is None else (offsets[r.start], offsets[r.end])
        out.append(Entity(type=r.entity_type, start=start, end=end,
                          score=round(min(r.score, 1.0), 2)))
    return out


def _batched(items: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


_WORKER: dict[str, PiiDetector] = {}


def _init_worker(config: DetectorConfig) -> None:
    _WORKER["detector"] = get_detector(config)


def _detect_batch(job: tuple[list[str], tuple[str, ...], tuple[str, ...] | None]
                  ) -> list[list[Entity]]:
    batch, context, types = job
    detector = _WORKER["detector"]
    return [detector.detect(text, context=context, types=types) for text in batch]


def get_detector(config: DetectorConfig | None = None) -> PiiDetector:
    """Per-process cached detector (start-up cost paid once per process)."""
    return _cached_detector(config or DetectorConfig())


@lru_cache(maxsize=8)
def _cached_detector(config: DetectorConfig) -> PiiDetector:
    return PiiDetector(config)
