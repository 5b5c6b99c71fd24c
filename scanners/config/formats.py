"""Parsers for the text-only formats (.env, INI/cfg, Java .properties, Dockerfile ENV/ARG)
and the dispatch
from a format name to its parser (YAML/TOML: structured.py, JSON: jsonwalk.py, Python
settings modules: pysettings.py).

Every parser yields :class:`~scanners.config.settings.Setting` leaves (dotted key path,
value, 1-based line) and raises :class:`~auditor.errors.TargetError` with the line for a
file it cannot read. A malformed *line* in a forgiving format (.env) is a
:class:`~auditor.models.Problem`, and the rest of the file is still read.
"""

from __future__ import annotations

import configparser
import io
import re
import shlex
from collections.abc import Iterator

from dotenv.parser import parse_stream

from auditor.errors import TargetError
from auditor.models import Problem

from .jsonwalk import json_settings
from .pysettings import python_settings
from .settings import Setting, text_lines
from .structured import toml_settings, yaml_documents, yaml_settings

__all__ = ["FORMATS", "dockerfile_settings", "env_settings", "ini_settings", "parse",
           "properties_settings"]

#: formats this package reads (the Target ``kind`` values the scanner claims)
FORMATS = ("yaml", "kubernetes", "compose", "json", "toml", "ini", "env", "properties",
           "python", "dockerfile")


def env_settings(text: str) -> Iterator[Setting | Problem]:
    """``KEY=value`` lines (python-dotenv's parser: quotes, ``export``, multi-line values)."""
    for binding in parse_stream(io.StringIO(text)):
        raw = binding.original.string
        # NOTE: dotenv folds the blank lines before a binding into it; count from the
        # first line that has content
        stripped = raw.lstrip("\n\r\t ")
        line = binding.original.line + raw[:len(raw) - len(stripped)].count("\n")
        if binding.error:
            yield Problem(f"line {line}: not a KEY=VALUE assignment; line skipped")
            continue
        if binding.key is None:
            continue
        end = line + stripped.rstrip("\n").count("\n")
        yield Setting(path=(binding.key,), value=binding.value, line=line, end_line=end,
                      value_type="string" if binding.value is not None else "null")


# ---- INI ---------------------------------------------------------------------------------
_SECTION = re.compile(r"\[(?P<header>.+)\]")
_OPTION = re.compile(r"(?P<option>.*?)\s*[=:]\s*(?P<value>.*)$")
_ROOT = "\x00root"  # NOTE: keys before the first section header have no section prefix


def _ini_lines(text: str) -> dict[tuple[str, str], tuple[int, int]]:
    """(section, option) -> (first line, last line), mirroring configparser's rules."""
    spans: dict[tuple[str, str], tuple[int, int]] = {}
    section, option, indent = _ROOT, None, 0
    for number, raw in enumerate(text_lines(text), start=1):
        stripped = raw.strip()
        if not stripped or stripped[0] in "#;":
            if not stripped:
                option = None
            continue
        current = len(raw) - len(raw.lstrip())
        if option is not None and current > indent:
            first, _ = spans[(section, option)]
            spans[(section, option)] = (first, number)
            continue
        header = _SECTION.match(stripped)
        if header:
            section, option = header.group("header"), None
            continue
        match = _OPTION.match(stripped)
        name = match.group("option").strip() if match else stripped
        option, indent = name, current
        spans[(section, option)] = (number, number)
    return spans


def ini_settings(text: str) -> Iterator[Setting]:
    """INI / ``.cfg`` files read by ``configparser`` (no interpolation, case kept)."""
    parser = configparser.ConfigParser(
        interpolation=None, strict=False, allow_no_value=True, default_section="\x00default",
        comment_prefixes=("#", ";"), inline_comment_prefixes=None,
        empty_lines_in_values=False,
    )
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(f"[{_ROOT}]\n{text}")
    except configparser.ParsingError as exc:
        line = exc.errors[0][0] - 1 if exc.errors else None
        raise TargetError(f"invalid INI at line {line}: not a section header or "
                          "key = value option", line=line) from None
    except configparser.Error as exc:
        line = getattr(exc, "lineno", None)
        line = line - 1 if isinstance(line, int) else None
        raise TargetError(f"invalid INI at line {line}: {type(exc).__name__}",
                          line=line) from None
    except AttributeError:
        # NOTE: found by the fuzzing suite: configparser (allow_no_value) crashes on an
        # indented line after a key without a value
        line = _continued_bare_key(text)
        raise TargetError(f"invalid INI at line {line}: an indented continuation line "
                          "follows a key without a value", line=line) from None
    spans = _ini_lines(text)
    for section in parser.sections():
        for option, value in parser.items(section, raw=True):
            first, last = spans.get((section, option), (1, 1))
            path = (option,) if section == _ROOT else (section, option)
            yield Setting(path=path, value=value, line=first, end_line=last,
                          value_type="string" if value is not None else "null")


