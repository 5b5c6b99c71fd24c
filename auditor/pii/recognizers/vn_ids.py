"""Vietnamese identifier validators and recognizers (facts: shared VN-IDENTIFIERS.md).

- ``VN_CCCD``, 12 digits ``PPP G YY NNNNNN``: province code in use, century/gender digit,
  birth year not in the future. 0.6.
- ``VN_CMND``, 9 digits: no check known, needs context. 0.1.
- ``VN_PASSPORT``, a letter and 7 digits: needs context. 0.3.
- ``VN_TAX_CODE``, 10 digits or 13 (``-NNN`` branch): check digit with weights
  31 29 23 19 17 13 7 5 3, digits 3-9 not all zero, branch not 000. 0.3 (13 with a dash 0.6).
- ``VN_SOCIAL_INSURANCE``, 10 digits: no check known, needs context. 0.1.
- ``VN_HEALTH_INSURANCE``, 2 letters + level 1-5 + 2-digit province + 10-digit BHXH:
  level and province checked. 0.6 (unknown group letters 0.3).

A score below the detector threshold (default 0.5) is reported only when a context word
(``căn cước``, ``CMND``, ``mã số thuế``, ``BHXH``... with or without diacritics) is near,
or passed as ``context=`` (a column name), which adds ``DetectorConfig.context_boost``.
"""

from __future__ import annotations

import datetime as dt
import re

from auditor.pii.lexicon import vn_codes
from auditor.pii.recognizers.base import CheckedRecognizer

__all__ = [
    "TAX_WEIGHTS",
    "id_recognizers",
    "valid_bhyt",
    "valid_cccd",
    "valid_tax_code",
]

TAX_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)

# NOTE: a number glued to letters, to a hyphen (UUID tails), or continued by a decimal
# part is not an identifier on its own.
_B = r"(?<![\w.\-])"
_E = r"(?![\w]|[.,\-]\d)"


def _at(first: str, rest: str) -> str:
    """``_B + first + rest`` with the look-behind after the first character (``first``
    is one character class): the pattern then starts with that class and sre skips
    ahead to the characters it matches instead of testing the look-behind everywhere.
    Same matches, same spans."""
    return first + rf"(?<![\w.\-]{first})" + rest


def valid_cccd(digits: str, *, this_year: int | None = None) -> bool:
    """12-digit personal ID: province code in use, century digit, birth year not future."""
    if len(digits) != 12 or not digits.isdigit():
        return False
    if digits[:3] not in vn_codes()["cccd_provinces"]:
        return False
    year = 1900 + (int(digits[3]) // 2) * 100 + int(digits[4:6])
    limit = this_year if this_year is not None else dt.date.today().year
    return year <= limit


def valid_tax_code(text: str) -> bool:
    """10-digit tax code (or 13 with a branch suffix) with a correct check digit."""
    digits = text.replace("-", "").replace(" ", "")
    if len(digits) not in (10, 13) or not digits.isdigit():
        return False
    if digits[:2] == "00" or digits[2:9] == "0000000":
        return False
    if len(digits) == 13 and digits[10:] == "000":
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], TAX_WEIGHTS, strict=True))
    check = 10 - total % 11
    return check != 10 and int(digits[9]) == check


def valid_bhyt(code: str) -> bool:
    """15-character BHYT card code: group letters, level 1-5, province, 10-digit BHXH."""
    code = code.replace(" ", "")
    return (len(code) == 15 and code[:2].isalpha() and code[:2].isupper()
            and code[2] in "12345" and code[3:].isdigit()
            and "0" + code[3:5] in vn_codes()["cccd_provinces"])


def id_recognizers() -> list[CheckedRecognizer]:
    """One recognizer per Vietnamese identifier type (fresh instances)."""
    this_year = dt.date.today().year
    groups = vn_codes()["bhyt_groups"]

    def cccd(m: re.Match[str], _: str) -> float | None:
        return 0.6 if valid_cccd(m.group(0).replace(" ", ""), this_year=this_year) else None

    def tax(m: re.Match[str], _: str) -> float | None:
        value = m.group(0)
        if not valid_tax_code(value):
            return None
        return 0.6 if "-" in value else 0.3

    def bhyt(m: re.Match[str], _: str) -> float | None:
        value = m.group(0)
        if not valid_bhyt(value):
            return None
        return 0.6 if value[:2] in groups else 0.3

    def passport(m: re.Match[str], _: str) -> float | None:
        return 0.3

    def bare(m: re.Match[str], _: str) -> float | None:
        value = m.group(0).replace(" ", "")
        return None if len(set(value)) == 1 else 0.1

    return [
        CheckedRecognizer("VN_CCCD", [_at(r"\d", r"\d{11}" + _E),
                                      _at(r"\d", r"\d{2}(?: \d{3}){3}" + _E)],
                          cccd, name="VnCccdRecognizer"),
        CheckedRecognizer("VN_CMND", [_at(r"\d", r"\d{8}" + _E)], bare, name="VnCmndRecognizer"),
        CheckedRecognizer("VN_PASSPORT", [_at("[A-Z]", r"\d{7}" + _E)], passport,
                          name="VnPassportRecognizer"),
        CheckedRecognizer("VN_TAX_CODE", [_at(r"\d", r"\d{9}(?: ?- ?\d{3})?" + _E),
                                          _at(r"\d", r"\d{12}" + _E)],
                          tax, name="VnTaxCodeRecognizer"),
        CheckedRecognizer("VN_SOCIAL_INSURANCE", [_at(r"\d", r"\d{9}" + _E),
                                                  _at(r"\d", r"\d \d{4} \d{4}" + _E)], bare,
                          name="VnSocialInsuranceRecognizer"),
        CheckedRecognizer("VN_HEALTH_INSURANCE",
                          [_at("[A-Z]", r"[A-Z] ?[1-5] ?\d{2} ?\d{10}" + _E)], bhyt,
                          name="VnHealthInsuranceRecognizer"),
    ]
