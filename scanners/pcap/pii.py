"""The one call from the capture scanner into the PII engine (``auditor.pii``).

:func:`pii_finder` returns a function giving ``(entity type, raw value)`` pairs for a
text, or None when personal-data detection is off (``--option pcap.pii=false``). The raw
values never leave scanners.pcap.events, which masks and keyed-hashes them. The engine
(Presidio with Vietnamese recognizers, offline) is loaded on first use, so captures
without cleartext payloads never pay for it.
"""

from __future__ import annotations

from auditor.scanner import ScanOptions

from .events import PiiFinder

__all__ = ["pii_finder"]


def pii_finder(options: ScanOptions) -> PiiFinder | None:
    if options.get("pcap.pii", True) is False:
        return None
    from auditor.pii import PiiDetector, get_detector

    detector: list[PiiDetector] = []

    def find(text: str) -> list[tuple[str, str]]:
        if not detector:
            detector.append(get_detector())
        return [(e.type, text[e.start:e.end]) for e in detector[0].detect(text)]

    return find
