"""Parsers for the typed formats: YAML (multi-document) and TOML (JSON: jsonwalk.py).

Each turns text into :class:`~scanners.config.settings.Setting` leaves with dotted key
paths and 1-based line numbers, or raises :class:`~auditor.errors.TargetError` naming the
line (never the content). YAML keeps PyYAML's composed nodes, which carry marks; TOML is
parsed by ``tomllib`` and lines are found by a lexical scan of its table headers and key
assignments.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from typing import Any

import yaml

from auditor.errors import TargetError
from auditor.nesting import NestingError, toml_nesting, yaml_nesting

from .bounds import check_values
from .settings import Setting, text_lines

__all__ = [
    "toml_settings",
    "yaml_data",
    "yaml_documents",
    "yaml_settings",
]

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STD_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in ("bool", "int", "float", "null",
                                                          "timestamp"))
_MAX_SETTINGS = 500_000  # NOTE: bounds a document that expands aliases or is just huge


def yaml_documents(text: str) -> Iterator[yaml.Node]:
    """The composed node of each YAML document, in order (empty documents skipped)."""
    try:
        yaml_nesting(text)
    except NestingError as exc:
        raise TargetError(f"invalid YAML: {exc}", line=exc.line) from None
    check_values("yaml", text)
    try:
        for node in yaml.compose_all(text, Loader=_Loader):
            empty = isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null") \
                and not node.value
            if node is not None and not empty:
                yield node
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        where = f" at line {line}" if line else ""
        raise TargetError(f"invalid YAML{where}: {exc.problem or exc.context}",
                          line=line) from None
    except yaml.YAMLError as exc:
        position = getattr(exc, "position", None)
        raise TargetError(f"invalid YAML (character offset {position}): unreadable "
                          "characters", offset=position) from None


def _scalar(node: yaml.ScalarNode, constructor: yaml.constructor.SafeConstructor) -> object:
    if node.tag in _STD_TAGS:
        try:
            return constructor.construct_object(node)
        except (yaml.YAMLError, ValueError):
            return node.value
    return node.value


def yaml_settings(root: yaml.Node, document: int = 0) -> Iterator[Setting]:
    """Scalar leaves of one composed YAML document."""
    constructor = yaml.constructor.SafeConstructor()
    seen: set[int] = set()
    count = 0
    stack: list[tuple[yaml.Node, tuple[str | int, ...], int]] = [
        (root, (), root.start_mark.line + 1)]
    while stack:
        node, path, line = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            count += 1
            if count > _MAX_SETTINGS:
                raise TargetError(f"YAML document {document + 1} has more than "
                                  f"{_MAX_SETTINGS} values", line=line)
            yield Setting.of(path, _scalar(node, constructor), line, node.end_mark.line + 1,
                             document)
            continue
        # NOTE: an alias re-uses a node already walked: report its values once, where the
        # anchor is, so "billion laughs" documents cannot explode.
        if id(node) in seen:
            continue
        seen.add(id(node))
        children: list[tuple[yaml.Node, tuple[str | int, ...], int]] = []
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
                children.append((value_node, (*path, str(key)), key_node.start_mark.line + 1))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                children.append((item, (*path, index), item.start_mark.line + 1))
        stack.extend(reversed(children))


def yaml_data(root: yaml.Node) -> Any:
    """The plain Python value of a composed document (unknown tags read as text).

    An alias yields the *same* Python object as its anchor (as PyYAML's constructor does),
    never a copy: a "billion laughs" document of a few hundred bytes stays a few hundred
    objects. A node that refers to itself (a recursive alias) reads as None where it
    recurs. Consumers must not stringify non-scalar values (see kubernetes/compose)."""
    constructor = yaml.constructor.SafeConstructor()
    built: dict[int, Any] = {}
    building: set[int] = set()

    def build(node: yaml.Node, depth: int) -> Any:
        if depth > 200:
            return None
        if isinstance(node, yaml.ScalarNode):
            return _scalar(node, constructor)
        key = id(node)
        if key in built:
            return built[key]
        if key in building:  # NOTE: a recursive alias
            return None
        building.add(key)
        value: Any = None
        if isinstance(node, yaml.SequenceNode):
            value = [build(item, depth + 1) for item in node.value]
        elif isinstance(node, yaml.MappingNode):
            value = {str(k.value) if isinstance(k, yaml.ScalarNode) else "?": build(v, depth + 1)
                     for k, v in node.value}
        building.discard(key)
        built[key] = value
        return value
    return build(root, 0)


# ---- TOML -------------------------------------------------------------------------------
_TOML_LINE_ERROR = re.compile(r"\(at line (\d+), column (\d+)\)")
_BARE = r"[A-Za-z0-9_-]+"
_BASIC = r'"(?:[^"\\]|\\.)*"'
_LITERAL = r"'[^']*'"
_KEY_PART = rf"(?:{_BARE}|{_BASIC}|{_LITERAL})"
_DOTTED = rf"{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*"
_HEADER = re.compile(rf"^\s*(\[\[?)\s*({_DOTTED})\s*\]\]?")
_ASSIGN = re.compile(rf"^\s*({_DOTTED})\s*=")
_PART = re.compile(_KEY_PART)


def _toml_key(dotted: str) -> list[str]:
    parts = []
    for match in _PART.finditer(dotted):
        token = match.group()
        if token.startswith('"'):
            parts.append(json.loads(token))
        elif token.startswith("'"):
            parts.append(token[1:-1])
        else:
            parts.append(token)
    return parts


def _toml_rest_state(line: str, depth: int) -> tuple[int, str | None]:
    """Bracket depth after ``line`` and the multi-line string left open, if any."""
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if ch == "#":
            break
        if line.startswith('"""', i) or line.startswith("'''", i):
            quote = line[i:i + 3]
            end = line.find(quote, i + 3)
            if end < 0:
                return depth, quote
            i = end + 3
            continue
        if ch == '"':
            match = re.compile(_BASIC).match(line, i)
            i = match.end() if match else n
            continue
        if ch == "'":
            end = line.find("'", i + 1)
            i = end + 1 if end >= 0 else n
            continue
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        i += 1
    return depth, None


def _toml_lines(text: str) -> dict[tuple[str | int, ...], int]:
    """Key path (with array-of-tables indexes) -> line of its header or assignment."""
    lines: dict[tuple[str | int, ...], int] = {}
    table: tuple[str | int, ...] = ()
    counters: dict[tuple[str | int, ...], int] = {}
    depth, open_string = 0, None
    for number, line in enumerate(text_lines(text), start=1):
        if open_string is not None:
            end = line.find(open_string)
            if end < 0:
                continue
            rest, open_string = line[end + 3:], None
            depth, open_string = _toml_rest_state(rest, depth)
            continue
        if depth == 0:
            header = _HEADER.match(line)
            assign = None if header else _ASSIGN.match(line)
            if header:
                parts = _toml_key(header.group(2))
                real: tuple[str | int, ...] = ()
                for part in parts[:-1]:
                    real = (*real, part)
                    if real in counters:  # an array of tables: its latest element
                        real = (*real, counters[real])
                real = (*real, parts[-1])
                if header.group(1) == "[[":
                    counters[real] = counters.get(real, -1) + 1
                    real = (*real, counters[real])
                table = real
                lines.setdefault(table, number)
                continue
            rest = line
            if assign:
                lines[(*table, *_toml_key(assign.group(1)))] = number
                rest = line[assign.end():]
            depth, open_string = _toml_rest_state(rest, depth)
            continue
        depth, open_string = _toml_rest_state(line, depth)
    return lines


def toml_settings(text: str) -> Iterator[Setting]:
    """Scalar leaves of a TOML document."""
    check_values("toml", text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_LINE_ERROR.search(str(exc))
        line = int(found.group(1)) if found else None
        problem = _TOML_LINE_ERROR.sub("", str(exc)).strip()
        where = f" at line {line}" if line else ""
        raise TargetError(f"invalid TOML{where}: {problem}", line=line) from None
    except RecursionError:
        try:
            toml_nesting(text)
        except NestingError as exc:
            raise TargetError(f"invalid TOML: {exc}", line=exc.line) from None
        raise TargetError("invalid TOML: nested too deeply to parse") from None
    lines = _toml_lines(text)

    def line_of(path: tuple[str | int, ...]) -> int:
        for size in range(len(path), 0, -1):
            found = lines.get(path[:size])
            if found is not None:
                return found
        return 1

    stack: list[tuple[tuple[str | int, ...], Any]] = [((), data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            stack.extend(reversed([((*path, k), v) for k, v in value.items()]))
        elif isinstance(value, list):
            stack.extend(reversed([((*path, i), v) for i, v in enumerate(value)]))
        else:
            line = line_of(path)
            yield Setting.of(path, value, line, line)
