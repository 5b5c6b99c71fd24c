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
from collections.abc import Sequence
from typing import Any

from auditor.pii.addresses import AddressRecognizer
from auditor.pii.config import DetectorConfig
from auditor.pii.names import HonorificNameRecognizer, NameRecognizer
from auditor.pii.recognizers import auditor_recognizers
from auditor.pii.recognizers.base import BuiltinRecognizer, Candidate
from auditor.pii.text import fold_lower

__all__ = ["BuiltinEngine", "remove_contained"]

_TOKEN = re.compile(r"[^\W_]+|\S")
_TOKEN_WORD = re.compile(r"([^\W_]+)|\S")
_NO_CONTEXT: dict[str, int] = {}
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

    def analyze(self, *, text: str, entities: Sequence[str], context: Sequence[str] = (),
                score_threshold: float = 0.0, **_: Any) -> list[Candidate]:
        """Candidates of ``entities`` in ``text``, context-scored, thresholded and
        without same-type duplicates (keyword arguments as Presidio's ``analyze``)."""
        wanted = frozenset(entities)
        results: list[Candidate] = []
        for recognizer in self._select(wanted):
            results.extend(recognizer.analyze(text, entities))
        if results:
            self._enhance(text, results, context)
            results = remove_contained([r for r in results if r.score >= score_threshold])
        if self._presidio is not None and not wanted.isdisjoint(self._presidio_types):
            results.extend(self._from_presidio(text, wanted, context, score_threshold))
        return results

    def _enhance(self, text: str, results: list[Candidate], context: Sequence[str]) -> None:
        explicit = [w.lower() for w in context]
        line: _Tokens | None = None
        for r in results:
            rank = r.context
            if not rank:
                continue
            if line is None:
                line = _Tokens(text, self._context_words)
                if not line.ends:
                    return
            if not line.hits and not explicit:
                continue   # no context word anywhere in the text
            index = bisect.bisect_right(line.ends, r.start)
            if index == len(line.ends):
                continue
            # NOTE: the window, as in Presidio: the token the match starts in, then the
            # five keywords before it (six keywords up to it) and the one after it (two
            # from it); the context word reported is the recognizer's first one present.
            keys = line.keys
            before = bisect.bisect_right(keys, index)
            after = bisect.bisect_left(keys, index)
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


class _Tokens:
    """Tokens of one text for the context step: end offsets, the token indices of the
    keywords (words other than punctuation and "be", as Presidio counts them) and the
    keywords that are context words of some recognizer, by keyword position."""

    __slots__ = ("ends", "hits", "keys")

    def __init__(self, text: str, context_words: frozenset[str]) -> None:
        ends: list[int] = []
        keys: list[int] = []
        hits: list[tuple[int, str]] = []
        lowered = fold_lower(text)
        if len(lowered) == len(text):
            # NOTE: folding keeps offsets and letters stay letters, so the tokens of the
            # folded lower-case text are those of the text and their text is the lemma
            # (unless a character lower-cases to two: then token by token).
            for m in _TOKEN_WORD.finditer(lowered):
                word = m.group(1)
                if word is not None and word != "be":
                    if word in context_words:
                        hits.append((len(keys), word))
                    keys.append(len(ends))
                ends.append(m.end())
        else:
            for m in _TOKEN.finditer(text):
                lemma = fold_lower(m.group(0))
                if lemma != "be" and (len(lemma) != 1 or lemma.isalnum()):
                    if lemma in context_words:
                        hits.append((len(keys), lemma))
                    keys.append(len(ends))
                ends.append(m.end())
        self.ends = ends
        self.keys = keys
        self.hits = hits


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
