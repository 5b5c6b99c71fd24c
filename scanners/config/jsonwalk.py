"""JSON with line numbers: validated by the standard library, then walked by a small
position-tracking reader built on ``json.decoder.scanstring`` (the C string scanner).

JSON with comments (``tsconfig.json``, VS Code settings, ``devcontainer.json``, ``*.jsonc``)
is read too: when strict parsing fails and the text has ``//`` or ``/* */`` comments or
trailing commas, they are blanked out (newlines kept, so lines stay right) and the text is
parsed again.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Generator, Iterator
from json.decoder import scanstring  # type: ignore[attr-defined]

from auditor.errors import TargetError
from auditor.nesting import NestingError, json_nesting

from .bounds import check_values
from .settings import Setting

__all__ = ["json_settings", "strip_jsonc"]

_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?")
_LITERALS = {"true": True, "false": False, "null": None}


class _JsonWalker:
    """Walks text already validated by ``json.loads``, yielding leaves with lines."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.newlines = [m.start() for m in re.finditer("\n", text)]

    def line(self, pos: int) -> int:
        return bisect.bisect_left(self.newlines, pos) + 1

    def skip(self, pos: int) -> int:
        match = _WS.match(self.text, pos)
        return match.end() if match else pos

    def value(self, pos: int, path: tuple[str | int, ...],
              line: int) -> Generator[Setting, None, int]:
        text = self.text
        ch = text[pos]
        if ch == "{":
            pos = self.skip(pos + 1)
            if text[pos] == "}":
                return pos + 1
            while True:
                key_line = self.line(pos)
                key, pos = scanstring(text, pos + 1)
                pos = self.skip(self.skip(pos) + 1)  # the colon
                pos = yield from self.value(pos, (*path, key), key_line)
                pos = self.skip(pos)
                if text[pos] == "}":
                    return pos + 1
                pos = self.skip(pos + 1)  # the comma
        if ch == "[":
            pos = self.skip(pos + 1)
            if text[pos] == "]":
                return pos + 1
            index = 0
            while True:
                pos = yield from self.value(pos, (*path, index), self.line(pos))
                index += 1
                pos = self.skip(pos)
                if text[pos] == "]":
                    return pos + 1
                pos = self.skip(pos + 1)
        if ch == '"':
            string, end = scanstring(text, pos + 1)
            yield Setting.of(path, string, line, self.line(end))
            return int(end)
        for word, literal in _LITERALS.items():
            if text.startswith(word, pos):
                yield Setting.of(path, literal, line, line)
                return pos + len(word)
        match = _NUMBER.match(text, pos)
        if match is None:  # pragma: no cover - json.loads accepted the text
            raise TargetError(f"invalid JSON at line {self.line(pos)}", line=self.line(pos))
        number = match.group()
        parsed: object = float(number) if match.group(1) or match.group(2) else int(number)
        yield Setting.of(path, parsed, line, line)
        return match.end()


_COMMENTS = re.compile(r'"(?:[^"\\\n]|\\.)*"|//[^\n]*|/\*.*?\*/', re.DOTALL)
_TRAILING = re.compile(r'"(?:[^"\\\n]|\\.)*"|,(?=\s*[}\]])')


def _blank(match: re.Match[str]) -> str:
    token = match.group()
    return token if token.startswith('"') else re.sub(r"[^\n]", " ", token)


def strip_jsonc(text: str) -> str:
    """``text`` with comments, then trailing commas, blanked (same length, same lines)."""
    return _TRAILING.sub(_blank, _COMMENTS.sub(_blank, text))


def _parses(text: str) -> bool:
    try:
        json.loads(text)
    except json.JSONDecodeError:
        return False
    return True


def json_settings(text: str) -> Iterator[Setting]:
    """Scalar leaves of a JSON (or commented JSON) document."""
    check_values("json", text)
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        relaxed = strip_jsonc(text)
        if relaxed == text or not _parses(relaxed):
            raise TargetError(f"invalid JSON at line {exc.lineno}, column {exc.colno}: "
                              f"{exc.msg}", line=exc.lineno) from None
        text = relaxed
    except RecursionError:
        try:
            json_nesting(text)
        except NestingError as exc:
            raise TargetError(f"invalid JSON: {exc}", line=exc.line) from None
        raise TargetError("invalid JSON: nested too deeply") from None
    walker = _JsonWalker(text)
    start = walker.skip(0)
    try:
        yield from walker.value(start, (), walker.line(start))
    except RecursionError:
        raise TargetError("JSON nested too deeply to walk") from None
