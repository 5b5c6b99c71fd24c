"""The PII detector every scanner uses: ``PiiDetector.detect(text)`` -> ``[Entity]``.

Pipeline for one text:

1. normalise to NFC (offsets are mapped back to the caller's string);
2. the trigger prefilter (``auditor.pii.prefilter``) names the types the text could hold;
   clean text stops here;
3. the built-in engine (``auditor.pii.scan``) runs only the recognizers of those types,
   with context words from the text and from ``context=`` (column names, config keys);
   recognizers added through ``DetectorConfig.recognizers`` run through Presidio
   (``auditor.pii.engine``, imported only then);
4. a detection without context right after a *negative* context word (``SKU``, ``STK``,
   ``version``... ``lexicons/context.yaml``) is dropped;
5. overlapping detections are resolved: a detection inside a longer one is dropped; of
   partly overlapping ones, a context-supported detection beats one without context,
   then the one with the nearer context word, the higher score, the longer span, and
   the type order of DESIGN.md;
6. detections below ``DetectorConfig.score_threshold`` are dropped.

``detect_many`` streams: with ``n_process > 1`` texts go to a process pool in batches of
``batch_size``, results come back in input order. ``get_detector(config)`` returns a
per-process cached detector, so the start-up cost is paid once per process.
"""

from __future__ import annotations

import bisect
import itertools
import multiprocessing
import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from functools import lru_cache

from auditor.errors import AuditorError, ConfigError
from auditor.pii.config import ALL_TYPES, DetectorConfig, Entity
from auditor.pii.lexicon import negative_context_words, veto_context_words
from auditor.pii.prefilter import Prefilter
from auditor.pii.recognizers.base import Candidate
from auditor.pii.text import fold, fold_lower, name_tokens, to_nfc

__all__ = ["PiiDetector", "PiiEngineError", "get_detector"]


class PiiEngineError(AuditorError):
    """The detection engine failed on one text. The message never quotes the text."""


_PRIORITY = {t: i for i, t in enumerate(ALL_TYPES)}
_WORDS = re.compile(r"[a-z0-9]+")


class PiiDetector:
    """Vietnamese-first PII detection on short texts (values, lines, messages)."""

    def __init__(self, config: DetectorConfig | None = None) -> None:
        from auditor.pii.scan import BuiltinEngine  # NOTE: recognizers built on first use

        self.config = config or DetectorConfig()
        self._types = frozenset(self.config.enabled_types)
        self._known = frozenset(ALL_TYPES + self.config.extra_types)
        # NOTE: the added recognizers' types have no trigger: they always pass.
        self._untriggered = frozenset(self.config.extra_types)
        self._analyzer = BuiltinEngine(self.config)
        self._prefilter = Prefilter(self._types, ner=bool(self.config.use_spacy_model))
        # NOTE: the phone recognizer applies its own negative context (it also looks at
        # a bracketed remark after the number).
        self._negative = {t: w for t, w in negative_context_words().items()
                          if t != "VN_PHONE" and t in self._types}
        self._veto = {t: w for t, w in veto_context_words().items() if t in self._types}
        self._veto_or_negative = {t: self._veto.get(t, frozenset())
                                  | self._negative.get(t, frozenset())
                                  for t in {*self._veto, *self._negative}}

    def __repr__(self) -> str:
        return f"PiiDetector({self.config!r})"

    def detect(self, text: str, *, context: Sequence[str] = (),
               types: Collection[str] | None = None) -> list[Entity]:
        """Entities in ``text``, sorted by offset. ``context``: words or identifiers
        (``so_dien_thoai``, ``customer.phone``) that describe the text; ``types``: restrict
        to these entity types."""
        if types is not None and not self._known.issuperset(types):
            unknown = ", ".join(sorted(set(types) - self._known))
            raise ConfigError(f"unknown entity type(s) {unknown}")
        if not text:
            return []
        wanted = self._types if types is None else self._types & frozenset(types)
        if not wanted:
            return []
        nfc, offsets = to_nfc(text)
        words = _context_words(tuple(context)) if context else ()
        if len(nfc) <= WINDOW:
            found = self._detect_nfc(nfc, wanted, words)
        else:
            # NOTE: the context step costs (results x tokens); long texts are analysed
            # in overlapping windows so time stays linear in the length.
            found = []
            for base, chunk in _windows(nfc):
                found.extend(Entity(e.type, e.start + base, e.end + base, e.score)
                             for e in self._detect_nfc(chunk, wanted, words))
            found = _merge(found)
        if offsets is None:
            return found
        return [Entity(e.type, offsets[e.start], offsets[e.end], e.score) for e in found]

    def _detect_nfc(self, nfc: str, wanted: frozenset[str], words: tuple[str, ...]
                    ) -> list[Entity]:
        if self.config.prefilter:
            wanted = wanted & (self._prefilter.candidates(fold(nfc), words)
                               | self._untriggered)
            if not wanted:
                return []
        try:
            # NOTE: the set and the tuple as they are (no sorting or copying per text);
            # the engine only tests membership and iterates them.
            results = self._analyzer.analyze(text=nfc, entities=wanted, context=words,
                                             score_threshold=self.config.score_threshold)
        except Exception as exc:
            # NOTE: messages (Presidio's, a recognizer's) can quote the matched text;
            # never pass them on.
            raise PiiEngineError(
                f"PII analysis failed on a text of {len(nfc)} characters "
                f"({type(exc).__name__})") from None
        if results and (self._negative or self._veto):
            results = self._drop_negative(nfc, results)
        return _resolve(results, wanted, nfc)

    def _drop_negative(self, nfc: str, results: list[Candidate]) -> list[Candidate]:
        """Drop context-less detections right after a word that says the value is
        something else (``SKU 51G-12345``, ``STK 19036912345678``, ``version 1.2.3.4``),
        and any PERSON right after an organisation word (``Công ty TNHH Nguyễn Kim``)."""
        lowered = fold_lower(nfc)
        kept = []
        for r in results:
            words = (self._veto if r.context_word else self._veto_or_negative).get(
                r.entity_type)
            if words and _word_before(lowered, r.start, words):
                continue
            kept.append(r)
        return kept

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


