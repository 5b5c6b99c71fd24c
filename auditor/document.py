"""Cover-page facts of the audit document (issue 19), from ``--document FILE`` and flags.

The YAML file (every key optional)::

    controller: Sở Thông tin và Truyền thông     # data controller
    processor: Công ty ABC                        # data processor, if any
    system: Cổng dịch vụ công                     # the system audited (default system name)
    scope: Cổng thông tin, CSDL công dân          # what was in scope
    period: 2026-11-01 – 2026-11-30               # the audit period
    assessor: Nguyễn Văn A                        # who ran and signs the assessment
    date: 2026-11-25                              # the document date (default: --as-of)
    systems:                                      # several systems: which targets are whose
      - name: Cổng dịch vụ công
        owner: Phòng CNTT
        security_level: 3
        targets: ["fixtures/demo/db/*", "postgresql://db.example/*"]

Command-line flags (``--controller``, ``--processor``, ``--system``, ``--scope``,
``--period``, ``--assessor``) override the file. The facts travel in the JSON report as
``run.document`` and fill the cover of the HTML and DOCX documents; ``systems`` name the
``system`` of each inventory entry whose store matches one of its target globs (first
match wins; else the default ``system``).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from auditor.errors import RulePackError
from auditor.inventory import InventoryEntry, merge_entries
from auditor.models import JSONValue
from auditor.results import ScanResult
from auditor.yamlsource import load_yaml

__all__ = [
    "COVER_FIELDS",
    "PLAN_FIELDS",
    "DocumentInfo",
    "SystemInfo",
    "apply_document",
    "document_of",
    "load_document",
    "load_plan",
]

COVER_FIELDS: tuple[str, ...] = ("controller", "processor", "system", "scope", "period",
                                 "assessor", "date")


@dataclass(frozen=True, slots=True)
class SystemInfo:
    name: str
    owner: str = ""
    security_level: str = ""
    targets: tuple[str, ...] = ()

    def matches(self, store: str) -> bool:
        return any(fnmatch.fnmatchcase(store, glob) for glob in self.targets)


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    controller: str = ""
    processor: str = ""
    system: str = ""
    scope: str = ""
    period: str = ""
    assessor: str = ""
    date: str = ""
    systems: tuple[SystemInfo, ...] = ()

    def with_flags(self, flags: Mapping[str, str | None]) -> DocumentInfo:
        given: dict[str, Any] = {k: v for k, v in flags.items() if k in COVER_FIELDS and v}
        return replace(self, **given)

    def is_empty(self) -> bool:
        return not any(getattr(self, f) for f in COVER_FIELDS) and not self.systems

    def to_dict(self) -> dict[str, JSONValue]:
        out: dict[str, JSONValue] = {f: getattr(self, f) for f in COVER_FIELDS}
        out["systems"] = [{"name": s.name, "owner": s.owner,
                           "security_level": s.security_level, "targets": list(s.targets)}
                          for s in self.systems]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DocumentInfo:
        systems = tuple(
            SystemInfo(str(s.get("name") or ""), str(s.get("owner") or ""),
                       str(s.get("security_level") or ""),
                       tuple(str(t) for t in s.get("targets") or ()))
            for s in data.get("systems") or () if isinstance(s, Mapping))
        return cls(**{f: str(data.get(f) or "") for f in COVER_FIELDS}, systems=systems)

    def system_of(self, store: str) -> str:
        for system in self.systems:
            if system.matches(store):
                return system.name
        return self.system

    def assign(self, entries: Sequence[InventoryEntry]) -> tuple[InventoryEntry, ...]:
        """The inventory with each entry's ``system`` named (entries keep a name they had)."""
        return merge_entries(e if e.system else replace(e, system=self.system_of(e.store))
                             for e in entries)


def load_document(path: str | None, flags: Mapping[str, str | None],
                  as_of: dt.date) -> DocumentInfo:
    """``--document FILE`` (optional) overridden by the cover flags; ``date`` defaults to
    ``as_of``. Raises :class:`~auditor.errors.RulePackError` naming file and line."""
    info = DocumentInfo()
    if path:
        doc = load_yaml(path)  # RulePackError (a ConfigError) names file and line
        data = doc.data if doc.data is not None else {}
        if not isinstance(data, Mapping):
            raise RulePackError(path, "expected a mapping of cover fields", line=1)
        unknown = sorted(str(k) for k in set(data) - {*COVER_FIELDS, "systems"})
        if unknown:
            raise RulePackError(path, f"unknown key {unknown[0]!r} (known: "
                                f"{', '.join((*COVER_FIELDS, 'systems'))})",
                                line=doc.line_of([unknown[0]]))
        systems = data.get("systems") or []
        if not isinstance(systems, list):
            raise RulePackError(path, "'systems' must be a list", line=doc.line_of(["systems"]))
        for i, item in enumerate(systems):
            if not isinstance(item, Mapping) or not item.get("name"):
                raise RulePackError(path, "each system needs a 'name'",
                                    line=doc.line_of(["systems", i]))
        info = DocumentInfo.from_dict(data)
    info = info.with_flags(flags)
    return info if info.date else replace(info, date=as_of.isoformat())


def document_of(result: ScanResult) -> DocumentInfo:
    """The cover facts a result carries (``run.document``), empty when none."""
    data = result.extra.get("document")
    return DocumentInfo.from_dict(data) if isinstance(data, Mapping) else DocumentInfo()


def apply_document(result: ScanResult, info: DocumentInfo) -> ScanResult:
    """``result`` with the cover facts under ``run.document`` and systems named."""
    return replace(result, extra={**result.extra, "document": info.to_dict()},
                   inventory=info.assign(result.inventory))


PLAN_FIELDS = ("rule", "owner", "deadline", "status", "note")


def load_plan(path: str) -> dict[str, JSONValue]:
    """``--remediation-plan FILE``: ``plan:`` a list of ``rule`` (a finding group: rule
    id), ``owner``, ``deadline`` (YYYY-MM-DD), ``status``, ``note``. The same file is read
    again by the next run (carried forward): groups that no longer have findings are
    listed apart. Returns ``run.remediation_plan`` (``file``, ``entries``)."""
    doc = load_yaml(path)
    data = doc.data
    if not isinstance(data, Mapping) or not isinstance(data.get("plan"), list):
        raise RulePackError(path, "a remediation plan is a mapping with a 'plan' list",
                            line=1)
    entries: list[JSONValue] = []
    for i, entry in enumerate(data["plan"]):
        line = doc.line_of(["plan", i])
        if not isinstance(entry, Mapping) or not entry.get("rule"):
            raise RulePackError(path, "each plan entry is a mapping with a 'rule'", line=line)
        unknown = sorted(str(k) for k in entry if k not in PLAN_FIELDS)
        if unknown:
            raise RulePackError(path, f"unknown field '{unknown[0]}' (expected one of: "
                                f"{', '.join(PLAN_FIELDS)})", line=line)
        deadline = entry.get("deadline")
        if deadline is not None:
            try:
                deadline = dt.date.fromisoformat(str(deadline)).isoformat()
            except ValueError:
                raise RulePackError(path, f"'deadline' is not a date (YYYY-MM-DD): "
                                    f"{deadline!r}", line=line) from None
        entries.append({"rule": str(entry["rule"]), "owner": str(entry.get("owner") or ""),
                        "deadline": deadline, "status": str(entry.get("status") or ""),
                        "note": str(entry.get("note") or "")})
    return {"file": path, "entries": entries}
