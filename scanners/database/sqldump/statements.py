"""Parsing of the dump statements that matter: tables, rows, roles and grants.

``CREATE TABLE`` and ``GRANT`` are parsed with sqlparse (grouped statements);
``INSERT ... VALUES`` rows are read lazily from sqlparse's lexer (token stream, no
grouping, so a 1 MB extended insert costs only the rows actually taken); ``COPY`` data
lines are unescaped per the PostgreSQL text format. Roles and users
(``CREATE/ALTER ROLE|USER ... PASSWORD '...'``, MySQL ``IDENTIFIED BY`` / ``AS``,
``SET PASSWORD``) are matched by patterns; only the password's *format* leaves this
module's callers (see :mod:`auditor.scanners.database.sqldump.scanner`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlparse
from sqlparse import tokens
from sqlparse.sql import Identifier, Parenthesis

__all__ = ["GrantStmt", "RoleStmt", "copy_header", "copy_values", "create_table",
           "insert_rows", "parse_grant", "parse_role", "statement_kind", "unquote"]

_KIND = re.compile(
    r"^\s*(?:/\*.*?\*/\s*)*(CREATE\s+(?:TEMPORARY\s+|UNLOGGED\s+)?TABLE|INSERT\s+(?:IGNORE\s+)?"
    r"INTO|REPLACE\s+INTO|COPY|CREATE\s+ROLE|ALTER\s+ROLE|CREATE\s+USER|ALTER\s+USER|"
    r"SET\s+PASSWORD|GRANT|USE|SET)\b", re.IGNORECASE | re.DOTALL)
_CONSTRAINT = re.compile(r"^(?:PRIMARY|UNIQUE|KEY|INDEX|CONSTRAINT|FOREIGN|CHECK|FULLTEXT|"
                         r"SPATIAL|EXCLUDE|LIKE|PERIOD)\b", re.IGNORECASE)
_ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}
_BACKSLASH = re.compile(r"\\(.)", re.DOTALL)
_COPY_HEAD = re.compile(r"^\s*COPY\s+(?P<table>\S+?)\s*(?:\((?P<cols>[^)]*)\))?\s+FROM\s+stdin",
                        re.IGNORECASE | re.DOTALL)
_COPY_ESC = re.compile(r"\\(?:([0-7]{1,3})|x([0-9A-Fa-f]{1,2})|(.))")
_INSERT_HEAD = re.compile(
    r"^\s*(?:INSERT\s+(?:IGNORE\s+)?|REPLACE\s+)INTO\s+(?P<table>(?:`[^`]+`|\"[^\"]+\"|"
    r"[^\s(`\"]+)(?:\.(?:`[^`]+`|\"[^\"]+\"|[^\s(`\"]+))?)\s*(?:\((?P<cols>[^)]*)\))?\s*"
    r"VALUES\b", re.IGNORECASE | re.DOTALL)


def statement_kind(text: str) -> str:
    """Upper-cased leading keywords (``CREATE TABLE``, ``INSERT INTO``...) or ``""``."""
    m = _KIND.match(text)
    return " ".join(m.group(1).upper().split()) if m else ""


def unquote(name: str) -> str:
    name = name.strip()
    if len(name) >= 2 and name[0] == name[-1] and name[0] in "`\"":
        return name[1:-1].replace(name[0] * 2, name[0])
    return name


def _split_name(name: str) -> tuple[str | None, str]:
    parts = re.findall(r'`[^`]+`|"[^"]+"|[^.]+', name.strip())
    parts = [unquote(p) for p in parts]
    if len(parts) >= 2:
        return parts[-2], parts[-1]
    return None, parts[0] if parts else name


def _split_top(text: str) -> list[str]:
    """Split on commas outside parentheses and quotes."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for m in _TOKENS_BACKSLASH.finditer(text):
        kind, value = m.lastgroup, m.group()
        if kind == "punct" and value == "(":
            depth += 1
        elif kind == "punct" and value == ")":
            depth -= 1
        if depth == 0 and kind == "punct" and value == ",":
            parts.append("".join(current))
            current = []
            continue
        current.append(value)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def create_table(text: str) -> tuple[str | None, str, list[tuple[str, str]]] | None:
    """``(schema, table, [(column, type)])`` of a CREATE TABLE statement."""
    statement = sqlparse.parse(text)[0]
    name: str | None = None
    body: Parenthesis | None = None
    for token in statement.tokens:
        if isinstance(token, Identifier) and name is None:
            inner = [t for t in token.tokens if isinstance(t, Parenthesis)]
            name = token.value.split("(", 1)[0].strip()
            if inner:
                body = inner[0]
                break
        elif isinstance(token, Parenthesis) and name is not None:
            body = token
            break
        elif token.ttype is tokens.Name and name is None:
            name = token.value
    if name is None or body is None:
        return None
    if name.upper() in {"IF", "NOT", "EXISTS"}:
        return None
    columns = []
    for part in _split_top(body.value[1:-1]):
        if _CONSTRAINT.match(part):
            continue
        m = re.match(r'^(`[^`]+`|"[^"]+"|\S+)\s*(.*)$', part, re.DOTALL)
        if not m:
            continue
        type_words = re.split(r"\s+(?:NOT|NULL|DEFAULT|PRIMARY|UNIQUE|REFERENCES|CHECK|"
                              r"COLLATE|CHARACTER|GENERATED|AUTO_INCREMENT|COMMENT|"
                              r"CONSTRAINT)\b", m.group(2), maxsplit=1, flags=re.I)
        columns.append((unquote(m.group(1)), type_words[0].strip()))
    schema, table = _split_name(re.sub(r"(?i)^\s*IF\s+NOT\s+EXISTS\s+", "", name))
    return schema, table, columns


