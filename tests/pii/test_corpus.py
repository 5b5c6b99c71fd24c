"""Accuracy on the labelled corpus (tests/pii/data): per-type precision and recall floors."""

from __future__ import annotations

import unicodedata

import pytest

from auditor.pii import PiiDetector
from auditor.pii.config import VN_TYPES
from auditor.pii.evaluation import Scores, score
from tests.pii.conftest import load_corpus

FLOORED = (*VN_TYPES, "EMAIL_ADDRESS", "CREDIT_CARD", "IBAN_CODE")
CORPUS = load_corpus("handwritten.txt", "generated.txt")


@pytest.fixture(scope="module")
def scores(detector: PiiDetector) -> Scores:
    predictions = [[(e.type, e.start, e.end) for e in detector.detect(item.text)]
                   for item in CORPUS]
    return score(CORPUS, predictions)


def test_corpus_is_big_and_has_hard_negatives() -> None:
    assert len(CORPUS) >= 600
    negatives = [item for item in CORPUS if not item.gold]
    assert len(negatives) >= 150
    for entity in FLOORED:
        assert sum(g[0] == entity for item in CORPUS for g in item.gold) >= 5, entity


@pytest.mark.parametrize("entity", FLOORED)
def test_precision_and_recall_floor(scores: Scores, entity: str) -> None:
    assert scores.precision(entity) >= 0.95, (entity, scores.tp.get(entity), scores.fp.get(entity))
    assert scores.recall(entity) >= 0.95, (entity, scores.tp.get(entity), scores.fn.get(entity))


@pytest.mark.parametrize("entity", ["PERSON", "ADDRESS", "DATE_OF_BIRTH", "PHONE_NUMBER",
                                    "IP_ADDRESS", "PASSWORD"])
def test_other_types_are_useful(scores: Scores, entity: str) -> None:
    # NOTE: no contract floor for these; guard against regressions only.
    assert scores.precision(entity) >= 0.85 and scores.recall(entity) >= 0.85, entity


def test_hard_negatives_stay_negative(detector: PiiDetector) -> None:
    flagged = [item.text for item in CORPUS if not item.gold and detector.detect(item.text)]
    assert flagged == []


def test_nfd_input_gives_offsets_in_the_callers_string(detector: PiiDetector) -> None:
    nfc = "Khách hàng Nguyễn Văn An, SĐT 0912 345 678"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc
    found = detector.detect(nfd)
    assert [(e.type, unicodedata.normalize("NFC", nfd[e.start:e.end])) for e in found] == [
        ("PERSON", "Nguyễn Văn An"), ("VN_PHONE", "0912 345 678")]


def test_deterministic(detector: PiiDetector) -> None:
    texts = [item.text for item in CORPUS[:200]]
    assert list(detector.detect_many(texts)) == list(detector.detect_many(texts))


def test_prefilter_misses_nothing_on_the_corpus(detector: PiiDetector) -> None:
    from auditor.pii import DetectorConfig, get_detector

    unfiltered = get_detector(DetectorConfig(prefilter=False))
    texts = [item.text for item in CORPUS]
    assert list(detector.detect_many(texts)) == list(unfiltered.detect_many(texts))
