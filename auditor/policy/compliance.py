"""Per-requirement compliance outcome from rules, findings and what was assessed.

- ``fail``: a rule selected by the requirement has an unsuppressed finding (narrowed
  requirements: one carrying their PII types or sensitive categories);
- ``no_finding`` (JSON status ``pass``): some selected rule was assessed (a scanner able to
  emit the rule's observation kind scanned a target successfully) and none fired;
  ``coverage``/``checked`` say how much of the requirement that covers;
- ``not_assessed``: no selected rule was assessed in this run;
- ``not_applicable`` / ``needs_scoping``: sector provisions (:mod:`auditor.scoping`);
- ``manual``: nothing can be automated; the guidance is for the auditor.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from auditor.outcomes import STATUS_OF
from auditor.policy.frameworks import Framework, Requirement
from auditor.policy.rules import Rule
from auditor.policy.scoping import scope_outcome
from auditor.results import ComplianceItem, Control, Finding

__all__ = ["assess", "controls_by_rule", "finding_controls", "finding_types",
           "narrowed_requirements", "requirement_items"]


def controls_by_rule(frameworks: Iterable[Framework], rules: Iterable[Rule],
                     as_of: dt.date) -> dict[str, tuple[Control, ...]]:
    """For each rule id, the requirements (in force on ``as_of``, in scope) it evidences."""
    # NOTE: which requirements can be evidenced at all does not depend on the rule:
    # decided once, not once per rule (this runs at every scan's start)
    eligible = [(fw.id, req) for fw in frameworks for req in fw.requirements
                if not req.is_manual and req.in_force(as_of) and fw.applies(req)
                and scope_outcome(req.scope, fw.parameters)[0] is None]
    out: dict[str, tuple[Control, ...]] = {}
    for rule in rules:
        controls = {Control(fw_id, req.id) for fw_id, req in eligible if req.selects(rule)}
        out[rule.id] = tuple(sorted(controls))
    return out


def narrowed_requirements(frameworks: Iterable[Framework]
                          ) -> dict[tuple[str, str], Requirement]:
    """Requirements narrowed by ``entities`` (e.g. PCI DSS 3.5.1: CREDIT_CARD), by
    (framework, requirement); computed once per scan, looked up per finding."""
    return {(fw.id, req.id): req for fw in frameworks for req in fw.requirements
            if req.entities}


def finding_controls(finding: Finding, controls: Sequence[Control],
                     narrowed: Mapping[tuple[str, str], Requirement]) -> tuple[Control, ...]:
    """The controls of the finding's rule that this finding counts for: narrowed
    requirements (:func:`narrowed_requirements`) only keep findings with their entities."""
    return tuple(c for c in controls
                 if (req := narrowed.get((c.framework, c.requirement))) is None
                 or req.counts(finding_types(finding)))


def _parameter_values(fw: Framework, req: Requirement) -> str:
    """The requirement's parameters with the values in force (defaults or --param)."""
    values = {k: fw.parameter(v) for k, v in req.parameters.items() if k != "min_level"}
    return ", ".join(f"{k}={v}" for k, v in sorted(values.items()))


def _with_values(guidance: str, values: str) -> str:
    return f"{guidance} [{values}]" if guidance and values else guidance


def finding_types(finding: Finding) -> frozenset[str]:
    """The PII types and sensitive categories a finding carries: its ``entities`` and,
    for reports and scanners that put categories only in the evidence, the evidence's
    ``categories`` (NOTE: a requirement narrowed to HEALTH must never pass because the
    category sat in the evidence — COMPLIANCE-REVIEW.md headline 1)."""
    cats = finding.evidence.get("categories")
    extra = [c for c in cats if isinstance(c, str)] if isinstance(cats, list) else []
    return frozenset((*finding.entities, *extra))


def _static(fw: Framework, req: Requirement) -> dict[str, Any]:
    """The requirement's content copied onto its compliance item."""
    return {**req.requirement_text(), "framework": fw.id, "requirement": req.id,
            "coverage": req.coverage}


