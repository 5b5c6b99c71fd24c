"""Per-requirement compliance status from rules, findings and what was assessed.

- ``fail``: a rule selected by the requirement has an unsuppressed finding;
- ``pass``: some selected rule was assessed (a scanner able to emit the rule's observation
  kind scanned a target successfully) and none fired;
- ``not_assessed``: no selected rule was assessed in this run;
- ``manual``: nothing can be automated; the guidance is for the auditor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence

from auditor.policy.frameworks import Framework, Requirement
from auditor.policy.rules import Rule
from auditor.results import ComplianceItem, Control, Finding

__all__ = ["assess", "controls_by_rule", "finding_controls", "narrowed_requirements"]


def controls_by_rule(frameworks: Iterable[Framework], rules: Iterable[Rule],
                     as_of: dt.date) -> dict[str, tuple[Control, ...]]:
    """For each rule id, the requirements (in force on ``as_of``) it evidences."""
    frameworks = tuple(frameworks)
    out: dict[str, tuple[Control, ...]] = {}
    for rule in rules:
        controls = [Control(fw.id, req.id) for fw in frameworks for req in fw.requirements
                    if not req.is_manual and req.in_force(as_of) and fw.applies(req)
                    and req.selects(rule)]
        out[rule.id] = tuple(sorted(set(controls)))
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
                 or req.counts(finding.entities))


def _parameter_values(fw: Framework, req: Requirement) -> str:
    """The requirement's parameters with the values in force (defaults or --param)."""
    values = {k: fw.parameter(v) for k, v in req.parameters.items() if k != "min_level"}
    return ", ".join(f"{k}={v}" for k, v in sorted(values.items()))


def _with_values(guidance: str, values: str) -> str:
    return f"{guidance} [{values}]" if guidance and values else guidance


def assess(frameworks: Sequence[Framework], rules: Sequence[Rule],
           findings: Sequence[Finding], assessed_kinds: Collection[str],
           as_of: dt.date) -> tuple[ComplianceItem, ...]:
    """Compliance items for every requirement in force, in framework file order."""
    active: dict[str, list[Finding]] = {}
    for f in findings:
        if not f.suppressed:
            active.setdefault(f.rule_id, []).append(f)
    assessed_rules = {r.id for r in rules if any(r.matches_kind(k) for k in assessed_kinds)}
    items = []
    for fw in frameworks:
        for req in fw.requirements:
            if not req.in_force(as_of) or not fw.applies(req):
                continue
            if req.is_manual:
                values = _parameter_values(fw, req)
                items.append(ComplianceItem(
                    framework=fw.id, requirement=req.id, status="manual", title=req.title,
                    title_vi=req.title_vi, guidance=_with_values(req.manual, values),
                    guidance_vi=_with_values(req.manual_vi, values),
                    provision=req.provision, note=req.note, note_vi=req.note_vi))
                continue
            selected = tuple(sorted(r.id for r in rules if req.selects(r)))
            counted = [f for rid in selected for f in active.get(rid, ())
                       if req.counts(f.entities)]
            failing = tuple(f.fingerprint for f in counted)
            subjects = max((f.subjects for f in counted if f.subjects is not None),
                           default=None)
            if failing:
                status = "fail"
            elif any(rid in assessed_rules for rid in selected):
                status = "pass"
            else:
                status = "not_assessed"
            items.append(ComplianceItem(
                framework=fw.id, requirement=req.id, status=status, title=req.title,
                title_vi=req.title_vi, findings=failing, rules=selected,
                provision=req.provision, note=req.note, note_vi=req.note_vi,
                subjects=subjects))
    return tuple(items)
