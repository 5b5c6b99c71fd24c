"""What the built-in scanners emit conforms to the observation-kind catalogue."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from auditor.catalogue import Catalogue, ObservationKind
from auditor.models import Location, Observation, Problem
from auditor.pipeline.discovery import DEFAULT_IGNORES, DiscoveryOptions, discover
from auditor.pipeline.plugins import catalogue_of, load_scanners
from auditor.scanner import ScanContext

DEMO = Path(__file__).resolve().parents[1] / "fixtures" / "demo"


def test_every_observation_of_the_demo_is_declared() -> None:
    scanners = load_scanners()
    catalogue = catalogue_of(scanners)
    targets, _ = discover([str(DEMO)], scanners, DiscoveryOptions(ignore=DEFAULT_IGNORES))
    seen: set[str] = set()
    problems: list[str] = []
    for target in targets:
        ctx = ScanContext(as_of=dt.date(2026, 11, 25), hash_key=b"k")
        for item in scanners[target.scanner].scan(target, ctx):
            if isinstance(item, Problem):
                continue
            seen.add(item.kind)
            problems += catalogue.observation_problems(item)
    assert not problems, problems[:10]
    assert len(seen) >= 15, sorted(seen)  # the demo exercises most kinds


def test_every_emitted_kind_is_in_the_catalogue() -> None:
    scanners = load_scanners()
    catalogue = catalogue_of(scanners)
    for name, scanner in scanners.items():
        missing = [k for k in scanner.emits if k not in catalogue]
        assert not missing, (name, missing)


def test_a_plugin_kind_merges_with_the_built_in_ones() -> None:
    cat = Catalogue([ObservationKind("x.y", "one", {"a": "integer"}),
                     ObservationKind("x.y", "", {"a": "string", "b": "list"})])
    assert cat["x.y"].attributes == {"a": "integer|string", "b": "list"}
    assert cat.path_problem(["x.*"], "b.0") is None
    assert cat.path_problem(["x.*"], "c") is not None
    obs = Observation("x.y", Location("f"), {"a": True})
    assert cat.observation_problems(obs)  # a bool is not an integer
