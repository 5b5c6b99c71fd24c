"""Suppression files: justified, approved, expiring exceptions to findings.

A suppression file (``auditor scan --suppressions FILE``) is YAML::

    schema_version: 1
    suppressions:
      - rule: core.config.debug-enabled     # rule id, ``*`` globs allowed
        path: "staging/*"                    # glob on location.uri
        reason: Staging only, not reachable from the internet
        approved_by: Tran Thi B (CISO)
        expires: 2026-12-31                  # last day the entry applies
      - fingerprint: 3f9a0c...               # one exact finding
        reason: Test fixture with synthetic data
        approved_by: a.nguyen
        expires: 2027-03-31
      - table: "public.legacy_*"             # glob on location.table
        rule: "core.pii.*"
        reason: Table scheduled for deletion (ticket SEC-42)
        approved_by: a.nguyen
        expires: 2026-06-30

Each entry needs at least one matcher (``fingerprint``, ``rule``, ``path``, ``table``) and
all present matchers must match. ``reason``, ``approved_by`` and ``expires`` are
mandatory. An entry applies up to and including its ``expires`` date, compared with the
run's ``--as-of`` date; after that it no longer suppresses anything and is reported as
expired. Suppressed findings are kept (``Finding.suppressed`` and ``Finding.suppression``)
so every report still shows them.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from auditor.errors import RulePackError
from auditor.models import JSONValue
from auditor.results import Finding, Suppression
from auditor.yamlsource import YamlDocument, load_yaml

__all__ = [
    "SuppressionEntry",
    "SuppressionError",
    "SuppressionReport",
    "apply_suppressions",
    "load_suppressions",
    "parse_suppressions",
]

_MATCHERS = ("fingerprint", "rule", "path", "table")
_REQUIRED = ("reason", "approved_by", "expires")
_KNOWN = frozenset(_MATCHERS + _REQUIRED)


class SuppressionError(RulePackError):
    """The suppression file is invalid; the message names file and line."""


@dataclass(frozen=True, slots=True)
class SuppressionEntry:
    """One entry of a suppression file."""

    reason: str
    approved_by: str
    expires: dt.date
    fingerprint: str | None = None
    rule: str | None = None
    path: str | None = None
    table: str | None = None
    source: str = ""  # ``file:line`` of the entry, for messages

    def is_expired(self, as_of: dt.date) -> bool:
        return as_of > self.expires

    def matches(self, finding: Finding) -> bool:
        loc = finding.location
        if self.fingerprint is not None and finding.fingerprint != self.fingerprint:
            return False
        if self.rule is not None and not fnmatch.fnmatchcase(finding.rule_id, self.rule):
            return False
        if self.path is not None and not fnmatch.fnmatchcase(loc.uri, self.path):
            return False
        return self.table is None or (
            loc.table is not None and fnmatch.fnmatchcase(loc.table, self.table))

    def describe(self) -> str:
        parts = [f"{name}={getattr(self, name)}" for name in _MATCHERS
                 if getattr(self, name) is not None]
        return " ".join(parts)

    def to_dict(self) -> dict[str, JSONValue]:
        out: dict[str, JSONValue] = {name: getattr(self, name) for name in _MATCHERS
                                     if getattr(self, name) is not None}
        out.update(reason=self.reason, approved_by=self.approved_by,
                   expires=self.expires.isoformat(), source=self.source)
        return out


@dataclass(frozen=True, slots=True)
class SuppressionReport:
    """What applying a suppression file did; ``to_dict`` goes into the JSON ``run``."""

    applied: int
    expired: tuple[tuple[SuppressionEntry, int], ...]  # entry, findings it would match
    unused: tuple[SuppressionEntry, ...]

    def warnings(self, *, unused: bool = False) -> tuple[str, ...]:
        """Human-readable warnings for the console summary (``unused``: also the entries
        that matched no finding, which are stale or mistyped)."""
        out = [
            f"suppression expired on {e.expires.isoformat()} ({e.source}: {e.describe()}); "
            f"{n} finding(s) no longer suppressed"
            for e, n in self.expired
        ]
        if unused:
            out += [f"suppression matched no finding ({e.source}: {e.describe()}); remove it "
                    f"or fix its matchers" for e in self.unused]
        return tuple(out)

    def to_dict(self) -> dict[str, JSONValue]:
        return {
            "applied": self.applied,
            "expired": [dict(e.to_dict(), matching_findings=n) for e, n in self.expired],
            "unused": [e.to_dict() for e in self.unused],
        }


def _text(doc: YamlDocument, item: dict[str, Any], name: str, where: list[str | int]) -> str:
    value = item.get(name)
    if not isinstance(value, str) or not value.strip():
        raise SuppressionError(doc.path, f"suppression entry needs a non-empty '{name}'",
                               line=doc.line_of([*where, name]))
    return value.strip()


def _entry(doc: YamlDocument, index: int, item: Any) -> SuppressionEntry:
    where: list[str | int] = ["suppressions", index]
    line = doc.line_of(where)
    if not isinstance(item, dict):
        raise SuppressionError(doc.path, "suppression entry must be a mapping", line=line)
    unknown = sorted(set(map(str, item)) - _KNOWN)
    if unknown:
        raise SuppressionError(doc.path, f"unknown field '{unknown[0]}' (expected one of: "
                               f"{', '.join(sorted(_KNOWN))})",
                               line=doc.line_of([*where, unknown[0]]))
    if not any(item.get(m) is not None for m in _MATCHERS):
        raise SuppressionError(doc.path, "suppression entry needs at least one of: "
                               + ", ".join(_MATCHERS), line=line)
    reason = _text(doc, item, "reason", where)
    approved_by = _text(doc, item, "approved_by", where)
    raw_expires = item.get("expires")
    if isinstance(raw_expires, dt.datetime):
        expires = raw_expires.date()
    elif isinstance(raw_expires, dt.date):
        expires = raw_expires
    elif isinstance(raw_expires, str):
        try:
            expires = dt.date.fromisoformat(raw_expires.strip())
        except ValueError:
            raise SuppressionError(doc.path, f"'expires' is not a date (YYYY-MM-DD): "
                                   f"{raw_expires!r}",
                                   line=doc.line_of([*where, "expires"])) from None
    else:
        raise SuppressionError(doc.path, "suppression entry needs 'expires' (YYYY-MM-DD)",
                               line=doc.line_of([*where, "expires"]))
    matchers: dict[str, str | None] = {}
    for name in _MATCHERS:
        value = item.get(name)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise SuppressionError(doc.path, f"'{name}' must be a non-empty string",
                                   line=doc.line_of([*where, name]))
        matchers[name] = value.strip() if isinstance(value, str) else None
    return SuppressionEntry(
        reason=reason,
        approved_by=approved_by,
        expires=expires,
        source=f"{doc.path}:{line}" if line is not None else doc.path,
        **matchers,
    )


def parse_suppressions(doc: YamlDocument) -> tuple[SuppressionEntry, ...]:
    """Validate a loaded YAML document into suppression entries (file order)."""
    data = doc.data
    if not isinstance(data, dict):
        raise SuppressionError(doc.path, "a suppression file is a mapping with "
                               "'schema_version: 1' and 'suppressions: [...]'", line=1)
    if data.get("schema_version") != 1:
        raise SuppressionError(doc.path, "unsupported or missing schema_version "
                               "(expected 1)", line=doc.line_of(["schema_version"]))
    items = data.get("suppressions")
    if items is None:
        return ()
    if not isinstance(items, list):
        raise SuppressionError(doc.path, "'suppressions' must be a list",
                               line=doc.line_of(["suppressions"]))
    return tuple(_entry(doc, i, item) for i, item in enumerate(items))


def load_suppressions(path: str | Path) -> tuple[SuppressionEntry, ...]:
    """Read and validate a suppression file; errors are :class:`SuppressionError`
    (a :class:`~auditor.errors.ConfigError`, exit code 2) naming file and line."""
    return parse_suppressions(load_yaml(path, error=SuppressionError))


def apply_suppressions(
    findings: Iterable[Finding], suppressions: Sequence[SuppressionEntry], as_of: dt.date,
) -> tuple[tuple[Finding, ...], SuppressionReport]:
    """Mark findings matched by an unexpired entry as suppressed (first entry wins).

    Pure: returns new findings in the same order and a report of applied, expired and
    unused entries. Findings already suppressed (e.g. by a baseline) are left as they are.
    Expired entries suppress nothing; the report counts the findings each would match.
    """
    active = [e for e in suppressions if not e.is_expired(as_of)]
    expired = [e for e in suppressions if e.is_expired(as_of)]
    used: set[int] = set()
    expired_hits = [0] * len(expired)
    out: list[Finding] = []
    applied = 0
    for finding in findings:
        for i, entry in enumerate(expired):
            if entry.matches(finding):
                expired_hits[i] += 1
        hit = None if finding.suppressed else next(
            (i for i, entry in enumerate(active) if entry.matches(finding)), None)
        if hit is None:
            out.append(finding)
            continue
        entry = active[hit]
        used.add(hit)
        applied += 1
        out.append(replace(finding, suppressed=True, suppression=Suppression(
            source="file", reason=entry.reason, approved_by=entry.approved_by,
            expires=entry.expires.isoformat())))
    report = SuppressionReport(
        applied=applied,
        expired=tuple(zip(expired, expired_hits, strict=True)),
        unused=tuple(e for i, e in enumerate(active) if i not in used),
    )
    return tuple(out), report
