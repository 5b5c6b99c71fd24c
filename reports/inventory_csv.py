"""Personal-data inventory as CSV (``--format inventory-csv``, ``inventory.csv``).

One row per place that holds personal data (:mod:`auditor.inventory`), in the JSON
report's ``inventory`` order. Columns (fixed order, header first): ``system, store,
store_kind, table, column, flow, data, categories, classification, protection,
protection_detail, subjects, rows, sampled``; ``data`` and ``categories`` are
space-separated names. Cells a spreadsheet would run as a formula get a leading ``'``
(as in ``report.csv``). Names and counts only, never a value.
"""

from __future__ import annotations

import csv
from typing import ClassVar, TextIO

from auditor.inventory import InventoryEntry
from auditor.reporting import DEFAULT_RENDER, RenderOptions, Reporter
from auditor.results import ScanResult

__all__ = ["COLUMNS", "InventoryCsvReporter"]

COLUMNS: tuple[str, ...] = (
    "system", "store", "store_kind", "table", "column", "flow", "data", "categories",
    "classification", "protection", "protection_detail", "subjects", "rows", "sampled",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def _cell(value: str | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    # NOTE: OWASP "CSV injection": a leading quote makes spreadsheets show the text.
    return "'" + value if value.startswith(_FORMULA_START) else value


def _row(e: InventoryEntry) -> dict[str, str]:
    raw: dict[str, str | int | None] = {
        "system": e.system, "store": e.store, "store_kind": e.store_kind, "table": e.table,
        "column": e.column, "flow": e.flow, "data": " ".join(e.data),
        "categories": " ".join(e.categories), "classification": e.classification,
        "protection": e.protection, "protection_detail": e.protection_detail,
        "subjects": e.subjects, "rows": e.rows, "sampled": e.sampled,
    }
    return {k: _cell(v) for k, v in raw.items()}


class InventoryCsvReporter(Reporter):
    name: ClassVar[str] = "inventory-csv"
    filename: ClassVar[str] = "inventory.csv"
    description: ClassVar[str] = ("personal-data inventory as CSV: categories, where, "
                                  "protection, data subjects")
    machine: ClassVar[bool] = True

    def render(self, result: ScanResult, out: TextIO,
               options: RenderOptions = DEFAULT_RENDER) -> None:
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        for entry in result.inventory:
            writer.writerow(_row(entry))
