"""Baselines and report diffs: gate on new findings only.

``auditor scan --baseline PREVIOUS.json`` marks every finding whose fingerprint is in the
previous JSON report as suppressed (``Suppression(source="baseline")``), so only new
findings reach ``--fail-on``. Fingerprints are content-based (rule, location without line
numbers, identity of what was found), so a finding that moved to another line keeps its
fingerprint, while a *different* secret on the same line is a new finding.

``auditor diff OLD.json NEW.json`` compares two saved reports by fingerprint:
``new`` (only in NEW), ``fixed`` (only in OLD), ``unchanged`` (in both).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from auditor.errors import ConfigError
from auditor.models import JSONValue
from auditor.results import Finding, ScanResult, Suppression, sorted_findings

__all__ = [
    "Baseline",
    "ReportDiff",
    "apply_baseline",
    "diff_results",
    "load_baseline",
    "load_report",
]


def load_report(path: str | Path) -> ScanResult:
    """Read a saved JSON report (schema "1"); a :class:`ConfigError` says what is wrong."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        doc: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: not JSON ({exc.msg}, column {exc.colno})") \
            from None
    if not isinstance(doc, Mapping) or doc.get("schema_version") != "1":
        raise ConfigError(f"{path}: not an auditor JSON report (schema_version \"1\")")
    try:
        return ScanResult.from_document(doc)
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: invalid auditor JSON report ({type(exc).__name__}: "
                          f"{exc})") from None


@dataclass(frozen=True, slots=True)
class Baseline:
    """Fingerprints of a previous run."""

    fingerprints: frozenset[str]
    run_id: str = ""
    source: str = ""

    @classmethod
    def from_result(cls, result: ScanResult, source: str = "") -> Baseline:
        return cls(frozenset(f.fingerprint for f in result.findings), result.run_id, source)


def load_baseline(path: str | Path) -> Baseline:
    """The baseline held by a saved JSON report."""
    return Baseline.from_result(load_report(path), str(path))


def apply_baseline(findings: Iterable[Finding], baseline: Baseline) -> tuple[Finding, ...]:
    """Suppress findings already present in ``baseline`` (pure; order kept).

    Findings that are already suppressed keep their suppression (a justified file entry
    says more than "seen before").
    """
    reason = f"present in baseline run {baseline.run_id}" if baseline.run_id \
        else "present in baseline"
    mark = Suppression(source="baseline", reason=reason)
    return tuple(
        replace(f, suppressed=True, suppression=mark)
        if not f.suppressed and f.fingerprint in baseline.fingerprints else f
        for f in findings)


@dataclass(frozen=True, slots=True)
class ReportDiff:
    """Findings of two reports compared by fingerprint, each group in report order."""

    new: tuple[Finding, ...]
    fixed: tuple[Finding, ...]
    unchanged: tuple[Finding, ...]

    def to_dict(self) -> dict[str, JSONValue]:
        return {
            "summary": {"new": len(self.new), "fixed": len(self.fixed),
                        "unchanged": len(self.unchanged)},
            "new": [f.to_dict() for f in self.new],
            "fixed": [f.to_dict() for f in self.fixed],
            "unchanged": [f.to_dict() for f in self.unchanged],
        }


def diff_results(old: ScanResult, new: ScanResult) -> ReportDiff:
    """Compare two results by fingerprint. ``unchanged`` holds NEW's version."""
    old_fps = {f.fingerprint for f in old.findings}
    new_fps = {f.fingerprint for f in new.findings}
    return ReportDiff(
        new=sorted_findings([f for f in new.findings if f.fingerprint not in old_fps]),
        fixed=sorted_findings([f for f in old.findings if f.fingerprint not in new_fps]),
        unchanged=sorted_findings([f for f in new.findings if f.fingerprint in old_fps]),
    )
