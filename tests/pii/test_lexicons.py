"""The lexicon data files and the public API of auditor.pii are what they claim."""

from __future__ import annotations

import auditor.pii
from auditor.pii import ALL_TYPES, CATEGORIES
from auditor.pii.lexicon import (
    admin_vocabulary,
    context_words,
    negative_context_words,
    read_yaml,
    surnames,
    vn_codes,
)


def test_public_api() -> None:
    assert set(auditor.pii.__all__) == {
        "ALL_TYPES", "CATEGORIES", "ColumnVerdict", "DetectorConfig", "Entity", "PiiDetector",
        "PiiEngineError", "classify_column", "get_detector", "name_signal"}


def test_context_lists_name_known_types_and_single_words() -> None:
    assert set(context_words()) <= set(ALL_TYPES)
    assert set(negative_context_words()) <= set(ALL_TYPES)
    for words in (*context_words().values(), *negative_context_words().values()):
        assert all(w and " " not in w and w == w.lower() for w in words)


def test_column_lexicon_names_known_types_and_categories() -> None:
    for entry in read_yaml("columns.yaml")["columns"]:
        assert set(entry.get("entities", ())) <= set(ALL_TYPES), entry
        assert set(entry.get("categories", ())) <= set(CATEGORIES), entry
        assert entry.get("terms") or entry.get("weak"), entry


def test_code_tables() -> None:
    provinces = vn_codes()["cccd_provinces"]
    assert len(provinces) == 63 and {"001", "031", "048", "079"} <= provinces
    assert all(len(g) == 2 and g.isupper() for g in vn_codes()["bhyt_groups"])
    assert {"nguyen", "tran", "le", "pham", "hoang", "huynh", "dang"} <= surnames()


def test_admin_vocabulary_covers_both_administrative_forms() -> None:
    vocab = admin_vocabulary()
    assert {"phuong", "xa", "dac khu", "quan", "huyen", "thi xa", "tinh", "thanh pho"} <= set(
        vocab["units"])
    assert {"ha noi", "ho chi minh", "da nang", "hue", "can tho", "an giang"} <= set(
        vocab["provinces"])
