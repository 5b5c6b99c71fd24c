"""Rule packs: loading, validation errors with file and line, and every operator."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from auditor.errors import RulePackError
from auditor.models import Location, Observation
from auditor.policy.predicates import compile_predicate
from auditor.policy.rules import builtin_pack_ids, kind_matches, load_pack

HEADER = """\
schema_version: 1
pack:
  id: t
  version: "1"
  title: test pack
  parameters:
    min_bits: {default: 2048, description: minimum key size}
"""

RULE = """\
rules:
  - id: t.crypto.short-key
    title: Short key
    severity: high
    cwe: [CWE-326]
    match:
      kind: crypto.key
      where: {field: key_bits, lt: {param: min_bits}}
    message: "Key of {key_bits} bits at {location.uri}"
    remediation: Use 2048-bit keys or larger.
    references: [https://cwe.mitre.org/data/definitions/326.html]
"""


def write_pack(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "pack.yaml").write_text(header, encoding="utf-8")
    (pack / "rules.yaml").write_text("schema_version: 1\n" + textwrap.dedent(body),
                                     encoding="utf-8")
    return pack


def obs(kind: str = "crypto.key", **attrs: object) -> Observation:
    return Observation(kind, Location("k.pem", line=3), dict(attrs))  # type: ignore[arg-type]


def test_load_pack_and_match_with_parameter(tmp_path: Path) -> None:
    pack = load_pack(write_pack(tmp_path, RULE))
    rule = pack.rule("t.crypto.short-key")
    assert rule.matches(obs(key_bits=1024), pack.parameters)
    assert not rule.matches(obs(key_bits=4096), pack.parameters)
    assert not rule.matches(obs(kind="crypto.certificate", key_bits=1024), pack.parameters)
    assert rule.render_message(obs(key_bits=1024)) == "Key of 1024 bits at k.pem"
    stricter = pack.with_parameters({"min_bits": 4096})
    assert rule.matches(obs(key_bits=3072), stricter.parameters)
    assert len(pack.sha256) == 64


def test_builtin_core_pack_is_valid() -> None:
    assert "core" in builtin_pack_ids()


@pytest.mark.parametrize(("body", "line", "needle"), [
    # unknown operator, named with its line
    (RULE.replace("lt: {param: min_bits}", "smaller: 5"), 9, "exactly one operator"),
    # missing required field (no remediation)
    (RULE.replace("    remediation: Use 2048-bit keys or larger.\n", ""), 3, "remediation"),
    # bad severity
    (RULE.replace("severity: high", "severity: urgent"), 5, "urgent"),
    # catastrophic regex
    (RULE.replace("lt: {param: min_bits}", "regex: '(a+)+$'"), 9, "catastrophic"),
    # unknown parameter
    (RULE.replace("{param: min_bits}", "{param: max_bits}"), 9, "max_bits"),
    # invalid YAML
    (RULE.replace("title: Short key", "title: [unclosed"), 5, "invalid YAML"),
    # rule id outside the pack's namespace
    (RULE.replace("t.crypto.short-key", "other.crypto.short-key"), 3, "pack id"),
])
def test_invalid_pack_names_file_line_and_problem(tmp_path: Path, body: str, line: int,
                                                  needle: str) -> None:
    path = write_pack(tmp_path, body)
    with pytest.raises(RulePackError) as err:
        load_pack(path)
    message = str(err.value)
    assert "rules.yaml" in message
    assert err.value.line == line, message
    assert needle in message


def test_duplicate_rule_id_rejected(tmp_path: Path) -> None:
    body = RULE + RULE.replace("rules:\n", "")
    with pytest.raises(RulePackError, match="duplicate rule id"):
        load_pack(write_pack(tmp_path, body))


def test_missing_header_rejected(tmp_path: Path) -> None:
    with pytest.raises(RulePackError, match=r"pack\.yaml"):
        load_pack(tmp_path)


SAMPLE = obs(kind="config.setting", key="db.password", value="on", port=5432, flags=["CBC", "RC4"],
        nested={"a": {"b": 3}}, enabled=True, name="Server-01")


@pytest.mark.parametrize(("spec", "expected"), [
    ({"field": "value", "eq": "on"}, True),
    ({"field": "value", "eq": "off"}, False),
    ({"field": "enabled", "eq": True}, True),
    ({"field": "enabled", "eq": 1}, False),  # a boolean is not the number 1
    ({"field": "value", "ne": "off"}, True),
    ({"field": "missing", "ne": "x"}, True),
    ({"field": "value", "in": ["on", "yes"]}, True),
    ({"field": "value", "not_in": ["on", "yes"]}, False),
    ({"field": "flags", "in": ["RC4"]}, True),
    ({"field": "flags", "not_in": ["NULL"]}, True),
    ({"field": "name", "regex": "^server-\\d+$"}, False),
    ({"field": "name", "regex": "(?i)^server-\\d+$"}, True),
    ({"field": "port", "gt": 1024}, True),
    ({"field": "port", "ge": 5432}, True),
    ({"field": "port", "lt": 5432}, False),
    ({"field": "port", "le": 5432}, True),
    ({"field": "value", "gt": 3}, False),  # not a number: comparisons are false
    ({"field": "nested.a.b", "eq": 3}, True),
    ({"field": "flags.1", "eq": "RC4"}, True),
    ({"field": "missing", "exists": False}, True),
    ({"field": "key", "exists": True}, True),
    ({"field": "key", "contains": "pass"}, True),
    ({"field": "flags", "contains": "CBC"}, True),
    ({"field": "flags", "contains": "NULL"}, False),
    ({"field": "kind", "eq": "config.setting"}, True),
    ({"field": "location.line", "eq": 3}, True),
    ({"all": [{"field": "value", "eq": "on"}, {"field": "port", "gt": 1}]}, True),
    ({"all": [{"field": "value", "eq": "on"}, {"field": "port", "gt": 9999}]}, False),
    ({"any": [{"field": "value", "eq": "no"}, {"field": "port", "gt": 1}]}, True),
    ({"any": [{"field": "value", "eq": "no"}, {"field": "port", "gt": 9999}]}, False),
    ({"not": {"field": "value", "eq": "on"}}, False),
])
def test_operators(spec: dict[str, object], expected: bool) -> None:
    assert compile_predicate(spec)(SAMPLE, {}) is expected


def test_regex_is_time_bounded_on_huge_input() -> None:
    pred = compile_predicate({"field": "v", "regex": "^(x|y)*z$"})
    assert pred(obs(v="x" * 200_000), {}) is False


@pytest.mark.parametrize(("pattern", "kind", "expected"), [
    ("tls.*", "tls.handshake", True), ("tls.*", "tlsx.handshake", False),
    ("*", "anything", True), ("secret", "secret", True), ("secret", "secrets", False),
])
def test_kind_patterns(pattern: str, kind: str, expected: bool) -> None:
    assert kind_matches(pattern, kind) is expected


@pytest.mark.parametrize(("spec", "expected"), [
    ({"field": "enabled", "in": [1, 2]}, False),      # True is not the number 1
    ({"field": "enabled", "in": [True]}, True),
    ({"field": "port", "in": [5432.0]}, True),
    ({"field": "nested", "in": [{"a": {"b": 3}}]}, True),  # unhashable values still compare
    ({"field": "flags", "not_in": ["NULL", "EXPORT"]}, True),
    ({"field": "flags", "not_in": ["RC4"]}, False),
])
def test_membership_edge_cases(spec: dict[str, object], expected: bool) -> None:
    assert compile_predicate(spec)(SAMPLE, {}) is expected
