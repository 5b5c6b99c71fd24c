"""Findings and the finished scan result, with the JSON report document (schema "1").

``ScanResult.to_document()`` produces exactly the contract of DESIGN.md ("JSON report");
``ScanResult.from_document()`` reads it back so saved reports can be re-rendered,
diffed and used as baselines.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from auditor.errors import ExitCode
from auditor.inventory import InventoryEntry
from auditor.models import JSONValue, Location, Problem, Severity
from auditor.outcomes import OUTCOMES, outcome_from_status

__all__ = [
    "SCHEMA_VERSION",
    "ComplianceItem",
    "Control",
    "Finding",
    "FrameworkRef",
    "PackRef",
    "RequirementText",
    "ScanResult",
    "Suppression",
    "TargetResult",
]

SCHEMA_VERSION = "1"


@dataclass(frozen=True, slots=True, order=True)
class Control:
    """A framework requirement a rule maps to."""

    framework: str
    requirement: str


@dataclass(frozen=True, slots=True)
class Suppression:
    """Why a finding is suppressed (from a suppression file or a baseline)."""

    source: str  # "file" | "baseline" | "inline"
    reason: str
    approved_by: str | None = None
    expires: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule's verdict on one observation. Flat, so a saved report can rebuild it."""

    fingerprint: str
    rule_id: str
    pack: str
    title: str
    severity: Severity
    cwe: tuple[str, ...]
    message: str
    location: Location
    kind: str
    remediation: str = ""
    references: tuple[str, ...] = ()
    evidence: Mapping[str, JSONValue] = field(default_factory=dict)
    entities: tuple[str, ...] = ()
    subjects: int | None = None
    controls: tuple[Control, ...] = ()
    explanation: tuple[str, ...] = ()
    suppressed: bool = False
    suppression: Suppression | None = None

    def __hash__(self) -> int:
        return hash((self.fingerprint, self.rule_id, self.suppressed))

    def sort_key(self) -> tuple[Any, ...]:
        loc = self.location
        return (-int(self.severity), self.rule_id, loc.uri, loc.table or "", loc.column or "",
                loc.key or "", loc.line or 0, loc.flow or "", loc.packet or 0, self.fingerprint)

    def to_dict(self) -> dict[str, JSONValue]:
        out: dict[str, JSONValue] = {
            "fingerprint": self.fingerprint,
            "rule_id": self.rule_id,
            "pack": self.pack,
            "title": self.title,
            "severity": self.severity.label,
            "cwe": list(self.cwe),
            "message": self.message,
            "location": self.location.to_dict(),
            "kind": self.kind,
            "evidence": dict(self.evidence),
            "entities": list(self.entities),
            "controls": [{"framework": c.framework, "requirement": c.requirement}
                         for c in self.controls],
            "suppressed": self.suppressed,
            "remediation": self.remediation,
            "references": list(self.references),
            "explanation": list(self.explanation),
        }
        if self.subjects is not None:
            out["subjects"] = self.subjects
        if self.suppression is not None:
            out["suppression"] = {
                "source": self.suppression.source,
                "reason": self.suppression.reason,
                "approved_by": self.suppression.approved_by,
                "expires": self.suppression.expires,
            }
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        sup = data.get("suppression")
        return cls(
            fingerprint=str(data["fingerprint"]),
            rule_id=str(data["rule_id"]),
            pack=str(data.get("pack", "")),
            title=str(data.get("title", "")),
            severity=Severity.parse(str(data["severity"])),
            cwe=tuple(data.get("cwe") or ()),
            message=str(data.get("message", "")),
            location=Location.from_dict(data["location"]),
            kind=str(data.get("kind", "")),
            remediation=str(data.get("remediation") or ""),
            references=tuple(data.get("references") or ()),
            evidence=dict(data.get("evidence") or {}),
            entities=tuple(data.get("entities") or ()),
            subjects=data.get("subjects"),
            controls=tuple(Control(c["framework"], c["requirement"])
                           for c in data.get("controls") or ()),
            explanation=tuple(data.get("explanation") or ()),
            suppressed=bool(data.get("suppressed", False)),
            suppression=Suppression(
                source=str(sup.get("source", "")), reason=str(sup.get("reason", "")),
                approved_by=sup.get("approved_by"), expires=sup.get("expires"),
            ) if isinstance(sup, Mapping) else None,
        )


