"""Phone numbers: ``VN_PHONE`` (Vietnamese, every written form) and ``PHONE_NUMBER``
(any other country).

Candidates come from libphonenumber's matcher (``phonenumbers``) with Vietnam as the
default region and ``Leniency.VALID``: ``0912345678``, ``0912 345 678``, ``0912.345.678``,
``+84 912-345-678``, ``84912345678`` and landlines ``(028) 3822 1234`` are VN_PHONE;
``+44 20 7946 0958`` is PHONE_NUMBER. Numbers that are not valid for their region
(``0112345678``), timestamps and 12-digit IDs are rejected by the library; service
numbers (``1800 …`` free-phone, ``1900 …`` shared-cost, premium rate) are not personal
and are skipped, and so is a dotted quad (``203.113.131.5`` is an IPv4 address).

Speed (``find_phones``): the library's candidate search is run here; a candidate of
digits only is decided without the matcher's objects (no date, time stamp or inner
candidate can be cut from it), and one with fewer than 7 digits and no ``+`` or letter is
no number. For a candidate written with digits, spaces, dots, dashes and brackets only
(``+84`` in front, a trunk ``0``, ``84`` on a run of 11 digits or more, or none of them),
the verdict of the library's parse and validity check is computed directly from
libphonenumber's Vietnam metadata (number-type patterns and lengths): the prefix is
removed and the national number must match one of the types, which is what ``parse`` +
``is_valid_number`` compute for such a candidate without their per-character
normalisation. Everything else (``00`` international prefix, other countries,
extensions, letters, ``/`` dates, inner candidates) goes through the library's own logic.
``tests/pii/test_phones.py`` checks that the matches equal the library matcher's.

Scores: VN_PHONE 0.6; PHONE_NUMBER 0.6 when written with ``+``/``00``, else 0.4. A match
whose few preceding words hold a *negative* context word (``mã số thuế``, ``CCCD``,
``order``, ``invoice``... see ``lexicons/context.yaml``) and no phone word scores 0.2: a
10-digit tax code that failed its check digit is not a phone number.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import lru_cache
from typing import Any, cast

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumber, PhoneNumberMatch, PhoneNumberMatcher
from phonenumbers import phonenumbermatcher as _matcher_module

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


_FAST_CHARS = frozenset("0123456789 .-()")
_NOT_DIGITS = str.maketrans("", "", " .-()")
_DIGITS = str.maketrans("", "", "0123456789")
_ASCII_NON_DIGITS = str.maketrans("", "", "".join(chr(c) for c in range(128)
                                                  if not chr(c).isdigit()))
_VN_CODE = 84
_TYPE_ORDER = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager",
               "uan", "voicemail")
_TYPES = phonenumbers.PhoneNumberType
_TYPE_OF = {"premium_rate": _TYPES.PREMIUM_RATE, "toll_free": _TYPES.TOLL_FREE,
            "shared_cost": _TYPES.SHARED_COST, "voip": _TYPES.VOIP,
            "personal_number": _TYPES.PERSONAL_NUMBER, "pager": _TYPES.PAGER,
            "uan": _TYPES.UAN, "voicemail": _TYPES.VOICEMAIL}
_Desc = tuple[frozenset[int], "re.Pattern[str]"]


class _VnTypes:
    """libphonenumber's number-type decision for Vietnamese national numbers, from its
    own metadata (patterns compiled once)."""

    def __init__(self) -> None:
        meta = PhoneMetadata.metadata_for_region("VN")
        if meta is None:  # pragma: no cover - the library always ships VN
            raise RuntimeError("libphonenumber has no metadata for VN")

        def desc(name: str) -> _Desc | None:
            d = getattr(meta, name, None)
            if d is None or not d.national_number_pattern:
                return None
            return (frozenset(d.possible_length or ()),
                    re.compile(f"(?:{d.national_number_pattern})"))

        self._general = desc("general_desc")
        self._special = [(_TYPE_OF[n], d) for n in _TYPE_ORDER if (d := desc(n)) is not None]
        self._fixed = desc("fixed_line")
        self._mobile = desc("mobile")
        self._same = bool(meta.same_mobile_and_fixed_line_pattern)
        # NOTE: the same decision as one regex: the general description as a look-ahead,
        # then the types in the order above as alternatives (the first one that matches
        # the whole number is the one ``fullmatch`` reports), each with its lengths.
        kinds: list[tuple[str, int, _Desc]] = [
            (f"t{i}", kind, d) for i, (kind, d) in enumerate(self._special)]
        if self._fixed is not None:
            kinds.append(("fixed", _TYPES.FIXED_LINE, self._fixed))
        if not self._same and self._mobile is not None:
            kinds.append(("mobile", _TYPES.MOBILE, self._mobile))
        self._kind_of = {name: kind for name, kind, _ in kinds}
        self._one = None if self._general is None else re.compile(
            _whole(self._general) + "(?:" + "|".join(
                f"(?P<{name}>{_whole(d)})" for name, _, d in kinds) + ")?")

    @staticmethod
    def _matches(number: str, desc: _Desc | None) -> bool:
        if desc is None:
            return False
        lengths, pattern = desc
        if lengths and len(number) not in lengths:
            return False
        return pattern.fullmatch(number) is not None

    def type_of(self, number: str) -> int:
        """The PhoneNumberType of a national significant number of Vietnam."""
        if self._one is not None:
            m = self._one.match(number)
            if m is None:
                return _TYPES.UNKNOWN
            name = m.lastgroup
            if name is None:
                return _TYPES.UNKNOWN
            if name == "fixed" and (self._same or self._matches(number, self._mobile)):
                return _TYPES.FIXED_LINE_OR_MOBILE
            return self._kind_of[name]
        return self._type_of(number)

    def _type_of(self, number: str) -> int:
        """:meth:`type_of` one description at a time (libphonenumber's order)."""
        if not self._matches(number, self._general):
            return _TYPES.UNKNOWN
        size = len(number)
        for kind, (lengths, pattern) in self._special:
            if (not lengths or size in lengths) and pattern.fullmatch(number) is not None:
                return kind
        if self._matches(number, self._fixed):
            if self._same or self._matches(number, self._mobile):
                return _TYPES.FIXED_LINE_OR_MOBILE
            return _TYPES.FIXED_LINE
        if not self._same and self._matches(number, self._mobile):
            return _TYPES.MOBILE
        return _TYPES.UNKNOWN


def _whole(desc: _Desc) -> str:
    """A zero-width test: the whole number has one of the description's lengths (any
    length when it lists none) and matches its pattern."""
    lengths, pattern = desc
    size = "|".join(f"\\d{{{n}}}" for n in sorted(lengths))
    head = f"(?=(?:{size})\\Z)" if lengths else ""
    return f"{head}(?=(?:{pattern.pattern})\\Z)"


_VN_TYPES: list[_VnTypes] = []


def _vn_types() -> _VnTypes:
    if not _VN_TYPES:
        _VN_TYPES.append(_VnTypes())
    return _VN_TYPES[0]


def vn_national_number(candidate: str) -> str | None:
    """The national significant number libphonenumber's ``parse(candidate, "VN")`` gives
    for a plainly written candidate (digits, spaces, dots, dashes, brackets; ``+84`` or a
    trunk ``0`` or neither), or ``None`` when the candidate is not that plain (the library
    then decides)."""
    plus = candidate.find("+")
    if plus != -1:
        if candidate[:plus].strip("(") or "+" in candidate[plus + 1:]:
            return None
        rest = candidate[plus + 1:]
    else:
        rest = candidate
    if not _FAST_CHARS.issuperset(rest):
        return None
    digits = rest.translate(_NOT_DIGITS)
    if plus != -1:
        # NOTE: +84 then a trunk 0 (``+84 (0) 912…``): the library strips it under
        # conditions of its own; leave that case to it.
        return digits[2:] if digits.startswith("84") and digits[2:3] not in ("", "0") \
            else None
    if digits.startswith("00"):
        return None   # international prefix
    if digits.startswith("84"):
        # NOTE: a country code without "+". 11 digits or more are too long for a
        # national number, so the library takes 84 as the country code; shorter runs
        # depend on more of its rules (it decides), under 7 digits nothing is valid.
        if len(digits) >= 11 and digits[2] != "0":
            return digits[2:]
        return "" if len(digits) < 7 else None
    return digits[1:] if digits[:1] == "0" else digits


# NOTE: the matcher's own checks before its parse (bracket pairs, publication pages,
# the character before and after); without them (another library version) every
# candidate goes through the library.
_BRACKETS: Any = getattr(_matcher_module, "_MATCHING_BRACKETS", None)
_PUB_PAGES: Any = getattr(_matcher_module, "_PUB_PAGES", None)
_LEAD: Any = getattr(_matcher_module, "_LEAD_PATTERN", None)
_CANDIDATE: Any = getattr(_matcher_module, "_PATTERN", None)
_SECOND_NUMBER: Any = getattr(_matcher_module, "_SECOND_NUMBER_START_PATTERN", None)
_FAST = all(p is not None for p in (_BRACKETS, _PUB_PAGES, _LEAD, _CANDIDATE, _SECOND_NUMBER))
# NOTE: the candidate pattern starts with an optional group of leading "(", "[", "+"
# (and their full-width forms) or with a digit, so no candidate starts anywhere else; sre
# tries the whole pattern at every position, this class finds the next possible start
# at once. Used only when the library's pattern has that shape.
_LEADS = "(?:[(\\[（［+＋]["
_LEAD_GROUP_END = "]{0,4}){0,2}\\d{1,20}"
_CANDIDATE_START: Any = re.compile(r"[(\[（［+＋\d]") if _FAST and (
    _CANDIDATE.pattern.startswith(_LEADS) and _LEAD_GROUP_END in _CANDIDATE.pattern
    and "|" not in _CANDIDATE.pattern[:_CANDIDATE.pattern.index(_LEAD_GROUP_END)]) else None


class _Matcher(PhoneNumberMatcher):
    """libphonenumber's matcher, with plainly written Vietnamese candidates verified from
    the metadata directly (same verdicts, see ``vn_national_number``)."""

    def _extract_match(self, candidate: str, offset: int) -> Any:
        if _FAST and candidate.isascii():
            if candidate.isdigit():
                # NOTE: digits only: no date, time-stamp or inner candidate can be cut
                # from it; the whole run is the only candidate.
                return self._parse_and_verify(candidate, offset) if len(candidate) >= 7 \
                    else None
            others = candidate.translate(_DIGITS)
            if "+" not in others and not any(ch.isalpha() for ch in others) and \
                    len(candidate) - len(others) < 7 and \
                    not candidate.translate(_ASCII_NON_DIGITS).startswith("00"):
                # NOTE: no "+", no letters (no vanity number, no extension word), fewer
                # than 7 digits: a Vietnamese number at most, and none is that short,
                # whole or in part.
                return None
        return super()._extract_match(candidate, offset)

    def _parse_and_verify(self, candidate: str, offset: int) -> Any:
        national = vn_national_number(candidate) if _FAST and candidate.isascii() else None
        if national is None:
            return super()._parse_and_verify(candidate, offset)
        if _BRACKETS.fullmatch(candidate) is None or _PUB_PAGES.search(candidate):
            return None
        text = self.text
        if offset > 0 and not _LEAD.match(candidate) and _bad_neighbour(text[offset - 1]):
            return None
        after_index = offset + len(candidate)
        if after_index < len(text) and _bad_neighbour(text[after_index]):
            return None
        if _vn_types().type_of(national) == _TYPES.UNKNOWN:
            return None
        return PhoneNumberMatch(offset, candidate,
                                PhoneNumber(country_code=_VN_CODE,
                                            national_number=int(national)))


#: One phone found: start, end, the text as written, the number, its type.
_Found = tuple[int, int, str, "PhoneNumber | _VnNumber", int]


def find_phones(text: str) -> list[_Found]:
    """The matches of libphonenumber's matcher (region VN, leniency VALID) in ``text``.

    The same search as the library's matcher (its candidate pattern, trimming and
    search positions); a candidate made of digits only is decided here (no date, time
    stamp or inner candidate can be cut from it), every other candidate goes to
    :class:`_Matcher` (the library's logic, with the fast verdicts above)."""
    found: list[_Found] = []
    if not _FAST:
        return [(m.start, m.end, m.raw_string, m.number, _number_type(m.number))
                for m in _Matcher(text, "VN", leniency=phonenumbers.Leniency.VALID)]
    matcher: _Matcher | None = None
    index = 0
    size = len(text)
    while True:
        if _CANDIDATE_START is not None:
            lead = _CANDIDATE_START.search(text, index)
            if lead is None:
                return found
            index = lead.start()
        m = _CANDIDATE.search(text, index)
        if m is None:
            return found
        start = m.start()
        candidate = text[start:m.end()]
        cut = _SECOND_NUMBER.search(candidate)
        if cut is not None:
            candidate = candidate[:cut.start()]
        end = start + len(candidate)
        if candidate.isdigit() and candidate.isascii():
            national = vn_national_number(candidate) if len(candidate) >= 7 else ""
            if national is not None:
                kind = _vn_types().type_of(national) if national else _TYPES.UNKNOWN
                if kind != _TYPES.UNKNOWN and not (
                        start > 0 and _bad_neighbour(text[start - 1])) and not (
                        end < size and _bad_neighbour(text[end])):
                    found.append((start, end, candidate, _VnNumber(int(national)), kind))
                    index = end
                else:
                    index = end
                continue
        if matcher is None:
            matcher = _Matcher(text, "VN", leniency=phonenumbers.Leniency.VALID)
        match = matcher._extract_match(candidate, start) if candidate else None
        if match is not None:
            found.append((match.start, match.end, match.raw_string, match.number,
                          _number_type(match.number)))
            index = match.end
        else:
            index = end


@lru_cache(maxsize=4096)
def _bad_neighbour(ch: str) -> bool:
    """A Latin letter or an invalid punctuation symbol (``%``, currency) next to a number
    makes it no phone number (the matcher's rule; a function of the character alone,
    cached)."""
    return bool(PhoneNumberMatcher._is_invalid_punctuation_symbol(ch)
                or PhoneNumberMatcher._is_latin_letter(ch))


class _VnNumber:
    """A Vietnamese number found without the library: the two fields of its
    ``PhoneNumber`` that are read (building a ``PhoneNumber`` costs more than the
    verdict)."""

    __slots__ = ("country_code", "national_number")

    def __init__(self, national_number: int) -> None:
        self.country_code = _VN_CODE
        self.national_number = national_number


def _number_type(number: PhoneNumber) -> int:
    if number.country_code == _VN_CODE and not number.italian_leading_zero:
        return _vn_types().type_of(str(number.national_number))
    return int(phonenumbers.number_type(number))


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
        cut = max(map(before_text.rfind, _CELL_BREAKS))
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

    def analyze(self, text: str, entities: Collection[str]) -> list[Candidate]:
        results: list[Candidate] = []
        lowered: str | None = None
        for start, end, raw, number, kind in find_phones(text):
            if kind in _NOT_PERSONAL or _DOTTED_QUAD.match(raw) or _GLUED.match(text, end):
                continue
            # NOTE: a _VnNumber is always Vietnamese; other numbers are the library's.
            region = ("VN" if number.country_code == _VN_CODE
                      else phonenumbers.region_code_for_number(cast(PhoneNumber, number)))
            if region == "VN":
                # NOTE: without its trunk 0 a number needs context (a ``so_dien_thoai``
                # column stored as an integer): 0.2 + the context boost.
                entity = "VN_PHONE"
                score = 0.6 if _VN_WRITTEN.match(raw) else 0.2
            else:
                entity = "PHONE_NUMBER"
                score = 0.6 if raw.lstrip("( ").startswith(("+", "00")) else 0.4
            if lowered is None:
                lowered = fold_lower(text)
            if self._negative_context(lowered, start, end):
                score = 0.2
            if entity in entities:
                results.append(make_result(self, entity, start, end, score))
        return results
