"""The one call from the capture scanner into the PII engine (``auditor.pii``).

:func:`pii_finder` returns a function giving ``(entity type, raw value)`` pairs for a
text, or None when personal-data detection is off (``--option pcap.pii=false``) or the
engine is not installed. The raw values never leave scanners.pcap.events, which masks
and keyed-hashes them.
"""

from __future__ import annotations

import importlib
from typing import Any

from auditor.scanner import ScanOptions
from scanners.pcap.events import PiiFinder

__all__ = ["pii_finder"]


def pii_finder(options: ScanOptions) -> PiiFinder | None:
    if options.get("pcap.pii", True) is False:
        return None
    try:
        pii: Any = importlib.import_module("auditor.pii")
    except ImportError:
        return None
    detector: Any = pii.get_detector()

    def find(text: str) -> list[tuple[str, str]]:
        found = []
        for entity in detector.detect(text):
            kind = getattr(entity, "type", None) or getattr(entity, "entity_type", "")
            found.append((str(kind), text[entity.start:entity.end]))
        return found

    return find
