"""The built-in context step scores like Presidio's LemmaContextAwareEnhancer.

``auditor.pii.scan`` replaced Presidio's enhancer (whole-word lemmas, the token the match
starts in, five words before, one after). This test runs both on generated texts (context
words, "be", punctuation glued to words and values, accented words, explicit context)
with matches starting at every kind of position, and requires the same supporting word
and score for every match.
"""

from __future__ import annotations

import random

import pytest

from auditor.pii.config import DetectorConfig
from auditor.pii.recognizers.base import Candidate
from auditor.pii.scan import BuiltinEngine

CONTEXT = ("sdt", "dien", "thoai", "phone", "be", "cccd", "so")
WORDS = ["Số", "điện", "thoại", "SĐT", "phone", "be", "Be", "là", "của", "khách", "CCCD",
         "0912345678", "079203012345", "an", "bé", "x", "_", "thoai2", "ĐT"]
PUNCT = [":", ",", "(", ")", "+", "-", "/", "=", ";", "."]


def _text(r: random.Random) -> str:
    parts: list[str] = []
    for _ in range(r.randint(1, 14)):
        word = r.choice(WORDS) if r.random() < 0.7 else r.choice(PUNCT)
        parts.append(word)
        parts.append(r.choice(["", " ", " ", "  ", "\t"]) if word in PUNCT else
                     r.choice([" ", " ", ":", "", "  "]))
    return "".join(parts).rstrip() or "x"


def _presidio(text: str, spans: list[tuple[int, int]], context: list[str]
              ) -> list[tuple[str, float]]:
    from presidio_analyzer import EntityRecognizer, RecognizerResult
    from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer

    from auditor.pii.engine import TokenNlpEngine

    class Dummy(EntityRecognizer):  # type: ignore[misc]
        def load(self) -> None:
            pass

        def analyze(self, text: str, entities: list[str], nlp_artifacts: object = None
                    ) -> list[RecognizerResult]:
            return []

    recognizer = Dummy(supported_entities=["VN_PHONE"], context=list(CONTEXT))
    nlp = TokenNlpEngine()
    artifacts = nlp.process_text(text, "en")
    results = [RecognizerResult("VN_PHONE", s, e, 0.3, recognition_metadata={
        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: recognizer.id,
        RecognizerResult.RECOGNIZER_NAME_KEY: recognizer.name}) for s, e in spans]
    from presidio_analyzer import AnalysisExplanation

    for r in results:
        r.analysis_explanation = AnalysisExplanation("Dummy", 0.3)
    enhancer = LemmaContextAwareEnhancer(context_similarity_factor=0.45,
                                         min_score_with_context_similarity=0.0,
                                         context_prefix_count=5, context_suffix_count=1,
                                         context_matching_mode="whole_word")
    out = enhancer.enhance_using_context(text, results, artifacts, [recognizer], context)
    return [(r.analysis_explanation.supportive_context_word or "", r.score) for r in out]


def _ours(text: str, spans: list[tuple[int, int]], context: list[str]
          ) -> list[tuple[str, float]]:
    engine = BuiltinEngine(DetectorConfig(types=("VN_PHONE",)))
    engine._context_words = frozenset(CONTEXT)   # the dummy recognizer's words
    rank = {w: i for i, w in reversed(list(enumerate(CONTEXT)))}
    candidates = [Candidate("VN_PHONE", s, e, 0.3, recognizer="Dummy", context=rank)
                  for s, e in spans]
    engine._enhance(text, candidates, context)
    return [(c.context_word, c.score) for c in candidates]


@pytest.mark.parametrize("seed", range(4))
def test_same_context_words_and_scores_as_presidio(seed: int) -> None:
    r = random.Random(seed)
    compared = boosted = 0
    for _ in range(400):
        text = _text(r)
        starts = [i for i, ch in enumerate(text) if not ch.isspace()]
        spans = []
        for start in r.sample(starts, k=min(len(starts), 4)):
            spans.append((start, min(len(text), start + r.randint(1, 12))))
        context = r.choice([[], [], ["so_dien_thoai"], ["SDT"], ["phone", "x"]])
        theirs = _presidio(text, spans, context)
        ours = _ours(text, spans, context)
        assert ours == theirs, (text, spans, context)
        compared += len(spans)
        boosted += sum(1 for word, _ in ours if word)
    assert compared > 1000 and boosted > 200
