"""Patterns rewritten to start with a character class match exactly what the plain
forms match (the rewrite only lets ``sre`` skip ahead)."""

from __future__ import annotations

import random
import re
import sys

import pytest

from auditor.pii import names, prefilter
from auditor.pii.addresses import _CAP, _NAME, _S, AddressRecognizer, _grouped
from auditor.pii.lexicon import admin_vocabulary
from auditor.pii.text import ignorecase_chars, leading_class_alternation


@pytest.mark.parametrize("letter", [*"abcdefghijklmnopqrstuvwxyz", "ô", "đ"])
def test_ignorecase_chars_are_every_character_re_ignorecase_matches(letter: str) -> None:
    pattern = re.compile(f"(?i:{letter})")
    every = "".join(chr(c) for c in range(sys.maxunicode + 1) if pattern.fullmatch(chr(c)))
    assert ignorecase_chars(letter) == every


def _plain() -> dict[str, re.Pattern[str]]:
    units = _grouped(admin_vocabulary()["units"], fold_case=True)
    streets = _grouped(admin_vocabulary()["streets"], fold_case=True)
    return {
        "form_word": re.compile(r"(?<![^\W\d_])(?i:" + "|".join(sorted(names._ADDRESS_FORMS))
                                + r")(?![^\W\d_])"),
        "form_next": re.compile(r"(?<!\w)(?i:anh|chi|em|ong|ba|co|chu|bac|cau|di|thim|mo|ban"
                                r"|chau)[ \u00a0][A-Z]"),
        "admin": re.compile(rf"(?<!\w)(?i:{units})\.?\s*{_NAME}"),
        "house": re.compile(rf"(?<![\w/])(?i:so{_S}+nha|so|sn)?{_S}*\d+[A-Za-z]?(?:/\d+[A-Za-z]?)*"
                            rf"(?:{_S}+(?i:{streets}))?{_S}+{_CAP}(?:{_S}{_CAP}){{0,3}}\b"),
        "street": re.compile(rf"(?<!\w)(?:\d+[A-Za-z]?(?:/\d+[A-Za-z]?)*{_S}+)?(?i:{streets})"
                             rf"\.?{_S}+(?:(?i:so){_S}+)?(?:\d+[A-Za-z]?(?:/\d+)*"
                             rf"|{_CAP}(?:{_S}{_CAP}){{0,3}})\b"),
        "so": re.compile(rf"(?<!\w)(?i:so{_S}+nha|so){_S}+\d+[A-Za-z]?(?:/\d+[A-Za-z]?)*\b"),
    }


def test_rewritten_patterns_match_as_the_plain_ones() -> None:
    recognizer = AddressRecognizer()
    rewritten = {"form_word": names._FORM_WORD, "form_next": prefilter._FORM_NEXT,
                 "admin": recognizer._admin[0], "house": recognizer._street[0],
                 "street": recognizer._street[1], "so": recognizer._street[2]}
    plain = _plain()
    vocab = admin_vocabulary()
    pieces = [*names._ADDRESS_FORMS, "chi", "co", "ba", "ong", "mo", "thim", "so", "sn",
              "nha", "duong", "Duong", "HEM", "ngo", "quoc lo", "12/3B", "Le Loi", "Nguyen",
              "Van", "An", "HCM", "12", "5A", "201/7", "Hà Nội",
              "\u212ahu pho", "\u017fo", "\u0130", "\u0131"]
    for unit in vocab["units"]:
        pieces += [unit, unit.upper(), unit.title()]
    chars = [*" \u00a0\t.,-/:_0123456789aAsSkKoOô", "\u212a", "\u017f", "\u0130", "\u0131"]
    rnd = random.Random(15)
    texts = ["chị Hương ở phường 5, quận 3", "Số 12 Lê Lợi, khu phố 3", "Ông Ba, THÍM Tư",
             "\u212ahu pho 4, \u017fo 12", "anh\u00a0Nam", "xAnh Tu"]
    for _ in range(20000):
        parts = [rnd.choice(pieces) if rnd.random() < 0.5 else
                 "".join(rnd.choice(chars) for _ in range(rnd.randint(1, 3)))
                 for _ in range(rnd.randint(1, 10))]
        texts.append(("" if rnd.random() < 0.5 else " ").join(parts))
    for name, regex in rewritten.items():
        for text in texts:
            assert [(m.span(), m.groups()) for m in regex.finditer(text)] == \
                [(m.span(), m.groups()) for m in plain[name].finditer(text)], (name, text)


def test_leading_class_alternation_keeps_the_order_within_a_letter() -> None:
    regex = re.compile(leading_class_alternation(["ba", "bac"], not_before=r"\w"))
    assert regex.match("bac").group(0) == "ba"
    assert regex.search("xbac") is None
    assert regex.match("\u212aa") is None and re.compile(
        leading_class_alternation(["ka"], not_before=r"\w")).match("\u212aa")
