"""Add to auditor/knowledge/observation_kinds.yaml what the built-in scanners emit on the
given paths (default: the demo) but the catalogue does not declare yet.

Usage: ``python tools/sync_kinds.py [PATH...]``. Review the diff: a new attribute is a
contract change (rules may start reading it), and its type is only what was seen.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import yaml

from auditor.pipeline.discovery import DEFAULT_IGNORES, DiscoveryOptions, discover
from auditor.pipeline.plugins import load_scanners
from auditor.scanner import ScanContext

CATALOGUE = Path(__file__).resolve().parents[1] / "auditor" / "knowledge" / \
    "observation_kinds.yaml"
_NAMES = {str: "string", bool: "boolean", int: "integer", float: "number", list: "list",
          dict: "object", type(None): "null"}


def main(paths: list[str]) -> int:
    text = CATALOGUE.read_text(encoding="utf-8")
    head, _, _ = text.partition("\nkinds:\n")
    data = yaml.safe_load(text)
    kinds = data["kinds"]
    scanners = load_scanners()
    targets, _ = discover(paths or ["fixtures/demo"], scanners,
                          DiscoveryOptions(ignore=DEFAULT_IGNORES))
    changed = []
    for target in targets:
        ctx = ScanContext(as_of=dt.date(2026, 11, 25), hash_key=b"k")
        for obs in scanners[target.scanner].scan(target, ctx):
            if not hasattr(obs, "kind"):
                continue
            spec = kinds.setdefault(obs.kind, {"description": "", "attributes": {}})
            attrs = spec.setdefault("attributes", {})
            for name, value in obs.attributes.items():
                word = _NAMES[type(value)]
                old = attrs.get(name)
                if old is None:
                    attrs[name] = word
                    changed.append(f"{obs.kind}.{name}: {word}")
                elif old != "any" and word not in old.split("|"):
                    attrs[name] = "|".join(sorted({*old.split("|"), word}))
                    changed.append(f"{obs.kind}.{name}: {attrs[name]}")
    body = yaml.safe_dump({"kinds": kinds}, sort_keys=True, allow_unicode=True, width=100)
    body = body.removeprefix("kinds:\n")
    CATALOGUE.write_text(f"{head}\nkinds:\n{body}", encoding="utf-8")
    print("\n".join(changed) or "nothing to add")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
