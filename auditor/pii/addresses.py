"""ADDRESS for Vietnamese (and simple English) text without a language model.

An address is a run of *chunks* separated only by commas, dashes, dots or spaces:

- unit chunks: a unit word from ``lexicons/admin.yaml`` followed by a capitalised name or
  a number: ``phường Bến Nghé``, ``Xã Tân Phú``, ``Quận 1``, ``huyện Củ Chi``,
  ``đặc khu Phú Quốc``, ``thành phố Thủ Đức``; abbreviations with a dot or a number
  (``P.12``, ``Q.1``, ``TP.HCM``);
- province chunks: one of the 63 old / 34 current provinces (``Hà Nội``, ``Tp. Hồ Chí
  Minh``, ``Đắk Lắk``);
- street chunks: a house number and a capitalised street name (``123 Nguyễn Huệ``,
  ``số 12 ngõ 34``, ``đường Lê Lợi``, ``45/2 Trần Hưng Đạo``); English
  ``221B Baker Street``.

Both the two-tier form in force since 1 July 2025 (``phường Bến Thành, TP Hồ Chí Minh``)
and the older three-tier form (``phường Bến Nghé, quận 1, TP Hồ Chí Minh``) are covered;
matching is on folded text, so ``Phuong Ben Nghe, Quan 1, TP.HCM`` is found too.

Scores: a unit or province chunk plus at least one more chunk 0.75 (three or more 0.85);
several street chunks or an English street 0.5; a lone unit or province 0.3, a lone
street 0.2 (context such as ``địa chỉ``, ``thường trú``, ``address`` adds the boost).
A lower-case unit word without diacritics before an accented name is another word
(``tham quan Hồ Gươm``: "visit", not "district").
"""

from __future__ import annotations

import re
from collections.abc import Collection

from auditor.pii.lexicon import admin_vocabulary, context_words
from auditor.pii.recognizers.base import BuiltinRecognizer, Candidate, make_result
from auditor.pii.text import (
    fold,
    fold_lower,
    ignorecase_chars,
    leading_class_alternation,
    leading_class_parts,
)

__all__ = ["AddressRecognizer"]

_CAP = r"(?:[A-Z]{2,}|[A-Z][a-z]*)"
_NAME = rf"(?:\d+[A-Za-z]?\b|{_CAP}(?:[ \-]{_CAP}){{0,3}}\b)"
# A capitalised name without a unit word ("Nhà Bè" in "xã Phước Kiển, Nhà Bè, TP HCM")
# belongs to an address only between two address chunks.
_NAMES = re.compile(r"[A-Z](?<=, [A-Z])[a-z]*(?: [A-Z][a-z]*){0,3}(?=,)")
# A space inside an address chunk (not a tab or newline: those separate cells)
_S = r"[ \u00a0]"
_S_CHARS = ignorecase_chars("s")
_LEAD = re.compile(r"([^\W\d_]+)\.?\s*")
# NOTE: no tab or newline: cells of a tab-separated line are separate values.
_GAP = re.compile(r"^[ \u00a0,.\-–/]{0,4}$")
# Unit words that name a province-level unit ("TP Hồ Chí Minh", "tỉnh Nghệ An").
_PROVINCE_UNITS = frozenset({"tp", "tinh", "thanh pho", "city", "province"})


def _alternation(words: tuple[str, ...]) -> str:
    ordered = sorted(words, key=len, reverse=True)
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in ordered)


def _grouped(words: tuple[str, ...], *, fold_case: bool = False, not_after: str = "") -> str:
    """:func:`_alternation` with the alternatives grouped by their first letter
    (``H(?:a\\s+Noi|ai\\s+Phong)|D(?:...)``): sre tries every alternative of an alternation
    at every position; grouped, it tests one letter per group. The same matches: the
    order inside a group is the order of :func:`_alternation`, and two groups never both
    match at one position (their first letters differ, in lower case for a
    case-insensitive alternation). Falls back to :func:`_alternation` when a word does not
    start with an ASCII letter. ``not_after``: a character class that must not come
    right before the word, tested after its first letter (``B(?<!\\wB)…`` is
    ``(?<!\\w)B…``), so that a case-sensitive pattern starts with the first letters and
    sre skips ahead to them."""
    ordered = sorted(words, key=len, reverse=True)
    if not all(w[:1].isascii() and w[:1].isalpha() for w in ordered):
        alternation = _alternation(words)
        return f"(?<!{not_after})(?:{alternation})" if not_after else alternation
    groups: dict[str, list[str]] = {}
    for w in ordered:
        head = w[0].lower() if fold_case else w[0]
        groups.setdefault(head, []).append(w)
    out = []
    for head, members in groups.items():
        rest = "|".join(re.escape(w[1:]).replace(r"\ ", r"\s+") for w in members)
        behind = f"(?<!{not_after}{head})" if not_after else ""
        out.append(f"{head}{behind}(?:{rest})")
    return "|".join(out)


