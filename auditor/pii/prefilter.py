"""The cheap trigger prefilter: which entity types could this text possibly hold?

Each type has a trigger: a regular expression that every true detection of that type
must match (it is looser than the recognizer, never stricter). Text with no trigger
never reaches Presidio, and text with triggers is analysed only by the recognizers of
the triggered types. Triggers run on the folded text (diacritics removed, same length).

``DATE_OF_BIRTH`` is only ever reported with birth context, so its trigger also needs a
birth word somewhere in the text or in the explicit context.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from auditor.pii.lexicon import admin_vocabulary, context_words, surnames

__all__ = ["Prefilter"]


def _alt(words: Collection[str]) -> str:
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len,
                                                                          reverse=True))


class Prefilter:
    """Trigger regexes per entity type (built once per detector)."""

    def __init__(self, types: Collection[str]) -> None:
        vocab = admin_vocabulary()
        names = _alt({s.title() for s in surnames()} | {s.upper() for s in surnames()})
        places = _alt({*vocab["provinces"]})
        units = _alt({*vocab["units"], *vocab["streets"], *vocab["english_streets"]})
        abbr = _alt(vocab["abbreviations"])
        birth = _alt(context_words()["DATE_OF_BIRTH"])
        ids = r"(?<!\d)\d{9,13}(?!\d)"
        triggers = {
            "EMAIL_ADDRESS": r"@",
            "VN_PHONE": r"(?:\+\s?\d|(?<!\d)\(?(?:0|84)\d{1,3}\)?(?:[ .\-]?\d){6,9}(?!\d))",
            "PHONE_NUMBER": r"(?:\+|(?<!\d)00)\s?\(?\d",
            "VN_CCCD": r"(?<!\d)\d{12}(?!\d)",
            "VN_CMND": r"(?<!\d)\d{9}(?!\d)",
            "VN_TAX_CODE": ids,
            "VN_SOCIAL_INSURANCE": r"(?<!\d)\d{10}(?!\d)",
            "VN_PASSPORT": r"[A-Z]\d{7}",
            "VN_HEALTH_INSURANCE": r"[A-Z]{2} ?[1-5] ?\d{2} ?\d{10}",
            "VN_LICENSE_PLATE": r"(?<!\w)\d{2}[ \-]?[A-Z]{1,2}\d?[ \-]?\d{3}",
            "CREDIT_CARD": r"\d(?:[ \-]?\d){12,18}",
            "IBAN_CODE": r"[A-Z]{2}\d{2}[ ]?[A-Z0-9]{4}",
            "IP_ADDRESS": r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|(?:[0-9A-Fa-f]{1,4}:){3,}|::",
            "PASSWORD": r"(?i:password|passwd|pwd|passcode|pass|mat[ _]?khau|mk)(?:\W|$)",
            "PERSON": rf"(?<!\w)(?:{names})[ \u00a0][A-Z]",
            "ADDRESS": rf"(?<!\w)(?:(?i:{units})\.?\s*[A-Z0-9]|(?:{places})(?!\w)"
                       rf"|(?i:{abbr})(?:\.\s*|(?=\d))[A-Z0-9])",
        }
        self._triggers = tuple((t, re.compile(r)) for t, r in triggers.items() if t in types)
        self._dob = "DATE_OF_BIRTH" in types
        self._date = re.compile(r"\d{1,4}[/.\-]\d{1,2}[/.\-]\d{2,4}|\d{1,2}\s+thang\s+\d"
                                r"|(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)")
        self._birth = re.compile(rf"(?i)(?<![a-z])(?:{birth})(?![a-z])")
        self._any = re.compile(r"[\d@A-Z:=!#$%&*]")

    def candidates(self, folded: str, context: Collection[str] = ()) -> set[str]:
        """Types whose trigger matches ``folded`` (the folded text)."""
        if not self._any.search(folded):
            return set()
        found = {t for t, regex in self._triggers if regex.search(folded)}
        if self._dob and self._date.search(folded) and (
                self._birth.search(folded) or any(self._birth.search(c) for c in context)):
            found.add("DATE_OF_BIRTH")
        return found
