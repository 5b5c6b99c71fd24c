"""JSON report (``--format json``, ``report.json``): the machine-checkable contract.

Exactly the document of DESIGN.md "JSON report", schema_version "1"
(``schemas/auditor-report-v1.schema.json``); extra properties are additions, never
replacements. ``auditor report``, ``auditor diff`` and ``--baseline`` read it back.
"""

from __future__ import annotations

import json
from typing import TextIO

from auditor.reporting import DEFAULT_RENDER, RenderOptions, Reporter
from auditor.results import ScanResult

__all__ = ["JsonReporter"]


class JsonReporter(Reporter):
    name = "json"
    filename = "report.json"
    description = "JSON report (schema_version 1), the machine-readable contract"

    def render(self, result: ScanResult, out: TextIO,
               options: RenderOptions = DEFAULT_RENDER) -> None:
        json.dump(result.to_document(), out, indent=2, ensure_ascii=False)
        out.write("\n")
