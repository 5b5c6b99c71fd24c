"""Write the OSCAL catalogs of the built-in framework packs to ``rules/oscal/``.

Usage: ``python tools/oscal_catalogs.py [DIR]``. Run it after editing a pack in
``rules/frameworks/``; ``tests/test_compliance_demo.py`` fails while a shipped catalog is
stale. The catalog format is :func:`auditor.reports.oscal_catalog.catalog`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from auditor.reports.oscal_catalog import catalog

from auditor.policy.compliance import requirement_items
from auditor.policy.frameworks import builtin_frameworks
from auditor.policy.rules import builtin_rules_dir

__all__ = ["catalog_dir", "write_builtin_catalogs"]


def catalog_dir() -> Path:
    return builtin_rules_dir() / "oscal"


def write_builtin_catalogs(out: Path | None = None) -> list[Path]:
    target = out or catalog_dir()
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for fw in builtin_frameworks():
        path = target / f"{fw.id}.catalog.json"
        path.write_text(json.dumps(catalog(fw.ref(), requirement_items(fw)), indent=2,
                                   ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for p in write_builtin_catalogs(Path(sys.argv[1]) if len(sys.argv) > 1 else None):
        print(p)