def _unescape(literal: str, backslash: bool) -> str:
    body = literal[1:-1]
    if literal[:1] in {"e", "E"}:
        body, backslash = literal[2:-1], True
    body = body.replace("''", "'")
    if backslash and "\\" in body:
        body = _BACKSLASH.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), body)
    return body


def insert_rows(text: str, *, backslash: bool
                ) -> tuple[str | None, str, list[str] | None, Iterator[list[Any]]] | None:
    """``(schema, table, columns or None, rows)`` of an INSERT; rows are produced lazily.
    Values: str, None, or bytes (hex literals ``0x..``)."""
    m = _INSERT_HEAD.match(text)
    if not m:
        return None
    schema, table = _split_name(m.group("table"))
    cols = [unquote(c) for c in m.group("cols").split(",")] if m.group("cols") else None
    return schema, table, cols, _rows(text[m.end():], backslash)


_VALUE_TOKEN = r"""
    (?P<ws>\s+)
  | (?P<estr>[eE]'(?:[^'\\]|\\.|'')*+')
  | (?P<str>{sq})
  | (?P<dq>"(?:[^"\\]|\\.|"")*+")
  | (?P<hex>0x[0-9A-Fa-f]*|[xX]'[0-9A-Fa-f]*')
  | (?P<num>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<punct>[(),])
  | (?P<word>[A-Za-z_][A-Za-z_0-9$]*)
  | (?P<other>::|.)
"""
_TOKENS_BACKSLASH = re.compile(_VALUE_TOKEN.format(sq=r"'(?:[^'\\]|\\.|'')*+'"),
                               re.VERBOSE | re.DOTALL)
_TOKENS_PLAIN = re.compile(_VALUE_TOKEN.format(sq=r"'(?:[^']|'')*+'"), re.VERBOSE | re.DOTALL)


