"""OSCAL catalogs of the framework packs and the assessment plan of a run (OSCAL 1.0.6).

- :func:`catalog` turns a framework's requirements into an OSCAL catalog: one control per
  requirement (id :func:`reports.oscal.control_id`), with a ``statement`` part
  (``<id>_smt``: the requirement's text or title), an ``assessment-objective`` part
  (``<id>_obj``: what the automated checks establish — the objective an assessment-results
  finding targets) and a ``guidance`` part (the manual procedure). The catalogs of the
  built-in packs are shipped in ``rules/oscal/`` (``python -m reports.oscal_catalog``
  regenerates them; a test checks they are current).
- NIST SP 800-53 keeps its own control ids; the run references NIST's published catalog
  (:data:`NIST_CATALOG_URI`) and ships a generated subset of the controls it uses, whose
  ``_obj`` parts say what our automated checks cover — not NIST's assessment objectives.
- :func:`assessment_plan` describes the run as an OSCAL assessment plan: parties and
  roles, the reviewed controls and objectives, the targets as assessment subjects, the
  tool as an assessment asset; the assessment-results document embeds it and points
  ``import-ap`` at it.

Every uuid is a version-5 uuid of the content, so the same input renders the same text.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import sys
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path

from auditor.compliance import assess
from auditor.frameworks import Framework, builtin_frameworks
from auditor.models import JSONValue
from auditor.results import ComplianceItem, FrameworkRef, ScanResult

__all__ = [
    "NIST_CATALOG_URI",
    "OSCAL_VERSION",
    "assessment_plan",
    "catalog",
    "catalog_dir",
    "embedded",
    "framework_items",
    "objective_id",
    "parties",
    "write_builtin_catalogs",
]

OSCAL_VERSION = "1.0.6"
NIST_CATALOG_URI = ("https://raw.githubusercontent.com/usnistgov/oscal-content/main/nist.gov/"
                    "SP800-53/rev5/json/NIST_SP-800-53_rev5_catalog.json")
_NAMESPACE = uuid.UUID("0c9b5c52-2f0e-5f7a-8a61-4a7c3f1e9d20")
_NS = "https://auditor.invalid/ns/oscal"  # NOTE: names our props; never dereferenced
NIST = "nist-800-53r5"


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(parts)))


def _string(text: str) -> str:
    return " ".join(text.split()) or "-"


def _prop(name: str, value: str) -> dict[str, JSONValue]:
    return {"name": name, "ns": _NS, "value": _string(value)}


def _control_id(framework: str, requirement: str) -> str:
    from reports.oscal import control_id  # NOTE: one definition, in the AR writer

    return control_id(framework, requirement)


def objective_id(framework: str, requirement: str) -> str:
    """The assessment-objective part id of a requirement's control (``sc-8.1_obj``)."""
    return f"{_control_id(framework, requirement)}_obj"


def catalog_dir() -> Path:
    return Path(__file__).resolve().parents[1] / "rules" / "oscal"


def framework_items(fw: Framework) -> tuple[ComplianceItem, ...]:
    """Every requirement of a framework as a (content-only) compliance item, whatever the
    date or scope: the catalog lists them all."""
    items: list[ComplianceItem] = []
    for req in fw.requirements:
        one = dataclasses.replace(fw, requirements=(req,))
        items.extend(assess([one], (), (), (), req.effective_from or fw.effective_from))
    return tuple(items)


