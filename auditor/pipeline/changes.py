"""``--since REF`` / ``--changed-only``: the files a change touches, from git (issue 20).

``--changed-only`` is what the working tree changes against ``HEAD``: staged and unstaged
edits to tracked files, and untracked files that are not ignored. ``--since REF`` adds
everything committed since the merge base of ``REF`` and ``HEAD`` — what a merge request
or pull request changes (``--since origin/main``). Deleted files are not scanned (nothing
is left to read). Git is run read-only (``diff --name-only``, ``ls-files``, ``merge-base``).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from auditor.errors import ConfigError
from auditor.pipeline.gitignore import find_worktree

__all__ = ["changed_files"]


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    git = shutil.which("git")
    if git is None:
        raise ConfigError("--since/--changed-only need git on PATH")
    # NOTE: a fixed git subcommand with our own arguments (no shell); read-only commands
    return subprocess.run([git, "-C", str(root), *args], capture_output=True,  # noqa: S603
                          text=True, check=False, timeout=120)


def _git(root: Path, *args: str) -> list[str]:
    try:
        proc = _run(root, *args)
    except subprocess.TimeoutExpired:
        raise ConfigError(f"git {args[0]} did not answer within 120 s") from None
    if proc.returncode != 0:
        detail = proc.stderr.strip().splitlines()[-1:] or ["failed"]
        raise ConfigError(f"git {' '.join(args[:2])}: {detail[0]}")
    return [ln for ln in proc.stdout.split("\0") if ln]


def changed_files(paths: Sequence[str], since: str | None) -> frozenset[str]:
    """Resolved paths of the files changed in the work trees holding ``paths``."""
    out: set[str] = set()
    roots: set[Path] = set()
    for given in paths:
        start = Path(given)
        start = start if start.is_dir() else start.parent
        root = find_worktree(start)
        if root is None:
            raise ConfigError(f"{given}: --since/--changed-only need a git work tree, "
                              "and this path is not inside one")
        roots.add(root)
    for root in sorted(roots):
        base = "HEAD"
        if since is not None:
            if since.startswith("-"):
                raise ConfigError(f"--since {since!r}: not a git revision")
            base = _git(root, "merge-base", since, "HEAD")[0].strip() if _has_head(root) \
                else since
        names = []
        if _has_head(root):
            names += _git(root, "diff", "--name-only", "-z", "--no-renames",
                          "--diff-filter=ACMRT", base)
            names += _git(root, "diff", "--name-only", "-z", "--no-renames", "--cached",
                          "--diff-filter=ACMRT", base)
        else:  # NOTE: a repository without a commit yet: everything staged is new
            names += _git(root, "ls-files", "-z", "--cached")
        names += _git(root, "ls-files", "-z", "--others", "--exclude-standard")
        out.update(str((root / name).resolve()) for name in names)
    return frozenset(p for p in out if Path(p).is_file())


def _has_head(root: Path) -> bool:
    return _run(root, "rev-parse", "--verify", "-q", "HEAD").returncode == 0
