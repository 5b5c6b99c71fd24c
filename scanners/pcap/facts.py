"""Facts folded per server: occurrence counts, first/last seen, bounded lists of values.

A :class:`Fact` is one future observation (DESIGN.md "Finding identity": one per rule,
server endpoint and fact). The :class:`~scanners.pcap.events.Recorder` creates it at the
first occurrence and :meth:`Fact.seen` folds every repeat into it; :meth:`Fact.observation`
builds the observation at the end of the capture with ``occurrences``, ``first_packet``,
``first_seen``, ``last_packet`` and ``last_seen`` (UTC capture times) in its evidence.
Frame times come from a small :class:`Clock` (the last frames' timestamps).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from auditor.models import JSONValue, Location, Observation

__all__ = ["MAX_LISTED", "Clock", "Fact", "family", "iso_time"]

MAX_LISTED = 20  # values listed per fact (accounts, servers, SNIs); the rest are counted
MAX_COUNTED = 10_000  # distinct values counted per fact
_RING = 1 << 14


class Clock:
    """Capture time of recent frames: ``time(packet)``, O(1), fixed memory."""

    __slots__ = ("_numbers", "_times", "now")

    def __init__(self) -> None:
        self._numbers = [0] * _RING
        self._times = [0.0] * _RING
        self.now = 0.0

    def tick(self, packet: int, timestamp: float) -> None:
        slot = packet & (_RING - 1)
        self._numbers[slot] = packet
        self._times[slot] = timestamp
        self.now = timestamp

    def time(self, packet: int) -> float:
        """The frame's time; for a frame too old to be remembered, the latest time."""
        slot = packet & (_RING - 1)
        return self._times[slot] if self._numbers[slot] == packet else self.now


def iso_time(timestamp: float) -> str:
    """``2025-12-01T00:00:00.000500Z`` (capture times are UTC epoch seconds)."""
    try:
        moment = dt.datetime.fromtimestamp(timestamp, dt.UTC)
    except (OverflowError, OSError, ValueError):
        return "invalid"
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def family(protocol: str) -> str:
    """``http-basic`` and ``http-form`` logins happen on an ``http`` service."""
    return protocol.split("-", 1)[0]


@dataclass(slots=True)
class Fact:
    """One (server endpoint, fact) or, for certificates, one certificate."""

    kind: str
    flow: str | None
    packet: int
    time: float
    attributes: dict[str, JSONValue]
    evidence: dict[str, JSONValue]
    identity: str
    last_packet: int = 0
    last_time: float = 0.0
    count: int = 1
    listed: dict[str, list[str]] = field(default_factory=dict)  # evidence lists
    counted: dict[str, set[str]] = field(default_factory=dict)  # distinct keys per list

    def __post_init__(self) -> None:
        self.last_packet, self.last_time = self.packet, self.time

    def seen(self, packet: int, time: float, flow: str | None) -> None:
        """Fold one more occurrence (a fact is reported when its connection ends, so an
        earlier occurrence can come later: the location follows the earliest)."""
        self.count += 1
        if packet < self.packet:
            self.packet, self.time, self.flow = packet, time, flow
        if packet > self.last_packet:
            self.last_packet, self.last_time = packet, time

    def note(self, name: str, shown: str, key: str | None = None) -> None:
        """Add a value to the evidence list ``name`` (distinct by ``key``, bounded)."""
        keys = self.counted.setdefault(name, set())
        key = shown if key is None else key
        if key in keys or len(keys) >= MAX_COUNTED:
            return
        keys.add(key)
        shown_list = self.listed.setdefault(name, [])
        if len(shown_list) < MAX_LISTED:
            shown_list.append(shown)

    def observation(self, uri: str, **extra: JSONValue) -> Observation:
        attributes = {**self.attributes, **extra, "occurrences": self.count}
        evidence: dict[str, JSONValue] = {
            **self.evidence, "occurrences": self.count,
            "first_packet": self.packet, "first_seen": iso_time(self.time),
            "last_packet": self.last_packet, "last_seen": iso_time(self.last_time)}
        for name, values in self.listed.items():
            evidence[name] = list[JSONValue](values)
            evidence[f"{name}_count"] = len(self.counted[name])
            attributes[f"{name}_count"] = len(self.counted[name])
        return Observation(kind=self.kind, location=Location(uri, flow=self.flow,
                                                             packet=self.packet),
                           attributes=attributes, evidence=evidence, identity=self.identity)
