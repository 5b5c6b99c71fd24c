"""Names are data: make any text that came from scanned input safe to encode.

File names on POSIX are bytes (Python decodes undecodable ones with ``surrogateescape``:
byte ``0xff`` becomes ``\\udcff``); JSON may hold lone surrogates (``"\\ud800"``); dumps
carry identifiers in any encoding. Such text cannot be encoded as UTF-8, so it would crash
hashing, report writing or the terminal. :func:`escape_name` turns every lone surrogate into
a visible backslash escape — ``\\xff`` for an undecodable byte, ``\\ud800`` for a lone
surrogate — and leaves every other character alone, so valid names are unchanged and
fingerprints of existing findings stay the same.

NOTE: the escape is for display and identity, not reversible: a name that literally
contains the four characters ``\\xff`` and one holding the byte ``0xff`` look the same.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, TypeVar

from auditor.models import JSONValue, Location, Observation, Problem

__all__ = ["clean_observation", "clean_problem", "escape_json", "escape_name"]

_T = TypeVar("_T")


def _escape_char(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # NOTE: surrogateescape's encoding of byte code-0xdc00
        return f"\\x{code - 0xDC00:02x}"
    if 0xD800 <= code <= 0xDFFF:
        return f"\\u{code:04x}"
    return ch


def escape_name(text: str) -> str:
    """``text`` with lone surrogates replaced by backslash escapes (always UTF-8-safe)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join(_escape_char(ch) for ch in text)
    return text


def escape_json(value: _T) -> _T:
    """:func:`escape_name` applied to every string (keys too) inside a JSON-like value."""
    if isinstance(value, str):
        return escape_name(value)  # type: ignore[return-value]
    if isinstance(value, dict):
        return {escape_json(k): escape_json(v) for k, v in value.items()}  # type: ignore[return-value]
    if isinstance(value, (list, tuple)):
        return type(value)(escape_json(v) for v in value)
    return value


def _optional(text: str | None) -> str | None:
    return escape_name(text) if text is not None else None


def _clean_location(loc: Location) -> Location:
    fields = (loc.uri, loc.key, loc.table, loc.column, loc.flow)
    cleaned = (escape_name(loc.uri), _optional(loc.key), _optional(loc.table),
               _optional(loc.column), _optional(loc.flow))
    if cleaned == fields:
        return loc
    return replace(loc, uri=cleaned[0], key=cleaned[1], table=cleaned[2],
                   column=cleaned[3], flow=cleaned[4])


def _needs_cleaning(value: Any) -> bool:
    try:
        _encode(value)
    except UnicodeEncodeError:
        return True
    return False


def _encode(value: Any) -> None:
    if isinstance(value, str):
        value.encode("utf-8")
    elif isinstance(value, dict):
        for k, v in value.items():
            _encode(k)
            _encode(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _encode(v)


def clean_observation(obs: Observation) -> Observation:
    """The observation with every name in its location, attributes, evidence and
    identity escaped; the same object when nothing needed escaping (the usual case)."""
    location = _clean_location(obs.location)
    attributes: dict[str, JSONValue] = (escape_json(obs.attributes)
                                        if _needs_cleaning(obs.attributes) else obs.attributes)
    evidence: dict[str, JSONValue] = (escape_json(obs.evidence)
                                      if _needs_cleaning(obs.evidence) else obs.evidence)
    identity = escape_name(obs.identity)
    entities = tuple(escape_name(e) for e in obs.entities)
    if (location is obs.location and attributes is obs.attributes
            and evidence is obs.evidence and identity == obs.identity
            and entities == obs.entities):
        return obs
    return replace(obs, location=location, attributes=attributes, evidence=evidence,
                   identity=identity, entities=entities)


def clean_problem(problem: Problem) -> Problem:
    location = _clean_location(problem.location) if problem.location else None
    message = escape_name(problem.message)
    if location is problem.location and message == problem.message:
        return problem
    return replace(problem, message=message, location=location)
