"""The phone recognizer's fast verdicts equal libphonenumber's own matcher, match by match.

``auditor.pii.recognizers.phones.find_phones`` decides plainly written Vietnamese
candidates from the library's metadata instead of ``parse`` + ``is_valid_number`` (and
digit-only candidates without the matcher's object machinery); these tests run the
library's unmodified matcher beside it on the labelled corpus and on generated
phone-shaped text (valid and invalid numbers, every separator and prefix, glued letters,
dates, IDs), and require the same spans and numbers.
"""

from __future__ import annotations

import random

import phonenumbers
import pytest

from auditor.pii.recognizers.phones import find_phones, vn_national_number
from tests.pii.conftest import load_corpus


def _library(text: str) -> list[tuple[int, int, int | None, int | None, int]]:
    return [(m.start, m.end, m.number.country_code, m.number.national_number,
             int(phonenumbers.number_type(m.number)))
            for m in phonenumbers.PhoneNumberMatcher(text, "VN",
                                                     leniency=phonenumbers.Leniency.VALID)]


def _ours(text: str) -> list[tuple[int, int, int | None, int | None, int]]:
    return [(start, end, number.country_code, number.national_number, int(kind))
            for start, end, raw, number, kind in find_phones(text)
            if raw == text[start:end]]


def _generated(seed: int, n: int) -> list[str]:
    r = random.Random(seed)
    prefixes = ["", "0", "+84", "+84 ", "84", "(+84) ", "0084", "+84 (0)", "(0", "+1 ",
                "+44 ", "+65 ", "00"]
    heads = ["9", "3", "5", "7", "8", "2", "1", "6", "4", "0", "18", "19", "12", "69", "799",
             "672", "28", "24", "236"]
    seps = ["", " ", ".", "-", " - ", "  ", "/", ". "]
    around = [("", ""), ("SĐT ", ""), ("tel:", ""), ("x", ""), ("", "x"), ("a", "b"),
              ("(", ")"), ("", "%"), ("$", ""), ("call ", " now"), ("", "-X1"),
              ("CCCD ", " (mã đơn)"), ("", "/2024"), ("", ":30")]
    out = []
    for _ in range(n):
        digits = r.choice(heads) + "".join(r.choice("0123456789")
                                           for _ in range(r.randint(4, 11)))
        sep = r.choice(seps)
        cut = sorted(r.sample(range(1, len(digits)), k=min(len(digits) - 1,
                                                            r.randint(0, 3))))
        parts = [digits[i:j] for i, j in zip([0, *cut], [*cut, len(digits)], strict=True)]
        number = r.choice(prefixes) + sep.join(parts)
        if r.random() < 0.2:
            number = f"({number[:3]}) {number[3:]}"
        left, right = r.choice(around)
        out.append(f"{left}{number}{right}")
    return out


def test_same_matches_as_the_library_on_the_corpus() -> None:
    texts = [item.text for item in load_corpus("handwritten.txt", "generated.txt",
                                               "hard_tuning.txt", "hard_heldout.txt")]
    found = 0
    for text in texts:
        ours = _ours(text)
        assert ours == _library(text), text
        found += len(ours)
    assert found > 300    # the corpus is full of phone numbers: the test compares some


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_same_matches_as_the_library_on_generated_numbers(seed: int) -> None:
    texts = _generated(seed, 3000)
    valid = 0
    for i in range(0, len(texts), 3):
        text = " ; ".join(texts[i:i + 3])
        ours = _ours(text)
        assert ours == _library(text), text
        valid += len(ours)
    assert valid > 200    # a good share of the generated numbers are valid


@pytest.mark.parametrize(("candidate", "national"), [
    ("0912 345 678", "912345678"),
    ("(028) 3822 1234", "2838221234"),
    ("+84 912-345-678", "912345678"),
    ("912345678", "912345678"),
    ("84912345678", "912345678"),   # country code without "+", too long without it
    ("84912345", None),             # 84 and 6 digits: the library decides
    ("0084 912 345 678", None),     # international prefix
    ("+84 (0) 912 345 678", None),  # +84 then a trunk 0
    ("+44 20 7946 0958", None),     # another country
    ("0912 345 678 ext 12", None),
])
def test_plain_candidates(candidate: str, national: str | None) -> None:
    assert vn_national_number(candidate) == national
