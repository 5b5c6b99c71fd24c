"""The unit every config parser produces: one scalar leaf with its key path and lines."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

__all__ = ["Scalar", "Setting", "scalar_type", "text_lines"]

Scalar = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class Setting:
    """One scalar value of a configuration file.

    ``path`` is the key path (mapping keys as strings, list indexes as ints); ``line`` is the
    1-based line of its key (or of the value, for list items); ``end_line`` the last line
    of the value (multi-line strings). ``document`` is the 0-based YAML document index.
    ``value_type`` is what the format says the value is (formats where every value is
    text, such as .env, INI and .properties, always say ``string``); dates and times are
    kept as ISO text with ``value_type`` ``datetime``.
    """

    path: tuple[str | int, ...]
    value: Scalar
    line: int
    end_line: int
    document: int = 0
    value_type: str = "string"
    #: the dotted key path and its last named segment, computed once
    key: str = field(init=False, compare=False)
    name: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", ".".join(str(p) for p in self.path))
        name = next((p for p in reversed(self.path) if isinstance(p, str)), "")
        object.__setattr__(self, "name", name.rsplit(".", 1)[-1])

    @classmethod
    def of(cls, path: tuple[str | int, ...], raw: object, line: int, end_line: int,
           document: int = 0) -> Setting:
        """A setting from a parsed value of any type (dates become ISO text)."""
        kind = scalar_type(raw)
        value: Scalar
        if isinstance(raw, dt.date | dt.time):
            value = raw.isoformat()
        elif raw is None or isinstance(raw, str | int | float | bool):
            value = raw
        else:
            value = str(raw)
        return cls(path, value, line, max(line, end_line), document, kind)

    @property
    def leaf(self) -> str:
        """The last key segment that is not a list index, lower-case; a key written with
        dots (``spring.datasource.password`` in .properties) ends at its last dot."""
        return self.name.lower()


def scalar_type(value: object) -> str:
    """The ``value_type`` attribute: bool, int, float, null, datetime or string."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, dt.date | dt.time):
        return "datetime"
    return "string"


def text_lines(text: str) -> list[str]:
    """Lines ended by LF, CRLF or CR - not by the other breaks ``str.splitlines`` honours
    (U+0085, U+2028, form feed), which these formats and the JSON parser treat as text."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
