"""Observations in, findings out: the rule evaluation step and finding fingerprints.

Fingerprints are content-based: ``sha256(rule | uri | table | column | key | server
endpoint | observation identity)`` (no endpoint for an observation that lists the
``servers`` it was seen on, such as one certificate presented by several). No line or
packet number enters, so baselines survive edits that move lines; a different secret on
the same line (a different identity) gives a different fingerprint. Repeats of the same
fingerprint in one target (the same secret twice in a file) are numbered in location
order so every finding stays distinct.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from auditor.models import Observation
from auditor.policy.rules import Rule, RulePack
from auditor.results import Finding

__all__ = ["evaluate", "fingerprint", "make_finding"]


def _server_endpoint(flow: str | None) -> str:
    """Only the server side of ``SRC:PORT->DST:PORT`` (client ports change every time)."""
    if not flow:
        return ""
    return flow.split("->", 1)[-1]


def fingerprint(rule_id: str, obs: Observation, occurrence: int = 0) -> str:
    loc = obs.location
    # NOTE: an observation listing ``servers`` is one fact seen on several servers (a
    # certificate): its identity is its content, not the first server that showed it.
    server = "" if "servers" in obs.attributes else _server_endpoint(loc.flow)
    parts = [rule_id, loc.uri, loc.table or "", loc.column or "", loc.key or "",
             server, obs.kind, obs.identity_digest()]
    if occurrence:
        parts.append(str(occurrence))
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def make_finding(rule: Rule, obs: Observation, occurrence: int = 0) -> Finding:
    explanation = [f"rule {rule.id} matched observation kind {obs.kind}"]
    if rule.where_text:
        explanation.append(f"where {rule.where_text}")
    return Finding(
        fingerprint=fingerprint(rule.id, obs, occurrence), rule_id=rule.id, pack=rule.pack,
        title=rule.title, severity=rule.severity, cwe=rule.cwe,
        message=rule.render_message(obs), location=rule.locate_in(obs), kind=obs.kind,
        remediation=rule.remediation, references=rule.references,
        evidence=dict(obs.evidence), entities=obs.entities, subjects=obs.subjects,
        explanation=tuple(explanation),
    )


def evaluate(observations: Iterable[Observation], packs: Sequence[RulePack],
             overrides: Mapping[str, Any] | None = None) -> list[Finding]:
    """Every (rule, observation) match as a finding, in observation order."""
    by_kind: dict[str, list[tuple[Rule, Mapping[str, Any]]]] = {}
    all_rules = [(rule, pack.parameters if not overrides else {**pack.parameters, **{
        k: v for k, v in overrides.items() if k in pack.parameters}})
        for pack in packs for rule in pack.rules]
    seen: dict[str, int] = {}
    out: list[Finding] = []
    for obs in observations:
        candidates = by_kind.get(obs.kind)
        if candidates is None:
            candidates = [(r, p) for r, p in all_rules if r.matches_kind(obs.kind)]
            by_kind[obs.kind] = candidates
        for rule, params in candidates:
            if rule.where is not None and not rule.where(obs, params):
                continue
            base = fingerprint(rule.id, obs)
            count = seen.get(base, 0)
            seen[base] = count + 1
            out.append(make_finding(rule, obs, count))
    return out
