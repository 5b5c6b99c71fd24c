"""Base classes of the built-in recognizers: pattern + validator + context, no Presidio.

The built-in recognizers run in one pass of :class:`~auditor.pii.scan.BuiltinEngine`
over a text, outside Presidio's per-call machinery (registry look-up, NLP artifacts,
result and explanation objects, deep copies). Each one has:

- ``name``, ``supported_entities`` and ``context`` (folded lower-case context words, in
  priority order: the first one found near a match is the one reported);
- ``analyze(text, entities)`` returning :class:`Candidate` records.

A :class:`CheckedRecognizer` is given compiled regular expressions and a ``check``
function. ``check(match, text)`` returns the base score of a candidate (it has passed
validation) or ``None`` (rejected: bad check digit, unknown province code, future birth
year...). The engine then raises the score when a context word from
``auditor/pii/lexicons/context.yaml`` is near the match.

Presidio's ``EntityRecognizer`` interface remains the way to *add* a recognizer
(``DetectorConfig(recognizers=...)``); those run through Presidio (``auditor.pii.engine``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from functools import cached_property

from auditor.pii.lexicon import context_words

__all__ = ["BuiltinRecognizer", "Candidate", "Check", "CheckedRecognizer", "make_result"]

#: A validator: given the match (and the whole text), the base score or None to reject.
Check = Callable[["re.Match[str]", str], "float | None"]


class Candidate:
    """One detection before context scoring and overlap resolution.

    ``context`` maps the recognizer's context words to their priority (0 first);
    ``context_word`` is the supporting context word once the engine found one
    (``""``: none)."""

    __slots__ = ("context", "context_word", "end", "entity_type", "recognizer", "score",
                 "start")

    def __init__(self, entity_type: str, start: int, end: int, score: float, *,
                 recognizer: str, context: Mapping[str, int]) -> None:
        self.entity_type = entity_type
        self.start = start
        self.end = end
        self.score = score
        self.recognizer = recognizer
        self.context = context
        self.context_word = ""

    def __repr__(self) -> str:   # NOTE: offsets only, never the text
        return (f"Candidate({self.entity_type}, {self.start}, {self.end}, {self.score}, "
                f"{self.recognizer})")


class BuiltinRecognizer:
    """A recognizer run by the built-in engine (no Presidio)."""

    name: str = "BuiltinRecognizer"
    supported_entities: tuple[str, ...] = ()
    context: tuple[str, ...] = ()

    @cached_property
    def context_rank(self) -> Mapping[str, int]:
        """Context word -> priority (its first position in ``context``), built once
        (then a plain attribute of the instance)."""
        rank: dict[str, int] = {}
        for i, word in enumerate(self.context):
            rank.setdefault(word, i)
        return rank

    def analyze(self, text: str, entities: Collection[str]) -> list[Candidate]:
        raise NotImplementedError


def make_result(recognizer: BuiltinRecognizer, entity: str, start: int, end: int,
                score: float) -> Candidate:
    """A candidate from ``recognizer`` (carries its name and context words)."""
    return Candidate(entity, start, end, score, recognizer=recognizer.name,
                     context=recognizer.context_rank)


class CheckedRecognizer(BuiltinRecognizer):
    """Regex candidates, validated by ``check``; ``group`` selects the reported span."""

    def __init__(self, entity: str, patterns: Sequence[str], check: Check, *,
                 name: str, flags: int = 0, group: int = 0,
                 context: Sequence[str] | None = None) -> None:
        self._regexes = tuple(re.compile(p, flags) for p in patterns)
        self._check = check
        self._group = group
        self.name = name
        self.supported_entities = (entity,)
        self.context = tuple(context) if context is not None else tuple(
            context_words().get(entity, ()))

    def analyze(self, text: str, entities: Collection[str]) -> list[Candidate]:
        entity = self.supported_entities[0]
        results: list[Candidate] = []
        rank = self.context_rank
        seen: set[tuple[int, int]] = set()
        for regex in self._regexes:
            for match in regex.finditer(text):
                span = match.span(self._group)
                if span in seen or span[0] == span[1]:
                    continue
                score = self._check(match, text)
                if score is None:
                    continue
                seen.add(span)
                results.append(Candidate(entity, span[0], span[1], score,
                                         recognizer=self.name, context=rank))
        return results