@dataclass(frozen=True, slots=True)
class TargetResult:
    """How scanning one target went."""

    uri: str
    kind: str
    scanner: str | None
    status: str  # ok | error | skipped
    error: str | None = None
    sha256: str | None = None
    problems: tuple[Problem, ...] = ()
    observations: int = 0
    fingerprint: str | None = None  # e.g. a database schema fingerprint

    def to_dict(self) -> dict[str, JSONValue]:
        out: dict[str, JSONValue] = {
            "uri": self.uri, "kind": self.kind, "scanner": self.scanner,
            "status": self.status, "error": self.error, "sha256": self.sha256,
            "observations": self.observations,
        }
        if self.problems:
            out["problems"] = [_problem_dict(p) for p in self.problems]
        if self.fingerprint:
            out["schema_fingerprint"] = self.fingerprint
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TargetResult:
        return cls(
            uri=str(data["uri"]), kind=str(data["kind"]), scanner=data.get("scanner"),
            status=str(data["status"]), error=data.get("error"), sha256=data.get("sha256"),
            problems=tuple(
                Problem(str(p["message"]),
                        Location.from_dict(p["location"]) if p.get("location") else None)
                for p in data.get("problems") or ()
            ),
            observations=int(data.get("observations") or 0),
            fingerprint=data.get("schema_fingerprint"),
        )


#: the fields of :class:`RequirementText` that have a Vietnamese twin (``<name>_vi``)
_BILINGUAL = ("title", "provision", "note", "checked", "rationale", "remediation", "penalty")


@dataclass(frozen=True, slots=True, kw_only=True)
class RequirementText:
    """The words of one framework requirement, English and Vietnamese: the framework
    file's (``auditor.policy.frameworks.Requirement``) and those each compliance item of a
    report carries (:class:`ComplianceItem`) are this one record, so a new text field is
    declared once. Keyword-only: the subclasses keep their own positional fields.

    ``provision`` is the citation ("Decree 356/2025/ND-CP, Art. 7(2)"), ``provision_vi``
    in Vietnamese citation order; ``checked`` what the automated checks cover;
    ``rationale``, ``remediation``, ``penalty`` (Vietnam: the penalty provision);
    ``crossrefs`` the same duty elsewhere (``framework:requirement``); ``confidence``
    ``high`` (primary text read) or ``medium``.
    """

    title: str = ""
    title_vi: str = ""
    provision: str = ""
    provision_vi: str = ""
    note: str = ""
    note_vi: str = ""
    checked: str = ""
    checked_vi: str = ""
    rationale: str = ""
    rationale_vi: str = ""
    remediation: str = ""
    remediation_vi: str = ""
    penalty: str = ""
    penalty_vi: str = ""
    crossrefs: tuple[str, ...] = ()
    confidence: str = "high"

    def localized(self, name: str, lang: str) -> str:
        """A bilingual field in ``lang``: the Vietnamese text in ``vi`` when there is one,
        else the English."""
        english = str(getattr(self, name))
        return (str(getattr(self, f"{name}_vi")) or english) if lang == "vi" else english

    def requirement_text(self) -> dict[str, Any]:
        """The text fields as keyword arguments (to copy them onto another record)."""
        return {name: getattr(self, name) for name in _TEXT_FIELDS}

    @staticmethod
    def text_from(data: Mapping[str, Any]) -> dict[str, Any]:
        """The text fields of a JSON report's compliance item, as keyword arguments."""
        out: dict[str, Any] = {}
        for name in _BILINGUAL:
            out[name] = str(data.get(name) or "")
            out[f"{name}_vi"] = str(data.get(f"{name}_vi") or "")
        out["crossrefs"] = tuple(data.get("crossrefs") or ())
        out["confidence"] = str(data.get("confidence") or "high")
        return out


_TEXT_FIELDS = (*(n for b in _BILINGUAL for n in (b, f"{b}_vi")), "crossrefs", "confidence")


