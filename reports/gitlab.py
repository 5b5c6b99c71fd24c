"""GitLab SAST report (``--format gitlab-sast``, ``gl-sast-report.json``).

The security report GitLab reads from a job's ``artifacts:reports:sast`` (schema version
15.x of GitLab's security report schemas): merge-request widgets and the vulnerability
report show each unsuppressed finding. Per finding: a stable ``id`` (a UUID derived from
the content fingerprint, so GitLab tracks it across pipelines), ``name`` (the rule
title), ``description`` (the message and masked evidence), ``severity`` (``Critical`` ...
``Info``), ``solution`` (the remediation), ``identifiers`` (the rule id first, then its
CWEs) and ``location`` (``file`` relative to the repository root, as in SARIF, and
``start_line``). Suppressed and baselined findings are left out: GitLab would show them
as open. Target errors make the scan ``status`` ``failure`` with one message each.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any, TextIO

from auditor.reporting import DEFAULT_RENDER, RenderOptions, Reporter
from auditor.results import Finding, ScanResult
from auditor.views import SourceRoots, code_location, evidence_text, information_uri

__all__ = ["GitlabSastReporter"]

SCHEMA_VERSION = "15.2.1"
_NAMESPACE = uuid.UUID("6f1d7c1e-2b0e-5e55-9d6c-6175646974f2")  # NOTE: fixed: ids stay stable


def _time(stamp: str) -> str:
    """GitLab wants ``YYYY-MM-DDTHH:MM:SS`` (UTC, no zone suffix)."""
    try:
        parsed = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp[:19]
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed.isoformat(timespec="seconds")


def _identifiers(f: Finding) -> list[dict[str, str]]:
    out = [{"type": "auditor_rule_id", "name": f.rule_id, "value": f.rule_id}]
    for cwe in f.cwe:
        number = cwe.removeprefix("CWE-")
        ident = {"type": "cwe", "name": cwe, "value": number}
        if number.isdigit():
            ident["url"] = f"https://cwe.mitre.org/data/definitions/{number}.html"
        out.append(ident)
    return out


def _location(f: Finding, roots: SourceRoots) -> dict[str, Any]:
    place = code_location(f.location, roots)
    out: dict[str, Any] = {"file": place.file}
    if place.artifact is None:
        return out
    if place.line is not None:
        out["start_line"] = place.line
    if place.key:
        out["method"] = place.key
    if place.flow:
        out["class"] = place.flow
    return out


def _vulnerability(f: Finding, roots: SourceRoots) -> dict[str, Any]:
    evidence = evidence_text(f.evidence)
    description = f.message + (f"\n\nEvidence (masked): {evidence}" if evidence else "")
    out: dict[str, Any] = {
        "id": str(uuid.uuid5(_NAMESPACE, f"{f.rule_id}:{f.fingerprint}")),
        "name": f.title[:255] or f.rule_id,
        "description": description,
        "severity": f.severity.label.capitalize(),
        "identifiers": _identifiers(f),
        "location": _location(f, roots),
    }
    if f.remediation:
        out["solution"] = f.remediation
    if f.references:
        out["links"] = [{"url": r} for r in f.references if r.startswith(("http:", "https:"))]
        if not out["links"]:
            del out["links"]
    return out


class GitlabSastReporter(Reporter):
    name = "gitlab-sast"
    filename = "gl-sast-report.json"
    description = "GitLab SAST report (artifacts:reports:sast) for merge requests"

    def render(self, result: ScanResult, out: TextIO,
               options: RenderOptions = DEFAULT_RENDER) -> None:
        json.dump(self.document(result), out, indent=2, ensure_ascii=False)
        out.write("\n")

    def document(self, result: ScanResult) -> dict[str, Any]:
        roots = SourceRoots.of(result)
        component: dict[str, Any] = {"id": "auditor", "name": "auditor",
                                     "version": result.tool_version,
                                     "vendor": {"name": "auditor"}}
        home = information_uri()
        if home:
            component["url"] = home
        errors = [t for t in result.targets if t.status == "error"]
        return {
            "version": SCHEMA_VERSION,
            "scan": {
                "analyzer": dict(component),
                "scanner": dict(component),
                "type": "sast",
                "start_time": _time(result.started_at),
                "end_time": _time(result.finished_at),
                "status": "failure" if errors else "success",
                "messages": [{"level": "warn", "value": f"{t.uri}: {t.error or 'error'}"}
                             for t in errors],
            },
            "vulnerabilities": [_vulnerability(f, roots) for f in result.active_findings],
        }