def _rows(values: str, backslash: bool) -> Iterator[list[Any]]:
    """Rows of a VALUES list. NOTE: a dedicated tokenizer, because sqlparse's lexer always
    treats ``\\'`` as an escape, which is wrong for PostgreSQL's standard strings."""
    tokens = _TOKENS_BACKSLASH if backslash else _TOKENS_PLAIN
    depth = 0
    row: list[Any] = []
    current: Any = _EMPTY
    raw: list[str] = []
    for m in tokens.finditer(values):
        kind, value = m.lastgroup, m.group()
        if kind == "ws":
            continue
        if depth >= 2:  # inside a function call: keep its text
            raw.append(value)
            if value in {"(", ")"} and kind == "punct":
                depth += 1 if value == "(" else -1
                if depth == 1:
                    current = "".join(raw)
            continue
        if kind == "punct":
            if value == "(":
                depth += 1
                if depth == 2:
                    raw = [current if isinstance(current, str) else "", value]
                else:
                    row, current = [], _EMPTY
            elif depth == 1:
                row.append(None if current is _EMPTY else current)
                current = _EMPTY
                if value == ")":
                    depth = 0
                    yield row
            continue
        if depth != 1:
            continue
        if kind == "str":
            current = _unescape(value, backslash)
        elif kind == "estr":
            current = _unescape(value, True)
        elif kind == "dq":
            current = _unescape("'" + value[1:-1].replace('""', '"') + "'", backslash)
        elif kind == "hex":
            digits = value[2:] if value[:2].lower() == "0x" else value[2:-1]
            current = bytes.fromhex(digits if len(digits) % 2 == 0 else "0" + digits)
        elif kind == "num":
            current = value
        elif kind == "word":
            upper = value.upper()
            if upper == "NULL":
                current = None
            elif upper in {"TRUE", "FALSE"}:
                current = value.lower()
            elif not value.startswith("_") and current is _EMPTY:
                current = value  # a bare word or a function name (its call follows)
        # other tokens (``::type`` casts, operators) do not change the value


_EMPTY = object()


def copy_header(text: str) -> tuple[str | None, str, list[str] | None] | None:
    m = _COPY_HEAD.match(text)
    if not m:
        return None
    schema, table = _split_name(m.group("table"))
    cols = [unquote(c) for c in m.group("cols").split(",")] if m.group("cols") else None
    return schema, table, cols


def _copy_unescape(field: str) -> str:
    def repl(m: re.Match[str]) -> str:
        if m.group(1):
            return chr(int(m.group(1), 8))
        if m.group(2):
            return chr(int(m.group(2), 16))
        ch = m.group(3)
        return _ESCAPES.get(ch, "\v" if ch == "v" else "\f" if ch == "f" else ch)
    return _COPY_ESC.sub(repl, field) if "\\" in field else field


def copy_values(line: str) -> list[str | None]:
    """Fields of one COPY text-format line (``\\N`` is NULL)."""
    return [None if f == "\\N" else _copy_unescape(f) for f in line.split("\t")]


@dataclass(frozen=True, slots=True)
class RoleStmt:
    name: str
    host: str | None
    password: str | None  # never stored in an observation, only its format
    plugin: str | None
    superuser: bool | None
    login: bool | None


