"""Framework mappings: legal and standard requirements, which rules evidence them, and
when they are in force.

A framework file (``rules/frameworks/<id>.yaml``, schema
``rules/schema/framework.schema.json``) lists requirements. Each requirement selects the
rules that evidence it by id (``*`` globs allowed), by CWE and/or by tag, or is ``manual``
with guidance for the auditor. ``effective_from`` / ``effective_to`` on the framework (and
optionally on a requirement) let ``--as-of`` pick the law in force on a date.

Example::

    >>> fw = load_framework(builtin_frameworks_dir() / "gdpr.yaml")
    >>> fw.in_force(datetime.date(2026, 1, 1))
    True
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.errors import ConfigError, RulePackError
from auditor.policy.rules import Rule, _schema_errors, builtin_rules_dir, glob_match
from auditor.results import FrameworkRef, RequirementText
from auditor.yamlsource import load_yaml

__all__ = [
    "Framework",
    "Requirement",
    "builtin_frameworks",
    "builtin_frameworks_dir",
    "load_framework",
    "select_frameworks",
    "split_parameters",
]


def _text(value: Any) -> tuple[str, str]:
    """A text field (plain string or ``{en, vi}``) as (en, vi)."""
    if isinstance(value, Mapping):
        return str(value.get("en") or ""), str(value.get("vi") or "")
    return (str(value), "") if value is not None else ("", "")


def _date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


@dataclass(frozen=True, slots=True)
class Requirement(RequirementText):
    """One requirement of a framework file: its words (:class:`RequirementText`: title,
    provision, note, checked, rationale, remediation, penalty, cross-references,
    confidence) and how findings are judged against it."""

    id: str
    text: str = ""
    text_vi: str = ""
    rules: tuple[str, ...] = ()
    cwe: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    manual: str = ""
    manual_vi: str = ""
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    #: when set, only findings carrying one of these PII entity types count
    entities: tuple[str, ...] = ()
    #: scoping: ``{param: NAME, any_of: [...]}`` — the requirement applies only when the
    #: framework parameter NAME (declared with --param) names one of these values
    scope: Mapping[str, Any] = field(default_factory=dict)
    #: manual items: findings that point the auditor to where the check applies
    #: (``{entities: [...], rules: [...], cwe: [...], paths: [...]}``); when one is found
    #: the item says "review required"
    points_to: Mapping[str, Any] = field(default_factory=dict)
    #: rule id globs never selected, whatever their CWE or tags (PCI DSS 4.2.1 is not
    #: about certificate lifetimes)
    exclude: tuple[str, ...] = ()

    @property
    def is_manual(self) -> bool:
        """Nothing automated: no rule selectors (the guidance is all there is)."""
        return not (self.rules or self.cwe or self.tags)

    @property
    def coverage(self) -> str:
        """``automated`` (selectors only), ``partial`` (selectors and a manual part) or
        ``manual``."""
        if self.is_manual:
            return "manual"
        return "partial" if self.manual else "automated"

    def selects(self, rule: Rule) -> bool:
        """Does this rule's outcome evidence the requirement?"""
        if any(glob_match(p, rule.id) for p in self.exclude):
            return False
        if any(glob_match(p, rule.id) for p in self.rules):
            return True
        if self.cwe and set(self.cwe) & set(rule.cwe):
            return True
        return bool(self.tags and set(self.tags) & set(rule.tags))

    def in_force(self, as_of: dt.date) -> bool:
        return _within(as_of, self.effective_from, self.effective_to)

    def counts(self, finding_entities: Iterable[str]) -> bool:
        """Does a finding with these entity types count for this requirement?"""
        return not self.entities or bool(set(self.entities) & set(finding_entities))

    def points_at(self, rule_id: str, cwe: Iterable[str], entities: Iterable[str],
                  uri: str) -> bool:
        """Does a finding (of this rule, with these CWEs, entities, at this uri) point to
        where this manual requirement applies? All given selectors must hold."""
        sel = self.points_to
        if not sel:
            return False
        if sel.get("rules") and not any(glob_match(p, rule_id) for p in sel["rules"]):
            return False
        if sel.get("cwe") and not set(sel["cwe"]) & set(cwe):
            return False
        if sel.get("entities") and not set(sel["entities"]) & set(entities):
            return False
        return not sel.get("paths") or any(glob_match(p, uri) for p in sel["paths"])


def _within(day: dt.date, start: dt.date | None, end: dt.date | None) -> bool:
    return (start is None or start <= day) and (end is None or day <= end)


@dataclass(frozen=True, slots=True)
class Framework:
    id: str
    version: str
    title: str
    effective_from: dt.date
    effective_to: dt.date | None
    requirements: tuple[Requirement, ...]
    sha256: str
    source: str
    title_vi: str = ""
    jurisdiction: str = ""
    note: str = ""
    parameters: Mapping[str, Any] = field(default_factory=dict)

    def in_force(self, as_of: dt.date) -> bool:
        return _within(as_of, self.effective_from, self.effective_to)

    def parameter(self, value: Any) -> Any:
        """A requirement parameter's value: ``{param: NAME}`` refers to the framework's."""
        if isinstance(value, Mapping) and set(value) == {"param"}:
            return self.parameters.get(str(value["param"]))
        return value

    def applies(self, req: Requirement) -> bool:
        """False when the requirement's ``min_level`` is above the framework's ``level``
        (vn-infosec-levels: a level-1 system is not held to level-3 requirements)."""
        min_level = self.parameter(req.parameters.get("min_level"))
        level = self.parameters.get("level")
        if isinstance(min_level, int) and isinstance(level, int):
            return level >= min_level
        return True

    def with_parameters(self, overrides: Mapping[str, Any]) -> Framework:
        """A copy with parameters overridden (``--param vn-infosec-levels.level=2``)."""
        unknown = sorted(set(overrides) - set(self.parameters))
        if unknown:
            known = ", ".join(sorted(self.parameters)) or "none"
            raise ConfigError(f"--param: framework {self.id} has no parameter {unknown[0]!r} "
                              f"(parameters: {known})")
        return dataclasses.replace(self, parameters={**self.parameters, **overrides})

    def ref(self) -> FrameworkRef:
        return FrameworkRef(
            id=self.id, version=self.version, title=self.title,
            effective_from=self.effective_from.isoformat(),
            effective_to=self.effective_to.isoformat() if self.effective_to else None,
            sha256=self.sha256, title_vi=self.title_vi,
        )


