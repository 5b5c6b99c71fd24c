"""Small, complete scan results for store tests (real records, no scanner needed)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from auditor.models import Location, Severity
from auditor.results import ComplianceItem, Finding, ScanResult, Suppression, TargetResult

T0 = dt.datetime(2026, 1, 5, 2, 30)


def at(days: float) -> str:
    return (T0 + dt.timedelta(days=days)).isoformat() + "Z"


def finding(fp: str, *, severity: str = "high", uri: str = "/srv/app/app.yaml",
            rule: str = "core.secret.password-assignment", suppressed_until: str | None = None,
            subjects: int | None = None) -> Finding:
    sup = Suppression("file", "accepted risk", "ciso", suppressed_until) \
        if suppressed_until else None
    return Finding(fingerprint=fp, rule_id=rule, pack="core", title=f"title {fp}",
                   severity=Severity.parse(severity), cwe=("CWE-798",),
                   message=f"message {fp}", location=Location(uri, key=f"key.{fp}"),
                   kind="secret", evidence={"value": "••••(12)"}, subjects=subjects,
                   suppressed=sup is not None, suppression=sup)


def result(run_id: str, day: float, found: Sequence[Finding], *,
           errors: Sequence[str] = (), failing: Sequence[str] = ()) -> ScanResult:
    targets = [TargetResult("/srv/app/app.yaml", "yaml", "config", "ok")]
    targets += [TargetResult(u, "yaml", "config", "error", error="cannot read") for u in errors]
    compliance = tuple(ComplianceItem("vn-pdpl-2025", req, "fail" if req in failing else "pass")
                       for req in ("Art-9", "Art-26", "Art-27"))
    return ScanResult(tool_version="0.1.0", run_id=run_id, started_at=at(day),
                      finished_at=at(day + 0.001), as_of=(T0 + dt.timedelta(days=day)).date(),
                      packs=(), targets=tuple(targets), findings=tuple(found),
                      compliance=compliance)
