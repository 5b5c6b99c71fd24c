"""The built-in recognition pass: every built-in recognizer over one text, no Presidio.

``BuiltinEngine.analyze`` does what Presidio's ``AnalyzerEngine.analyze`` did for the
built-in recognizers, in one pass and without its per-call machinery:

1. the recognizers of the requested types (selected once per set of types, cached) each
   scan the text and return :class:`~auditor.pii.recognizers.base.Candidate` records;
2. context: only when there are candidates, the text is split into tokens (words,
   numbers, single punctuation marks) and each candidate's score is raised by
   ``context_boost`` when one of its recognizer's context words is among the folded
   lower-case words around it (the token the match starts in, the five words before
   it and the one after it) or in the explicit context. The word order and window are
   those of Presidio's ``LemmaContextAwareEnhancer`` (whole-word mode, prefix 5, suffix
   1) on the same tokens, so scores are unchanged by the move;
3. candidates under the score threshold are dropped, and of candidates of one type a
   candidate inside another that scores at least as high is dropped.

Recognizers added by the user (``DetectorConfig(recognizers=...)``, Presidio
``EntityRecognizer`` subclasses) and the spaCy NER option run through Presidio
(``auditor.pii.engine``), which is imported only then; their results join the others
before overlap resolution.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Collection, Sequence
from typing import Any

from auditor.pii.addresses import AddressRecognizer
from auditor.pii.config import DetectorConfig
from auditor.pii.names import HonorificNameRecognizer, NameRecognizer
from auditor.pii.recognizers import auditor_recognizers
from auditor.pii.recognizers.base import BuiltinRecognizer, Candidate
from auditor.pii.text import fold_lower

__all__ = ["BuiltinEngine", "remove_contained"]

_WORD_TOKEN = re.compile(r"[^\W_]+")
_NO_CONTEXT: dict[str, int] = {}
_NO_WORDS: frozenset[str] = frozenset()
_PREFIX_WORDS = 5
_SUFFIX_WORDS = 1


def builtin_recognizers(config: DetectorConfig) -> list[BuiltinRecognizer]:
    """Fresh built-in recognizers for the enabled types, in a fixed order."""
    ids_phone_patterns = auditor_recognizers()
    general = ids_phone_patterns[-4:]
    recognizers = [*ids_phone_patterns[:-4], NameRecognizer(), HonorificNameRecognizer(),
                   AddressRecognizer(), *general]
    enabled = set(config.enabled_types)
    return [r for r in recognizers if enabled.intersection(r.supported_entities)]


class BuiltinEngine:
    """Runs the built-in recognizers (and, when configured, Presidio for the user's)."""

    def __init__(self, config: DetectorConfig) -> None:
        self._boost = config.context_boost
        self._recognizers = builtin_recognizers(config)
        self._context_words = frozenset(
            w for r in self._recognizers for w in r.context_rank)
        self._selection: dict[frozenset[str], tuple[BuiltinRecognizer, ...]] = {}
        self._presidio: Any = None
        self._presidio_types: frozenset[str] = frozenset()
        if config.recognizers or config.use_spacy_model:
            from auditor.pii.engine import build_analyzer  # NOTE: Presidio only here

            self._presidio = build_analyzer(config)
            self._presidio_types = frozenset(config.presidio_types)

    def _select(self, entities: frozenset[str]) -> tuple[BuiltinRecognizer, ...]:
        found = self._selection.get(entities)
        if found is None:
            found = tuple(r for r in self._recognizers
                          if entities.intersection(r.supported_entities))
            self._selection[entities] = found
        return found

    def analyze(self, *, text: str, entities: Collection[str], context: Sequence[str] = (),
                score_threshold: float = 0.0, **_: Any) -> list[Candidate]:
        """Candidates of ``entities`` in ``text``, context-scored, thresholded and
        without same-type duplicates (keyword arguments as Presidio's ``analyze``)."""
        wanted = frozenset(entities)   # NOTE: the same object when given a frozenset
        results: list[Candidate] = []
        for recognizer in self._select(wanted):
            results.extend(recognizer.analyze(text, wanted))
        if results:
            self._enhance(text, results, context)
            results = remove_contained([r for r in results if r.score >= score_threshold])
        if self._presidio is not None and not wanted.isdisjoint(self._presidio_types):
            results.extend(self._from_presidio(text, wanted, context, score_threshold))
        return results

    def _enhance(self, text: str, results: list[Candidate], context: Sequence[str]) -> None:
        explicit = [w.lower() for w in context] if context else ()
        line: _Tokens | _PlainTokens | None = None
        for r in results:
            rank = r.context
            if not rank:
                continue
            if line is None:
                line = _tokens(text, self._context_words)
            if not explicit and rank.keys().isdisjoint(line.hit_words):
                continue   # none of its context words anywhere in the text
            window = line.window(text, r.start)
            if window is None:
                continue
            before, after = window
            best = -1
            word = ""
            for j, lemma in line.hits:
                if before - _PREFIX_WORDS - 1 <= j < before or after <= j <= after + _SUFFIX_WORDS:
                    k = rank.get(lemma)
                    if k is not None and (best < 0 or k < best):
                        best, word = k, lemma
            for lemma in explicit:
                k = rank.get(lemma)
                if k is not None and (best < 0 or k < best):
                    best, word = k, lemma
            if best >= 0:
                r.score = min(max(r.score + self._boost, 0.0), 1.0)
                r.context_word = word

    def _from_presidio(self, text: str, wanted: frozenset[str], context: Sequence[str],
                       score_threshold: float) -> list[Candidate]:
        found = self._presidio.analyze(
            text=text, language="en", entities=sorted(wanted & self._presidio_types),
            context=list(context), score_threshold=score_threshold,
            return_decision_process=True)
        out: list[Candidate] = []
        for r in found:
            explanation = r.analysis_explanation
            candidate = Candidate(r.entity_type, r.start, r.end, r.score,
                                  recognizer=getattr(explanation, "recognizer", "") or "",
                                  context=_NO_CONTEXT)
            word = explanation.supportive_context_word if explanation is not None else ""
            candidate.context_word = word or ""
            out.append(candidate)
        return out


def _tokens(text: str, context_words: frozenset[str]) -> _Tokens | _PlainTokens:
    """The words of ``text`` for the context step (:class:`_PlainTokens` in the common
    case, :class:`_Tokens` when a word is "be" or lower-casing changes the length)."""
    lowered = fold_lower(text)
    if len(lowered) == len(text):
        lemmas = _WORD_TOKEN.findall(lowered)
        if "be" not in lemmas:
            return _PlainTokens(lowered, lemmas, context_words)
    return _Tokens(text, context_words)


class _PlainTokens:
    """:class:`_Tokens` for a text whose folded lower-case form has its length and no
    word "be": then every word is a keyword, a word's keyword position is its index and
    its lemma is its text, so the words are found by one ``findall`` and their offsets
    only when a window is asked for."""

    __slots__ = ("_ends", "_lowered", "hit_words", "hits")

    def __init__(self, lowered: str, lemmas: list[str], context_words: frozenset[str]
                 ) -> None:
        self._lowered = lowered
        self._ends: list[int] | None = None
        self.hits: list[tuple[int, str]] = [] if context_words.isdisjoint(lemmas) else [
            (i, w) for i, w in enumerate(lemmas) if w in context_words]
        self.hit_words = frozenset(w for _, w in self.hits) if self.hits else _NO_WORDS

    def window(self, text: str, start: int) -> tuple[int, int] | None:
        """As :meth:`_Tokens.window`."""
        ends = self._ends
        if ends is None:
            ends = self._ends = [m.end() for m in _WORD_TOKEN.finditer(self._lowered)]
        i = bisect.bisect_right(ends, start)    # first word ending after start
        if i == len(ends):
            if not text[start:].strip():
                return None
            return i, i    # the match starts in a punctuation token at the end
        # NOTE: word i starts at or before ``start`` (the search finds ``start`` itself,
        # an empty gap) or is the next word found from ``start``.
        word = _WORD_TOKEN.search(self._lowered, start)
        if word is not None and not text[start:word.start()].strip():
            return i + 1, i
        return i, i


class _Tokens:
    """The words of one text for the context step.

    Presidio counts context over tokens (words and single punctuation marks) and skips
    punctuation and "be" when it collects the words around a match; only words can be
    context words. So only words are kept here: their offsets, how many keywords (words
    other than "be") come before each, and the keywords that are context words of some
    recognizer, by keyword position. :meth:`window` then gives a match's window in
    keyword positions, as Presidio's token walk would."""

    __slots__ = ("ends", "hit_words", "hits", "keys_before", "keyword", "starts")

    def __init__(self, text: str, context_words: frozenset[str]) -> None:
        starts: list[int] = []
        ends: list[int] = []
        keys_before: list[int] = []
        keyword: list[bool] = []
        hits: list[tuple[int, str]] = []
        lowered = fold_lower(text)
        # NOTE: folding keeps offsets and letters stay letters, so the words of the folded
        # lower-case text are those of the text and their text is the lemma (unless a
        # character lower-cases to two: then word by word).
        same = len(lowered) == len(text)
        count = 0
        for m in _WORD_TOKEN.finditer(lowered if same else text):
            lemma = m.group(0) if same else fold_lower(m.group(0))
            starts.append(m.start())
            ends.append(m.end())
            keys_before.append(count)
            is_key = lemma != "be"
            keyword.append(is_key)
            if is_key:
                if lemma in context_words:
                    hits.append((count, lemma))
                count += 1
        self.starts = starts
        self.ends = ends
        self.keys_before = keys_before
        self.keyword = keyword
        self.hits = hits
        self.hit_words = frozenset(w for _, w in hits)

    def window(self, text: str, start: int) -> tuple[int, int] | None:
        """``(before, after)`` for a match at ``start``: keyword positions
        ``before - 6 .. before - 1`` are the six up to the token the match starts in,
        ``after, after + 1`` the two from it. None: no token at or after ``start``."""
        i = bisect.bisect_right(self.ends, start)    # first word ending after start
        if i == len(self.ends):
            if not text[start:].strip():
                return None
            total = (self.keys_before[-1] + self.keyword[-1]) if self.ends else 0
            return total, total    # the match starts in a punctuation token at the end
        before = after = self.keys_before[i]
        # NOTE: the token the match starts in is this word unless a punctuation mark
        # comes first (``(028)…``, ``+84…``).
        if not text[start:self.starts[i]].strip() and self.keyword[i]:
            before += 1
        return before, after


def remove_contained(results: list[Candidate]) -> list[Candidate]:
    """Drop zero scores, exact duplicates, and a candidate inside another of the same type
    that scores at least as high."""
    if len(results) < 2:
        return [r for r in results if r.score != 0]
    ordered = sorted(results, key=lambda r: (r.start, -r.end))
    if all(a.end <= b.start for a, b in itertools.pairwise(ordered)):
        return [r for r in ordered if r.score != 0]   # nothing inside anything
    unique = {(r.entity_type, r.start, r.end, r.score): r for r in reversed(results)}
    ordered = sorted(unique.values(),
                     key=lambda r: (r.entity_type, r.start, r.start - r.end, -r.score))
    kept: list[Candidate] = []
    for _, group in itertools.groupby(ordered, key=lambda r: r.entity_type):
        active: list[Candidate] = []
        for r in group:
            if r.score == 0:
                continue
            active = [a for a in active if a.end >= r.start]
            if any(r.start >= a.start and r.end <= a.end and r.score <= a.score
                   for a in active):
                continue
            kept.append(r)
            active.append(r)
    return kept
