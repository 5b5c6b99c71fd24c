"""Compliance content after the 2026-12 review (COMPLIANCE-REVIEW.md §10): each changed
mapping pinned by the built-in rules it selects, outcomes and scoping, cross-references."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from auditor.models import Location, Severity
from auditor.outcomes import STATUS_OF
from auditor.policy.compliance import assess
from auditor.policy.frameworks import (
    Framework,
    builtin_frameworks,
    builtin_frameworks_dir,
    load_framework,
)
from auditor.policy.loading import load_packs
from auditor.policy.rules import Rule
from auditor.policy.scoping import declared_values, scope_outcome
from auditor.results import Finding

RULES: tuple[Rule, ...] = tuple(r for p in load_packs([]) for r in p.rules)
FW = {f.id: f for f in builtin_frameworks()}


def selected(fid: str, rid: str) -> set[str]:
    req = next(r for r in FW[fid].requirements if r.id == rid)
    return {r.id for r in RULES if req.selects(r)}


# (framework, requirement, rules it must select, rules it must not select, review row)
PINS = [
    ("pci-dss-4.0.1", "2.2.2", {"core.db.account-anonymous", "core.db.account-empty-password",
                                "core.db.role-without-password"},
     {"core.secret.aws-access-key", "core.sshd.root-login", "core.redis.no-auth"}, 26),
    ("pci-dss-4.0.1", "8.6.2", {"core.secret.aws-access-key", "core.secret.jwt"}, set(), 26),
    ("pci-dss-4.0.1", "8.3.1", {"core.sshd.root-login", "core.redis.no-auth"}, set(), 26),
    ("pci-dss-4.0.1", "8.3.2", {"core.db.password-plaintext", "core.net.cleartext-credentials"},
     set(), 28),
    ("pci-dss-4.0.1", "2.2.7", {"core.net.cleartext-credentials", "core.ssh.weak-algorithm"},
     set(), 28),
    ("pci-dss-4.0.1", "4.2.1", {"core.tls.deprecated-protocol", "core.cert.expired"},
     {"core.cert.expiring-soon", "core.cert.lifetime-too-long", "core.cert.missing-san",
      "core.tls.outside-profile", "core.pg-hba.md5", "core.db.ssl-disabled"}, 27),
    ("pci-dss-4.0.1", "4.2.1.1", {"core.cert.expiring-soon", "core.cert.missing-san"}, set(), 28),
    ("pci-dss-4.0.1", "10.2.1", {"core.db.connection-logging-disabled"}, set(), 28),
    ("nist-800-53r5", "ia-5.7", {"core.secret.github-token"}, set(), 33),
    ("nist-800-53r5", "ia-5", set(), {"core.secret.github-token", "core.sshd.root-login"}, 33),
    ("nist-800-53r5", "ia-2", {"core.sshd.root-login"}, set(), 33),
    ("nist-800-53r5", "ac-3", {"core.pg-hba.trust"}, set(), 33),
    ("nist-800-53r5", "sc-17", {"core.cert.expired", "core.cert.self-signed",
                                "core.cert.missing-san"}, set(), 34),
    ("nist-800-53r5", "sc-8.1", {"core.tls.weak-cipher"},
     {"core.cert.expired", "core.cert.self-signed", "core.pg-hba.md5"}, 34),
    ("nist-800-53r5", "sc-13", {"core.cert.weak-signature"}, {"core.pg-hba.md5"}, 34),
    ("nist-800-53r5", "ia-5.1", {"core.pg-hba.md5"}, set(), 34),
    ("nist-800-53r5", "ac-6", {"core.db.superuser-role"}, set(), 35),
    ("nist-800-53r5", "cm-7", {"core.config.debug-enabled"}, set(), 35),
    ("nist-800-53r5", "sc-12", {"core.key.unencrypted-private-key"}, set(), 35),
    ("nist-800-53r5", "au-12", {"core.db.connection-logging-disabled"}, set(), 35),
    ("nist-800-53r5", "si-11", {"core.config.verbose-errors"}, set(), 35),
    ("iso27001-2022", "A.8.12", {"core.net.pii-cleartext"}, {"core.config.debug-enabled"}, 37),
    ("iso27001-2022", "A.8.9", {"core.config.debug-enabled"}, set(), 37),
    ("iso27001-2022", "A.8.2", {"core.db.superuser-role"}, set(), 37),
    ("iso27001-2022", "A.8.28", {"core.secret.aws-access-key"}, set(), 37),
    ("iso27001-2022", "A.8.11", {"core.db.pii-cleartext"}, {"core.k8s.secret-manifest"}, 39),
    ("gdpr", "Art25", {"core.db.public-grant-pii"},
     {"core.config.debug-enabled", "core.sshd.root-login", "core.file.pii-in-log"}, 40),
    ("gdpr", "Art32-1-b", {"core.config.debug-enabled", "core.sshd.root-login"}, set(), 40),
    ("vn-pdpl-2025", "D356-Art7-2", {"core.net.pii-cleartext", "core.db.pii-cleartext-sensitive"},
     {"core.tls.weak-cipher", "core.cert.expired", "core.cert.self-signed"}, 10),
    ("vn-pdpl-2025", "L91-protection-transmission", {"core.tls.weak-cipher", "core.cert.expired"},
     set(), 10),
    ("vn-pdpl-2025", "D356-Art4-credentials",
     {"core.db.password-plaintext", "core.net.cleartext-credentials"},
     {"core.secret.url-password", "core.secret.password-assignment",
      "core.db.account-weak-auth-plugin"}, 12),
]


@pytest.mark.parametrize(("fid", "rid", "must", "must_not", "row"), PINS,
                         ids=[f"{p[0]}:{p[1]}" for p in PINS])
def test_changed_mapping_selects_the_reviewed_rules(fid: str, rid: str, must: set[str],
                                                    must_not: set[str], row: int) -> None:
    got = selected(fid, rid)
    assert must <= got, f"review row {row}"
    assert not (must_not & got), f"review row {row}"


@pytest.mark.parametrize(("fid", "rid", "absent"), [
    ("vn-pdpl-2025", "L91-Art20-22", True),  # row 3: split into Art. 20 and Art. 21
    ("vn-pdpl-2025", "L91-Art20", False), ("vn-pdpl-2025", "L91-Art21", False),
    ("vn-pdpl-2025", "D356-Art4-sensitive", False), ("vn-pdpl-2025", "L91-retention", False),
    ("vn-pdpl-2025", "L91-children", False), ("vn-pdpl-2025", "L91-test-data", False),
    ("gdpr", "Art5-1-c", False), ("gdpr", "Art5-1-e", False), ("gdpr", "Art30", False),
    ("gdpr", "Art35", False), ("gdpr", "Art44-46", False),
    ("iso27001-2022", "A.8.31", False), ("iso27001-2022", "A.8.33", False),
    ("nist-800-53r5", "si-12", False), ("nist-800-53r5", "si-19", False),
])
def test_requirements_added_or_removed(fid: str, rid: str, absent: bool) -> None:
    assert (rid not in {r.id for r in FW[fid].requirements}) is absent


def test_titles_and_texts_corrected() -> None:
    def req(fid: str, rid: str) -> object:
        return next(r for r in FW[fid].requirements if r.id == rid)

    pdpl = {r.id: r for r in FW["vn-pdpl-2025"].requirements}
    assert "xuyên biên giới" in pdpl["L91-Art20"].title_vi  # row 4
    assert "Art. 38" not in pdpl["L91-Art20"].manual  # row 5: exceptions given instead
    assert "sensitive data" in pdpl["L91-Art21"].manual and "10 days" in pdpl["L91-Art21"].manual
    assert "của chủ thể dữ liệu cá nhân" in pdpl["L91-Art23"].manual_vi  # row 6
    assert "another person" not in pdpl["L91-Art23"].manual
    assert "remains personal data" not in pdpl["L91-Art12"].title  # row 7
    assert "video" in pdpl["L91-Art29-2"].manual and "or part" in pdpl["L91-Art29-2"].manual
    assert "trí tuệ nhân tạo, chuỗi khối, vũ trụ ảo, điện toán đám mây" in \
        pdpl["L91-Art30-3"].title_vi  # row 9
    assert pdpl["D356-Art7-2"].title_vi.startswith("Chuyển giao dữ liệu cá nhân nhạy cảm")
    assert "HEALTH" in pdpl["D356-Art7-2"].entities  # row 10
    assert "dạng bản rõ" in pdpl["D356-Art11"].title_vi  # row 11
    assert "chứng minh nhân dân" in pdpl["D356-Art4-id-images"].title_vi  # row 13
    assert "A05" in pdpl["D356-Art8"].manual and "recovery" in pdpl["D356-Art8"].manual
    assert "A05 and" in pdpl["D356-Art28-29"].title  # row 15
    d13 = {r.id: r for r in FW["vn-decree13-2023"].requirements}
    assert "đã hết hiệu lực" not in FW["vn-decree13-2023"].title_vi  # row 18: date-aware
    assert "Form 04" in d13["D13-Art24"].manual  # row 19
    assert "Form 06" in d13["D13-Art25"].manual and "in writing" in d13["D13-Art25"].manual
    assert "after the violation occurs" in d13["D13-Art23"].manual  # row 21
    assert "28(3)" in d13["D13-Art28"].manual  # row 22
    pci = {r.id: r for r in FW["pci-dss-4.0.1"].requirements}
    assert "numeric and alphabetic" in pci["8.3.6"].manual  # row 29
    assert "non-console" in pci["8.4.2"].title and pci["8.4.2"].confidence == "medium"
    nist = {r.id: r for r in FW["nist-800-53r5"].requirements}
    assert nist["sc-8.1"].title == nist["sc-28.1"].title == "Cryptographic Protection"
    assert FW["nist-800-53r5"].version == "5.1.1"  # row 36
    iso = {r.id: r for r in FW["iso27001-2022"].requirements}
    assert iso["A.8.15"].coverage == "partial" and "One setting only" in iso["A.8.15"].checked
    assert "without undue delay" in FW["gdpr"].requirements[8].title  # row 42
    assert req("gdpr", "Art33")


def test_every_requirement_has_a_vietnamese_citation_and_valid_crossrefs() -> None:
    ids = {(f.id, r.id) for f in FW.values() for r in f.requirements}
    for fw in FW.values():
        for r in fw.requirements:
            assert r.provision_vi, (fw.id, r.id)  # row 43
            for ref in r.crossrefs:
                fid, _, rid = ref.partition(":")
                assert (fid, rid) in ids, (fw.id, r.id, ref)


@pytest.mark.parametrize(("value", "declared"), [
    (None, None), ("", None), ("cloud", {"cloud"}), ("Cloud, big_data", {"cloud", "big_data"}),
    ("none", set()), (True, {"true"}), (False, {"false"}), (["ai"], {"ai"})])
def test_declared_scope_values(value: object, declared: set[str] | None) -> None:
    got = declared_values(value)
    assert (None if got is None else set(got)) == declared


@pytest.mark.parametrize(("value", "outcome"), [
    (None, "needs_scoping"), ("none", "not_applicable"), ("finance", "not_applicable"),
    ("finance,cloud", None), ("cloud", None)])
def test_scope_outcome(value: object, outcome: str | None) -> None:
    got, label = scope_outcome({"param": "system_types", "any_of": ["cloud"]},
                               {"system_types": value})
    assert got == outcome and label == "system_types: cloud"


def _finding(rule: str, cwe: tuple[str, ...], fp: str, *, uri: str = "db.sql",
             entities: tuple[str, ...] = (), evidence: dict[str, object] | None = None,
             ) -> Finding:
    return Finding(fingerprint=fp, rule_id=rule, pack="core", title="t", severity=Severity.HIGH,
                   cwe=cwe, message="m", location=Location(uri, table="t", column="c"),
                   kind="k", entities=entities, evidence=dict(evidence or {}))  # type: ignore


def _items(fw: Framework, findings: list[Finding], as_of: str = "2026-06-01",
           ) -> dict[str, object]:
    assessed = {"pii.column", "config.value", "db.setting", "tls.server", "net.flow"}
    return {i.requirement: i for i in assess([fw], RULES, findings, assessed,
                                             dt.date.fromisoformat(as_of))}


@pytest.mark.parametrize(("param", "outcome"), [
    (None, "needs_scoping"), ("none", "not_applicable"), ("cloud", "fail"),
    ("on_premise,cloud", "fail"), ("finance", "not_applicable")])
def test_sector_provision_needs_scope_before_it_can_fail(param: str | None,
                                                         outcome: str) -> None:
    fw = FW["vn-pdpl-2025"]
    if param is not None:
        fw = fw.with_parameters({"system_types": param})
    cleartext = _finding("core.db.pii-cleartext", ("CWE-312",), "a" * 32)
    items = _items(fw, [cleartext])
    item = items["D356-Art12-4"]
    assert item.outcome == outcome  # type: ignore[attr-defined]
    assert item.status == STATUS_OF[outcome]  # type: ignore[attr-defined]
    if outcome != "fail":
        assert item.findings == () and item.pointers == ("a" * 32,)  # type: ignore
    assert items["L91-protection-measures"].outcome == "fail"  # type: ignore[attr-defined]


def test_pci_without_declared_cardholder_data_never_fails() -> None:
    pan = _finding("core.db.pii-cleartext", ("CWE-312",), "b" * 32, entities=("CREDIT_CARD",))
    items = _items(FW["pci-dss-4.0.1"], [pan])
    assert {i.outcome for i in items.values()} == {"needs_scoping"}  # type: ignore
    in_scope = _items(FW["pci-dss-4.0.1"].with_parameters({"cardholder_data": True}), [pan])
    assert in_scope["3.5.1"].outcome == "fail"  # type: ignore[attr-defined]
    out = _items(FW["pci-dss-4.0.1"].with_parameters({"cardholder_data": False}), [pan])
    assert out["3.5.1"].outcome == "not_applicable"  # type: ignore[attr-defined]


@pytest.mark.parametrize(("entities", "evidence", "outcome"), [
    ((), {"categories": ["HEALTH"]}, "fail"),  # review row 1: category only in evidence
    (("BIOMETRIC",), {}, "fail"), (("VN_CCCD",), {}, "no_finding"),
    ((), {"categories": "HEALTH"}, "no_finding")])  # malformed evidence is not a category
def test_sensitive_requirement_sees_categories(entities: tuple[str, ...],
                                               evidence: dict[str, object],
                                               outcome: str) -> None:
    f = _finding("core.db.pii-cleartext-sensitive", ("CWE-312", "CWE-359"), "c" * 32,
                 entities=entities, evidence=evidence)
    items = _items(FW["vn-pdpl-2025"], [f])
    assert items["D356-Art4-sensitive"].outcome == outcome  # type: ignore[attr-defined]
    gdpr = _items(FW["gdpr"], [f])
    art9 = gdpr["Art9"]
    assert art9.outcome == "manual"  # type: ignore[attr-defined]
    assert art9.review is (outcome == "fail")  # type: ignore[attr-defined]  # row 41


@pytest.mark.parametrize(("uri", "pointed"), [
    ("app/tests/fixtures/users.csv", True), ("deploy/dev/seed.sql", True),
    ("postgresql://db/crm_test", True), ("app/src/users.py", False),
    ("postgresql://db/crm", False)])
def test_production_data_in_test_paths_points_for_review(uri: str, pointed: bool) -> None:
    f = _finding("core.file.pii-cleartext", ("CWE-312",), "d" * 32, uri=uri,
                 entities=("VN_CCCD",))
    item = _items(FW["vn-pdpl-2025"], [f])["L91-test-data"]
    assert item.outcome == "manual"  # type: ignore[attr-defined]
    assert item.review is pointed  # type: ignore[attr-defined]


def test_partial_requirement_says_what_was_checked() -> None:
    items = _items(FW["iso27001-2022"], [])
    a815 = items["A.8.15"]
    assert a815.outcome == "no_finding" and a815.status == "pass"  # type: ignore
    assert a815.coverage == "partial" and a815.checked.startswith("One setting")  # type: ignore
    assert a815.guidance  # type: ignore[attr-defined]  # the manual remainder


def test_schema_accepts_every_pack(tmp_path: Path) -> None:
    bad = (builtin_frameworks_dir() / "gdpr.yaml").read_text(encoding="utf-8").replace(
        "    provision_vi: \"Điều 9 GDPR\"\n", "    provision_vi: \"Điều 9 GDPR\"\n"
        "    scope: {param: x}\n")
    (tmp_path / "gdpr.yaml").write_text(bad, encoding="utf-8")
    with pytest.raises(Exception, match="any_of"):
        load_framework(tmp_path / "gdpr.yaml")


def _vi_translator() -> Any:
    from auditor.reports.messages import message_translator

    from auditor.pipeline.output import render_options
    from auditor.policy.loading import load_packs

    return message_translator(render_options(load_packs([]), "vi"))


def test_vietnamese_messages_are_current_and_complete() -> None:
    from auditor.policy.loading import load_packs

    (core,) = [p for p in load_packs([]) if p.id == "core"]
    data = core.translations["vi"]
    templates = {r.id: r.message for r in RULES}
    stale = sorted(k for k, v in data.items() if templates.get(k) != v.message_en)
    assert stale == []  # a changed English template must be re-translated
    assert sorted(set(templates) - {k for k, v in data.items() if v.message}) == []
    assert _vi_translator().templates


@pytest.mark.parametrize(("rule", "message", "expected"), [
    ("core.db.pii-cleartext-sensitive",
     "Column main.cong_dan.van_tay holds sensitive personal data (BIOMETRIC) in cleartext",
     "Cột main.cong_dan.van_tay chứa dữ liệu cá nhân nhạy cảm (BIOMETRIC) ở dạng rõ"),
    ("core.cert.expired", "Certificate 'a (b)' expired on 2024-01-01 (-3 days)",
     "Chứng thư 'a (b)' đã hết hạn ngày 2024-01-01 (-3 ngày)"),
    ("core.cert.expired", "something else entirely", "something else entirely"),
    ("x.custom", "Custom message", "Custom message")])
def test_message_translation(rule: str, message: str, expected: str) -> None:
    from auditor.reports.messages import message_translator

    from auditor.reporting import DEFAULT_RENDER

    assert _vi_translator()(rule, message) == expected
    assert message_translator(DEFAULT_RENDER)(rule, message) == message


@pytest.mark.parametrize("fid", ["vn-pdpl-2025", "vn-decree13-2023"])
def test_vietnamese_automated_requirements_carry_their_content(fid: str) -> None:
    """Issue 18 item 6: rationale, remediation and what the tool checks, in both languages,
    for every automated Vietnamese requirement; manual ones carry their procedure."""
    for r in FW[fid].requirements:
        if r.is_manual:
            assert r.manual and r.manual_vi, r.id
            continue
        assert r.checked and r.checked_vi, r.id
        assert r.rationale and r.rationale_vi and r.remediation and r.remediation_vi, r.id


@pytest.mark.parametrize(("params", "pci", "cloud"), [
    ([], "needs_scoping", "needs_scoping"),
    (["--param", "pci-dss-4.0.1.cardholder_data=true",
      "--param", "vn-pdpl-2025.system_types=cloud,big_data"], "not_assessed", "no_finding"),
    (["--param", "pci-dss-4.0.1.cardholder_data=false",
      "--param", "vn-pdpl-2025.system_types=none"], "not_applicable", "not_applicable"),
])
def test_scope_declared_on_the_command_line(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str],
                                            params: list[str], pci: str, cloud: str) -> None:
    import json

    from auditor.cli import main

    (tmp_path / "notes.txt").write_text("nothing personal here\n", encoding="utf-8")
    assert main(["scan", str(tmp_path), "--framework", "pci-dss-4.0.1", "--framework",
                 "vn-pdpl-2025", "--format", "json", "--as-of", "2026-06-01", *params]) == 0
    items = {(c["framework"], c["requirement"]): c
             for c in json.loads(capsys.readouterr().out)["compliance"]}
    assert items[("pci-dss-4.0.1", "8.6.2")]["outcome"] == pci
    assert items[("vn-pdpl-2025", "D356-Art12-4")]["outcome"] == cloud
    assert items[("vn-pdpl-2025", "D356-Art8")]["outcome"] == (
        "needs_scoping" if not params else "not_applicable")
