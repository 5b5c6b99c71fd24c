"""Names from scanned data, made safe to print on a terminal.

File names, keys, table names, certificate names and error messages that quote them come
from the data under audit: an attacker chooses them. Printed raw, an escape sequence sets
the window title or clears the screen, a carriage return overwrites "TAMPERED" with "OK",
a newline forges an ``auditor:`` line, a bidi override reverses text. Every such character
is shown as a visible escape (``\\x1b``, ``\\n``, ``\\u202e``) instead.

:func:`term_safe` is for plain ``print``/``write``; :func:`rich_safe` also escapes Rich
markup (``[link=...]``) for text handed to a Rich console or table; :func:`md_safe` makes
a name inert in Markdown (no raw HTML, links, images, emphasis, table breaks or line
breaks), :func:`md_code` puts one in a code span.
"""

from __future__ import annotations

import unicodedata

__all__ = ["md_code", "md_safe", "rich_safe", "term_safe"]

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
    from rich.markup import escape  # NOTE: here, so plain-text commands never load rich

    return escape(term_safe(text))


#: CommonMark/GFM punctuation that can start inline syntax inside a table cell (emphasis,
#: code, links and images need [ or !, strikethrough, cell breaks); backslash-escaped
_MD_PUNCT = frozenset("\\`*_[]!|~")
_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def md_safe(text: object) -> str:
    """A name as inert Markdown text, fit for a table cell: control characters shown as
    escapes (no CR/LF line breaks), ``& < >`` as entities (no raw HTML), and Markdown
    punctuation backslash-escaped (no links, images, emphasis, code or cell breaks)."""
    value = term_safe(text)
    out = []
    for i, ch in enumerate(value):
        if ch in _MD_ENTITIES:
            out.append(_MD_ENTITIES[ch])
        elif ch in _MD_PUNCT and not (ch == "_" and _intraword(value, i)):
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _intraword(text: str, i: int) -> bool:
    # NOTE: an underscore between letters or digits never starts emphasis (CommonMark),
    # so DB_PASSWORD stays readable in the raw Markdown
    return 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()


def md_code(text: object) -> str:
    """A name in a Markdown code span (inside a table cell): backticks cannot close it
    early and a ``|`` cannot end the cell."""
    inner = term_safe(text).replace("`", "'").replace("|", "\\|")
    return f"`{inner}`"
