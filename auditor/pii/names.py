"""PERSON for Vietnamese text without a language model.

A Vietnamese full name is a surname from the lexicon (``lexicons/surnames.txt``) followed
by one to three capitalised syllables, each a well-formed Vietnamese syllable (onset +
vowel nucleus + optional final consonant): ``Nguyễn Văn An``, ``TRẦN THỊ BÌNH``,
``Le Hoang Nam``. Matching is on the folded (diacritic-free) form, so accented and
unaccented names, NFC or NFD, are found alike.

Not names: sequences after an address word (``đường Lê Lợi``, ``phường Bến Nghé``,
``tỉnh Hà Giang``), province and place names (``Hà Nội``, ``Hạ Long``), and English words
that are not Vietnamese syllables (``Le Monde``, ``Van Gogh``).

Scores: with diacritics 0.6 (3-4 syllables 0.7); without diacritics 0.35 (3-4 syllables
0.55); context words (``họ tên``, ``ông``, ``bà``, ``khách hàng``, ``name``...) add the
context boost.

A given name alone after a form of address (``chị Hương``, ``anh Tú``, ``cô Lan Anh``):
0.35, and the form of address is itself a context word, so 0.8.

English names without a model: only after an honorific (``Mr John Smith``,
``Dr. Jane Doe``, ``Mrs. O'Brien``): 1-3 capitalised words, 0.6.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from auditor.pii.lexicon import admin_vocabulary, context_words, read_lines, surnames
from auditor.pii.recognizers.base import BuiltinRecognizer, Candidate, make_result
from auditor.pii.text import fold, fold_lower, leading_class_alternation

__all__ = ["HonorificNameRecognizer", "NameRecognizer", "is_syllable"]

# Forms of address before a given name (with their diacritics: unaccented "chi", "co",
# "ba" are other words).
_ADDRESS_FORMS = frozenset({"anh", "chị", "em", "ông", "bà", "cô", "chú", "bác", "cậu", "dì",
                            "thím", "mợ", "bạn", "cháu"})
# A form of address as a whole word, any case (the necessary condition for
# ``word.lower() in _ADDRESS_FORMS``, which decides).
# NOTE: ``(?<![^\W\d_])(?i:anh|bà|…)`` starting with a character class (sre skips ahead).
_FORM_WORD = re.compile(leading_class_alternation(sorted(_ADDRESS_FORMS), not_before=r"[^\W\d_]")
                        + r"(?![^\W\d_])")
_SYLLABLE = re.compile(
    r"^(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?"
    r"(?:[aeiouy]{1,3})(?:ch|ng|nh|[cmnpt])?$")
_WORD = re.compile(r"[^\W\d_]+")
# A label, not a name: "HO TEN NGUOI BENH: ..." (followed by a colon or an equals sign).
_LABEL = re.compile(r"[ \t]*[:=]")
# A house number right before the surname (one space): the name is a street's.
_HOUSE_NUMBER = re.compile(r"(?<![\w.,])\d+[A-Za-z]?(?:/\d+[A-Za-z]?)* $")
# Cell boundaries: a name that fills a whole quoted or delimited cell (CSV, SQL literal,
# JSON string, tab- or pipe-separated export) is a name field.
_CELL_OPEN = frozenset("\"',;|\t([")
_CELL_CLOSE = frozenset("\"',;|\t)]")


def _whole_cell(text: str, start: int, end: int) -> bool:
    """True when ``text[start:end]`` fills a delimited cell: quotes or separators on
    both sides, the start or end of the text counting as a separator (a database value
    that is just a name is a cell of its own)."""
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    if before in "\"'" or after in "\"'":
        return before == after
    return (before in _CELL_OPEN or before == "") and (after in _CELL_CLOSE or after == "")


def is_syllable(word: str) -> bool:
    """True for a well-formed Vietnamese syllable (any case, with or without marks)."""
    return bool(_SYLLABLE.match(fold_lower(word)))


def _folded_syllable(folded: str, start: int, end: int) -> bool:
    """:func:`is_syllable` of ``text[start:end]`` given the folded text (folding keeps
    offsets, so the slice of the folded text is the folded word; the text's own fold
    stays the cached one)."""
    return _SYLLABLE.match(folded[start:end].lower()) is not None


def _capitalised(word: str) -> bool:
    return word[:1].isupper() and (word[1:].islower() or word[1:].isupper() or len(word) == 1)


class NameRecognizer(BuiltinRecognizer):
    """Vietnamese full names: surname + 1-3 capitalised syllables."""

    def __init__(self) -> None:
        vocab = admin_vocabulary()
        self._surnames = surnames()
        # NOTE: an accented word must be an accented surname: "Trường" (school) folds to
        # "truong" like the surname "Trương".
        self._accented = frozenset(s.lower() for s in read_lines("surnames.txt")
                                   if fold(s) != s)
        self._stop_before = frozenset(
            w for w in (*vocab["units"], *vocab["streets"], *vocab["abbreviations"])
            if " " not in w) | {"so", "duong", "pho", "tp", "tinh", "thanh"}
        self._places = frozenset((*vocab["provinces"], *vocab["not_names"]))
        self.name = "VnNameRecognizer"
        self.supported_entities = ("PERSON",)
        self.context = tuple(context_words().get("PERSON", ()))

    def analyze(self, text: str, entities: Collection[str]) -> list[Candidate]:
        words = [m.span() for m in _WORD.finditer(text)]
        folded = fold(text)
        results: list[Candidate] = []
        # NOTE: a surname starts with a capital and is in the surname set (most words are
        # neither): only those words are visited, in order; ``after`` is the first word
        # not inside a name found.
        surnames = self._surnames
        after = 0
        for i in [k for k, (s, e) in enumerate(words)
                  if text[s].isupper() and folded[s:e].lower() in surnames]:
            if i < after or not self._is_surname_at(text, folded, words, i):
                continue
            start = words[i][0]
            j = i + 1
            while j < len(words) and j - i < 4:
                s, e = words[j]
                gap = text[words[j - 1][1]:s]
                word = text[s:e]
                if gap not in (" ", "\u00a0") or not _capitalised(word) or \
                        not _folded_syllable(folded, s, e):
                    break
                j += 1
            count = j - i
            if count >= 2:
                span_end = words[j - 1][1]
                name_folded = folded[start:span_end].lower()
                if not self._is_place(name_folded) and not _LABEL.match(text, span_end):
                    accented = folded[start:span_end] != text[start:span_end]
                    score = (0.7 if count >= 3 else 0.6) if accented else (
                        0.55 if count >= 3 else 0.35)
                    if _whole_cell(text, start, span_end):
                        score += 0.2
                    results.append(make_result(self, "PERSON", start, span_end, score))
                    after = j
        results.extend(self._given_names(text, folded, words, results))
        return results

    def _given_names(self, text: str, folded: str, words: list[tuple[int, int]],
                     found: list[Candidate]) -> list[Candidate]:
        """Given names after a Vietnamese form of address: ``chị Hương``, ``anh Tú``,
        ``cô Lan Anh`` (1-2 capitalised syllables, not a place)."""
        if _FORM_WORD.search(text) is None:
            return []   # no form of address in the text
        taken = [(r.start, r.end) for r in found]
        out: list[Candidate] = []
        for i in range(len(words) - 1):
            word = text[words[i][0]:words[i][1]]
            if word.lower() not in _ADDRESS_FORMS:
                continue
            j = i + 1
            while j < len(words) and j - i <= 2:
                s, e = words[j]
                name = text[s:e]
                if text[words[j - 1][1]:s] not in (" ", "\u00a0") or not _capitalised(name) \
                        or not _folded_syllable(folded, s, e) or (name.isupper() and len(name) > 1):
                    break
                j += 1
            if j == i + 1:
                continue
            start, end = words[i + 1][0], words[j - 1][1]
            with_form = folded[words[i][0]:end].lower()
            if any(a < end and start < b for a, b in taken) or \
                    self._is_place(folded[start:end].lower()) or \
                    any(p.startswith(with_form) for p in self._places):
                continue
            out.append(make_result(self, "PERSON", start, end, 0.35))
        return out

    def _is_surname_at(self, text: str, folded: str, words: list[tuple[int, int]],
                       i: int) -> bool:
        start, end = words[i]
        # NOTE: the set look-up first (most capitalised words are no surname).
        if folded[start:end].lower() not in self._surnames:
            return False
        word = text[start:end]
        if not _capitalised(word):
            return False
        if folded[start:end] != word and word.lower() not in self._accented:
            return False
        if _HOUSE_NUMBER.search(text, max(0, start - 12), start):
            return False  # "37 Nguyễn Văn Cừ": a street named after a person
        if i > 0:
            prev_s, prev_e = words[i - 1]
            prev = folded[prev_s:prev_e].lower()
            gap = text[prev_e:start].strip()
            if prev in self._stop_before and gap in ("", "."):
                return False
        return True

    def _is_place(self, name_folded: str) -> bool:
        if name_folded in self._places:
            return True
        parts = name_folded.split()
        return any(" ".join(parts[:k]) in self._places for k in range(2, len(parts)))


_PART = r"[A-Z](?:[a-z]+|'[A-Z][a-z]+)(?:-[A-Z][a-z]+)?"
# NOTE: ``\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Madam)`` grouped by first letter, the word
# boundary tested after it: the pattern starts with its first letters (sre skips ahead).
_HONORIFIC = re.compile(r"(?:M(?<!\wM)(?:r|rs|s|iss|x|adam)|D(?<!\wD)r|P(?<!\wP)rof|S(?<!\wS)ir)"
                        r"\.?[ \u00a0]+"
                        rf"({_PART}(?: {_PART}){{0,2}})\b")
# Titles that follow an honorific without being a name ("Mr. President").
_TITLES = frozenset({"president", "chairman", "chairwoman", "director", "speaker", "secretary",
                     "minister", "ambassador", "mayor", "governor", "justice", "chair",
                     "manager", "customer", "client", "user", "admin", "nobody", "right"})


class HonorificNameRecognizer(BuiltinRecognizer):
    """English (and other Latin-script) names after an honorific."""

    def __init__(self) -> None:
        self.name = "HonorificNameRecognizer"
        self.supported_entities = ("PERSON",)
        self.context = tuple(context_words().get("PERSON", ()))

    def analyze(self, text: str, entities: Collection[str]) -> list[Candidate]:
        return [make_result(self, "PERSON", m.start(1), m.end(1), 0.6)
                for m in _HONORIFIC.finditer(text)
                if m.group(1).split(" ")[0].lower() not in _TITLES]
