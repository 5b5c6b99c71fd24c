"""Views of the audit-document parts shared by the HTML and DOCX renderers: the cover
(``run.document``), the remediation plan (``run.remediation_plan``, checked against
``--as-of``), the personal-data inventory and its per-system record-of-processing annex
(Law 91 Art. 21 impact-assessment dossier; GDPR Art. 30 record)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from auditor.document import DocumentInfo, document_of
from auditor.inventory import InventoryEntry
from auditor.results import Finding, ScanResult

__all__ = ["DONE_STATUSES", "AnnexView", "InventoryStats", "PlanRow", "PlanView",
           "annex_views", "cover_rows", "inventory_stats", "plan_view"]

_COVER = ("controller", "processor", "system", "scope", "period", "assessor", "date")


def cover_rows(result: ScanResult) -> tuple[DocumentInfo, tuple[tuple[str, str], ...]]:
    """The cover facts as ``(message key, value)`` rows (empty values kept: the reader
    sees what was not given)."""
    info = document_of(result)
    rows = tuple((f"cover_{name}", str(getattr(info, name))) for name in _COVER)
    return info, rows


@dataclass(frozen=True, slots=True)
class InventoryStats:
    places: int
    sensitive: int
    sensitive_cleartext: int


def inventory_stats(entries: Sequence[InventoryEntry]) -> InventoryStats:
    sensitive = [e for e in entries if e.classification == "sensitive"]
    return InventoryStats(len(entries), len(sensitive), sum(
        1 for e in sensitive if e.protection in ("cleartext", "cleartext-in-transit")))


@dataclass(frozen=True, slots=True)
class AnnexView:
    """One system's record of processing, pre-filled from the inventory."""

    system: str
    basic: tuple[str, ...]
    sensitive: tuple[str, ...]
    stores: tuple[str, ...]
    flows: tuple[str, ...]
    subjects: int | None
    protection: tuple[tuple[str, int], ...]  # (state, places)


def annex_views(entries: Sequence[InventoryEntry]) -> tuple[AnnexView, ...]:
    systems: dict[str, list[InventoryEntry]] = {}
    for e in entries:
        systems.setdefault(e.system, []).append(e)
    out = []
    for name in sorted(systems):
        items = systems[name]
        counts: dict[str, int] = {}
        for e in items:
            counts[e.protection] = counts.get(e.protection, 0) + 1
        subjects = [e.subjects for e in items if e.subjects is not None]
        out.append(AnnexView(
            system=name,
            basic=tuple(sorted({d for e in items for d in e.data})),
            sensitive=tuple(sorted({c for e in items for c in e.categories})),
            stores=tuple(sorted({f"{e.store} ({e.store_kind})" for e in items
                                 if e.store_kind != "capture"})),
            flows=tuple(sorted({f"{e.flow} ({e.store})" for e in items
                                if e.store_kind == "capture"})),
            subjects=max(subjects) if subjects else None,
            protection=tuple(sorted(counts.items()))))
    return tuple(out)


#: plan statuses (folded to lower case) that close a finding group: never overdue
DONE_STATUSES = frozenset({"done", "closed", "resolved", "fixed", "completed", "complete",
                           "accepted", "hoàn thành", "đã khắc phục", "đã xong", "đóng"})


@dataclass(frozen=True, slots=True)
class PlanRow:
    """One finding group of the run with its plan entry (owner, deadline, status)."""

    rule_id: str
    title: str
    severity: str
    findings: int
    owner: str = ""
    deadline: str = ""  # ISO date, or "" when the plan gives none
    status: str = ""
    note: str = ""
    planned: bool = False  # the plan has an entry for this group
    overdue: bool = False  # deadline before --as-of and the status does not close it


@dataclass(frozen=True, slots=True)
class PlanView:
    rows: tuple[PlanRow, ...]  # the run's finding groups, in report order
    resolved: tuple[PlanRow, ...]  # plan entries whose group has no finding in this run
    file: str
    overdue: int
    unplanned: int


def _is_overdue(deadline: str, status: str, as_of: dt.date) -> bool:
    if not deadline or status.strip().lower() in DONE_STATUSES:
        return False
    try:
        return dt.date.fromisoformat(deadline) < as_of
    except ValueError:
        return False


def plan_view(result: ScanResult) -> PlanView:
    """The remediation plan against this run: one row per finding group with unsuppressed
    findings (its plan entry when there is one; overdue when the deadline is before
    ``--as-of`` and the status is not a closing one), then the plan's entries whose group
    no longer has findings."""
    raw = result.extra.get("remediation_plan")
    plan = raw if isinstance(raw, Mapping) else {}
    listed = plan.get("entries")
    entries = {str(e.get("rule")): e for e in (listed if isinstance(listed, list) else [])
               if isinstance(e, Mapping) and e.get("rule")}
    groups: dict[str, list[Finding]] = {}
    for f in result.active_findings:
        groups.setdefault(f.rule_id, []).append(f)
    rows = []
    for rule_id, items in groups.items():
        e = entries.get(rule_id, {})
        deadline, status = str(e.get("deadline") or ""), str(e.get("status") or "")
        rows.append(PlanRow(rule_id, items[0].title, max(i.severity for i in items).label,
                            len(items), str(e.get("owner") or ""), deadline, status,
                            str(e.get("note") or ""), rule_id in entries,
                            _is_overdue(deadline, status, result.as_of)))
    resolved = tuple(PlanRow(rule_id, "", "", 0, str(e.get("owner") or ""),
                             str(e.get("deadline") or ""), str(e.get("status") or ""),
                             str(e.get("note") or ""), True)
                     for rule_id, e in sorted(entries.items()) if rule_id not in groups)
    return PlanView(tuple(rows), resolved, str(plan.get("file") or ""),
                    sum(1 for r in rows if r.overdue), sum(1 for r in rows if not r.planned))
