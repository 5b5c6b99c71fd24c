"""A hand-built, complete ScanResult for renderer tests (every status, suppression kind,
location shape and a hostile message), independent of any scanner."""

from __future__ import annotations

import datetime as dt

from auditor.models import Location, Severity
from auditor.results import (
    ComplianceItem,
    Control,
    Finding,
    FrameworkRef,
    PackRef,
    ScanResult,
    Suppression,
    TargetResult,
    sorted_findings,
)

HOSTILE = '<script>alert("x")</script> & "quotes"'
FW = "vn-pdpl-2025"


def _f(fp: str, rule: str, sev: Severity, loc: Location, **kw: object) -> Finding:
    base: dict[str, object] = {
        "fingerprint": fp, "rule_id": rule, "pack": "core", "title": rule.rsplit(".", 1)[-1],
        "severity": sev, "cwe": ("CWE-312",), "message": f"message of {rule}",
        "location": loc, "kind": "pii.column", "remediation": "Fix it.",
        "references": ("https://cwe.mitre.org/data/definitions/312.html",),
    }
    base.update(kw)
    return Finding(**base)  # type: ignore[arg-type]


def sample_result(lang: str = "en") -> ScanResult:
    findings = (
        _f("a" * 32, "core.secret.aws-key", Severity.CRITICAL,
           Location("config/app.env", line=3, key="AWS_SECRET_ACCESS_KEY"),
           cwe=("CWE-798",), kind="secret", evidence={"value": "AKIA••••••••(40)"},
           suppressed=True, suppression=Suppression("file", "rotated, test account",
                                                    "Tran Thi B", "2027-01-31"),
           controls=(Control(FW, "L91-Art30-3"),)),
        _f("b" * 32, "core.pii.cleartext-column", Severity.HIGH,
           Location("postgresql://db.example/citizens", table="public.citizens",
                    column="cccd"),
           cwe=("CWE-312", "CWE-359"), entities=("VN_CCCD",), subjects=1234,
           explanation=("rule core.pii.cleartext-column matched observation kind pii.column",),
           evidence={"sample": "0012••••••45", "hash": "kh:0123456789abcdef"},
           controls=(Control(FW, "L91-protection-measures"),),
           message=HOSTILE),
        _f("c" * 32, "core.tls.deprecated-protocol", Severity.MEDIUM,
           Location("capture.pcap", flow="10.0.0.5:51000->10.0.0.9:443", packet=7),
           cwe=("CWE-327",), kind="tls.handshake", evidence={"version": "TLSv1.0"},
           controls=(Control(FW, "D356-Art7-2"),)),
        _f("d" * 32, "core.config.debug-enabled", Severity.LOW,
           Location("config/settings.yaml", line=12, key="app.debug"), cwe=("CWE-489",),
           kind="config.setting", suppressed=True,
           suppression=Suppression("baseline", "present in baseline run r0")),
        _f("e" * 32, "core.pii.cleartext-column", Severity.HIGH,
           Location("dumps/shop.sql", line=40, table="public.cards", column="pan"),
           cwe=("CWE-312",), entities=("CREDIT_CARD",), subjects=87,
           evidence={"sample": "4111••••••••1111"},
           controls=(Control(FW, "L91-protection-measures"),)),
    )
    compliance = (
        ComplianceItem(FW, "L91-protection-measures", "fail",
                       title="Personal data is protected", title_vi="Dữ liệu cá nhân được bảo vệ",
                       findings=("b" * 32, "e" * 32), rules=("core.pii.cleartext-column",),
                       provision="Law 91/2025/QH15", note="Article number unconfirmed.",
                       note_vi="Chưa xác nhận số điều."),
        ComplianceItem(FW, "D356-Art7-2", "fail", title="Transfers encrypted",
                       title_vi="Chuyển dữ liệu được mã hóa", findings=("c" * 32,),
                       rules=("core.tls.deprecated-protocol",),
                       provision="Decree 356/2025/ND-CP, Art. 7(2)"),
        ComplianceItem(FW, "L91-Art30-3", "pass", title="Access control",
                       title_vi="Kiểm soát truy cập", rules=("core.secret.aws-key",),
                       provision="Law 91/2025/QH15, Art. 30(3)"),
        ComplianceItem(FW, "D356-Art12-4", "not_assessed", title="Cloud encryption",
                       title_vi="Mã hóa dữ liệu đám mây", rules=("core.cloud.unencrypted",),
                       provision="Decree 356/2025/ND-CP, Art. 12(4)"),
        ComplianceItem(FW, "L91-Art23", "manual", title="Breach notification in 72 hours",
                       title_vi="Thông báo vi phạm trong 72 giờ",
                       guidance="Review the incident procedure.",
                       guidance_vi="Xem xét quy trình xử lý sự cố.",
                       provision="Law 91/2025/QH15, Art. 23"),
    )
    return ScanResult(
        tool_version="0.1.0", run_id="run-0001", started_at="2026-11-25T08:00:00+00:00",
        finished_at="2026-11-25T08:05:00+00:00", as_of=dt.date(2026, 11, 25),
        packs=(PackRef("core", "1.0", "0" * 64, "Core rules"),),
        targets=(
            TargetResult("config/app.env", "dotenv", "config", "ok", sha256="1" * 64,
                         observations=4),
            TargetResult("postgresql://db.example/citizens", "postgresql", "database", "ok",
                         fingerprint="schema:" + "2" * 16, observations=9),
            TargetResult("broken.pcap", "pcap", "pcap", "error",
                         error="broken.pcap: truncated packet record at byte 4096"),
        ),
        findings=sorted_findings(findings),
        frameworks=(FrameworkRef(FW, "2026.1", "Vietnam PDP law", "2026-01-01", None,
                                 "3" * 64, "Luật bảo vệ dữ liệu cá nhân"),),
        compliance=compliance, fail_on=Severity.LOW, lang=lang,
        extra={"baseline": {"file": "previous.json", "run_id": "r0", "known_findings": 1},
               "suppressions": {"file": "suppressions.yaml", "applied": 1, "unused": [],
                                "expired": [
            {"rule": "core.config.*", "reason": "old", "approved_by": "x",
             "expires": "2026-01-31", "source": "sup.yaml:3", "matching_findings": 2}]}},
    )
