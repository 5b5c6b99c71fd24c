"""Names from scanned data, made safe to print on a terminal.

File names, keys, table names, certificate names and error messages that quote them come
from the data under audit: an attacker chooses them. Printed raw, an escape sequence sets
the window title or clears the screen, a carriage return overwrites "TAMPERED" with "OK",
a newline forges an ``auditor:`` line, a bidi override reverses text. Every such character
is shown as a visible escape (``\\x1b``, ``\\n``, ``\\u202e``) instead.

:func:`term_safe` is for plain ``print``/``write``; :func:`rich_safe` also escapes Rich
markup (``[link=...]``) for text handed to a Rich console or table.
"""

from __future__ import annotations

import unicodedata

from rich.markup import escape as _rich_escape

__all__ = ["rich_safe", "term_safe"]

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(ch: str) -> str:
    named = _NAMED.get(ch)
    if named:
        return named
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _unsafe(ch: str) -> bool:
    # NOTE: Cc = C0/C1 controls and DEL; Cf = format characters (bidi overrides, zero-width
    # joiners); Zl/Zp = line and paragraph separators, which some terminals break on.
    return unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp", "Cs"}


def term_safe(text: object) -> str:
    """``text`` (any object, via ``str``) with every control, format or separator
    character written as a visible escape; printable text is unchanged."""
    value = str(text)
    if value.isprintable():  # NOTE: the fast path for nearly every name
        return value
    return "".join(_escape(ch) if _unsafe(ch) else ch for ch in value)


def rich_safe(text: object) -> str:
    """:func:`term_safe`, then Rich markup escaped (for Console.print and Table cells)."""
    return _rich_escape(term_safe(text))