def _title_variants(words: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for w in words:
        title = " ".join(p[:1].upper() + p[1:] for p in w.split(" "))
        out.extend((title, w.upper()))
    return tuple(dict.fromkeys(out))


_LETTERS = re.compile(r"[^\W\d_]+")
_DIGIT = re.compile(r"\d")


def _first_words(entries: tuple[str, ...]) -> frozenset[str] | None:
    """The first words of vocabulary entries (folded, lower case), or None when an entry
    does not start with a whole word of letters (no gate possible)."""
    out: set[str] = set()
    for entry in entries:
        m = _LETTERS.match(entry)
        if m is None or (m.end() < len(entry) and entry[m.end()].isalnum()):
            return None
        out.add(m.group(0))
    return frozenset(out)


def _absent(gate: frozenset[str] | None, words: frozenset[str]) -> bool:
    return gate is not None and gate.isdisjoint(words)


class AddressRecognizer(BuiltinRecognizer):
    """Addresses from the Vietnamese administrative and street vocabulary."""

    def __init__(self) -> None:
        vocab = admin_vocabulary()
        abbr = _grouped(_title_variants(vocab["abbreviations"]), not_after=r"\w")
        streets = _grouped(vocab["streets"], fold_case=True)
        english = _alternation(vocab["english_streets"])
        provinces = _grouped(_title_variants(vocab["provinces"]), not_after=r"\w")
        self._admin = (
            # NOTE: ``(?<!\w)(?i:{units})…`` starting with a character class.
            re.compile(leading_class_alternation(
                sorted(vocab["units"], key=len, reverse=True), not_before=r"\w")
                + rf"\.?\s*{_NAME}"),
            re.compile(rf"(?:{abbr})(?:\.\s*|(?=\d)){_NAME}"),
        )
        self._province = re.compile(rf"(?:{provinces})(?!\w)")
        # NOTE: the plain forms (``_street_plain``) start with a look-behind and an
        # optional group; written so that each starts with one character class (sre
        # skips ahead), the branch taken by which character that was: an optional group
        # that must start with a letter (or a digit) cannot match at a position holding
        # a space or a digit (or a letter), so the branches never both apply.
        heads, branches = leading_class_parts(sorted(vocab["streets"], key=len, reverse=True))
        house = rf"[{_S_CHARS} \u00a0\d]"
        street = rf"[\d{heads}]"
        self._street = (
            re.compile(rf"{house}(?<![\w/]{house})(?:(?<=[{_S_CHARS}])(?i:o{_S}+nha|o|n){_S}*\d+"
                       rf"|(?<=[ \u00a0]){_S}*\d+|(?<=\d)\d*)[A-Za-z]?(?:/\d+[A-Za-z]?)*"
                       rf"(?:{_S}+(?i:{streets}))?{_S}+{_CAP}(?:{_S}{_CAP}){{0,3}}\b"),
            re.compile(rf"{street}(?<!\w{street})(?:(?<=\d)\d*[A-Za-z]?(?:/\d+[A-Za-z]?)*{_S}+"
                       rf"(?i:{streets})|{branches})\.?{_S}+"
                       rf"(?:(?i:so){_S}+)?(?:\d+[A-Za-z]?(?:/\d+)*|{_CAP}(?:{_S}{_CAP}){{0,3}})\b"),
            # NOTE: ``(?<!\w)(?i:so{_S}+nha|so)…`` starting with the letters of "s".
            re.compile(rf"[{_S_CHARS}](?<!\w[{_S_CHARS}])(?i:o{_S}+nha|o){_S}+\d+[A-Za-z]?"
                       r"(?:/\d+[A-Za-z]?)*\b"),
        )
        self._english = re.compile(
            rf"\d(?<![\w/]\d)\d*[A-Za-z]?\s+{_CAP}(?:\s{_CAP}){{0,2}}\s+(?i:{english})\b\.?")
        # NOTE: the street (2nd), "số" (3rd), province and English-street regexes only
        # match their vocabulary word as a whole word: text without one of those words
        # (folded, lower case) skips the regex. None: a word no gate can stand for.
        self._street_gate = _first_words(vocab["streets"])
        self._province_gate = _first_words(vocab["provinces"])
        self._english_gate = _first_words(vocab["english_streets"])
        self.name = "VnAddressRecognizer"
        self.supported_entities = ("ADDRESS",)
        self.context = tuple(context_words().get("ADDRESS", ()))

    def analyze(self, text: str, entities: Collection[str]) -> list[Candidate]:
        folded = fold(text)
        words = frozenset(_LETTERS.findall(fold_lower(text)))
        chunks: list[tuple[int, int, str]] = []
        for regex in self._admin:
            chunks.extend((m.start(), m.end(), "admin") for m in regex.finditer(folded)
                          if not self._plain_word(text, m.start(), m.end()))
        has_digit = _DIGIT.search(folded) is not None
        for k, regex in enumerate(self._street):
            if (k == 0 and not has_digit) or (k == 1 and _absent(self._street_gate, words)) \
                    or (k == 2 and "so" not in words):
                continue
            chunks.extend((m.start() + len(m.group(0)) - len(m.group(0).lstrip()), m.end(),
                           "street") for m in regex.finditer(folded))
        if not _absent(self._province_gate, words):
            chunks.extend((m.start(), m.end(), "province")
                          for m in self._province.finditer(folded))
        if has_digit and not _absent(self._english_gate, words):
            chunks.extend((m.start(), m.end(), "english")
                          for m in self._english.finditer(folded))
        chunks.extend((m.start(), m.end(), "name") for m in _NAMES.finditer(folded))
        if not chunks:
            return []
        # NOTE: a chunk inside another (``Hồ Chí Minh`` inside ``thành phố Hồ Chí Minh``)
        # is the same piece of the address and must not count twice.
        chunks.sort(key=lambda c: (c[0], -c[1]))
        kept: list[tuple[int, int, str]] = []
        for chunk in chunks:
            if kept and chunk[1] <= max(k[1] for k in kept[-3:]) and chunk[0] >= kept[-1][0]:
                continue
            kept.append(chunk)
        chunks = kept
        results: list[Candidate] = []
        group: list[tuple[int, int, str]] = [chunks[0]]
        for chunk in chunks[1:]:
            end = max(c[1] for c in group)
            if chunk[0] <= end or _GAP.match(folded[end:chunk[0]]):
                group.append(chunk)
            else:
                results.extend(self._result(group, text))
                group = [chunk]
        results.extend(self._result(group, text))
        return results

    @staticmethod
    def _plain_word(text: str, start: int, end: int) -> bool:
        """A lower-case unit word without diacritics before an accented name is another
        word: "tham quan Hồ Gươm" (visit) is not "quận", "xa" (far) is not "xã"."""
        m = _LEAD.match(text, start, end)
        if m is None:
            return False
        word, name = m.group(1), text[m.end():end]
        return word.islower() and fold(word) == word and fold(name) != name

    @staticmethod
    def _top_unit(text: str, chunk: tuple[int, int, str]) -> bool:
        m = _LEAD.match(text, chunk[0], chunk[1])
        return (m is not None and fold(m.group(1)).lower() in _PROVINCE_UNITS) or \
            fold(text[chunk[0]:chunk[1]]).lower().startswith("thanh pho ")

    def _result(self, group: list[tuple[int, int, str]], text: str) -> list[Candidate]:
        while group and group[0][2] == "name":
            group = group[1:]
        while group and group[-1][2] == "name":
            group = group[:-1]
        if not group:
            return []
        start = min(c[0] for c in group)
        end = max(c[1] for c in group)
        while end > start and text[end - 1] in " ,.-":
            end -= 1
        provinces = sum(1 for c in group if c[2] == "province")
        admin = sum(1 for c in group if c[2] == "admin")
        top = provinces + sum(1 for c in group if c[2] == "admin" and self._top_unit(text, c))
        if top >= 2 and top == admin + provinces and not any(
                c[2] in ("street", "english") for c in group):
            return []  # "Hà Nội, Hải Phòng, TP Hồ Chí Minh": a list of provinces
        street = sum(1 for c in group if c[2] == "street")
        english = sum(1 for c in group if c[2] == "english")
        total = admin + street + english
        if total and provinces:
            # NOTE: a province completes an address; a list of provinces is not one.
            admin, total = admin + 1, total + 1
        elif provinces:
            admin = total = 1
        if admin and total >= 3:
            score = 0.85
        elif admin and total >= 2:
            score = 0.75
        elif english or street >= 2:
            score = 0.5
        elif admin:
            score = 0.3
        else:
            score = 0.2
        return [make_result(self, "ADDRESS", start, end, score)]
