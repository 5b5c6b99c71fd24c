"""OSCAL assessment-results: valid against the official OSCAL 1.0.6 JSON schema, findings
linked to controls and to the observations that made them fail, deterministic."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import pytest
import regex
from auditor.reports.oscal import OscalReporter, control_id
from auditor.reports.oscal_catalog import NIST_CATALOG_URI

from auditor.results import ScanResult
from tests.fakes import fake_engine, run, tree
from tests.reports.oscal_schema import oscal_validator
from tests.reports.sample import sample_result


def render(result: ScanResult) -> dict[str, Any]:
    buf = io.StringIO()
    OscalReporter().render(result, buf)
    doc: dict[str, Any] = json.loads(buf.getvalue())
    return doc


def test_validator_really_checks_patterns(schemas: Path) -> None:
    doc = render(sample_result())
    doc["assessment-results"]["uuid"] = "not-a-uuid"
    doc["assessment-results"]["results"][0]["findings"][0]["target"]["status"]["state"] = "ok"
    doc["assessment-results"]["results"][0]["observations"][0]["props"][0]["name"] = "1bad"
    errors = [e.message for e in oscal_validator(schemas).iter_errors(doc)]
    assert any("not-a-uuid" in m for m in errors)
    assert any("'ok' is not one of" in m for m in errors)
    assert any("'1bad' does not match" in m for m in errors)


def test_sample_validates(schemas: Path) -> None:
    oscal_validator(schemas).validate(render(sample_result()))


def test_engine_result_validates(schemas: Path, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    tree(tmp_path, {"conf/a.kv": "debug = true\ndb.password = s3cr3t-value\n"})
    monkeypatch.chdir(tmp_path)
    result = run(fake_engine(tmp_path), Path("tree"))
    oscal_validator(schemas).validate(render(result))


def test_no_frameworks_still_validates(schemas: Path) -> None:
    import dataclasses
    bare = dataclasses.replace(sample_result(), compliance=(), frameworks=(), findings=())
    doc = render(bare)
    oscal_validator(schemas).validate(doc)
    sel = doc["assessment-results"]["results"][0]["reviewed-controls"]["control-selections"]
    assert sel == [{"description": "No framework was selected: all rules applied.",
                    "include-all": {}}]


def test_findings_link_controls_and_observations() -> None:
    result = sample_result()
    res = render(result)["assessment-results"]["results"][0]
    obs = {o["uuid"]: o for o in res["observations"]}
    assert len(obs) == len(result.findings)
    by_target = {f["target"]["target-id"]: f for f in res["findings"]}
    # review row 44: findings target the assessment objective, not the control
    assert set(by_target) == {"vn-pdpl-2025_L91-protection-measures_obj",
                              "vn-pdpl-2025_D356-Art7-2_obj", "vn-pdpl-2025_L91-Art30-3_obj"}
    failing = by_target["vn-pdpl-2025_L91-protection-measures_obj"]
    assert failing["target"]["status"] == {"state": "not-satisfied", "reason": "fail"}
    linked = [obs[r["observation-uuid"]] for r in failing["related-observations"]]
    fps = sorted(p["value"] for o in linked for p in o["props"] if p["name"] == "fingerprint")
    assert fps == ["b" * 32, "e" * 32]
    assert by_target["vn-pdpl-2025_L91-Art30-3_obj"]["target"]["status"] == {
        "state": "satisfied", "reason": "no-finding"}
    selections = res["reviewed-controls"]["control-selections"]
    ids = [[c["control-id"] for c in s["include-controls"]] for s in selections]
    assert ids == [["vn-pdpl-2025_D356-Art7-2", "vn-pdpl-2025_L91-Art30-3",
                    "vn-pdpl-2025_L91-protection-measures"],
                   ["vn-pdpl-2025_D356-Art12-4"], ["vn-pdpl-2025_L91-Art23"]]


def test_masked_evidence_and_suppression_in_observations() -> None:
    res = render(sample_result())["assessment-results"]["results"][0]
    secret = next(o for o in res["observations"]
                  if {"name": "rule-id", "ns": o["props"][0]["ns"],
                      "value": "core.secret.aws-key"} in o["props"])
    props = {p["name"]: p["value"] for p in secret["props"]}
    assert props["suppressed"] == "true" and props["suppression-source"] == "file"
    assert secret["relevant-evidence"] == [
        {"description": "Masked evidence: value=AKIA••••••••(40)"}]


def test_import_ap_references_the_generated_plan() -> None:
    ar = render(sample_result())["assessment-results"]
    resource, *catalogs = ar["back-matter"]["resources"]
    assert ar["import-ap"] == {"href": "#" + resource["uuid"]}
    assert [p["value"] for p in resource["props"]] == [
        "config/app.env", "postgresql://db.example/citizens", "broken.pcap"]
    plan = json.loads(base64.b64decode(resource["base64"]["value"]))["assessment-plan"]
    [selection] = plan["reviewed-controls"]["control-selections"]
    assert {"control-id": "vn-pdpl-2025_L91-Art23"} in selection["include-controls"]
    [objectives] = plan["reviewed-controls"]["control-objective-selections"]
    assert {"objective-id": "vn-pdpl-2025_L91-Art23_obj"} in objectives["include-objectives"]
    [cat] = catalogs
    assert selection["links"] == [{"href": "#" + cat["uuid"], "rel": "reference"}]
    catalog = json.loads(base64.b64decode(cat["base64"]["value"]))["catalog"]
    parts = {p["id"] for c in catalog["controls"] for p in c["parts"]}
    targets = {f["target"]["target-id"] for f in ar["results"][0]["findings"]}
    assert targets <= parts  # every objective a finding targets is in the catalog


def test_parties_and_manual_attestations() -> None:
    ar = render(sample_result())["assessment-results"]
    roles = {r["id"] for r in ar["metadata"]["roles"]}
    assert roles == {"assessor", "assessment-tool"}
    assessor = ar["metadata"]["responsible-parties"][0]["party-uuids"][0]
    assert assessor in {p["uuid"] for p in ar["metadata"]["parties"]}
    [att] = ar["results"][0]["attestations"]
    manual = {p["title"].split(":")[0] for p in att["parts"]}
    assert "vn-pdpl-2025 L91-Art23" in manual
    part = next(p for p in att["parts"] if p["title"].startswith("vn-pdpl-2025 L91-Art23"))
    assert {"name": "attestation-status", "ns": part["props"][0]["ns"],
            "value": "pending"} in part["props"]


def test_nist_references_the_official_catalog() -> None:
    import dataclasses

    from auditor.results import ComplianceItem, FrameworkRef

    base = sample_result()
    nist = FrameworkRef("nist-800-53r5", "5.1.1", "NIST SP 800-53 Rev. 5", "2020-09-23", None)
    item = ComplianceItem("nist-800-53r5", "sc-8.1", "fail", title="Cryptographic Protection",
                          outcome="fail", findings=(base.findings[0].fingerprint,))
    result = dataclasses.replace(base, frameworks=(nist,), compliance=(item,))
    ar = render(result)["assessment-results"]
    cat = ar["back-matter"]["resources"][1]
    assert cat["rlinks"] == [{"href": NIST_CATALOG_URI, "media-type": "application/json"}]
    assert ar["results"][0]["findings"][0]["target"]["target-id"] == "sc-8.1_obj"


def test_deterministic() -> None:
    assert render(sample_result()) == render(sample_result())


@pytest.mark.parametrize(("framework", "requirement", "expected"), [
    ("nist-800-53r5", "sc-8.1", "sc-8.1"),
    ("iso27001-2022", "A.8.24", "iso27001-2022_A.8.24"),
    ("pci-dss-4.0.1", "3.5.1", "pci-dss-4.0.1_3.5.1"),
    ("gdpr", "Art32-1-a", "gdpr_Art32-1-a"),
    ("x", "a b/c", "x_a-b-c"),
])
def test_control_ids_are_tokens(framework: str, requirement: str, expected: str) -> None:
    assert control_id(framework, requirement) == expected
    assert regex.match(r"^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$", expected)
