"""Fixtures for the PII tests: one detector per test session (start-up ≈ 1 s)."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.pii import PiiDetector, get_detector
from auditor.pii.evaluation import Labelled, parse_labelled

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def detector() -> PiiDetector:
    return get_detector()


def load_corpus(*names: str) -> list[Labelled]:
    items: list[Labelled] = []
    for name in names:
        items.extend(parse_labelled((DATA / name).read_text("utf-8").splitlines()))
    return items
