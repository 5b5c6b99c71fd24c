"""OSCAL assessment-results report (``--format oscal``, ``report.oscal.json``), OSCAL 1.0.6.

One ``result`` for the run:

- ``reviewed-controls``: every framework requirement of the run as a control id, in
  three selections: assessed automatically (pass or fail), not assessed (no scanner
  looked at what it needs), and manual (left to the auditor).
- ``observations``: one per auditor finding (method ``TEST``, type ``finding``) with
  rule id, severity, CWE, fingerprint, location and suppression state as ``props`` and
  the masked evidence as ``relevant-evidence``.
- ``findings``: one per assessed requirement, its ``target`` the control with state
  ``satisfied`` (pass) or ``not-satisfied`` (fail), linked to the observations that
  made it fail through ``related-observations``.

Control ids are OSCAL tokens: ``<framework>_<requirement>`` (characters outside
``[A-Za-z0-9._-]`` become ``-``), except NIST SP 800-53 whose requirement ids already are
the catalog's control ids (``sc-8.1``). UUIDs are version-5 UUIDs derived from the run id
and content, so the same run renders the same document. There is no separate assessment
plan: ``import-ap`` references a back-matter resource that describes the run's scope
(targets, frameworks, as-of date).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import ClassVar, TextIO

from auditor.models import JSONValue
from auditor.reporting import DEFAULT_RENDER, RenderOptions, Reporter
from auditor.results import ComplianceItem, Finding, ScanResult
from auditor.views import evidence_text, location_label

__all__ = ["OSCAL_VERSION", "OscalReporter", "build_document", "control_id"]

OSCAL_VERSION = "1.0.6"
_NAMESPACE = uuid.UUID("6f1d2c1e-5b7a-5c8e-9a43-0d1e2f3a4b5c")
_NOT_TOKEN = re.compile(r"[^A-Za-z0-9._-]")
_NS = "https://auditor.invalid/ns/oscal"  # NOTE: names our props; never dereferenced
_NIST = "nist-800-53r5"


def control_id(framework: str, requirement: str) -> str:
    """The OSCAL control id (a token) naming a framework requirement."""
    if framework == _NIST:
        return _NOT_TOKEN.sub("-", requirement.lower())
    return _NOT_TOKEN.sub("-", f"{framework}_{requirement}")


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(parts)))


def _timestamp(text: str) -> str:
    """An RFC 3339 timestamp with a timezone (OSCAL requires one); naive means UTC."""
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        value = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _string(text: str) -> str:
    """An OSCAL StringDatatype: one line, no surrounding whitespace, not empty."""
    cleaned = " ".join(text.split())
    return cleaned or "-"


def _prop(name: str, value: str) -> dict[str, JSONValue]:
    return {"name": name, "ns": _NS, "value": _string(value)}


def _observation(f: Finding, run_id: str, collected: str) -> dict[str, JSONValue]:
    props: list[JSONValue] = [
        _prop("rule-id", f.rule_id), _prop("severity", f.severity.label),
        _prop("fingerprint", f.fingerprint), _prop("location", location_label(f.location)),
        *(_prop("cwe", c) for c in f.cwe),
        *(_prop("entity", e) for e in f.entities),
        _prop("suppressed", "true" if f.suppressed else "false"),
    ]
    if f.subjects is not None:
        props.append(_prop("data-subjects", str(f.subjects)))
    if f.suppression is not None:
        props.append(_prop("suppression-source", f.suppression.source))
        props.append(_prop("suppression-reason", f.suppression.reason))
    obs: dict[str, JSONValue] = {
        "uuid": _uuid(run_id, "observation", f.fingerprint),
        "title": f.title or f.rule_id,
        "description": f"{f.message} ({location_label(f.location)})",
        "props": props,
        "methods": ["TEST"],
        "types": ["finding"],
        "collected": collected,
    }
    if f.evidence:
        obs["relevant-evidence"] = [{"description": "Masked evidence: "
                                     + evidence_text(f.evidence)}]
    if f.remediation:
        obs["remarks"] = f"Remediation: {f.remediation}"
    return obs


def _finding(item: ComplianceItem, run_id: str, observed: set[str]) -> dict[str, JSONValue]:
    cid = control_id(item.framework, item.requirement)
    satisfied = item.status == "pass"
    out: dict[str, JSONValue] = {
        "uuid": _uuid(run_id, "finding", item.framework, item.requirement),
        "title": _string(f"{item.framework} {item.requirement}: {item.title}"),
        "description": (
            f"Requirement {item.requirement} of {item.framework} is "
            + ("satisfied: the automated checks that evidence it found nothing."
               if satisfied else
               f"not satisfied: {len(item.findings)} finding(s) of the rules that evidence it.")
        ),
        "props": [_prop("framework", item.framework), _prop("requirement", item.requirement),
                  _prop("auditor-status", item.status)],
        "target": {
            "type": "objective-id",
            "target-id": cid,
            "status": {"state": "satisfied" if satisfied else "not-satisfied",
                       "reason": "pass" if satisfied else "fail"},
        },
    }
    related: list[JSONValue] = [{"observation-uuid": _uuid(run_id, "observation", fp)}
                                for fp in item.findings if fp in observed]
    if related:
        out["related-observations"] = related
    return out


def _selections(items: tuple[ComplianceItem, ...]) -> list[JSONValue]:
    groups = (
        ("Requirements assessed by automated checks (pass or fail).", ("pass", "fail")),
        ("Requirements not assessed: no scanner looked at what they need.", ("not_assessed",)),
        ("Requirements that need a manual check by the auditor.", ("manual",)),
    )
    out: list[JSONValue] = []
    for description, statuses in groups:
        ids = sorted({control_id(i.framework, i.requirement) for i in items
                      if i.status in statuses})
        if ids:
            out.append({"description": description,
                        "include-controls": [{"control-id": c} for c in ids]})
    return out or [{"description": "No framework was selected: all rules applied.",
                    "include-all": {}}]


def build_document(result: ScanResult) -> dict[str, JSONValue]:
    """The OSCAL assessment-results document for a finished run."""
    run_id = result.run_id
    start, end = _timestamp(result.started_at), _timestamp(result.finished_at)
    observations: list[JSONValue] = [_observation(f, run_id, end) for f in result.findings]
    observed = {f.fingerprint for f in result.findings}
    findings: list[JSONValue] = [_finding(i, run_id, observed) for i in result.compliance
                                 if i.status in ("pass", "fail")]
    frameworks = ", ".join(f.id for f in result.frameworks) or "none"
    scope = _uuid(run_id, "assessment-plan")
    res: dict[str, JSONValue] = {
        "uuid": _uuid(run_id, "result"),
        "title": f"auditor run {run_id}",
        "description": (f"Automated assessment as of {result.as_of.isoformat()} "
                        f"against frameworks: {frameworks}. {len(result.targets)} target(s), "
                        f"{len(result.active_findings)} unsuppressed finding(s)."),
        "start": start,
        "end": end,
        "props": [_prop("as-of", result.as_of.isoformat()),
                  *(_prop("pack", f"{p.id}@{p.version} sha256:{p.sha256}")
                    for p in result.packs),
                  *(_prop("framework", f.id) for f in result.frameworks)],
        "reviewed-controls": {"control-selections": _selections(result.compliance)},
    }
    if observations:
        res["observations"] = observations
    if findings:
        res["findings"] = findings
    return {"assessment-results": {
        "uuid": _uuid(run_id, "assessment-results"),
        "metadata": {
            "title": f"auditor assessment results, run {run_id}",
            "last-modified": end,
            "version": result.tool_version,
            "oscal-version": OSCAL_VERSION,
        },
        # NOTE: there is no separate OSCAL assessment plan; import-ap points at a back-matter
        # resource describing the run's scope, as OSCAL's "#uuid" references do.
        "import-ap": {"href": f"#{scope}"},
        "results": [res],
        "back-matter": {"resources": [{
            "uuid": scope,
            "title": f"Scope of auditor run {run_id}",
            "description": (f"No OSCAL assessment plan: the scope is the {len(result.targets)} "
                            f"target(s) and the frameworks ({frameworks}) of this run, "
                            f"assessed as of {result.as_of.isoformat()}."),
            "props": [_prop("target", t.uri) for t in result.targets]
            or [_prop("target", "none")],
        }]},
    }}


class OscalReporter(Reporter):
    name: ClassVar[str] = "oscal"
    filename: ClassVar[str] = "report.oscal.json"
    description: ClassVar[str] = "OSCAL 1.0.6 assessment-results JSON"
    machine: ClassVar[bool] = True

    def render(self, result: ScanResult, out: TextIO,
               options: RenderOptions = DEFAULT_RENDER) -> None:
        json.dump(build_document(result), out, indent=2, ensure_ascii=False)
        out.write("\n")
