"""``.gitignore`` honoured by directory walks inside a git work tree (issue 20, item 1)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from auditor.pipeline.discovery import DiscoveryOptions, discover
from auditor.pipeline.gitignore import GitIgnore
from auditor.pipeline.plugins import load_scanners

SECRET = "db:\n  password: S3cr3t-value-1234\n"


def _tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


FILES = {
    ".gitignore": "build/\n*.local.yaml\n!keep.local.yaml\n",
    "app.yaml": SECRET,
    "build/gen.yaml": SECRET,
    "dev.local.yaml": SECRET,
    "keep.local.yaml": SECRET,
    "sub/.gitignore": "secret-*.yaml\n!secret-tracked.yaml\n",
    "sub/secret-a.yaml": SECRET,
    "sub/secret-tracked.yaml": SECRET,
    "sub/deeper/secret-b.yaml": SECRET,
    "other/build.yaml": SECRET,
}
EXPECTED = ["app.yaml", "keep.local.yaml", "other/build.yaml", "sub/secret-tracked.yaml"]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    _tree(root, FILES)
    (root / ".git").mkdir()
    (root / ".git" / "info").mkdir()
    (root / ".git" / "info" / "exclude").write_text("other/\n")
    return root


def _scanned(root: Path, given: Path, gitignore: bool = True) -> list[str]:
    targets, _ = discover([str(given)], load_scanners(), DiscoveryOptions(gitignore=gitignore))
    return sorted(str(Path(t.locator).relative_to(root.resolve())) for t in targets)


def test_nested_gitignores_negations_and_info_exclude(repo: Path) -> None:
    # info/exclude drops other/ unless a .gitignore says otherwise
    assert _scanned(repo, repo) == [p for p in EXPECTED if not p.startswith("other/")]


def test_walk_from_a_subfolder_uses_the_ancestors_rules(repo: Path) -> None:
    assert _scanned(repo, repo / "sub") == ["sub/secret-tracked.yaml"]


def test_no_gitignore_scans_everything(repo: Path) -> None:
    assert len(_scanned(repo, repo, gitignore=False)) == len(
        [n for n in FILES if n.endswith(".yaml")])


def test_outside_a_work_tree_nothing_is_ignored(tmp_path: Path) -> None:
    _tree(tmp_path / "plain", FILES)
    assert GitIgnore.for_walk(tmp_path / "plain") is None
    assert "build/gen.yaml" in _scanned(tmp_path / "plain", tmp_path / "plain")


def test_named_file_is_scanned_even_when_ignored(repo: Path) -> None:
    targets, _ = discover([str(repo / "build" / "gen.yaml")], load_scanners())
    assert len(targets) == 1


@pytest.mark.skipif(subprocess.run(["git", "--version"], capture_output=True,
                                   check=False).returncode != 0, reason="needs git")
def test_same_answer_as_git(tmp_path: Path) -> None:
    root = tmp_path / "real"
    _tree(root, FILES)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    listed = subprocess.run(["git", "-C", str(root), "ls-files", "--others", "--exclude-standard"],
                            capture_output=True, text=True, check=True).stdout.split()
    assert _scanned(root, root) == sorted(p for p in listed if p.endswith(".yaml"))