@dataclass(frozen=True, slots=True)
class ComplianceItem(RequirementText):
    """Status of one framework requirement in this run (its words: :class:`RequirementText`).

    ``status`` is the JSON contract's coarse status (``pass|fail|not_assessed|manual``);
    ``outcome`` the finer one (:mod:`auditor.outcomes`): ``no_finding`` maps to ``pass``,
    ``not_applicable`` and ``needs_scoping`` to ``not_assessed``. ``findings`` are the
    fingerprints that fail the requirement; ``pointers`` the findings that show where a
    manual or out-of-scope requirement applies (they fail nothing).
    """

    framework: str
    requirement: str
    status: str  # pass | fail | not_assessed | manual
    findings: tuple[str, ...] = ()  # fingerprints
    rules: tuple[str, ...] = ()
    guidance: str = ""
    guidance_vi: str = ""
    #: data subjects affected, at least: the largest estimate among the failing findings
    subjects: int | None = None
    outcome: str = ""
    coverage: str = ""  # automated | partial | manual
    pointers: tuple[str, ...] = ()
    #: manual item with pointers: the auditor must review where they point
    review: bool = False
    #: why not applicable / needs scoping ("system_types: cloud, big_data")
    scope: str = ""
    #: the manual check recorded for it (``--attestations``; auditor.policy.attestations)
    attestation: Mapping[str, JSONValue] | None = None

    @property
    def result(self) -> str:
        """The outcome, derived from ``status`` for items without one."""
        return self.outcome or outcome_from_status(self.status)

    def to_dict(self) -> dict[str, JSONValue]:
        out: dict[str, JSONValue] = {
            "framework": self.framework, "requirement": self.requirement,
            "status": self.status, "outcome": self.result,
            "coverage": self.coverage, "checked": self.checked,
            "checked_vi": self.checked_vi, "review": self.review, "scope": self.scope,
            "title": self.title, "title_vi": self.title_vi,
            "findings": list(self.findings), "pointers": list(self.pointers),
            "rules": list(self.rules),
            "guidance": self.guidance, "guidance_vi": self.guidance_vi,
            "provision": self.provision, "provision_vi": self.provision_vi,
            "note": self.note, "note_vi": self.note_vi,
            "subjects": self.subjects,
            "rationale": self.rationale, "rationale_vi": self.rationale_vi,
            "remediation": self.remediation, "remediation_vi": self.remediation_vi,
            "crossrefs": list(self.crossrefs), "penalty": self.penalty,
            "penalty_vi": self.penalty_vi, "confidence": self.confidence,
        }
        if self.attestation is not None:
            out["attestation"] = dict(self.attestation)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ComplianceItem:
        def text(key: str) -> str:
            return str(data.get(key) or "")

        return cls(
            **RequirementText.text_from(data),
            framework=str(data["framework"]), requirement=str(data["requirement"]),
            status=str(data["status"]),
            findings=tuple(data.get("findings") or ()), rules=tuple(data.get("rules") or ()),
            guidance=text("guidance"), guidance_vi=text("guidance_vi"),
            subjects=data.get("subjects"),
            outcome=text("outcome") or outcome_from_status(str(data["status"])),
            coverage=text("coverage"),
            pointers=tuple(data.get("pointers") or ()), review=bool(data.get("review")),
            scope=text("scope"),
            attestation=dict(data["attestation"])
            if isinstance(data.get("attestation"), Mapping) else None,
        )


@dataclass(frozen=True, slots=True)
class PackRef:
    id: str
    version: str
    sha256: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class FrameworkRef:
    id: str
    version: str
    title: str
    effective_from: str | None
    effective_to: str | None
    sha256: str = ""
    title_vi: str = ""


