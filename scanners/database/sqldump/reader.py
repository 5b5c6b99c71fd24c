"""Streaming SQL dump reader: statements and COPY rows, in constant memory.

The dump is read in lines of at most 8 MiB (longer lines are processed in pieces),
decoded incrementally as UTF-8 with ``surrogateescape`` (raw binary bytes, as mysqldump
writes them without ``--hex-blob``, survive and can be turned back into bytes), and split
into statements by a small quote-aware state machine: single-quoted strings (with
backslash escapes in MySQL dumps or ``E''`` strings, ``''`` everywhere), double-quoted and
backquoted identifiers, ``--`` and ``/* */`` comments and PostgreSQL dollar quotes.
NOTE: sqlparse is not used for splitting because it reads its whole input into memory.

Events, in file order:

- :class:`Statement` — one statement (without its ``;``), with the line it starts on.
  Statements longer than ``max_statement`` characters are kept only up to that length and
  flagged ``truncated``.
- :class:`CopyRow` — one data line of a ``COPY ... FROM stdin`` block (raw text).
- :class:`CopyEnd` — the ``\\.`` line closing a COPY block.

psql meta-command lines between statements (``\\restrict``, ``\\connect``, as pg_dump
15.14+ and pg_dumpall write them) are skipped.

A dump that ends inside a statement, string or COPY block raises
:class:`~auditor.errors.TargetError` naming the line where the unfinished part starts;
a corrupt compressed stream raises it with the line reached.
"""

from __future__ import annotations

import codecs
import gzip
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from auditor.errors import TargetError

__all__ = ["CopyEnd", "CopyRow", "DumpReader", "Statement", "open_dump"]

MAX_LINE = 8 << 20
_UNSAFE_END = frozenset(b"\\-/*'\"`$")  # byte values
MAX_STATEMENT = 16 << 20
_NORMAL = re.compile(r"[;'\"`]|--|/\*|#|\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$")
_SQ_BACKSLASH = re.compile(r"(?:[^'\\]|\\.|'')*+'", re.DOTALL)
_SQ_PLAIN = re.compile(r"(?:[^']|'')*+'", re.DOTALL)
_DQ = re.compile(r'(?:[^"]|"")*+"', re.DOTALL)
_BQ = re.compile(r"(?:[^`]|``)*+`", re.DOTALL)
# NOTE: fast path: one C-level match skips ordinary text and complete single-quoted
# strings (most of an INSERT line); the token loop below handles everything else.
_FAST_BACKSLASH = re.compile(r"(?:[^'\";`\-/#$]++|'(?:[^'\\]++|\\.|'')*+')*+", re.DOTALL)
_FAST_PLAIN = re.compile(r"(?:[^'\";`\-/#$]++|(?<![eE])'(?:[^']++|'')*+')*+", re.DOTALL)
_COPY = re.compile(r"^\s*COPY\s+.+\bFROM\s+stdin\b", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True, slots=True)
class Statement:
    line: int
    text: str
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class CopyRow:
    line: int
    text: str


@dataclass(frozen=True, slots=True)
class CopyEnd:
    line: int


def open_dump(path: str) -> BinaryIO:
    """Open a dump file, transparently decompressing gzip (by magic bytes)."""
    with open(path, "rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")  # NOTE: returned to the caller, who closes it


