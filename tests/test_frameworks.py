"""Framework packs: valid, bilingual where Vietnamese, cited at the allowed precision,
selected by --as-of, and narrowed by PII entity where a requirement says so."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.models import Location, Severity
from auditor.policy.compliance import assess, finding_controls, narrowed_requirements
from auditor.policy.frameworks import (
    builtin_frameworks,
    builtin_frameworks_dir,
    load_framework,
    select_frameworks,
)
from auditor.policy.rules import load_pack
from auditor.results import Control, Finding

IDS = ["gdpr", "iso27001-2022", "nist-800-53r5", "pci-dss-4.0.1", "vn-decree13-2023",
       "vn-infosec-levels", "vn-pdpl-2025"]
VN = ["vn-decree13-2023", "vn-infosec-levels", "vn-pdpl-2025"]
# The CWE taxonomy of DESIGN.md: every CWE a framework selects must be one rules carry.
TAXONOMY = {"CWE-319", "CWE-523", "CWE-327", "CWE-326", "CWE-328", "CWE-324", "CWE-295",
            "CWE-798", "CWE-522", "CWE-256", "CWE-916", "CWE-312", "CWE-359", "CWE-287",
            "CWE-732", "CWE-489", "CWE-532",
            # carried by rules beyond the design table: unnecessary privileges (containers),
            # improper access control (MySQL local_infile), insufficient logging
            "CWE-250", "CWE-284", "CWE-778"}


def test_all_packs_present_and_valid() -> None:
    assert [f.id for f in builtin_frameworks()] == IDS
    for path in sorted(builtin_frameworks_dir().glob("*.yaml")):
        fw = load_framework(path)
        assert fw.id == path.stem
        assert fw.requirements


@pytest.mark.parametrize("fid", IDS)
def test_requirements_select_rules_by_known_cwes_or_are_manual(fid: str) -> None:
    fw = load_framework(builtin_frameworks_dir() / f"{fid}.yaml")
    for req in fw.requirements:
        assert req.is_manual or req.cwe or req.rules or req.tags, req.id
        assert set(req.cwe) <= TAXONOMY, req.id


@pytest.mark.parametrize("fid", VN)
def test_vietnamese_frameworks_are_bilingual(fid: str) -> None:
    fw = load_framework(builtin_frameworks_dir() / f"{fid}.yaml")
    assert fw.title_vi
    for req in fw.requirements:
        assert req.title_vi and req.title_vi != req.title, req.id
        if req.is_manual:
            assert req.manual_vi, req.id
        if req.text:
            assert req.text_vi, req.id
        if req.note:
            assert req.note_vi and req.note_vi != req.note, req.id


# Provisions exactly as FRAMEWORKS.md allows; an instrument alone must say why in `note`.
VN_PROVISIONS = {
    "vn-pdpl-2025": {
        "L91-protection-measures": "Law 91/2025/QH15", "L91-Art12": "Law 91/2025/QH15, Art. 12",
        "D356-Art4-sensitive": "Decree 356/2025/ND-CP, Art. 4",
        "L91-protection-transmission": "Law 91/2025/QH15",
        # review row 3: Art. 20 (cross-border) and Art. 21 (impact assessment), no Art. 22
        "L91-Art20": "Law 91/2025/QH15, Art. 20", "L91-Art21": "Law 91/2025/QH15, Art. 21",
        "L91-Art23": "Law 91/2025/QH15, Art. 23",
        "L91-retention": "Law 91/2025/QH15", "L91-children": "Law 91/2025/QH15",
        "L91-test-data": "Law 91/2025/QH15", "L91-dpo-consent": "Law 91/2025/QH15",
        "L91-Art29-2": "Law 91/2025/QH15, Art. 29(2)",
        "L91-Art30-3": "Law 91/2025/QH15, Art. 30(3)",
        "L91-Art31-4-a": "Law 91/2025/QH15, Art. 31(4)(a)",
        "D356-Art4-credentials": "Decree 356/2025/ND-CP, Art. 4",
        "D356-Art4-id-images": "Decree 356/2025/ND-CP, Art. 4",
        "D356-Art4-2": "Decree 356/2025/ND-CP, Art. 4(2)",
        "D356-Art7-2": "Decree 356/2025/ND-CP, Art. 7(2)",
        "D356-Art8": "Decree 356/2025/ND-CP, Art. 8",
        "D356-Art9-3": "Decree 356/2025/ND-CP, Art. 9(3)",
        "D356-Art11": "Decree 356/2025/ND-CP, Art. 11",
        "D356-Art12-4": "Decree 356/2025/ND-CP, Art. 12(4)",
        "D356-Art28-29": "Decree 356/2025/ND-CP, Art. 28–29",
    },
    "vn-decree13-2023": {
        "D13-Art26-28-storage": "Decree 13/2023/ND-CP, Art. 26–28",
        "D13-Art26-28-transmission": "Decree 13/2023/ND-CP, Art. 26–28",
        "D13-Art26-28-access": "Decree 13/2023/ND-CP, Art. 26–28",
        "D13-Art28-measures": "Decree 13/2023/ND-CP, Art. 28",
        "D13-Art28": "Decree 13/2023/ND-CP, Art. 28", "D13-Art23": "Decree 13/2023/ND-CP, Art. 23",
        "D13-Art24": "Decree 13/2023/ND-CP, Art. 24", "D13-Art25": "Decree 13/2023/ND-CP, Art. 25",
        "D13-Art16": "Decree 13/2023/ND-CP, Art. 16", "D13-Art20": "Decree 13/2023/ND-CP, Art. 20",
    },
}


@pytest.mark.parametrize("fid", sorted(VN_PROVISIONS))
def test_vietnamese_provisions_cited_at_allowed_precision(fid: str) -> None:
    fw = load_framework(builtin_frameworks_dir() / f"{fid}.yaml")
    assert {r.id: r.provision for r in fw.requirements} == VN_PROVISIONS[fid]
    for req in fw.requirements:
        if "Art." not in req.provision:
            assert "unconfirmed" in req.note, req.id


def test_infosec_levels_thresholds_are_labelled_defaults() -> None:
    fw = load_framework(builtin_frameworks_dir() / "vn-infosec-levels.yaml")
    assert fw.parameters == {
        "level": 3, "password_min_length_with_mfa": 8, "password_min_length_without_mfa": 14,
        "log_retention_months": 3, "encrypt_credentials_at_rest_from_level": 1,
        "encrypt_nonpublic_at_rest_from_level": 2, "encrypt_in_transit_from_level": 3}
    text = (builtin_frameworks_dir() / "vn-infosec-levels.yaml").read_text(encoding="utf-8")
    assert text.count("DEFAULT, not a quotation") == 6
    for req in fw.requirements:
        if req.id == "L85-classification":  # review rows 24-25: articles confirmed
            assert req.provision_vi == (
                "Điều 7 đến Điều 11 (tiêu chí xác định cấp độ), Điều 15 (hồ sơ đề xuất cấp độ) "
                "Nghị định 85/2016/NĐ-CP; Thông tư 12/2022/TT-BTTTT")
            continue
        assert req.provision == "TCVN 11930:2017"
        assert "unconfirmed" in req.note or "DEFAULT" in req.note, req.id
    assert "Art. 9(2)(c)" in fw_parameter_description("level")


def fw_parameter_description(name: str) -> str:
    import yaml

    doc = yaml.safe_load((builtin_frameworks_dir() / "vn-infosec-levels.yaml").read_text(
        encoding="utf-8"))
    return str(doc["framework"]["parameters"][name]["description"])


@pytest.mark.parametrize(("as_of", "expected_in", "expected_out"), [
    ("2025-06-30", "vn-decree13-2023", "vn-pdpl-2025"),
    ("2025-12-31", "vn-decree13-2023", "vn-pdpl-2025"),
    ("2026-01-01", "vn-pdpl-2025", "vn-decree13-2023"),
    ("2026-11-25", "vn-pdpl-2025", "vn-decree13-2023"),
])
def test_as_of_selects_the_law_in_force(as_of: str, expected_in: str,
                                        expected_out: str) -> None:
    chosen = {f.id for f in select_frameworks(builtin_frameworks(), [],
                                              dt.date.fromisoformat(as_of))}
    assert expected_in in chosen and expected_out not in chosen
    assert {"gdpr", "pci-dss-4.0.1", "iso27001-2022", "nist-800-53r5",
            "vn-infosec-levels"} <= chosen


@pytest.mark.parametrize(("as_of", "vn_law"), [
    ("2025-06-30", "vn-decree13-2023"), ("2026-11-25", "vn-pdpl-2025")])
def test_cli_as_of_picks_frameworks(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    as_of: str, vn_law: str) -> None:
    (tmp_path / "notes.txt").write_text("hello\n", encoding="utf-8")
    assert main(["scan", str(tmp_path), "--as-of", as_of, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    ids = [f["id"] for f in doc["run"]["frameworks"]]
    assert vn_law in ids
    assert ({"vn-pdpl-2025", "vn-decree13-2023"} - {vn_law}).isdisjoint(ids)
    items = [c for c in doc["compliance"] if c["framework"] == vn_law]
    assert items and all(c["provision"] for c in items)


RULES = """\
schema_version: 1
pack: {id: x, version: "1", title: x}
rules:
  - id: x.pii.cleartext
    title: Personal data in cleartext
    severity: high
    cwe: [CWE-312]
    match: {kind: pii.column}
    message: m
    remediation: r
    references: []