_PG_ROLE = re.compile(r"^\s*(?:CREATE|ALTER)\s+(?:ROLE|USER)\s+(?P<name>\"[^\"]+\"|\S+)"
                      r"(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
_MY_USER = re.compile(
    r"^\s*(?:CREATE|ALTER)\s+USER\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<user>'(?:[^'\\]|\\.|'')*'|"
    r"`[^`]*`|[^\s@]+)@(?P<host>'(?:[^'\\]|\\.|'')*'|`[^`]*`|\S+)(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL)
_SET_PASSWORD = re.compile(
    r"^\s*SET\s+PASSWORD\s+FOR\s+(?P<user>'[^']*'|`[^`]*`|[^\s@]+)@(?P<host>'[^']*'|`[^`]*`|"
    r"\S+)\s*=\s*(?:PASSWORD\s*\(\s*(?P<plain>'(?:[^'\\]|\\.|'')*')\s*\)|"
    r"(?P<hash>'(?:[^'\\]|\\.|'')*'))", re.IGNORECASE | re.DOTALL)
_PASSWORD_LIT = r"('(?:[^'\\]|\\.|'')*')"


def _lit(value: str | None, backslash: bool) -> str | None:
    return _unescape(value, backslash) if value else None


def parse_role(text: str, *, backslash: bool) -> RoleStmt | None:
    """A role or user definition with its password (if any)."""
    m = _SET_PASSWORD.match(text)
    if m:
        return RoleStmt(_unq(m.group("user")), _unq(m.group("host")),
                        _lit(m.group("plain") or m.group("hash"), backslash),
                        None if m.group("plain") else "hash", None, None)
    m = _MY_USER.match(text)
    if m:
        rest = m.group("rest")
        plugin = re.search(r"IDENTIFIED\s+(?:VIA|WITH)\s+['`\"]?(\w+)", rest, re.I)
        by = re.search(r"IDENTIFIED\s+(?:(?:VIA|WITH)\s+\S+\s+)?BY\s+" + _PASSWORD_LIT, rest,
                       re.I)
        stored = re.search(r"IDENTIFIED\s+(?:BY\s+PASSWORD|(?:VIA|WITH)\s+\S+\s+(?:AS|USING))"
                           r"\s+" + _PASSWORD_LIT, rest, re.I)
        password = _lit(by.group(1), backslash) if by else None
        kind = plugin.group(1).lower() if plugin else None
        if stored:
            password, kind = _lit(stored.group(1), backslash), kind or "hash"
        return RoleStmt(_unq(m.group("user")), _unq(m.group("host")), password, kind,
                        None, None)
    m = _PG_ROLE.match(text)
    if m:
        rest = m.group("rest")
        pw = re.search(r"\bPASSWORD\s+" + _PASSWORD_LIT, rest, re.I)
        words = {w.upper() for w in re.findall(r"\b[A-Z]+\b", re.sub(_PASSWORD_LIT, "", rest),
                                                re.I)}
        superuser = True if "SUPERUSER" in words else False if "NOSUPERUSER" in words else None
        login = True if "LOGIN" in words else False if "NOLOGIN" in words else None
        return RoleStmt(unquote(m.group("name")), None, _lit(pw.group(1), False) if pw else None,
                        None, superuser, login)
    return None


def _unq(text: str) -> str:
    text = text.strip()
    if text[:1] == "'" and text[-1:] == "'":
        return text[1:-1].replace("''", "'")
    return unquote(text)


@dataclass(frozen=True, slots=True)
class GrantStmt:
    privileges: tuple[str, ...]
    object_type: str  # table | schema | database | global | other
    objects: tuple[str, ...]
    grantees: tuple[str, ...]
    with_grant_option: bool


_GRANT = re.compile(r"^\s*GRANT\s+(?P<privs>.+?)\s+ON\s+(?P<obj>.+?)\s+TO\s+(?P<to>.+?)"
                    r"(?P<opt>\s+WITH\s+GRANT\s+OPTION)?\s*(?:IDENTIFIED\b.*)?$",
                    re.IGNORECASE | re.DOTALL)


def parse_grant(text: str) -> GrantStmt | None:
    """A GRANT of privileges on objects (role-membership grants return None)."""
    m = _GRANT.match(" ".join(text.split()))
    if not m:
        return None
    privs = tuple(sorted({"ALL" if p.strip().upper() in {"ALL", "ALL PRIVILEGES"}
                          else " ".join(p.split()).upper()
                          for p in _split_top(m.group("privs"))}))
    obj = " ".join(m.group("obj").split())
    kind_m = re.match(r"(?i)^(TABLE|SCHEMA|DATABASE|SEQUENCE|FUNCTION|PROCEDURE|ALL\s+TABLES"
                      r"\s+IN\s+SCHEMA)\s+(.*)$", obj)
    objects: tuple[str, ...]
    if obj == "*.*":
        object_type, objects = "global", ("*.*",)
    elif kind_m:
        word = kind_m.group(1).upper()
        object_type = "schema" if word.startswith("ALL") or word == "SCHEMA" else \
            "table" if word == "TABLE" else word.lower()
        objects = tuple(".".join(unquote(p) for p in re.findall(r'`[^`]+`|"[^"]+"|[^.,\s]+',
                                                                 o)) for o in
                        _split_top(kind_m.group(2)))
    elif obj.endswith(".*"):
        object_type, objects = "database", (unquote(obj[:-2]) + ".*",)
    else:
        object_type = "table"
        objects = tuple(".".join(unquote(p) for p in re.findall(r'`[^`]+`|"[^"]+"|[^.,\s]+', o))
                        for o in _split_top(obj))
    grantees = tuple("PUBLIC" if g.strip().upper() == "PUBLIC" else
                     "@".join(_unq(p) for p in g.strip().split("@", 1))
                     for g in _split_top(m.group("to")))
    return GrantStmt(privs, object_type, objects, grantees, bool(m.group("opt")))
