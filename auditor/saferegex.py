"""Rule regexes on a linear-time engine (Google RE2), checked when the pack is loaded.

A backtracking engine (``re``, ``regex``) can take exponential or high-polynomial time on
patterns such as ``^(a|a)*$``, ``^(a{1,30}){1,30}$`` or ``^(.*a){20}$``; no static guard
catches them all, and a time limit turns a slow match into a silently missed finding.
RE2 runs every pattern it accepts in time linear in the input, so rule regexes need no
timeout and no input cap.

What RE2 cannot express is refused at load time (the pack error names file, line and
rule): backreferences (``\\1``), lookaround (``(?=...)``, ``(?<!...)``), possessive and
atomic groups, and repetition counts above 1,000 (``a{4294967294}`` would otherwise be read
by RE2 as literal text). Patterns are first parsed with Python's own syntax, so a pattern
means what it would mean to a Python user; nested unbounded repetition such as ``(a+)+``
is still refused, as before, for patterns that are portable to backtracking engines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import re2

__all__ = ["MAX_REPEAT", "SafeRegex", "UnsafeRegexError", "compile_safe"]

#: the largest {m,n} count RE2 accepts, and the largest a rule may use
MAX_REPEAT = 1000
_REPEATS = {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}
_UNSUPPORTED = {
    "GROUPREF": "a backreference", "GROUPREF_EXISTS": "a conditional group",
    "ASSERT": "a lookahead or lookbehind", "ASSERT_NOT": "a negative lookaround",
    "ATOMIC_GROUP": "an atomic group", "POSSESSIVE_REPEAT": "a possessive quantifier",
}
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # NOTE: RE2 logs parse errors to stderr; ours are raised


class UnsafeRegexError(ValueError):
    """The pattern is invalid or cannot run on the linear-time engine."""


def _walk(parsed: Any) -> Any:
    """Every (op, arg) of an sre parse tree, without recursion."""
    stack = [parsed]
    while stack:
        for op, arg in stack.pop():
            yield str(op), arg
            name = str(op)
            if name in _REPEATS:
                stack.append(arg[2])
            elif name == "SUBPATTERN":
                stack.append(arg[-1])
            elif name == "BRANCH":
                stack.extend(arg[1])
            elif name in {"ASSERT", "ASSERT_NOT"}:
                stack.append(arg[1])
            elif name == "ATOMIC_GROUP":
                stack.append(arg)
            elif name == "GROUPREF_EXISTS":
                stack.extend(a for a in arg[1:] if a is not None)


def _star_height(parsed: Any) -> int:
    """Nesting depth of unbounded repetition in a parsed pattern (sre parser output)."""
    best = 0
    for op, arg in parsed:
        name = str(op)
        if name in _REPEATS:
            _low, high, sub = arg
            inner = _star_height(sub)
            unbounded = high == re._constants.MAXREPEAT  # type: ignore[attr-defined]
            nonempty = any(str(o) not in {"AT", "ASSERT", "ASSERT_NOT"} for o, _ in sub)
            best = max(best, inner + (1 if unbounded and nonempty else 0))
        elif name == "SUBPATTERN":
            best = max(best, _star_height(arg[-1]))
        elif name == "BRANCH":
            for alt in arg[1]:
                best = max(best, _star_height(alt))
    return best


def check_pattern(pattern: str) -> None:
    """Raise :class:`UnsafeRegexError` (with the reason) unless ``pattern`` is valid Python
    regex syntax that RE2 runs with the same meaning."""
    try:
        parsed = re._parser.parse(pattern)  # type: ignore[attr-defined]
    except (re.error, OverflowError, RecursionError) as exc:
        raise UnsafeRegexError(f"invalid regex {pattern!r}: {exc}") from None
    for name, arg in _walk(parsed):
        if name in _UNSUPPORTED:
            raise UnsafeRegexError(f"regex {pattern!r} uses {_UNSUPPORTED[name]}, which the "
                                "linear-time engine for rules does not support")
        if name in _REPEATS:
            low, high = arg[0], arg[1]
            top = low if high == re._constants.MAXREPEAT else high  # type: ignore[attr-defined]
            if top > MAX_REPEAT:
                raise UnsafeRegexError(f"regex {pattern!r} repeats {top} times; at most "
                                    f"{MAX_REPEAT} is allowed")
    if _star_height(parsed) >= 2:
        raise UnsafeRegexError(f"regex {pattern!r} nests unbounded quantifiers and can "
                            "backtrack catastrophically; rewrite it without nested "
                            "repetition")


@dataclass(frozen=True, slots=True)
class SafeRegex:
    """A compiled rule regex: :meth:`search` runs in linear time on any input."""

    pattern: str
    compiled: Any

    def search(self, text: str) -> bool:
        return self.compiled.search(text) is not None


def compile_safe(pattern: str) -> SafeRegex:
    """Check and compile ``pattern`` for RE2, or raise :class:`UnsafeRegexError`."""
    check_pattern(pattern)
    try:
        compiled = re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and \
            isinstance(exc.args[0], bytes) else str(exc)
        raise UnsafeRegexError(f"regex {pattern!r} is not supported by the linear-time "
                            f"engine for rules: {reason}") from None
    return SafeRegex(pattern, compiled)