def load_framework(path: str | Path) -> Framework:
    """Load and validate one framework file."""
    doc = load_yaml(path)
    if not isinstance(doc.data, Mapping):
        raise RulePackError(doc.path, "a framework file must be a YAML mapping", line=1)
    _schema_errors(doc, "framework")
    meta = doc.data["framework"]
    title, title_vi = _text(meta["title"])
    reqs = []
    seen: set[str] = set()
    for index, raw in enumerate(doc.data["requirements"]):
        rid = str(raw["id"])
        if rid in seen:
            raise RulePackError(doc.path, "duplicate requirement id",
                                line=doc.line_of(["requirements", index, "id"]), rule_id=rid)
        seen.add(rid)
        r_title, r_title_vi = _text(raw["title"])
        text, text_vi = _text(raw.get("text"))
        manual, manual_vi = _text(raw.get("manual"))
        note, note_vi = _text(raw.get("note"))
        checked, checked_vi = _text(raw.get("checked"))
        rationale, rationale_vi = _text(raw.get("rationale"))
        remediation, remediation_vi = _text(raw.get("remediation"))
        penalty, penalty_vi = _text(raw.get("penalty"))
        reqs.append(Requirement(
            id=rid, provision=str(raw["provision"]), title=r_title, title_vi=r_title_vi,
            text=text, text_vi=text_vi, note=note, note_vi=note_vi,
            rules=tuple(raw.get("rules") or ()), cwe=tuple(raw.get("cwe") or ()),
            tags=tuple(raw.get("tags") or ()), manual=manual, manual_vi=manual_vi,
            effective_from=_date(raw.get("effective_from")),
            effective_to=_date(raw.get("effective_to")),
            parameters=dict(raw.get("parameters") or {}),
            entities=tuple(raw.get("entities") or ()),
            provision_vi=str(raw.get("provision_vi") or ""),
            checked=checked, checked_vi=checked_vi, rationale=rationale,
            rationale_vi=rationale_vi, remediation=remediation,
            remediation_vi=remediation_vi, crossrefs=tuple(raw.get("crossrefs") or ()),
            penalty=penalty, penalty_vi=penalty_vi,
            confidence=str(raw.get("confidence") or "high"),
            scope=dict(raw.get("scope") or meta.get("scope") or {}),
            points_to=dict(raw.get("points_to") or {}),
            exclude=tuple(raw.get("exclude") or ()),
        ))
    params = {k: v.get("default") for k, v in (meta.get("parameters") or {}).items()}
    start = _date(meta["effective_from"])
    assert start is not None  # NOTE: required by the schema
    return Framework(
        id=str(meta["id"]), version=str(meta["version"]), title=title, title_vi=title_vi,
        effective_from=start, effective_to=_date(meta.get("effective_to")),
        requirements=tuple(reqs),
        sha256=hashlib.sha256(Path(path).read_bytes()).hexdigest(), source=str(path),
        jurisdiction=str(meta.get("jurisdiction") or ""), note=_text(meta.get("note"))[0],
        parameters=params,
    )


def split_parameters(params: Mapping[str, Any], frameworks: Iterable[Framework],
                     ) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Split ``--param`` values into framework parameters (``<framework-id>.<name>`` for a
    loaded framework) and the rest (rule-pack parameters)."""
    ids = {f.id for f in frameworks}
    per_framework: dict[str, dict[str, Any]] = {}
    rest: dict[str, Any] = {}
    for name, value in params.items():
        fid, dot, key = name.rpartition(".")
        if dot and fid in ids:
            per_framework.setdefault(fid, {})[key] = value
        else:
            rest[name] = value
    return per_framework, rest


def builtin_frameworks_dir() -> Path:
    return builtin_rules_dir() / "frameworks"


def builtin_frameworks() -> tuple[Framework, ...]:
    base = builtin_frameworks_dir()
    if not base.is_dir():
        return ()
    return tuple(load_framework(p) for p in sorted(base.glob("*.yaml")))


def select_frameworks(available: Iterable[Framework], wanted: Sequence[str],
                      as_of: dt.date) -> tuple[Framework, ...]:
    """Frameworks named by ``--framework`` (ids or paths already loaded), or, when none
    is named, every framework in force on ``as_of``."""
    frameworks = tuple(available)
    if not wanted:
        return tuple(f for f in frameworks if f.in_force(as_of))
    by_id = {f.id: f for f in frameworks}
    out = []
    for name in wanted:
        if name not in by_id:
            known = ", ".join(sorted(by_id)) or "none"
            raise RulePackError(name, f"unknown framework (available: {known})")
        out.append(by_id[name])
    return tuple(out)
