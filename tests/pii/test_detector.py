"""PiiDetector behaviour: detections, context, type restriction, threshold, processes."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from auditor.errors import ConfigError
from auditor.pii import DetectorConfig, Entity, PiiDetector, get_detector


def found(detector: PiiDetector, text: str, **kwargs: object) -> list[tuple[str, str]]:
    return [(e.type, text[e.start:e.end]) for e in detector.detect(text, **kwargs)]  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "expected"), [
    ("CCCD: 079203012345, SĐT 0912 345 678", [("VN_CCCD", "079203012345"),
                                              ("VN_PHONE", "0912 345 678")]),
    ("so dien thoai +84 912-345-678", [("VN_PHONE", "+84 912-345-678")]),
    ("Zalo 84912345678", [("VN_PHONE", "84912345678")]),
    ("gọi 0912.345.678 nhé", [("VN_PHONE", "0912.345.678")]),
    ("Tổng đài 1900 1234", []),                                  # service number
    ("mã số thuế: 0351688518", []),                             # bad check digit, not a phone
    ("MST 0100233488-001", [("VN_TAX_CODE", "0100233488-001")]),
    ("biển số 29-B1 234.56", [("VN_LICENSE_PLATE", "29-B1 234.56")]),
    ("thẻ NAPAS 9704 3666 1234 5678", [("CREDIT_CARD", "9704 3666 1234 5678")]),
    ("request 550e8400-e29b-41d4-a716-446655440000", []),
    ("2025-11-04 08:15:22,481 INFO processed 1532 records", []),
    ("order 202611301234", []),                                 # province 202
    ("Ông Trần Văn Bình, 12 Lê Lợi, phường Bến Nghé, quận 1, TP.HCM",
     [("PERSON", "Trần Văn Bình"), ("ADDRESS", "12 Lê Lợi, phường Bến Nghé, quận 1, TP.HCM")]),
    ("Du lịch Hà Nội, Hạ Long", []),
    ("mật khẩu: Matkhau@2025", [("PASSWORD", "Matkhau@2025")]),
    ("password=changeme", []),
    ("Dear Mrs. O'Brien-Kelly, thanks", [("PERSON", "O'Brien-Kelly")]),
    ("Mr. President said", []),
    ("Chào chị Lan Anh, em là Tú", [("PERSON", "Lan Anh")]),
    ("đi Bà Rịa - Vũng Tàu", []),
    ("anh Grab giao hàng", []),
    ("user=bob@example.com", [("EMAIL_ADDRESS", "bob@example.com")]),
    ("postgres://app:s3cret@db:5432/app", [("PASSWORD", "s3cret")]),
    ("CÔNG TY TNHH MỘT THÀNH VIÊN NGUYỄN KIM", []),
])
def test_detect(detector: PiiDetector, text: str, expected: list[tuple[str, str]]) -> None:
    assert found(detector, text) == expected


@pytest.mark.parametrize(("value", "context", "expected"), [
    ("7912345678", ["so_bhxh"], [("VN_SOCIAL_INSURANCE", "7912345678")]),
    ("7912345678", [], []),
    ("025123456", ["cmnd"], [("VN_CMND", "025123456")]),
    ("025123456", [], []),
    ("C1234567", ["soHoChieu"], [("VN_PASSPORT", "C1234567")]),
    ("12/03/1990", ["ngay_sinh"], [("DATE_OF_BIRTH", "12/03/1990")]),
    ("12/03/1990", ["ngay_tao"], []),
])
def test_context_from_column_names(detector: PiiDetector, value: str, context: list[str],
                                   expected: list[tuple[str, str]]) -> None:
    assert found(detector, value, context=context) == expected


def test_context_words_in_text_with_or_without_diacritics(detector: PiiDetector) -> None:
    assert found(detector, "Số CMND: 025123456") == [("VN_CMND", "025123456")]
    assert found(detector, "so chung minh nhan dan 025123456") == [("VN_CMND", "025123456")]
    assert found(detector, "số hồ sơ 025123456") == []


def test_types_restrict_results(detector: PiiDetector) -> None:
    text = "CCCD 079203012345, email an@example.vn"
    assert found(detector, text, types=["EMAIL_ADDRESS"]) == [("EMAIL_ADDRESS", "an@example.vn")]
    assert found(detector, text, types=[]) == []
    with pytest.raises(ConfigError, match="US_SSN"):
        detector.detect(text, types=["US_SSN"])


def test_entities_are_frozen_records(detector: PiiDetector) -> None:
    (entity,) = detector.detect("email an@example.vn")
    assert entity == Entity("EMAIL_ADDRESS", 6, 19, 1.0)
    with pytest.raises(AttributeError):
        entity.start = 0  # type: ignore[misc]


def test_threshold_and_enabled_types_from_config() -> None:
    strict = get_detector(DetectorConfig(score_threshold=0.9, types=("VN_PHONE", "PERSON")))
    assert found(strict, "SĐT 0912345678, Nguyễn Văn An") == [("VN_PHONE", "0912345678")]
    assert found(strict, "0912345678, an@example.vn") == []   # phone 0.6 < 0.9
    assert get_detector() is get_detector(DetectorConfig())


@pytest.mark.parametrize("kwargs", [{"score_threshold": 1.5}, {"types": ("US_SSN",)},
                                    {"n_process": 0}])
def test_bad_config_is_a_config_error(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        DetectorConfig(**kwargs)  # type: ignore[arg-type]


def test_missing_spacy_model_is_never_downloaded() -> None:
    with pytest.raises(ConfigError, match="never downloads"):
        PiiDetector(DetectorConfig(use_spacy_model="xx_no_such_model_sm"))


def test_prefilter_changes_nothing_but_speed(detector: PiiDetector) -> None:
    unfiltered = get_detector(DetectorConfig(prefilter=False))
    texts = ["SĐT 0912345678", "hello world", "Nguyễn Thị Mai, 12 Lê Lợi, Quận 1, TP HCM",
             "2025-11-04 08:15:22 INFO ok", "IBAN GB82WEST12345698765432", "sinh 12/03/1990",
             "CCCD 079203012345 0912345678", "0912 345 678 0987 654 321",
             "CCCD số 079 203 012 345", "BHXH: 79 1234 5678", "MST: 0100233488 - 001"]
    assert [detector.detect(t) for t in texts] == [unfiltered.detect(t) for t in texts]


@pytest.mark.slow
def test_detect_many_in_processes_keeps_order(detector: PiiDetector) -> None:
    texts = [f"khách {i}: 09{i % 10}2345678" if i % 3 else f"dòng {i}" for i in range(60)]
    multi = PiiDetector(DetectorConfig(n_process=2, batch_size=7))
    assert list(multi.detect_many(texts)) == list(detector.detect_many(texts))


@pytest.mark.slow
def test_memory_does_not_grow_with_input(detector: PiiDetector) -> None:
    import random
    import tracemalloc

    r = random.Random(5)

    def lines(n: int) -> Iterator[str]:
        for i in range(n):
            yield (f"khách {r.getrandbits(40):x} SĐT 09{r.randint(10**7, 10**8 - 1)} "
                   f"email u{i}@ex{i % 97}.vn token {r.getrandbits(64):x}")

    for _ in detector.detect_many(lines(300)):
        pass
    tracemalloc.start()
    try:
        for _ in detector.detect_many(lines(500)):
            pass
        after_small, _peak = tracemalloc.get_traced_memory()
        for _ in detector.detect_many(lines(1500)):
            pass
        after_large, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert after_large - after_small < 512 * 1024, (after_small, after_large)


def test_long_text_is_analysed_in_windows_without_losing_entities(
        detector: PiiDetector) -> None:
    record = "Khách hàng Nguyễn Văn An, SĐT 0912 345 678, email an.nguyen@example.vn. "
    text = record * 200                      # ≈ 14,000 characters: several windows
    found = detector.detect(text)
    assert len(found) == 600
    assert [text[e.start:e.end] for e in found[:3]] == [
        "Nguyễn Văn An", "0912 345 678", "an.nguyen@example.vn"]
    assert all(a.end <= b.start for a, b in itertools.pairwise(found))
    assert {text[e.start:e.end] for e in found} == {"Nguyễn Văn An", "0912 345 678",
                                                    "an.nguyen@example.vn"}


def test_engine_failure_does_not_quote_the_text(monkeypatch: pytest.MonkeyPatch) -> None:
    from auditor.pii.detector import PiiEngineError

    detector = PiiDetector()
    canary = "0967812345"

    def broken(**kwargs: object) -> list[object]:
        raise ValueError(f"Did not find word '{canary}' in the list of tokens")

    monkeypatch.setattr(detector._analyzer, "analyze", broken)
    with pytest.raises(PiiEngineError) as info:
        detector.detect(f"SĐT {canary}")
    assert canary not in str(info.value) and info.value.__cause__ is None
    assert info.value.__suppress_context__


def test_prefilter_lets_capitalised_words_through_for_a_ner_model() -> None:
    from auditor.pii.config import ALL_TYPES
    from auditor.pii.prefilter import Prefilter

    assert Prefilter(ALL_TYPES).candidates("John went home to London") == set()
    assert Prefilter(ALL_TYPES, ner=True).candidates("John went home to London") == {
        "PERSON", "ADDRESS"}
