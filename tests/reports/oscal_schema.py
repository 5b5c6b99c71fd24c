r"""Validation against the official OSCAL 1.0.6 assessment-results JSON schema (tests/schemas/).

The schema's patterns use \p{L} / \p{N} Unicode classes, which Python's ``re`` rejects
(FIELD-NOTES): the ``pattern`` keyword is checked with the ``regex`` module instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import regex
from jsonschema import validators

__all__ = ["SCHEMA", "oscal_validator"]

SCHEMA = "oscal-1.0.6-assessment-results-schema.json"


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    # NOTE: the OSCAL schema uses \p{L} / \p{N}, which Python's re rejects (FIELD-NOTES):
    # match patterns with the `regex` module instead.
    if isinstance(instance, str) and not regex.search(pattern, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


def oscal_validator(schemas: Path) -> Any:
    schema = json.loads((schemas / SCHEMA).read_text(encoding="utf-8"))
    cls = validators.extend(jsonschema.Draft7Validator, {"pattern": _pattern})
    return cls(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
