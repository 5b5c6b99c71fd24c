"""Rule regexes (issue 17 item 13): patterns that a backtracking engine runs in exponential
or high-polynomial time either run on the linear-time engine with the right answer, or are
refused when the pack is loaded (file, line, rule); nothing is cut or timed out into a
silently missed finding."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import RulePackError
from auditor.policy.predicates import compile_predicate
from auditor.policy.rules import load_pack
from tests.test_rules import RULE, obs, write_pack


def _with_regex(pattern: str) -> str:
    quoted = pattern.replace("'", "''")
    return RULE.replace("lt: {param: min_bits}", f"regex: '{quoted}'")


@pytest.mark.parametrize(("pattern", "needle"), [
    (r"^(a*)\1*$", "backreference"),
    (r"a{4294967294}", "repeats 4294967294 times; at most 1000"),
    (r"(x{1001})", "repeats 1001 times"),
    (r"(?<=user=)\w+", "lookahead or lookbehind"),
    (r"^(?!admin)\w+$", "negative lookaround"),
    (r"(?>a+)b", "atomic group"),
    (r"a++b", "possessive"),
    (r"(a+)+$", "catastrophic"),
    (r"(unclosed", "invalid regex"),
])
def test_unsafe_or_unsupported_regex_is_refused_at_load(tmp_path: Path, pattern: str,
                                                         needle: str) -> None:
    with pytest.raises(RulePackError) as info:
        load_pack(write_pack(tmp_path, _with_regex(pattern)))
    assert needle in str(info.value)
    assert info.value.line == 9 and info.value.rule_id == "t.crypto.short-key"
    assert str(info.value).startswith(f"{tmp_path / 'pack' / 'rules.yaml'}:9:")


N = 200_000  # far past the old 10,000-character cap and the old 50 ms budget
ADVERSARIAL = [
    (r"^(a|a)*$", "a" * N, True),
    (r"^(a|a)*$", "a" * N + "b", False),
    (r"^(a{1,30}){1,30}$", "a" * 900, True),
    (r"^(a{1,30}){1,30}$", "a" * 901, False),
    (r"^(a{1,30}){1,30}$", "a" * N + "b", False),
    (r"^(.*a){20}$", "a" * 19 + "b" * N + "a", True),
    (r"^(.*a){20}$", "a" * 19 + "b" * N, False),
    # a match past the old input cap used to be silently missed
    (r"password\s*=", "x" * N + "password =", True),
    (r"(?i)^SERVER-\d+$", "server-42", True),
    (r"^\d+$", "0123", True),
]


@pytest.mark.parametrize(("pattern", "value", "expected"), ADVERSARIAL,
                         ids=[f"{p}-{len(v)}-{e}" for p, v, e in ADVERSARIAL])
def test_adversarial_patterns_give_the_true_answer(pattern: str, value: str,
                                                   expected: bool) -> None:
    predicate = compile_predicate({"field": "v", "regex": pattern})
    assert predicate(obs(v=value), {}) is expected
    assert predicate(obs(v=[value]), {}) is expected


def test_core_pack_regexes_all_run_on_the_linear_engine() -> None:
    from auditor.policy.loading import load_packs
    assert load_packs(())  # every built-in regex compiled through auditor.saferegex
