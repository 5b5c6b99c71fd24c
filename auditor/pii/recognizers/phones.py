"""Phone numbers: ``VN_PHONE`` (Vietnamese, every written form) and ``PHONE_NUMBER``
(any other country).

Candidates and validity come from libphonenumber (``phonenumbers``) with Vietnam as the
default region and ``Leniency.VALID``: ``0912345678``, ``0912 345 678``, ``0912.345.678``,
``+84 912-345-678``, ``84912345678`` and landlines ``(028) 3822 1234`` are VN_PHONE;
``+44 20 7946 0958`` is PHONE_NUMBER. Numbers that are not valid for their region
(``0112345678``), timestamps and 12-digit IDs are rejected by the library; service
numbers (``1800 …`` free-phone, ``1900 …`` shared-cost, premium rate) are not personal
and are skipped, and so is a dotted quad (``203.113.131.5`` is an IPv4 address).

Scores: VN_PHONE 0.6; PHONE_NUMBER 0.6 when written with ``+``/``00``, else 0.4. A match
whose few preceding words hold a *negative* context word (``mã số thuế``, ``CCCD``,
``order``, ``invoice``... see ``lexicons/context.yaml``) and no phone word scores 0.2: a
10-digit tax code that failed its check digit is not a phone number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import phonenumbers

from auditor.pii.lexicon import context_words, negative_context_words
from auditor.pii.recognizers.base import BuiltinRecognizer, Candidate, make_result
from auditor.pii.text import fold_lower

__all__ = ["AuditorPhoneRecognizer"]

_WORDS = re.compile(r"[a-z0-9]+")
_CELL_BREAKS = (";", "|", "\t", '"', "'", ",", "\n")
# NOTE: Vietnamese write national numbers with their trunk 0, or +84 / 84 / 0084; a bare
# 9-digit run (``amount=342773051``) is a number, not a phone, unless context says so.
_VN_WRITTEN = re.compile(r"^[(\s]*(?:0|\+|84)")
# NOTE: a number continued by a dash and a letter or digit is part of a longer code
# (``0980738238-X`` serial); the prefilter's digit runs stop there too.
_GLUED = re.compile(r"[.\-]\w")
_DOTTED_QUAD = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")  # an IPv4 address, not a phone
# NOTE: service numbers (1800 free-phone, 1900 shared-cost, premium) belong to businesses.
_NOT_PERSONAL = frozenset({phonenumbers.PhoneNumberType.TOLL_FREE,
                           phonenumbers.PhoneNumberType.SHARED_COST,
                           phonenumbers.PhoneNumberType.PREMIUM_RATE,
                           phonenumbers.PhoneNumberType.UAN})


class AuditorPhoneRecognizer(BuiltinRecognizer):
    """VN_PHONE and PHONE_NUMBER through libphonenumber's matcher."""

    name = "AuditorPhoneRecognizer"
    supported_entities = ("VN_PHONE", "PHONE_NUMBER")

    def __init__(self) -> None:
        words = tuple(dict.fromkeys(
            [*context_words().get("VN_PHONE", ()), *context_words().get("PHONE_NUMBER", ())]))
        self.context = words
        self._positive = frozenset(words)
        self._negative = negative_context_words().get("VN_PHONE", frozenset())

    def _negative_context(self, lowered: str, start: int, end: int) -> bool:
        """A negative word among the 4 words before (with no other number in between) or
        in a bracketed remark right after the match (``(mã đơn)``), and no phone word
        before it."""
        before_text = lowered[max(0, start - 40):start]
        # NOTE: a cell or clause boundary ends the look-back: in ``Ha Bao Hoa;0342…``
        # the name before the separator says nothing about the number.
        cut = max(before_text.rfind(ch) for ch in _CELL_BREAKS)
        before_text = before_text[cut + 1:]
        words = list(_WORDS.finditer(before_text))[-4:]
        if any(w.group(0) in self._positive for w in words):
            return False
        for w in reversed(words):
            if w.group(0) in self._negative:
                return not any(ch.isdigit() for ch in before_text[w.end():])
        tail = lowered[end:end + 24].lstrip()
        if not tail.startswith("("):
            return False
        return any(w in self._negative for w in _WORDS.findall(tail)[:2])

    def analyze(self, text: str, entities: Sequence[str]) -> list[Candidate]:
        results: list[Candidate] = []
        lowered: str | None = None
        matcher = phonenumbers.PhoneNumberMatcher(
            text, "VN", leniency=phonenumbers.Leniency.VALID)
        for match in matcher:
            if phonenumbers.number_type(match.number) in _NOT_PERSONAL or \
                    _DOTTED_QUAD.match(match.raw_string) or _GLUED.match(text, match.end):
                continue
            region = phonenumbers.region_code_for_number(match.number)
            if region == "VN":
                # NOTE: without its trunk 0 a number needs context (a ``so_dien_thoai``
                # column stored as an integer): 0.2 + the context boost.
                entity = "VN_PHONE"
                score = 0.6 if _VN_WRITTEN.match(match.raw_string) else 0.2
            else:
                raw = match.raw_string.lstrip("( ")
                entity = "PHONE_NUMBER"
                score = 0.6 if raw.startswith(("+", "00")) else 0.4
            if lowered is None:
                lowered = fold_lower(text)
            if self._negative_context(lowered, match.start, match.end):
                score = 0.2
            if entity in entities:
                results.append(make_result(self, entity, match.start, match.end, score))
        return results
