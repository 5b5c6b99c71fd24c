"""Personal data placed in configuration and source files: sample or seed records of
citizens in YAML/JSON fixtures, test data in string literals.

Each string value (with its key as context) goes through the PII engine
(:func:`auditor.pii.get_detector`). A configuration is full of single e-mail addresses
and phone numbers of operators and help desks, so an entity counts only as part of a
*record* of a person:

- an identity or card number (``VN_CCCD``, ``VN_CMND``, ``VN_PASSPORT``, tax, social and
  health insurance numbers, card and IBAN numbers) counts on its own;
- other entities count when the record holding them (the mapping a value sits in; for
  source code, the literals of one statement or object) names a person (``PERSON`` or
  ``DATE_OF_BIRTH``) and holds two or more entity types, e.g. a name and a phone number.
  A help desk's address and phone number, with no name, are not a person's record.

Output: one ``pii.text`` observation per (file, entity type), the same kind and attributes
the files scanner emits for text files, with ``file_kind`` ``config`` or ``source``::

    {"file_kind": "config", "entity": "VN_CCCD", "count": 3, "lines": [4, 9, 14],
     "sensitive": true, "examples": ["0792••••••21"], "keys": ["seed.citizens.0.cccd"]}

Values are never kept: examples are masked, ``subjects`` counts keyed hashes.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, field

from auditor.masking import keyed_hash, mask_entity
from auditor.models import JSONValue, Location, Observation
from auditor.pii import get_detector

__all__ = ["IDENTIFIERS", "Literal", "personal_data"]

#: identity and card numbers: one in a config file is already a person's record
IDENTIFIERS = frozenset({"VN_CCCD", "VN_CMND", "VN_PASSPORT", "VN_TAX_CODE",
                         "VN_SOCIAL_INSURANCE", "VN_HEALTH_INSURANCE", "CREDIT_CARD",
                         "IBAN_CODE"})
#: entity types that say nothing about a person on their own in a config file
_IGNORED = frozenset({"IP_ADDRESS", "PASSWORD"})
_MAX_LINES = 5
_MAX_VALUES = 20_000  # NOTE: bounds the detector's work on a huge fixture file
#: eight or more digits (spaces, dots, dashes between), not glued to letters: not a hex
#: digest or a token
_NUMBER = re.compile(r"(?<![A-Za-z0-9])\+?\d[\d .\-]{6,}\d(?![A-Za-z0-9])")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_PERSON = frozenset({"PERSON", "DATE_OF_BIRTH"})


@dataclass(frozen=True, slots=True)
class Literal:
    """One string value: where it is, the key or name it is written under (context for
    the detector), and the record it belongs to."""

    line: int
    key: str | None
    value: str = field(repr=False)
    record: Hashable


@dataclass
class _Tally:
    first_line: int
    key: str | None
    count: int = 0
    lines: list[int] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    hashes: set[str] = field(default_factory=set)
    examples: list[str] = field(default_factory=list)


def _worth_reading(value: str) -> bool:
    """Cheap gate before the PII engine: an ``@`` (e-mail), eight or more digits (identity,
    phone and card numbers, dates of birth), or several words with a capital or
    Vietnamese letter (names, addresses). Versions, ports, paths and flags are not read."""
    if len(value) < 5 or len(value) > 2000 or _UUID.match(value):
        return False
    if "@" in value or _NUMBER.search(value):
        return True
    return " " in value.strip() and any(c.isupper() or ord(c) > 127 for c in value)


def personal_data(uri: str, literals: Sequence[Literal], hash_key: bytes,
                  file_kind: str) -> Iterator[Observation]:
    """``pii.text`` observations for the records of people among ``literals``."""
    chosen = [lit for lit in literals if _worth_reading(lit.value)][:_MAX_VALUES]
    if not chosen:
        return
    detector = get_detector()
    found: list[tuple[Literal, str, str]] = []  # (literal, entity type, matched text)
    for lit in chosen:
        context = (lit.key.rsplit(".", 1)[-1],) if lit.key else ()
        for ent in detector.detect(lit.value, context=context):
            if ent.type not in _IGNORED:
                found.append((lit, ent.type, lit.value[ent.start:ent.end]))
    if not found:
        return
    types_in_record: dict[Hashable, set[str]] = {}
    for lit, kind, _ in found:
        types_in_record.setdefault(lit.record, set()).add(kind)
    tallies: dict[str, _Tally] = {}
    for lit, kind, text in found:
        types = types_in_record[lit.record]
        if kind not in IDENTIFIERS and (len(types) < 2 or not types & _PERSON):
            continue  # NOTE: a help desk's e-mail and phone number are not a person's record
        tally = tallies.setdefault(kind, _Tally(first_line=lit.line, key=lit.key))
        tally.count += 1
        if len(tally.lines) < _MAX_LINES and lit.line not in tally.lines:
            tally.lines.append(lit.line)
        if lit.key and len(tally.keys) < _MAX_LINES and lit.key not in tally.keys:
            tally.keys.append(lit.key)
        tally.hashes.add(keyed_hash(text, hash_key))
        shown = mask_entity(kind, text)
        if len(tally.examples) < 3 and shown not in tally.examples:
            tally.examples.append(shown)
    for kind in sorted(tallies):
        t = tallies[kind]
        attributes: dict[str, JSONValue] = {
            "file_kind": file_kind, "entity": kind, "count": t.count,
            "lines": list[JSONValue](t.lines), "keys": list[JSONValue](t.keys),
            "sensitive": kind in IDENTIFIERS, "examples": list[JSONValue](t.examples),
        }
        yield Observation(
            "pii.text", Location(uri, line=t.first_line, key=t.key), attributes,
            evidence={"entity": kind, "count": t.count, "examples": list(t.examples)},
            identity=f"{file_kind}|{kind}", entities=(kind,), subjects=len(t.hashes))
