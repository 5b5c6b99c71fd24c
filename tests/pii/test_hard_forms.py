"""Hard forms (issue 14) on the held-out half of ``data/hard_*.txt``: per-type F1 floors.

The tuning half is what the recognizers were adjusted on; the floors are enforced on the
held-out half only (disjoint names, streets and wards; some phrasings only there), so a
regression that overfits the tuning lines still fails here. ``python -m
tests.pii.hard_report`` prints the per-type table for both halves.
"""

from __future__ import annotations

import pytest

from auditor.pii import DetectorConfig, PiiDetector, get_detector
from auditor.pii.evaluation import Scores
from tests.pii.conftest import load_corpus
from tests.pii.hard_report import measure

HELD_OUT = load_corpus("hard_heldout.txt")
TUNING = load_corpus("hard_tuning.txt")
FLOORED = ("VN_CCCD", "VN_CMND", "VN_TAX_CODE", "VN_PHONE", "PERSON", "ADDRESS")


@pytest.fixture(scope="module")
def held_out() -> Scores:
    return measure(HELD_OUT)


def test_halves_are_disjoint_and_cover_every_hard_form() -> None:
    # NOTE: a few fixed decoy sentences repeat; no labelled line does.
    assert not {i.text for i in HELD_OUT if i.gold} & {i.text for i in TUNING if i.gold}
    for entity in FLOORED:
        assert sum(g[0] == entity for i in HELD_OUT for g in i.gold) >= 25, entity
    assert sum(not i.gold for i in HELD_OUT) >= 120


@pytest.mark.parametrize("entity", FLOORED)
def test_held_out_f1_floor(held_out: Scores, entity: str) -> None:
    assert held_out.f1([entity]) >= 0.95, (entity, held_out.tp.get(entity),
                                           held_out.fp.get(entity), held_out.fn.get(entity))


@pytest.mark.parametrize(("text", "expected"), [
    ("txn_id=103929599", []),
    ("transaction id 345465637", []),
    ("CMND: 024567890", [("VN_CMND", "024567890")]),
    ("amount=342773051", []),
    ("70740;Ha Bao Hoa;0342698796;x", [("PERSON", "Ha Bao Hoa"), ("VN_PHONE", "0342698796")]),
    ("MST: 0100233488-001", [("VN_TAX_CODE", "0100233488-001")]),
    ("'0100233488-001',", [("VN_TAX_CODE", "0100233488-001")]),
    ("HO TEN NGUOI BENH: Lam Duc Hien", [("PERSON", "Lam Duc Hien")]),
    ("Địa chỉ: 37 Nguyễn Văn Cừ", [("ADDRESS", "37 Nguyễn Văn Cừ")]),
    ("(65938, 'Truong Quang', 'x')", [("PERSON", "Truong Quang")]),
    ("522|Phan Duc Dat|dat.duc@fpt.vn", [("PERSON", "Phan Duc Dat"),
                                         ("EMAIL_ADDRESS", "dat.duc@fpt.vn")]),
    ("83479\tCao Duc Quan\t020145369931", [("PERSON", "Cao Duc Quan"),
                                           ("VN_CCCD", "020145369931")]),
    ("Danh sách tỉnh: Hà Nội, Hải Phòng, Đà Nẵng, TP Hồ Chí Minh", []),
    ("Trường Tiểu học Nguyễn Văn Cừ", []),
    ("Benh vien Le Loi", []),
    ("nhân viên Nguyễn Văn An trực ca đêm", [("PERSON", "Nguyễn Văn An")]),
])
def test_hard_form_examples(detector: PiiDetector, text: str,
                            expected: list[tuple[str, str]]) -> None:
    assert [(e.type, text[e.start:e.end]) for e in detector.detect(text)] == expected


def test_prefilter_misses_nothing_on_the_hard_forms(detector: PiiDetector) -> None:
    unfiltered = get_detector(DetectorConfig(prefilter=False))
    texts = [item.text for item in (*TUNING, *HELD_OUT)]
    assert list(detector.detect_many(texts)) == list(unfiltered.detect_many(texts))
