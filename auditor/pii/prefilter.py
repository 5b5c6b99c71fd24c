"""The cheap trigger prefilter: which entity types could this text possibly hold?

Every type has a trigger that each true detection of that type must set off (triggers
are looser than the recognizers, never stricter). Text with no trigger never reaches
the recognizers, and text with triggers is analysed only by the recognizers of the
triggered types. Triggers run on the folded text (diacritics removed, same length) and are built
to cost a few regex scans per text:

- numbers: one scan for digit runs (digits with spaces, dots, dashes, brackets, a leading
  ``+``); ISO timestamps are blanked first. The digit count and shape of each run name
  the candidate types (9 digits CMND, 10 tax code / BHXH / phone, 12 CCCD, 13-19 card...);
- letters + digits: passport, BHYT card, IBAN, licence plate, each a short regex, behind a
  gate (an upper-case letter next to a digit);
- words: the lower-case words of the text are intersected with word sets (address units
  and province names, password keywords, birth words), and the capitalised word pairs
  with the surname set, before the exact trigger regex runs;
- ``DATE_OF_BIRTH`` is only ever reported with birth context, so its trigger also needs a
  birth word in the text or in the explicit context.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from collections.abc import Set as AbstractSet

from auditor.pii.lexicon import admin_vocabulary, context_words, surnames
from auditor.pii.text import leading_class_alternation

__all__ = ["Prefilter"]

# NOTE: ``(?<![\w.\-])\+?\(?\d[\d .\-()]*\d(?![\w]|[.\-]\w)`` written to start with a
# character class (sre then skips ahead to "+", "(" or a digit), the look-behind tested
# after the first character, and what must follow that character by which one it was.
_RUN = re.compile(r"[+(\d](?<![\w.\-][+(\d])(?:(?<=\+)\(?\d|(?<=\()\d|(?<=\d))"
                  r"[\d .\-()]*\d(?![\w]|[.\-]\w)")
# NOTE: ``\d{4}-\d{2}-\d{2}(…)?|\b\d{2}:\d{2}(…)?\b`` with the first digit taken out
# of the alternation, so the regex engine skips ahead to digits.
_ISO_TIME = re.compile(r"\d(?:\d{3}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:[.,]\d+)?Z?)?"
                       r"|(?<!\w\d)\d:\d{2}(?::\d{2})?\b)")
_IPV4 = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}")
_IPV6 = re.compile(r"(?:[0-9A-Fa-f]{1,4}:){3,}")
# NOTE: ``[A-Z]\s?\d|\d[ \-]?[A-Z]`` starting with one class (sre skips ahead to it),
# the rest chosen by the character taken.
_MIXED = re.compile(r"[A-Z\d](?:(?<=[A-Z])\s?\d|(?<=\d)[ \-]?[A-Z])")
_WORD = re.compile(r"[a-z]+")
_UNIT_NEXT = re.compile(r"([A-Za-z](?<!\w[A-Za-z])[A-Za-z]*)\.?[ \t]*(?=[A-Z0-9])")
_CAPSEQ = re.compile(r"[A-Z](?<!\w[A-Z])[A-Za-z]*(?:[ \-]+[A-Z][A-Za-z]*)*")
_SPLIT = re.compile(r"[ \-]+")
_DIGIT = re.compile(r"\d")
# NOTE: a digit run holds digits and ". - ( ) +" only (``_RUN``): deleting those counts
# its digits.
_NOT_DIGIT = str.maketrans("", "", ".-()+ ")
_CAPITAL = re.compile(r"[A-Z][a-z]")
_PAIR = re.compile(r"([A-Z](?<!\w[A-Z])[A-Za-z]*)[ \u00a0](?=[A-Z])")

# NOTE: each pattern starts with a character class, so sre skips ahead to the characters
# that can start it; "no word character before" is tested after the first character
# (``[A-Z](?<!\w[A-Z])`` is ``(?<!\w)[A-Z]``).
_LETTER_TRIGGERS = {
    "VN_PASSPORT": r"[A-Z](?<!\w[A-Z])\d{7}(?!\w)",
    "VN_HEALTH_INSURANCE": r"[A-Z]{2} ?[1-5] ?\d{2} ?\d{10}",
    "IBAN_CODE": r"[A-Z]{2}\d{2}[ ]?[A-Z0-9]{4}",
    "VN_LICENSE_PLATE": r"\d(?<!\w\d)\d[ \-]?[A-Z]{1,2}\d?[ \-]?\d{3}",
}
_FORMS = frozenset({"anh", "chi", "em", "ong", "ba", "co", "chu", "bac", "cau", "di", "thim",
                    "mo", "ban", "chau"})
# NOTE: ``(?<!\w)(?i:anh|chi|…)[ \u00a0][A-Z]`` starting with a character class.
_FORM_NEXT = re.compile(leading_class_alternation(
    ("anh", "chi", "em", "ong", "ba", "co", "chu", "bac", "cau", "di", "thim", "mo", "ban",
     "chau"), not_before=r"\w") + r"[ \u00a0][A-Z]")
_HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "madam"})
# NOTE: ``\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Madam)`` as in ``auditor.pii.names``.
_HONORIFIC = re.compile(r"(?:M(?<!\wM)(?:r|rs|s|iss|x|adam)|D(?<!\wD)r|P(?<!\wP)rof|S(?<!\wS)ir)"
                        r"\.?[ \u00a0]+[A-Z]")
_PASSWORD_WORDS = frozenset({"password", "passwd", "pwd", "passcode", "pass", "mk", "khau",
                             "matkhau"})
_PASSWORD = re.compile(r"(?i:password|passwd|pwd|passcode|pass|mat[ _]?khau|mk)(?:\W|$)")
# A house number before a capitalised street name ("201/7 Quang Trung"); an address only
# with an address word in the text or the explicit context.
_HOUSE = re.compile(r"\d(?<![\w/]\d)\d*[A-Za-z]?(?:/\d+[A-Za-z]?)*[ \u00a0][A-Z]")
_DATE = re.compile(r"\d{1,4}[/.\-]\d{1,2}[/.\-]\d{2,4}|\d{1,2}\s+thang\s+\d"
                   r"|(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d")


def _numeric_types(run: str) -> AbstractSet[str]:
    """Candidate types of a digit run and of every window of its space-separated parts
    (``079203012345 0912345678`` is an ID and a phone, not a 22-digit number)."""
    parts = run.split(" ")
    if len(parts) == 1:
        return _count_types(run, len(run.translate(_NOT_DIGIT)))
    counts = [len(p.translate(_NOT_DIGIT)) for p in parts]
    found: set[str] = set()
    for i in range(len(parts)):
        total = 0
        for j in range(i, len(parts)):
            total += counts[j]
            if total > 19:
                break
            if total >= 8:
                found |= _count_types(parts[i], total)
    return found


def _types_of_count(international: bool, digits: int) -> frozenset[str]:
    found: set[str] = set()
    if international:
        found |= {"VN_PHONE", "PHONE_NUMBER"}
    if 8 <= digits <= 13:
        found.add("VN_PHONE")
    found |= {9: {"VN_CMND"}, 10: {"VN_TAX_CODE", "VN_SOCIAL_INSURANCE"},
              12: {"VN_CCCD"}, 13: {"VN_TAX_CODE"}}.get(digits, set())
    if 13 <= digits <= 19:
        found.add("CREDIT_CARD")
    return frozenset(found)


# NOTE: the types depend only on a leading "+"/"00" and the digit count (every count
# above 19 names the same types as 20): computed once.
_BY_COUNT = tuple(tuple(_types_of_count(international, d) for d in range(21))
                  for international in (False, True))


def _count_types(head: str, digits: int) -> frozenset[str]:
    return _BY_COUNT[head.startswith(("+", "00"))][min(digits, 20)]


class Prefilter:
    """Trigger tests per entity type (built once per detector)."""

    def __init__(self, types: Collection[str], *, ner: bool = False) -> None:
        vocab = admin_vocabulary()
        self._types = frozenset(types)
        # NOTE: with a spaCy NER model any capitalised word may start a PERSON/ADDRESS.
        self._ner = ner
        self._surnames = frozenset(surnames())
        self._address_words = frozenset(
            w.split(" ")[0] for w in (*vocab["units"], *vocab["streets"],
                                      *vocab["english_streets"], *vocab["provinces"],
                                      *vocab["abbreviations"]))
        # NOTE: the word right before the name or number is the last word of a unit
        # phrase ("thị trấn Củ Chi" -> "tran"); "the" (khu tập thể) would let through
        # every English "the Company".
        self._unit_words = frozenset(
            phrase.split(" ")[-1] for phrase in (*vocab["units"], *vocab["streets"],
                                                 *vocab["english_streets"],
                                                 *vocab["abbreviations"])) - {"the"}
        self._provinces = frozenset(" ".join(_SPLIT.split(p)) for p in vocab["provinces"])
        self._province_heads = frozenset(p.split(" ")[0] for p in self._provinces)
        self._address_context = frozenset(w for w in context_words()["ADDRESS"] if w.isalpha())
        self._birth_words = frozenset(w for w in context_words()["DATE_OF_BIRTH"]
                                      if w.isalpha())
        self._letters = tuple((t, re.compile(r)) for t, r in _LETTER_TRIGGERS.items()
                              if t in self._types)

    def candidates(self, folded: str, context: Collection[str] = ()) -> set[str]:
        """Types whose trigger matches ``folded`` (the folded text); ``context`` holds
        the explicit context words (lower case)."""
        found: set[str] = set()
        if "@" in folded:
            found.add("EMAIL_ADDRESS")
        has_digit = _DIGIT.search(folded) is not None
        if has_digit:
            numbers = _ISO_TIME.sub(" ", folded) if ":" in folded or "-" in folded else folded
            for run in _RUN.findall(numbers):
                if " " in run:
                    found |= _numeric_types(run)
                else:   # NOTE: _numeric_types of one part, inline (most runs)
                    found |= _BY_COUNT[run.startswith(("+", "00"))][
                        min(len(run.translate(_NOT_DIGIT)), 20)]
            if (folded.count(".") >= 3 and _IPV4.search(folded)) or "::" in folded or (
                    folded.count(":") >= 3 and _IPV6.search(folded)):
                found.add("IP_ADDRESS")
            mixed = _MIXED.search(folded) if self._letters else None
            if mixed is not None:
                # NOTE: each letter trigger's match holds a letter next to a digit (a
                # _MIXED match) at most one character after its start, so none starts
                # before the first _MIXED match minus one.
                pos = max(0, mixed.start() - 1)
                found.update(t for t, regex in self._letters if regex.search(folded, pos))
        lower = folded.lower()
        words = set(_WORD.findall(lower))
        if "ADDRESS" in self._types and ((
                not words.isdisjoint(self._address_words) and self._address_trigger(folded))
                or (has_digit and (not words.isdisjoint(self._address_context)
                                   or not self._address_context.isdisjoint(context))
                    and _HOUSE.search(folded))):
            found.add("ADDRESS")
        if self._ner and _CAPITAL.search(folded):
            found |= {"PERSON", "ADDRESS"}
        if "PERSON" in self._types and (
                not self._surnames.isdisjoint(map(str.lower, _PAIR.findall(folded)))
                or (not words.isdisjoint(_HONORIFICS) and _HONORIFIC.search(folded))
                or (not words.isdisjoint(_FORMS) and _FORM_NEXT.search(folded))):
            found.add("PERSON")
        if (not words.isdisjoint(_PASSWORD_WORDS) and _PASSWORD.search(folded)) or (
                "://" in folded and "@" in folded):
            found.add("PASSWORD")
        if has_digit and "DATE_OF_BIRTH" in self._types and (
                not words.isdisjoint(self._birth_words)
                or not self._birth_words.isdisjoint(context)) and _DATE.search(folded):
            found.add("DATE_OF_BIRTH")
        return found & self._types

    def _address_trigger(self, folded: str) -> bool:
        """A unit or street word before a capital or a number, or a province name."""
        if not self._unit_words.isdisjoint(map(str.lower, _UNIT_NEXT.findall(folded))):
            return True
        for seq in _CAPSEQ.findall(folded):
            ws = _SPLIT.split(seq.lower())
            if self._province_heads.isdisjoint(ws):
                continue   # no word that starts a province name
            for i in range(len(ws)):
                for k in range(1, min(4, len(ws) - i) + 1):
                    if " ".join(ws[i:i + k]) in self._provinces:
                        return True
        return False
