"""Views of the audit-document parts shared by the HTML and DOCX renderers: the cover
(``run.document``), the personal-data inventory and its per-system record-of-processing
annex (Law 91 Art. 21 impact-assessment dossier; GDPR Art. 30 record)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from auditor.document import DocumentInfo, document_of
from auditor.inventory import InventoryEntry
from auditor.results import ScanResult

__all__ = ["AnnexView", "InventoryStats", "annex_views", "cover_rows", "inventory_stats"]

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
