"""SARIF 2.1.0 report (``--format sarif``, ``report.sarif``) for GitHub code scanning and
other SARIF consumers.

- one ``reportingDescriptor`` per rule that fired, with help text (remediation and
  references), CWE tags and ``security-severity`` (GitHub's severity scale);
- stable ``ruleId`` (the rule id) and ``partialFingerprints`` (the content fingerprint);
- file locations are relative URIs under ``%SRCROOT%``: the root of the git work tree
  that was scanned (``run.source_root`` of the JSON report, recorded with the scan's
  working directory), declared in ``originalUriBaseIds``, so code scanning resolves them
  whatever directory the scan ran from; without those (older reports) the URI is the path
  as given on the command line; files outside the root get absolute ``file://`` URIs;
  database findings, which have no file, carry ``logicalLocations``
  (``schema.table.column``), capture findings carry the flow as a logical location;
- suppressed findings are kept, with a SARIF ``suppressions`` entry;
- target errors become tool execution notifications;
- ``runs[].taxonomies``: the CWE taxonomy (the CWEs of the rules that fired) and one
  taxonomy per framework of the run (its requirements, with the compliance outcome in
  the taxon's properties); each rule's ``relationships`` link it to its CWEs and to the
  requirements its findings count for (``driver.supportedTaxonomies`` names them).
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from auditor.models import Severity
from auditor.reporting import DEFAULT_RENDER, RenderOptions, Reporter
from auditor.results import ComplianceItem, Finding, ScanResult
from auditor.views import SourceRoots, code_location, evidence_text, information_uri

__all__ = ["SarifReporter", "SourceRoots"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
          Severity.LOW: "note", Severity.INFO: "note"}
_SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0",
                      Severity.MEDIUM: "5.5", Severity.LOW: "3.0"}


def _rule_descriptor(f: Finding) -> dict[str, Any]:
    help_text = f.remediation or f.title
    refs = "\n".join(f"- {r}" for r in f.references)
    markdown = f"**{f.title}**\n\n{help_text}" + (f"\n\nReferences:\n{refs}" if refs else "")
    props: dict[str, Any] = {
        "tags": ["security", *f.cwe, *(["privacy"] if f.entities else [])],
        "precision": "high",
        "problem.severity": _LEVEL[f.severity] if f.severity > Severity.INFO else "recommendation",
    }
    if f.severity in _SECURITY_SEVERITY:
        props["security-severity"] = _SECURITY_SEVERITY[f.severity]
    desc: dict[str, Any] = {
        "id": f.rule_id,
        "name": "".join(part.capitalize() for part in f.rule_id.replace("-", ".").split(".")),
        "shortDescription": {"text": f.title},
        "fullDescription": {"text": f.title + (f" ({', '.join(f.cwe)})" if f.cwe else "")},
        "help": {"text": help_text + (f"\n\nReferences:\n{refs}" if refs else ""),
                 "markdown": markdown},
        "defaultConfiguration": {"level": _LEVEL[f.severity]},
        "properties": props,
    }
    if f.references:
        desc["helpUri"] = f.references[0]
    return desc


def _location(f: Finding, roots: SourceRoots) -> dict[str, Any]:
    place = code_location(f.location, roots)
    out: dict[str, Any] = {}
    logical: list[dict[str, str]] = []
    if place.artifact is not None:
        physical: dict[str, Any] = {"artifactLocation": place.artifact}
        if place.line is not None:
            physical["region"] = {"startLine": place.line}
        out["physicalLocation"] = physical
    if place.member:
        logical.append({"fullyQualifiedName": f"{place.uri}#{place.member}",
                        "name": place.member,
                        "kind": "member" if f.location.column else "type"})
    if place.key:
        logical.append({"fullyQualifiedName": place.key,
                        "name": place.key.rsplit(".", 1)[-1], "kind": "member"})
    if place.flow:
        name = place.flow + (f" #{place.packet}" if place.packet is not None else "")
        logical.append({"fullyQualifiedName": name, "name": place.flow, "kind": "object"})
    if not out and not logical:
        logical.append({"fullyQualifiedName": place.uri, "name": place.uri,
                        "kind": "resource"})
    if logical:
        out["logicalLocations"] = logical
    return out


CWE_URI = "https://cwe.mitre.org/data/definitions/{}.html"


def _taxonomies(result: ScanResult, findings_by_rule: dict[str, list[Finding]],
                ) -> tuple[list[dict[str, Any]], dict[str, tuple[int, dict[str, int]]]]:
    """The CWE and framework taxonomies, and for each taxonomy name its index and the
    index of each taxon id (for relationships)."""
    cwes = sorted({c for fs in findings_by_rule.values() for f in fs for c in f.cwe},
                  key=lambda c: (len(c), c))
    taxonomies: list[dict[str, Any]] = [{
        "name": "CWE", "organization": "MITRE",
        "shortDescription": {"text": "The MITRE Common Weakness Enumeration"},
        "informationUri": "https://cwe.mitre.org/",
        "isComprehensive": False,
        "taxa": [{"id": c.removeprefix("CWE-"), "name": c,
                  "helpUri": CWE_URI.format(c.removeprefix("CWE-"))} for c in cwes],
    }]
    index: dict[str, tuple[int, dict[str, int]]] = {
        "CWE": (0, {c: i for i, c in enumerate(cwes)})}
    grouped: dict[str, list[ComplianceItem]] = {}
    for item in result.compliance:
        grouped.setdefault(item.framework, []).append(item)
    titles = {f.id: (f.title, f.version) for f in result.frameworks}
    for fid, items in grouped.items():
        title, version = titles.get(fid, (fid, ""))
        taxa = []
        for item in items:
            taxon: dict[str, Any] = {
                "id": item.requirement,
                "shortDescription": {"text": item.title or item.requirement},
                "properties": {"provision": item.provision, "outcome": item.result,
                               "status": item.status,
                               **({"coverage": item.coverage} if item.coverage else {})},
            }
            taxa.append(taxon)
        index[fid] = (len(taxonomies), {t["id"]: i for i, t in enumerate(taxa)})
        taxonomies.append({"name": fid, "fullName": title,
                           **({"version": version} if version else {}),
                           "isComprehensive": False, "taxa": taxa})
    return taxonomies, index


def _relationships(findings: list[Finding],
                   index: dict[str, tuple[int, dict[str, int]]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cwe_index, cwe_taxa = index["CWE"]
    for cwe in findings[0].cwe:
        out.append({"target": {"id": cwe.removeprefix("CWE-"), "index": cwe_taxa[cwe],
                               "toolComponent": {"name": "CWE", "index": cwe_index}},
                    "kinds": ["superset"]})
    for ctl in sorted({c for f in findings for c in f.controls}):
        if ctl.framework not in index or ctl.requirement not in index[ctl.framework][1]:
            continue
        tax_index, taxa = index[ctl.framework]
        out.append({"target": {"id": ctl.requirement, "index": taxa[ctl.requirement],
                               "toolComponent": {"name": ctl.framework, "index": tax_index}},
                    "kinds": ["relevant"]})
    return out


class SarifReporter(Reporter):
    name = "sarif"
    filename = "report.sarif"
    description = "SARIF 2.1.0 for GitHub code scanning and other SARIF viewers"

    def render(self, result: ScanResult, out: TextIO,
               options: RenderOptions = DEFAULT_RENDER) -> None:
        json.dump(self.document(result), out, indent=2, ensure_ascii=False)
        out.write("\n")

    def document(self, result: ScanResult) -> dict[str, Any]:
        rules: dict[str, int] = {}
        descriptors: list[dict[str, Any]] = []
        results = []
        roots = SourceRoots.of(result)
        for f in result.findings:
            if f.rule_id not in rules:
                rules[f.rule_id] = len(descriptors)
                descriptors.append(_rule_descriptor(f))
            entry: dict[str, Any] = {
                "ruleId": f.rule_id,
                "ruleIndex": rules[f.rule_id],
                "level": _LEVEL[f.severity],
                "message": {"text": f.message},
                "locations": [_location(f, roots)],
                "partialFingerprints": {"auditorFingerprint/v1": f.fingerprint},
                "properties": {
                    "severity": f.severity.label,
                    "cwe": list(f.cwe),
                    "evidence": evidence_text(f.evidence),
                    **({"entities": list(f.entities)} if f.entities else {}),
                    **({"subjects": f.subjects} if f.subjects is not None else {}),
                },
            }
            if f.suppressed:
                sup = f.suppression
                entry["suppressions"] = [{
                    "kind": "external",
                    "status": "accepted",
                    "justification": (sup.reason if sup else "suppressed"),
                }]
            results.append(entry)
        by_rule: dict[str, list[Finding]] = {}
        for f in result.findings:
            by_rule.setdefault(f.rule_id, []).append(f)
        taxonomies, index = _taxonomies(result, by_rule)
        for desc in descriptors:
            links = _relationships(by_rule[desc["id"]], index)
            if links:
                desc["relationships"] = links
        driver: dict[str, Any] = {
            "name": "auditor",
            "version": result.tool_version,
            "semanticVersion": result.tool_version,
            "rules": descriptors,
            "supportedTaxonomies": [{"name": t["name"], "index": i}
                                    for i, t in enumerate(taxonomies)],
        }
        home = information_uri()
        if home:
            driver["informationUri"] = home
        notifications = [
            {"level": "error", "message": {"text": f"{t.uri}: {t.error or 'error'}"},
             "descriptor": {"id": "target-error"}}
            for t in result.targets if t.status == "error"
        ]
        run: dict[str, Any] = {
            "tool": {"driver": driver},
            "automationDetails": {"id": f"auditor/{result.run_id}"},
            "invocations": [{
                "executionSuccessful": not notifications,
                "startTimeUtc": result.started_at,
                "endTimeUtc": result.finished_at,
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
            "taxonomies": taxonomies,
            "properties": {"as_of": result.as_of.isoformat()},
        }
        if roots.base_ids():
            run["originalUriBaseIds"] = roots.base_ids()
        return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
