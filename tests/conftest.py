"""Shared test fixtures: a fixed hash key, the shared corpus/schemas folder, a fake scanner."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# NOTE: a fixed key makes fingerprints reproducible in tests; a private data dir keeps
# tests from creating ~/.local/share/auditor/hash.key.
os.environ.setdefault("AUDITOR_HASH_KEY", "auditor-test-suite-key")
os.environ.setdefault("XDG_DATA_HOME", tempfile.mkdtemp(prefix="auditor-test-data-"))

REPO = Path(__file__).resolve().parents[1]


#: the official SARIF and OSCAL schemas and our report schema, kept in the repository
#: (tests/schemas/README.md gives their origin and licences)
SCHEMAS = REPO / "tests" / "schemas"


def find_shared() -> Path | None:
    """The shared folder (public corpus): ``$AUDITOR_SHARED_DIR``, or ``../shared`` next to
    the checkout."""
    candidates = [os.environ.get("AUDITOR_SHARED_DIR"), str(REPO.parent / "shared")]
    for c in candidates:
        if c and (Path(c) / "DESIGN.md").is_file():
            return Path(c)
    return None


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    path = find_shared()
    if path is None:
        pytest.skip("the shared folder (../shared) is not present")
    return path


@pytest.fixture(scope="session")
def schemas() -> Path:
    return SCHEMAS


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return tmp_path / "out"