"""


def _finding(entities: tuple[str, ...], fp: str) -> Finding:
    return Finding(fingerprint=fp, rule_id="x.pii.cleartext", pack="x", title="t",
                   severity=Severity.HIGH, cwe=("CWE-312",), message="m",
                   location=Location("db.sql", table="public.t", column="c"), kind="pii.column",
                   entities=entities)


@pytest.mark.parametrize(("entities", "status"), [
    (("CREDIT_CARD",), "fail"), (("VN_CCCD",), "pass"), (("VN_CCCD", "CREDIT_CARD"), "fail")])
def test_pci_351_counts_only_card_data(tmp_path: Path, entities: tuple[str, ...],
                                       status: str) -> None:
    (tmp_path / "x.yaml").write_text(RULES, encoding="utf-8")
    rules = load_pack(tmp_path / "x.yaml").rules
    pci = load_framework(builtin_frameworks_dir() / "pci-dss-4.0.1.yaml").with_parameters(
        {"cardholder_data": True})
    finding = _finding(entities, "1" * 32)
    items = {c.requirement: c for c in assess([pci], rules, [finding], {"pii.column"},
                                              dt.date(2026, 1, 1))}
    assert items["3.5.1"].status == status
    controls = finding_controls(finding, (Control("pci-dss-4.0.1", "3.5.1"),),
                                narrowed_requirements([pci]))
    assert (controls == (Control("pci-dss-4.0.1", "3.5.1"),)) is (status == "fail")
    gdpr = load_framework(builtin_frameworks_dir() / "gdpr.yaml")
    g = {c.requirement: c for c in assess([gdpr], rules, [finding], {"pii.column"},
                                          dt.date(2026, 1, 1))}
    assert g["Art5-1-f"].status == "fail"  # no narrowing there
    assert dataclasses.replace(finding, suppressed=True).suppressed


@pytest.mark.parametrize(("level", "expected"), [
    (1, {"T11930-credentials-at-rest"}),
    (2, {"T11930-credentials-at-rest", "T11930-data-at-rest"}),
    (3, {"T11930-credentials-at-rest", "T11930-data-at-rest", "T11930-data-in-transit"}),
])
def test_infosec_requirements_apply_by_level(tmp_path: Path, level: int,
                                             expected: set[str]) -> None:
    text = (builtin_frameworks_dir() / "vn-infosec-levels.yaml").read_text(encoding="utf-8")
    custom = tmp_path / "infosec.yaml"
    custom.write_text(text.replace("    level:\n      default: 3",
                                   f"    level:\n      default: {level}"), encoding="utf-8")
    fw = load_framework(custom)
    assert fw.parameters["level"] == level
    (tmp_path / "x.yaml").write_text(RULES, encoding="utf-8")
    items = assess([fw], load_pack(tmp_path / "x.yaml").rules, [], {"pii.column"},
                   dt.date(2026, 1, 1))
    levelled = {"T11930-credentials-at-rest", "T11930-data-at-rest", "T11930-data-in-transit"}
    assert {i.requirement for i in items} & levelled == expected
    assert "T11930-authentication" in {i.requirement for i in items}  # not levelled


@pytest.mark.parametrize(("param", "present"), [
    ([], True), (["--param", "vn-infosec-levels.level=2"], False),
    (["--param", "vn-infosec-levels.level=3"], True)])
def test_cli_framework_parameter_override(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          param: list[str], present: bool) -> None:
    (tmp_path / "notes.txt").write_text("hello\n", encoding="utf-8")
    assert main(["scan", str(tmp_path), "--framework", "vn-infosec-levels", "--format", "json",
                 *param]) == 0
    reqs = {c["requirement"] for c in json.loads(capsys.readouterr().out)["compliance"]}
    assert ("T11930-data-in-transit" in reqs) is present
    assert "T11930-data-at-rest" in reqs


def test_cli_unknown_framework_parameter(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(tmp_path), "--framework", "vn-infosec-levels",
                 "--param", "vn-infosec-levels.levle=2"]) == 2
    assert "framework vn-infosec-levels has no parameter 'levle'" in capsys.readouterr().err


def test_every_builtin_rule_evidences_a_requirement_and_back() -> None:
    """A new rule whose CWE no framework selects, or a requirement no rule can evidence
    (always "not assessed"), shows up here."""
    from auditor.policy.loading import load_packs

    rules = [r for p in load_packs([]) for r in p.rules]
    if not rules:
        pytest.skip("no built-in rules")
    automated = [(fw.id, req) for fw in builtin_frameworks() for req in fw.requirements
                 if not req.is_manual]
    unmapped = sorted(r.id for r in rules if not any(req.selects(r) for _, req in automated))
    assert unmapped == []
    idle = sorted(f"{fid} {req.id}" for fid, req in automated
                  if not any(req.selects(r) for r in rules))
    assert idle == []


def test_requirement_subjects_are_the_largest_finding_estimate(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text(RULES, encoding="utf-8")
    rules = load_pack(tmp_path / "x.yaml").rules
    gdpr = load_framework(builtin_frameworks_dir() / "gdpr.yaml")
    findings = [dataclasses.replace(_finding(("VN_CCCD",), "1" * 32), subjects=120),
                dataclasses.replace(_finding(("EMAIL_ADDRESS",), "2" * 32), subjects=480),
                _finding(("PERSON",), "3" * 32)]
    items = {c.requirement: c for c in assess([gdpr], rules, findings, {"pii.column"},
                                              dt.date(2026, 1, 1))}
    assert items["Art5-1-f"].subjects == 480
    assert items["Art5-1-f"].to_dict()["subjects"] == 480
    assert items["Art33"].subjects is None  # manual


@pytest.mark.parametrize(("entities", "status"), [
    (("HEALTH",), "fail"), (("LOCATION_TRACE", "PERSON"), "fail"), (("VN_CCCD",), "pass"),
    (("EMAIL_ADDRESS", "VN_PHONE"), "pass")])
def test_decree13_sensitive_measures_count_sensitive_categories_only(
        tmp_path: Path, entities: tuple[str, ...], status: str) -> None:
    (tmp_path / "x.yaml").write_text(RULES, encoding="utf-8")
    d13 = load_framework(builtin_frameworks_dir() / "vn-decree13-2023.yaml")
    items = {c.requirement: c for c in assess(
        [d13], load_pack(tmp_path / "x.yaml").rules, [_finding(entities, "1" * 32)],
        {"pii.column"}, dt.date(2025, 6, 30))}
    assert items["D13-Art28-measures"].status == status
    assert items["D13-Art26-28-storage"].status == "fail"


def test_manual_guidance_shows_the_thresholds_in_force(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("hello\n", encoding="utf-8")
    assert main(["scan", str(tmp_path), "--framework", "vn-infosec-levels", "--format", "json",
                 "--param", "vn-infosec-levels.password_min_length_with_mfa=10"]) == 0
    items = {c["requirement"]: c for c in json.loads(capsys.readouterr().out)["compliance"]}
    assert items["T11930-password-policy"]["guidance"].endswith("[with_mfa=10, without_mfa=14]")
    assert items["T11930-password-policy"]["guidance_vi"].endswith(
        "[with_mfa=10, without_mfa=14]")
    assert items["T11930-log-retention"]["guidance"].endswith("[months=3]")


def test_requirement_and_compliance_item_share_one_text_record() -> None:
    from auditor.results import ComplianceItem, RequirementText

    fw = load_framework(builtin_frameworks_dir() / "vn-pdpl-2025.yaml")
    items = {i.requirement: i for i in assess([fw], (), (), (), dt.date(2026, 11, 25))}
    req = next(r for r in fw.requirements if r.penalty and r.title_vi and r.id in items)
    item = items[req.id]
    assert isinstance(req, RequirementText) and isinstance(item, RequirementText)
    # every word of the framework file reaches the report's item (checked is computed)
    copied = {k: v for k, v in req.requirement_text().items() if not k.startswith("checked")}
    assert copied == {k: v for k, v in item.requirement_text().items()
                      if not k.startswith("checked")}
    assert item.localized("title", "vi") == req.title_vi != req.title
    assert item.localized("title", "en") == req.title
    english_only = dataclasses.replace(item, note="A note", note_vi="")
    assert english_only.localized("note", "vi") == "A note"
    assert ComplianceItem.from_dict(item.to_dict()) == item