def _control(item: ComplianceItem) -> dict[str, JSONValue]:
    cid = _control_id(item.framework, item.requirement)
    props: list[JSONValue] = [_prop("label", item.requirement),
                              _prop("provision", item.provision)]
    if item.provision_vi:
        props.append(_prop("provision-vi", item.provision_vi))
    props += [_prop("coverage", item.coverage or "manual"),
              _prop("confidence", item.confidence)]
    if item.scope:
        props.append(_prop("scope", item.scope))
    props += [_prop("crossref", c) for c in item.crossrefs]
    if item.penalty:
        props.append(_prop("penalty", item.penalty))
    objective = item.checked or (
        "No automated check: the objective is met when the auditor records the outcome of "
        "the guidance." if (item.coverage or "manual") == "manual" else
        "The automated checks that select this requirement find no violation.")
    parts: list[JSONValue] = [
        {"id": f"{cid}_smt", "name": "statement", "prose": item.title},
        {"id": f"{cid}_obj", "name": "assessment-objective", "prose": objective},
    ]
    if item.guidance:
        parts.append({"id": f"{cid}_gdn", "name": "guidance", "prose": item.guidance})
    if item.title_vi:
        props.append(_prop("title-vi", item.title_vi))
    return {"id": cid, "class": "requirement", "title": _string(item.title), "props": props,
            "parts": parts}


def catalog(ref: FrameworkRef, items: Sequence[ComplianceItem]) -> dict[str, JSONValue]:
    """The OSCAL catalog of a framework's requirements (``items``: one per requirement)."""
    remarks = ("Generated by auditor from the framework pack; requirement texts are "
               "summaries, not quotations.")
    meta: dict[str, JSONValue] = {
        "title": ref.title + (" — subset used by auditor" if ref.id == NIST else ""),
        "last-modified": f"{ref.effective_from or '1970-01-01'}T00:00:00Z",
        "version": ref.version, "oscal-version": OSCAL_VERSION,
        "props": [_prop("framework", ref.id), _prop("pack-sha256", ref.sha256 or "-")],
        "remarks": remarks,
    }
    doc: dict[str, JSONValue] = {
        "uuid": _uuid("catalog", ref.id, ref.version, ref.sha256),
        "metadata": meta,
        "controls": [_control(i) for i in items],
    }
    if ref.id == NIST:
        doc["back-matter"] = {"resources": [{
            "uuid": _uuid("nist-catalog"), "title": "NIST SP 800-53 Rev. 5 catalog (official)",
            "rlinks": [{"href": NIST_CATALOG_URI, "media-type": "application/json"}]}]}
    return {"catalog": doc}