class DumpReader:
    """Split a binary dump stream into :class:`Statement` / COPY events."""

    def __init__(self, stream: BinaryIO, *, backslash_escapes: bool,
                 max_statement: int = MAX_STATEMENT) -> None:
        self._stream = stream
        self.backslash_escapes = backslash_escapes
        self.max_statement = max_statement
        self.line = 0  # last line read (1-based)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")

    def _lines(self) -> Iterator[tuple[str, bool]]:
        """(text, starts_new_line) pieces of at most MAX_LINE bytes."""
        new_line = True
        while True:
            try:
                raw = self._stream.readline(MAX_LINE)
            except (EOFError, OSError, zlib.error) as exc:
                raise TargetError(f"compressed stream is corrupt or truncated after line "
                                  f"{self.line} ({type(exc).__name__})",
                                  line=self.line) from None
            if not raw:
                return
            # NOTE: never cut a long line inside an escape or a two-character token
            # (``\\'``, ``''``, ``--``, ``/*``, ``*/``): extend the piece past them.
            while not raw.endswith(b"\n") and raw[-1] in _UNSAFE_END:
                more = self._stream.read(1)
                if not more:
                    break
                raw += more
            if new_line:
                self.line += 1
            yield self._decoder.decode(raw), new_line
            new_line = raw.endswith(b"\n")

    def events(self) -> Iterator[Statement | CopyRow | CopyEnd]:
        buf = _Buffer(self.max_statement)
        state = ""  # "" normal | "'" | "E'" | '"' | "`" | "*" block | "--" line comment | "$tag$"
        mysql = self.backslash_escapes
        fast = (_FAST_BACKSLASH if mysql else _FAST_PLAIN).match
        in_copy = False
        for text, fresh in self._lines():
            if in_copy:
                if fresh:
                    body = text.rstrip("\r\n")
                    if body == "\\.":
                        in_copy = False
                        yield CopyEnd(self.line)
                    else:
                        yield CopyRow(self.line, body)
                continue
            if fresh and not state and buf.empty and text.endswith("\n") and (
                    not text.strip() or text.lstrip().startswith(("--", "\\"))):
                continue  # blank, comment or psql meta-command (\\restrict) line
            pos = seg = 0
            end = len(text)
            while True:
                if state == "--":  # a line comment: skipped up to its newline
                    newline = text.find("\n", pos)
                    if newline < 0:
                        seg = end
                        break
                    pos = seg = newline
                    state = ""
                    continue
                if state:
                    pos, closed = self._close(state, text, pos)
                    if not closed:
                        break
                    state = ""
                    continue
                skipped = fast(text, pos)  # NOTE: always matches (possibly empty)
                if skipped is not None:
                    pos = skipped.end()
                m = _NORMAL.search(text, pos)
                if m is None:
                    break
                token = m.group()
                if token == ";":
                    buf.add(text[seg:m.start()], self.line)
                    statement = buf.take()
                    pos = seg = m.end()
                    if statement is not None:
                        yield statement
                        if _COPY.match(statement.text):
                            in_copy = True
                            seg = end
                            break
                elif token in {"--", "#"}:
                    if token == "#" and not mysql:
                        pos = m.end()
                        continue
                    buf.add(text[seg:m.start()], self.line)
                    state, pos = "--", m.end()
                else:
                    if token == "'":
                        prefix = text[m.start() - 1] if m.start() else ""
                        state = "E'" if prefix in {"e", "E"} else "'"
                    else:
                        state = "*" if token == "/*" else token
                    pos = m.end()
            buf.add(text[seg:], self.line)
        if in_copy:
            raise TargetError(f"dump ends inside a COPY block at line {self.line}: "
                              "the file is truncated", line=self.line)
        if state == "--":
            state = ""
        if state or not buf.empty:
            what = {"'": "a string", "E'": "a string", '"': "a quoted identifier",
                    "`": "a quoted identifier", "*": "a comment"}.get(
                state, "a dollar-quoted string" if state else "a statement")
            raise TargetError(f"dump ends inside {what}: the statement starting at line "
                              f"{buf.start} is unfinished at line {self.line} "
                              "(truncated or malformed)", line=buf.start)

    def _close(self, state: str, text: str, pos: int) -> tuple[int, bool]:
        """Position after the end of the current quoted part, and whether it ended."""
        if state == "*" or state.startswith("$"):
            marker = "*/" if state == "*" else state
            close = text.find(marker, pos)
            return (close + len(marker), True) if close >= 0 else (len(text), False)
        if state in {"'", "E'"}:
            pattern = _SQ_BACKSLASH if (self.backslash_escapes or state == "E'") \
                else _SQ_PLAIN
        else:
            pattern = _DQ if state == '"' else _BQ
        m = pattern.match(text, pos)
        return (m.end(), True) if m else (len(text), False)


class _Buffer:
    """The statement being assembled, bounded in size."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.size = 0
        self.start = 0
        self.truncated = False

    @property
    def empty(self) -> bool:
        return self.start == 0

    def add(self, piece: str, line: int) -> None:
        if not piece:
            return
        if self.start == 0:
            if not piece.strip():
                return
            self.start = line
        if self.size + len(piece) > self.limit:
            self.truncated = True
            piece = piece[: max(0, self.limit - self.size)]
        self.parts.append(piece)
        self.size += len(piece)

    def take(self) -> Statement | None:
        text = "".join(self.parts).strip()
        statement = Statement(self.start, text, self.truncated) if text else None
        self.parts, self.size, self.start, self.truncated = [], 0, 0, False
        return statement
