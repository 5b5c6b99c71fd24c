"""Text normalisation shared by the PII recognizers.

- :func:`to_nfc` normalises to NFC and keeps a map back to the caller's offsets, so text
  that arrives NFD (common from macOS and some databases) is matched like NFC text while
  reported offsets stay offsets in the caller's string.
- :func:`fold` removes Vietnamese diacritics *one character for one character*
  (``Nguyễn Đức`` -> ``Nguyen Duc``), so offsets in folded text are offsets in the NFC
  text. Lexicons and context words are compared in folded, lower-case form.
- :func:`name_tokens` splits identifiers (``so_dien_thoai``, ``soDienThoai``,
  ``SoDienThoai``, ``customer-email``) into folded lower-case words.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["compact", "fold", "fold_lower", "has_diacritics", "name_tokens", "to_nfc"]


@lru_cache(maxsize=1)
def _fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in (*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)):
        ch = chr(code)
        base = unicodedata.normalize("NFD", ch)[0]
        if base != ch and base.isascii() and base.isalpha():
            table[code] = base
    table.update({ord("đ"): "d", ord("Đ"): "D", ord("ð"): "d", ord("Ð"): "D"})
    return table


# NOTE: the detector, the prefilter and several recognizers fold the same text one
# after another: the last (text, folded) pair is kept, one entry, replaced as a whole
# (a single reference assignment, so threads never see a mixed pair).
_last_fold: tuple[str, str] = ("", "")


def fold(text: str) -> str:
    """Remove diacritics, keeping the length (one character in, one character out)."""
    global _last_fold  # noqa: PLW0603 - the one-entry cache above
    last = _last_fold
    if text is last[0]:
        return last[1]
    folded = text.translate(_fold_table())
    _last_fold = (text, folded)
    return folded


# NOTE: the same for the folded lower-case form (the context step, the phone recognizer
# and the negative-context step lower the same line).
_last_lower: tuple[str, str] = ("", "")


def fold_lower(text: str) -> str:
    """Folded, lower-case form used for every lexicon and context comparison."""
    global _last_lower  # noqa: PLW0603 - the one-entry cache above
    last = _last_lower
    if text is last[0]:
        return last[1]
    lowered = fold(text).lower()
    _last_lower = (text, lowered)
    return lowered


def has_diacritics(text: str) -> bool:
    """True when the text holds at least one Vietnamese (Latin) accented letter."""
    return fold(text) != text


def to_nfc(text: str) -> tuple[str, list[int] | None]:
    """NFC form of ``text`` and, when it differs, a map from each NFC offset (and the
    end offset) to the corresponding offset in ``text``."""
    if unicodedata.is_normalized("NFC", text):
        return text, None
    out: list[str] = []
    offsets: list[int] = []
    start = 0
    n = len(text)
    # NOTE: normalise one starter + its combining marks at a time, so every output
    # character can be traced back to the cluster it came from.
    while start < n:
        end = start + 1
        while end < n and unicodedata.combining(text[end]):
            end += 1
        piece = unicodedata.normalize("NFC", text[start:end])
        out.append(piece)
        offsets.extend([start] * len(piece))
        start = end
    offsets.append(n)
    return "".join(out), offsets


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_WORD = re.compile(r"[^0-9a-z]+")


def name_tokens(name: str) -> tuple[str, ...]:
    """Folded lower-case words of an identifier or free label."""
    text = fold(unicodedata.normalize("NFC", name))
    text = _CAMEL.sub(" ", text).lower()
    return tuple(t for t in _NON_WORD.split(text) if t)


def compact(name: str) -> str:
    """Identifier with separators removed, folded, lower case (``Số Điện Thoại`` ->
    ``sodienthoai``)."""
    return "".join(name_tokens(name))


# NOTE: characters other than a letter's own upper and lower case that ``re.IGNORECASE``
# matches with it (Python's sre: dotted/dotless I, Kelvin sign, long s).
# ``tests/pii/test_regex_forms.py`` checks this against every code point.
_EXTRA_CASES = {"i": "\u0130\u0131", "k": "\u212a", "s": "\u017f"}


def ignorecase_chars(letter: str) -> str:
    """Every character ``(?i:letter)`` matches, in code point order."""
    pattern = re.compile(f"(?i:{re.escape(letter)})")
    found = {letter, letter.lower(), letter.upper(), *_EXTRA_CASES.get(letter.lower(), "")}
    return "".join(sorted(c for c in found if len(c) == 1 and pattern.fullmatch(c)))


def leading_class_alternation(words: tuple[str, ...] | list[str], *, not_before: str) -> str:
    """``(?<!not_before)(?i:w1|w2|…)`` written so that the pattern starts with one
    character class (``sre`` then skips ahead to the characters that can start a word)
    and the same matches: the class holds every character the words' first letters match
    case-insensitively, ``not_before`` is tested after that first character, and each
    group of words with one first letter is entered only after that letter (in the
    words' order within the group; two groups never match at one position). Spaces in a
    word match any run of white space (as in the address vocabulary)."""
    lead, branches = leading_class_parts(words)
    cls = f"[{lead}]"
    return f"{cls}(?<!{not_before}{cls})(?:{branches})"


def leading_class_parts(words: tuple[str, ...] | list[str]) -> tuple[str, str]:
    """The parts of :func:`leading_class_alternation`: the escaped characters of the
    leading class, and the branches (``(?<=(?i:h))(?i:rest…)|…``) that follow it."""
    groups: dict[str, list[str]] = {}
    for w in words:
        groups.setdefault(w[0].lower(), []).append(w)
    lead = "".join(sorted({c for head in groups for c in ignorecase_chars(head)}))
    branches = []
    for head, members in groups.items():
        rest = "|".join(re.escape(w[1:]).replace(r"\ ", r"\s+") for w in members)
        branches.append(f"(?<=(?i:{re.escape(head)}))(?i:{rest})")
    return "".join(re.escape(c) for c in lead), "|".join(branches)
