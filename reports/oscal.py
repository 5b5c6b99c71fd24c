"""OSCAL assessment-results report (``--format oscal``, ``report.oscal.json``), OSCAL 1.0.6.

One ``result`` for the run:

- ``reviewed-controls``: every framework requirement of the run as a control id, in
  selections by outcome: assessed automatically (fail or no finding), not assessed,
  needs scoping, not applicable, and manual (left to the auditor).
- ``observations``: one per auditor finding (method ``TEST``, type ``finding``) with
  rule id, severity, CWE, fingerprint, location and suppression state as ``props`` and
  the masked evidence as ``relevant-evidence``.
- ``findings``: one per automatically assessed requirement, its ``target`` the
  requirement's **assessment objective** (``<control>_obj``) with state ``not-satisfied``
  (fail) or ``satisfied`` (reason ``no-finding``: the objective is what the automated
  checks cover, stated in the catalog's ``_obj`` part and the finding's ``coverage`` and
  ``checked`` props), linked to the observations that made it fail.
- ``attestations``: one part per manual requirement (and the manual part of partly
  automated ones) with the procedure, for the assessor to complete.
- ``metadata.parties``/``roles``: the assessor and the tool.
- ``back-matter``: the OSCAL catalogs of the run's frameworks (ours embedded as base64;
  NIST's official catalog by its published URI plus our subset) and the generated
  **assessment plan** (:mod:`reports.oscal_catalog`), which ``import-ap`` points at.

Control ids are OSCAL tokens: ``<framework>_<requirement>`` (characters outside
``[A-Za-z0-9._-]`` become ``-``), except NIST SP 800-53 whose requirement ids already are
the catalog's control ids (``sc-8.1``). UUIDs are version-5 UUIDs derived from the run id
and content, so the same run renders the same document.
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

from .oscal_catalog import (
    assessment_plan,
    catalog_resources,
    embedded,
    objective_id,
    parties,
)

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


def _attested_text(item: ComplianceItem) -> str:
    a = item.attestation or {}
    return (f" Manual check recorded: {a.get('result')} by {a.get('assessor')} on "
            f"{a.get('date')}, valid until {a.get('expires')}; evidence: {a.get('evidence')}.")


def _finding(item: ComplianceItem, run_id: str, observed: set[str]) -> dict[str, JSONValue]:
    satisfied = item.result in ("no_finding", "attested")
    checked = f" Checked: {item.checked}" if item.checked else ""
    if item.attestation is not None and item.attestation.get("applied"):
        checked += _attested_text(item)
    out: dict[str, JSONValue] = {
        "uuid": _uuid(run_id, "finding", item.framework, item.requirement),
        "title": _string(f"{item.framework} {item.requirement}: {item.title}"),
        "description": _string(
            f"Requirement {item.requirement} of {item.framework}: "
            + ("passed by the assessor's manual check (attestation)."
               if item.result == "attested" else
               "no finding by the automated checks (coverage: "
               f"{item.coverage or 'automated'}); this is not a statement of conformity."
               if satisfied else
               f"not met: {len(item.findings)} finding(s) of the rules that evidence it.")
            + checked),
        "props": [_prop("framework", item.framework), _prop("requirement", item.requirement),
                  _prop("auditor-status", item.status), _prop("outcome", item.result),
                  _prop("coverage", item.coverage or "automated")],
        "target": {
            "type": "objective-id",
            "target-id": objective_id(item.framework, item.requirement),
            "status": {"state": "satisfied" if satisfied else "not-satisfied",
                       "reason": ("attested" if item.result == "attested" else
                                  "no-finding" if satisfied else "fail")},
        },
    }
    related: list[JSONValue] = [{"observation-uuid": _uuid(run_id, "observation", fp)}
                                for fp in item.findings if fp in observed]
    if related:
        out["related-observations"] = related
    return out


def _selections(items: tuple[ComplianceItem, ...]) -> list[JSONValue]:
    groups = (
        ("Requirements assessed by automated checks (fail or no finding), or decided by a "
         "recorded manual check.", ("no_finding", "fail", "attested")),
        ("Requirements not assessed: no scanner looked at what they need.", ("not_assessed",)),
        ("Requirements that need their scope declared (--param) before they can be "
         "assessed.", ("needs_scoping",)),
        ("Requirements not applicable: out of the declared scope.", ("not_applicable",)),
        ("Requirements that need a manual check by the auditor.", ("manual",)),
    )
    out: list[JSONValue] = []
    for description, outcomes in groups:
        ids = sorted({control_id(i.framework, i.requirement) for i in items
                      if i.result in outcomes})
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
                                 if i.result in ("no_finding", "fail", "attested")]
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
    roles, people, assessor = parties(result)
    attestations = _attestations(result.compliance, run_id, assessor)
    if attestations:
        res["attestations"] = attestations
    catalogs, catalog_uuids = catalog_resources(result)
    plan = assessment_plan(result, catalogs, catalog_uuids)
    return {"assessment-results": {
        "uuid": _uuid(run_id, "assessment-results"),
        "metadata": {
            "title": f"auditor assessment results, run {run_id}",
            "last-modified": end,
            "version": result.tool_version,
            "oscal-version": OSCAL_VERSION,
            "roles": roles, "parties": people,
            "responsible-parties": [{"role-id": "assessor", "party-uuids": [assessor]}],
        },
        # NOTE: the plan is generated for the run and embedded; "#uuid" names it
        "import-ap": {"href": f"#{scope}"},
        "results": [res],
        "back-matter": {"resources": [
            {"uuid": scope, "title": f"Assessment plan of auditor run {run_id}",
             "description": (f"The scope: {len(result.targets)} target(s), frameworks "
                             f"{frameworks}, assessed as of {result.as_of.isoformat()}."),
             "props": [_prop("target", t.uri) for t in result.targets]
             or [_prop("target", "none")],
             "base64": embedded(plan, "assessment-plan.json")},
            *catalogs]},
    }}


def _attestations(items: tuple[ComplianceItem, ...], run_id: str,
                  assessor: str) -> list[JSONValue]:
    """One attestation part per requirement with a manual part (manual, partly automated,
    review required): the procedure, and a ``status`` prop the assessor completes."""
    parts: list[JSONValue] = []
    for i in items:
        if not i.guidance or i.result in ("not_applicable",):
            continue
        a = i.attestation
        status = "pending"
        if a is not None:
            status = str(a.get("result")) if a.get("valid") else "expired"
        props: list[JSONValue] = [
            _prop("framework", i.framework), _prop("requirement", i.requirement),
            _prop("control-id", control_id(i.framework, i.requirement)),
            _prop("outcome", i.result), _prop("attestation-status", status)]
        if a is not None:
            props.extend(_prop(f"attestation-{k}", str(a.get(k) or "-"))
                         for k in ("assessor", "date", "expires", "evidence"))
        if i.review:
            props.append(_prop("review-required", f"{len(i.pointers)} finding(s)"))
        parts.append({"uuid": _uuid(run_id, "attestation", i.framework, i.requirement),
                      "name": "manual-check", "ns": _NS,
                      "title": _string(f"{i.framework} {i.requirement}: {i.title}"),
                      "props": props, "prose": i.guidance})
    if not parts:
        return []
    return [{"responsible-parties": [{"role-id": "assessor", "party-uuids": [assessor]}],
             "parts": parts}]


class OscalReporter(Reporter):
    name: ClassVar[str] = "oscal"
    filename: ClassVar[str] = "report.oscal.json"
    description: ClassVar[str] = "OSCAL 1.0.6 assessment-results JSON"
    machine: ClassVar[bool] = True

    def render(self, result: ScanResult, out: TextIO,
               options: RenderOptions = DEFAULT_RENDER) -> None:
        json.dump(build_document(result), out, indent=2, ensure_ascii=False)
        out.write("\n")