@lru_cache(maxsize=256)
def _context_words(context: tuple[str, ...]) -> tuple[str, ...]:
    """Folded words of the explicit context (column, table, key names): cached, since a
    scanner passes the same column name with every value."""
    words: list[str] = []
    for item in context:
        words.extend(name_tokens(item))
        joined = "".join(name_tokens(item))
        if joined:
            words.append(joined)
    return tuple(dict.fromkeys(words))


def _word_before(lowered: str, start: int, words: frozenset[str]) -> bool:
    """One of ``words`` (or a two-word entry) among the 4 words before ``start``, with no
    number and no
    punctuation between it and ``start``."""
    before = lowered[max(0, start - 40):start]
    found = list(_WORDS.finditer(before))[-4:]
    hit = next((w for w in reversed(found) if w.group(0) in words), None)
    if hit is None and len(found) > 1:
        # NOTE: two-word entries ("bệnh viện": "viện" alone folds to "viên", employee)
        hit = next((b for a, b in zip(reversed(found[:-1]), reversed(found[1:]), strict=True)
                    if f"{a.group(0)} {b.group(0)}" in words), None)
    return hit is not None and not any(ch.isdigit() or ch in ".,;:!?()[]{}\"'"
                                       for ch in before[hit.end():])


def _resolve(results: list[Candidate], wanted: frozenset[str], text: str) -> list[Entity]:
    candidates = sorted((r for r in results if r.entity_type in wanted),
                        key=lambda r: (r.start, -r.end))
    if all(a.end <= b.start for a, b in itertools.pairwise(candidates)):
        # NOTE: no two detections overlap (the common case): all of them are kept.
        return [Entity(r.entity_type, r.start, r.end, round(min(r.score, 1.0), 2))
                for r in candidates]
    return _resolve_overlaps(candidates, text)


def _resolve_overlaps(candidates: list[Candidate], text: str) -> list[Entity]:
    lowered: str | None = None

    def supported(r: Candidate) -> bool:
        return bool(r.context_word)

    def distance(r: Candidate) -> int:
        """Characters between the match and its context word (closer context wins:
        ``"phone": "+849…", "tax_code": "0314409058"``); explicit context counts as far."""
        nonlocal lowered
        if not supported(r):
            return 0
        if lowered is None:
            lowered = fold(text).lower()
        word = r.context_word
        found = [m.end() for m in re.finditer(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])",
                                              lowered[max(0, r.start - 80):r.start])]
        return (80 - found[-1]) if found else 1000

    # NOTE: a detection inside a longer one (a street named after a person inside an
    # address, a phone-like run inside a card number) is part of the longer one.
    outer: list[Candidate] = []
    widest: Candidate | None = None   # the span reaching furthest right so far
    for r in candidates:
        if widest is not None and r.end <= widest.end and \
                r.end - r.start < widest.end - widest.start:
            continue
        outer.append(r)
        if widest is None or r.end > widest.end:
            widest = r
    ranked = sorted(outer, key=lambda r: (not supported(r), -r.score, -(r.end - r.start),
                                          _PRIORITY.get(r.entity_type, 99), r.start))
    if len(ranked) > 1 and any(supported(r) for r in ranked):
        ranked.sort(key=lambda r: (not supported(r), distance(r) // 24))
    return _greedy([(r.start, r.end, r.entity_type, round(min(r.score, 1.0), 2))
                    for r in ranked])


def _greedy(ranked: list[tuple[int, int, str, float]]) -> list[Entity]:
    """Keep spans in rank order unless they overlap one already kept; sort by offset."""
    kept: list[tuple[int, int, str, float]] = []
    starts: list[int] = []
    for span in ranked:
        i = bisect.bisect_left(starts, span[0])
        if (i > 0 and kept[i - 1][1] > span[0]) or (i < len(kept) and kept[i][0] < span[1]):
            continue
        kept.insert(i, span)
        starts.insert(i, span[0])
    return [Entity(type=t, start=s, end=e, score=x) for s, e, t, x in kept]


WINDOW = 4096
_OVERLAP = 256


def _windows(text: str) -> Iterator[tuple[int, str]]:
    """Overlapping windows of at most WINDOW characters, cut at whitespace."""
    n = len(text)
    start = 0
    while True:
        end = min(n, start + WINDOW)
        if end < n:
            cut = max(text.rfind("\n", start + WINDOW // 2, end),
                      text.rfind(" ", start + WINDOW - _OVERLAP, end))
            end = cut if cut > start else end
        yield start, text[start:end]
        if end >= n:
            return
        nxt = text.find(" ", max(start + 1, end - _OVERLAP), end)
        start = nxt + 1 if nxt != -1 else end


def _merge(found: list[Entity]) -> list[Entity]:
    """Entities from overlapping windows: duplicates dropped, longer spans preferred."""
    unique = {(e.start, e.end, e.type): e for e in found}
    ranked = sorted(unique.values(), key=lambda e: (-(e.end - e.start), -e.score, e.start))
    return _greedy([(e.start, e.end, e.type, e.score) for e in ranked])


def _batched(items: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


# NOTE: per-worker-process state for detect_many's pool (set by the pool initializer in
# each worker, never in the parent).
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