def _continued_bare_key(text: str) -> int | None:
    """The 1-based line of the first indented line that follows a key without a value."""
    bare = False
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if line[0] in " \t" and bare:
            return number
        bare = not line[0].isspace() and not stripped.startswith("[") and \
            "=" not in stripped and ":" not in stripped
    return None


# ---- Java .properties --------------------------------------------------------------------
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}
_KEY_END = re.compile(r"(?<!\\)(?:\\\\)*(\s*[=:]\s*|\s+)")
_UNICODE = re.compile(r"\\u([0-9a-fA-F]{4})|\\(.)")


def _unescape(text: str) -> str:
    def repl(match: re.Match[str]) -> str:
        if match.group(1):
            return chr(int(match.group(1), 16))
        return _ESCAPES.get(match.group(2), match.group(2))
    return _UNICODE.sub(repl, text)


def _logical_lines(text: str) -> Iterator[tuple[int, int, str]]:
    """(first line, last line, logical line) with backslash continuations joined."""
    pending: list[str] = []
    first = 0
    for number, raw in enumerate(text_lines(text), start=1):
        line = raw.lstrip() if pending else raw
        if not pending:
            stripped = line.lstrip()
            if not stripped or stripped[0] in "#!":
                continue
            first = number
        trailing = len(line) - len(line.rstrip("\\"))
        if trailing % 2 == 1:
            pending.append(line[:-1])
            continue
        pending.append(line)
        yield first, number, "".join(pending)
        pending = []
    if pending:
        yield first, first + len(pending) - 1, "".join(pending)


def properties_settings(text: str) -> Iterator[Setting]:
    """Java ``.properties``: ``key=value``, ``key: value`` or ``key value`` logical lines."""
    for first, last, line in _logical_lines(text):
        stripped = line.lstrip()
        end = _KEY_END.search(stripped)
        if end is None:
            key, value = stripped, ""
        else:
            key, value = stripped[:end.start(1)], stripped[end.end():]
        yield Setting(path=(_unescape(key),), value=_unescape(value), line=first, end_line=last)


# ---- Dockerfile ENV / ARG ---------------------------------------------------------------
_INSTRUCTION = re.compile(r"^\s*(ENV|ARG)\s+(.*)$", re.IGNORECASE | re.DOTALL)


def dockerfile_settings(text: str) -> Iterator[Setting | Problem]:
    """``ENV`` and ``ARG`` values of a Dockerfile (keys ``ENV.NAME``, ``ARG.NAME``): they
    end up in the image and its history, so a literal secret there is shipped with it."""
    pending: list[str] = []
    first = 0
    for number, raw in enumerate(text_lines(text), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if not pending:
            first = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1])
            continue
        pending.append(stripped)
        logical, pending = " ".join(pending), []
        match = _INSTRUCTION.match(logical)
        if match is None:
            continue
        instruction, rest = match.group(1).upper(), match.group(2).strip()
        try:
            words = shlex.split(rest, comments=False, posix=True)
        except ValueError:
            yield Problem(f"line {first}: unbalanced quotes in {instruction}; line skipped")
            continue
        pairs: list[tuple[str, str | None]]
        if instruction == "ENV" and words and "=" not in words[0]:
            pairs = [(words[0], " ".join(words[1:]))]  # legacy form: ENV KEY value
        else:
            pairs = [(w.partition("=")[0], w.partition("=")[2] if "=" in w else None)
                     for w in words]
        for name, value in pairs:
            if name:
                yield Setting(path=(instruction, name), value=value, line=first,
                              end_line=number,
                              value_type="string" if value is not None else "null")


def parse(kind: str, text: str) -> Iterator[Setting | Problem]:
    """Settings of ``text`` read as format ``kind`` (one of :data:`FORMATS`)."""
    if kind in {"yaml", "kubernetes", "compose"}:
        for index, node in enumerate(yaml_documents(text)):
            yield from yaml_settings(node, index)
    elif kind == "json":
        yield from json_settings(text)
    elif kind == "toml":
        yield from toml_settings(text)
    elif kind == "ini":
        yield from ini_settings(text)
    elif kind == "env":
        yield from env_settings(text)
    elif kind == "properties":
        yield from properties_settings(text)
    elif kind == "python":
        yield from python_settings(text)
    elif kind == "dockerfile":
        yield from dockerfile_settings(text)
    else:
        raise TargetError(f"unsupported config format {kind!r}")