@dataclass(frozen=True, slots=True)
class ScanResult:
    """Everything one run produced, sorted and ready for renderers."""

    tool_version: str
    run_id: str
    started_at: str
    finished_at: str
    as_of: dt.date
    packs: tuple[PackRef, ...]
    targets: tuple[TargetResult, ...]
    findings: tuple[Finding, ...]
    frameworks: tuple[FrameworkRef, ...] = ()
    compliance: tuple[ComplianceItem, ...] = ()
    fail_on: Severity | None = Severity.LOW
    lang: str = "en"
    extra: Mapping[str, JSONValue] = field(default_factory=dict)
    #: the personal-data inventory (:mod:`auditor.inventory`), top-level ``inventory``
    inventory: tuple[InventoryEntry, ...] = ()

    # ---- derived views -------------------------------------------------------------
    @property
    def active_findings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.suppressed)

    def severity_counts(self) -> dict[str, int]:
        counts = Counter(f.severity.label for f in self.active_findings)
        return {s.label: counts.get(s.label, 0) for s in sorted(Severity, reverse=True)}

    def summary(self) -> dict[str, JSONValue]:
        status_counts = Counter(t.status for t in self.targets)
        compliance_counts = Counter(c.status for c in self.compliance)
        outcome_counts = Counter(c.result for c in self.compliance)
        return {
            "findings": len(self.active_findings),
            "suppressed": len(self.findings) - len(self.active_findings),
            "by_severity": dict(self.severity_counts()),
            "targets": {k: status_counts.get(k, 0) for k in ("ok", "error", "skipped")},
            "compliance": {k: compliance_counts.get(k, 0)
                           for k in ("pass", "fail", "not_assessed", "manual")},
            "outcomes": {k: outcome_counts.get(k, 0) for k in OUTCOMES},
            "fail_on": self.fail_on.label if self.fail_on is not None else "never",
            "exit_code": self.exit_code(),
        }

    def exit_code(self) -> int:
        """0 clean, 1 a finding at or above the threshold, 3 the scan was incomplete."""
        if self.fail_on is not None and any(
            f.severity >= self.fail_on for f in self.active_findings
        ):
            return ExitCode.FINDINGS
        if any(t.status == "error" for t in self.targets):
            return ExitCode.INCOMPLETE
        return ExitCode.OK

    # ---- the JSON document ---------------------------------------------------------
    def to_document(self) -> dict[str, JSONValue]:
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "auditor", "version": self.tool_version},
            "run": {
                "id": self.run_id,
                "started_at": self.started_at,
                "finished_at": self.finished_at,
                "as_of": self.as_of.isoformat(),
                "lang": self.lang,
                "packs": [{"id": p.id, "version": p.version, "sha256": p.sha256,
                           "title": p.title} for p in self.packs],
                "frameworks": [
                    {"id": f.id, "version": f.version, "title": f.title,
                     "title_vi": f.title_vi, "effective_from": f.effective_from,
                     "effective_to": f.effective_to, "sha256": f.sha256}
                    for f in self.frameworks
                ],
                **dict(self.extra),
            },
            "targets": [t.to_dict() for t in self.targets],
            "findings": [f.to_dict() for f in self.findings],
            "compliance": [c.to_dict() for c in self.compliance],
            "inventory": [e.to_dict() for e in self.inventory],
            "summary": self.summary(),
        }

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> ScanResult:
        run = doc["run"]
        summary = doc.get("summary") or {}
        fail_on = summary.get("fail_on", "low")
        known = {"id", "started_at", "finished_at", "as_of", "lang", "packs", "frameworks"}
        return cls(
            tool_version=str(doc["tool"]["version"]),
            run_id=str(run["id"]),
            started_at=str(run["started_at"]),
            finished_at=str(run["finished_at"]),
            as_of=dt.date.fromisoformat(str(run["as_of"])),
            packs=tuple(PackRef(str(p["id"]), str(p["version"]), str(p["sha256"]),
                                str(p.get("title") or "")) for p in run.get("packs") or ()),
            frameworks=tuple(
                FrameworkRef(str(f["id"]), str(f.get("version") or ""),
                             str(f.get("title") or ""), f.get("effective_from"),
                             f.get("effective_to"), str(f.get("sha256") or ""),
                             str(f.get("title_vi") or ""))
                for f in run.get("frameworks") or ()
            ),
            targets=tuple(TargetResult.from_dict(t) for t in doc.get("targets") or ()),
            findings=tuple(Finding.from_dict(f) for f in doc.get("findings") or ()),
            compliance=tuple(ComplianceItem.from_dict(c) for c in doc.get("compliance") or ()),
            fail_on=None if fail_on == "never" else Severity.parse(str(fail_on)),
            lang=str(run.get("lang") or "en"),
            extra={k: v for k, v in run.items() if k not in known},
            inventory=tuple(InventoryEntry.from_dict(e) for e in doc.get("inventory") or ()
                            if isinstance(e, Mapping)),
        )


def sorted_findings(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    """The canonical report order: severity, rule, location, fingerprint."""
    return tuple(sorted(findings, key=Finding.sort_key))


def _problem_dict(problem: Problem) -> dict[str, JSONValue]:
    out: dict[str, JSONValue] = {
        "message": problem.message,
        "location": problem.location.to_dict() if problem.location else None}
    if problem.unchecked:
        out["unchecked"] = list(problem.unchecked)
    return out