def embedded(doc: dict[str, JSONValue], filename: str) -> dict[str, JSONValue]:
    """A back-matter ``base64`` object holding a JSON document."""
    raw = json.dumps(doc, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return {"filename": filename, "media-type": "application/json",
            "value": base64.b64encode(raw).decode("ascii")}


def parties(result: ScanResult) -> tuple[list[JSONValue], list[JSONValue], str]:
    """(roles, parties, assessor party uuid). The assessing organisation is not known to
    the tool: the party says who ran the automated assessment (run id) and that the
    assessor named on the evidence bundle is responsible."""
    assessor = _uuid("party", "assessor", result.run_id)
    roles: list[JSONValue] = [{"id": "assessor", "title": "Assessor"},
                              {"id": "assessment-tool", "title": "Automated assessment tool"}]
    people: list[JSONValue] = [
        {"uuid": assessor, "type": "organization",
         "name": f"Assessor of auditor run {result.run_id}",
         "remarks": "The person or organisation that ran the scan and signs the evidence "
                    "bundle; name them on the audit document."},
        {"uuid": _uuid("party", "tool"), "type": "organization",
         "name": f"auditor {result.tool_version} (automated checks)"},
    ]
    return roles, people, assessor


def catalog_resources(result: ScanResult) -> tuple[list[JSONValue], dict[str, str]]:
    """Back-matter resources for the frameworks of a run (NIST's official catalog by URI
    plus our subset; ours embedded) and their uuids by framework id."""
    by_fw: dict[str, list[ComplianceItem]] = {}
    for item in result.compliance:
        by_fw.setdefault(item.framework, []).append(item)
    resources: list[JSONValue] = []
    uuids: dict[str, str] = {}
    for ref in result.frameworks:
        items = by_fw.get(ref.id, [])
        rid = _uuid("catalog-resource", result.run_id, ref.id)
        uuids[ref.id] = rid
        res: dict[str, JSONValue] = {
            "uuid": rid, "title": f"OSCAL catalog: {ref.title}",
            "props": [_prop("framework", ref.id), _prop("type", "catalog")],
            "base64": embedded(catalog(ref, items), f"{ref.id}.catalog.json"),
        }
        if ref.id == NIST:
            res["rlinks"] = [{"href": NIST_CATALOG_URI, "media-type": "application/json"}]
        resources.append(res)
    return resources, uuids


def assessment_plan(result: ScanResult, resources: Iterable[JSONValue],
                    catalogs: dict[str, str]) -> dict[str, JSONValue]:
    """The OSCAL assessment plan of the run: scope (targets, frameworks, as-of date)."""
    roles, people, assessor = parties(result)
    ssp = _uuid("ssp", result.run_id)
    selections: list[JSONValue] = []
    objectives: list[JSONValue] = []
    for ref in result.frameworks:
        ids = [i for i in result.compliance if i.framework == ref.id]
        if not ids:
            continue
        selections.append({
            "description": f"{ref.title}: requirements in force on {result.as_of.isoformat()}",
            "props": [_prop("framework", ref.id)],
            "links": [{"href": f"#{catalogs[ref.id]}", "rel": "reference"}],
            "include-controls": [{"control-id": _control_id(i.framework, i.requirement)}
                                 for i in ids]})
        objectives.append({
            "description": f"{ref.title}: assessment objectives",
            "include-objectives": [{"objective-id": objective_id(i.framework, i.requirement)}
                                   for i in ids]})
    reviewed: dict[str, JSONValue] = {"control-selections": selections or [
        {"description": "No framework was selected: all rules applied.", "include-all": {}}]}
    if objectives:
        reviewed["control-objective-selections"] = objectives
    return {"assessment-plan": {
        "uuid": _uuid("assessment-plan", result.run_id),
        "metadata": {
            "title": f"auditor assessment plan, run {result.run_id}",
            "last-modified": _timestamp(result.started_at),
            "version": result.tool_version, "oscal-version": OSCAL_VERSION,
            "roles": roles, "parties": people,
            "responsible-parties": [{"role-id": "assessor", "party-uuids": [assessor]}],
        },
        "import-ssp": {"href": f"#{ssp}"},
        "reviewed-controls": reviewed,
        "assessment-subjects": [{
            "type": "component",
            "description": (f"The {len(result.targets)} target(s) scanned: "
                            + (", ".join(t.uri for t in result.targets) or "none")),
            "include-all": {}}],
        "assessment-assets": {"assessment-platforms": [{
            "uuid": _uuid("platform", result.run_id),
            "title": f"auditor {result.tool_version}",
            "props": [_prop("as-of", result.as_of.isoformat())]}]},
        "back-matter": {"resources": [
            {"uuid": ssp, "title": "System under assessment",
             "description": ("No OSCAL system security plan: the system is described by "
                             "the targets of this run and the audit document.")},
            *resources]},
    }}


def _timestamp(text: str) -> str:
    from reports.oscal import _timestamp as ts  # NOTE: one definition, in the AR writer

    return ts(text)


def write_builtin_catalogs(out: Path | None = None) -> list[Path]:
    """Write the catalogs of the built-in frameworks (``rules/oscal/<id>.catalog.json``)."""
    target = out or catalog_dir()
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for fw in builtin_frameworks():
        path = target / f"{fw.id}.catalog.json"
        path.write_text(json.dumps(catalog(fw.ref(), framework_items(fw)), indent=2,
                                   ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":  # python -m reports.oscal_catalog [DIR]
    for p in write_builtin_catalogs(Path(sys.argv[1]) if len(sys.argv) > 1 else None):
        print(p)
