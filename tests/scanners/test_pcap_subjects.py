"""Distinct data subjects of a capture's personal-data finding: exact while fewer than
the sketch's ``k``, an estimate in constant memory beyond (the state never grows past k
hashes, whatever the number of people in the capture)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from auditor.scanners.pcap import events
from auditor.scanners.pcap.events import FlowContext, Recorder
from auditor.scanners.pcap.pii import PiiDetection
from pcap_support import AS_OF, KEY

from auditor.models import Observation
from auditor.sketch import DistinctSketch

SERVER = "10.9.0.2:80"


def _portal(distinct: int, rounds: int) -> tuple[DistinctSketch, list[Observation]]:
    """A portal where ``distinct`` people each post their e-mail ``rounds`` times (the
    real PII engine finds them), one connection per post."""
    recorder = Recorder("portal.pcap", KEY, AS_OF, PiiDetection())
    packet = 0
    for _ in range(rounds):
        for person in range(distinct):
            packet += 1
            ctx = FlowContext(recorder, f"10.9.0.1:{1024 + packet % 60000}->{SERVER}",
                              SERVER, packet, protocol="http")
            ctx.text(packet, True, "body", f"email: citizen{person}@example.com")
    pii = recorder._pii
    assert pii is not None
    recorder._personal_data(pii.finish())  # the last batch, as finish() does first
    sketch = recorder._personal[(SERVER, "http")].subjects  # the state kept, before finish
    out = [o for o in recorder.finish() if isinstance(o, Observation) and o.kind == "net.pii"]
    return sketch, out


def test_subjects_are_exact_below_k(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events, "SUBJECT_SKETCH", 64)
    sketch, (pii,) = _portal(distinct=60, rounds=3)
    assert pii.subjects == 60  # three posts each, counted once
    assert pii.attributes["count"] == 180
    assert len(sketch) == 60 and sketch.exact


def test_the_subject_state_stops_growing_at_k(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events, "SUBJECT_SKETCH", 64)
    sketch, (pii,) = _portal(distinct=1500, rounds=1)
    assert len(sketch) == 64 and not sketch.exact  # 64 hashes kept, not 1500
    # NOTE: an estimate beyond k (standard error ~1/sqrt(k - 2) = 13 % here)
    assert pii.subjects is not None and pii.subjects != 1500
    assert abs(pii.subjects - 1500) / 1500 < 0.4


@pytest.mark.parametrize("distinct", [100, 4095, 20_000])
def test_sketch_is_exact_below_k_and_never_holds_more_than_k(distinct: int) -> None:
    sketch = DistinctSketch(b"CANARY-key", 4096)
    sizes = set()
    for i in range(distinct * 2):
        sketch.add(f"PERSON\0value-{i % distinct}")
        sizes.add(len(sketch))
    assert max(sizes) == min(distinct, 4096)
    if distinct < 4096:
        assert sketch.exact and sketch.estimate() == distinct
    else:
        assert not sketch.exact and abs(sketch.estimate() - distinct) / distinct < 0.05


def test_lone_surrogates_are_counted_not_raised() -> None:
    """Values decoded from JSON on the wire may hold lone surrogates."""
    sketch = DistinctSketch(b"key")
    for value in ("\ud800an", "\udfffan", "\udc80an", "an", "\ud800an"):
        sketch.add(value)
    assert sketch.estimate() == 4
