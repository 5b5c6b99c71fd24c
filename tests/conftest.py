"""Shared test fixtures: a fixed hash key, the shared corpus/schemas folder, a fake scanner."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# NOTE: a fixed key makes fingerprints reproducible in tests; a private data dir keeps
# tests from creating ~/.local/share/auditor/hash.key (and ~/.config/auditor/trusted-keys).
os.environ.setdefault("AUDITOR_HASH_KEY", "auditor-test-suite-key")
os.environ.setdefault("XDG_DATA_HOME", tempfile.mkdtemp(prefix="auditor-test-data-"))
os.environ.setdefault("XDG_CONFIG_HOME", tempfile.mkdtemp(prefix="auditor-test-config-"))

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


class PluginSite:
    """A folder on ``sys.path`` where a test installs small distributions by hand (a
    dist-info with entry points, plus modules): importlib.metadata finds them like
    pip-installed ones, so plugin loading is tested through real entry points."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def install(self, name: str, entry_points: str,
                files: dict[str, str] | None = None) -> None:
        info = self.root / f"{name}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text(entry_points)
        for rel, text in (files or {}).items():
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")


@pytest.fixture
def plugin_site(tmp_path: Path) -> Iterator[PluginSite]:
    root = tmp_path / "site"
    root.mkdir()
    before = set(sys.modules)
    sys.path.insert(0, str(root))
    try:
        yield PluginSite(root)
    finally:
        sys.path.remove(str(root))
        for mod in set(sys.modules) - before:
            if getattr(sys.modules[mod], "__file__", None) and \
                    str(root) in str(sys.modules[mod].__file__):
                del sys.modules[mod]


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return tmp_path / "out"