def _checked(req: Requirement) -> tuple[str, str]:
    """What the automated checks cover (the requirement's own words, else a default
    that says they are a subset); empty for manual requirements."""
    if req.is_manual:
        return "", ""
    if req.checked:
        return req.checked, req.checked_vi or req.checked
    if req.coverage == "partial":
        return ("The automated rules check part of this requirement; the rest is the manual "
                "procedure.",
                "Các quy tắc tự động kiểm tra một phần yêu cầu này; phần còn lại kiểm tra thủ "
                "công theo hướng dẫn.")
    return ("The automated rules look for violations of this requirement; finding none is "
            "not proof of conformity.",
            "Các quy tắc tự động tìm vi phạm yêu cầu này; không phát hiện vi phạm không chứng "
            "minh đã tuân thủ.")


def assess(frameworks: Sequence[Framework], rules: Sequence[Rule],
           findings: Sequence[Finding], assessed_kinds: Collection[str],
           as_of: dt.date) -> tuple[ComplianceItem, ...]:
    """Compliance items for every requirement in force, in framework file order (outcomes
    in :mod:`auditor.outcomes`)."""
    active: dict[str, list[Finding]] = {}
    for f in findings:
        if not f.suppressed:
            active.setdefault(f.rule_id, []).append(f)
    active_all = [f for fs in active.values() for f in fs]
    assessed_rules = {r.id for r in rules if any(r.matches_kind(k) for k in assessed_kinds)}
    items = []
    for fw in frameworks:
        for req in fw.requirements:
            if not req.in_force(as_of) or not fw.applies(req):
                continue
            static = _static(fw, req)
            scoped, scope_text = scope_outcome(req.scope, fw.parameters)
            values = _parameter_values(fw, req)
            static["guidance"] = _with_values(req.manual, values)
            static["guidance_vi"] = _with_values(req.manual_vi, values)
            static["checked"], static["checked_vi"] = _checked(req)
            selected = tuple(sorted(r.id for r in rules if req.selects(r)))
            counted = [f for rid in selected for f in active.get(rid, ())
                       if req.counts(finding_types(f))]
            pointers = tuple(f.fingerprint for f in active_all if req.points_at(
                f.rule_id, f.cwe, finding_types(f), f.location.uri))
            if scoped is not None:
                # NOTE: out of scope or undeclared scope never fails; what would have
                # counted is kept as pointers for the auditor
                outcome = scoped
                items.append(ComplianceItem(
                    **static, status=STATUS_OF[outcome], outcome=outcome,
                    rules=selected, scope=scope_text,
                    pointers=tuple(sorted({*pointers, *(f.fingerprint for f in counted)}))))
                continue
            if req.is_manual:
                items.append(ComplianceItem(
                    **static, status="manual", outcome="manual",
                    pointers=pointers, review=bool(pointers), scope=scope_text))
                continue
            failing = tuple(f.fingerprint for f in counted)
            subjects = max((f.subjects for f in counted if f.subjects is not None),
                           default=None)
            if failing:
                outcome = "fail"
            elif any(rid in assessed_rules for rid in selected):
                outcome = "no_finding"
            else:
                outcome = "not_assessed"
            items.append(ComplianceItem(
                **static, status=STATUS_OF[outcome], outcome=outcome,
                findings=failing, rules=selected, subjects=subjects,
                pointers=pointers, review=bool(pointers), scope=scope_text))
    return tuple(items)


def requirement_items(fw: Framework) -> tuple[ComplianceItem, ...]:
    """Every requirement of a framework as a content-only compliance item (no rules, no
    findings), whatever the date: what an OSCAL catalog of the framework lists."""
    items: list[ComplianceItem] = []
    for req in fw.requirements:
        one = dataclasses.replace(fw, requirements=(req,))
        items.extend(assess([one], (), (), (), req.effective_from or fw.effective_from))
    return tuple(items)
