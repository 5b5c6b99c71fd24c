"""``.gitignore`` rules for directory walks (issue 20, item 1), matched by ``pathspec``.

Like git (and ripgrep), ignore files apply only inside a git work tree: the ``.gitignore``
of every directory from the work tree's root down to the scanned directory and below it,
plus ``.git/info/exclude``. A deeper file's rules win over a shallower one's, and inside
one file the last matching rule wins (negations included) — ``pathspec``'s
``GitIgnoreSpec`` implements git's pattern syntax; this module only stacks the files.
A directory that is ignored is not entered (git cannot re-include files below it).
Files named on the command line are always scanned: ignore rules apply to walks only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # NOTE: imported when a .gitignore is read: start-up stays light
    import pathspec

__all__ = ["GitIgnore", "find_worktree"]


def find_worktree(start: Path) -> Path | None:
    """The root of the git work tree holding ``start`` (a ``.git`` dir or file), or None."""
    here = start.resolve()
    for candidate in (here, *here.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def _load(path: Path) -> pathspec.GitIgnoreSpec | None:
    import pathspec

    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    lines = text.splitlines()
    return pathspec.GitIgnoreSpec.from_lines(lines) if any(
        ln.strip() and not ln.startswith("#") for ln in lines) else None


@dataclass(slots=True)
class GitIgnore:
    """Ignore rules of one work tree; ``ignored(path, is_dir)`` for absolute paths."""

    root: Path
    #: directory (relative to ``root``, POSIX, "" for the root) -> its rules
    specs: dict[str, pathspec.GitIgnoreSpec] = field(default_factory=dict)

    @classmethod
    def for_walk(cls, start: Path) -> GitIgnore | None:
        """Rules for walking ``start``, or None when it is not inside a git work tree."""
        root = find_worktree(start)
        if root is None:
            return None
        rules = cls(root)
        exclude = root / ".git" / "info" / "exclude"
        if exclude.is_file():
            spec = _load(exclude)
            if spec is not None:
                rules.specs["\0exclude"] = spec
        here = start.resolve()
        rel = here.relative_to(root)
        for depth in range(len(rel.parts)):  # ancestors of the walk, root first
            rules.enter(root.joinpath(*rel.parts[:depth]))
        return rules

    def _rel(self, path: Path) -> str | None:
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return None

    def enter(self, directory: Path) -> None:
        """Read ``directory/.gitignore`` (call for each directory as the walk enters it)."""
        rel = self._rel(directory)
        if rel is None:
            return
        key = "" if rel == "." else rel
        if key in self.specs:
            return
        spec = _load(directory / ".gitignore")
        if spec is not None:
            self.specs[key] = spec

    def ignored(self, path: Path, is_dir: bool) -> bool:
        rel = self._rel(path)
        if rel is None or rel == ".":
            return False
        parts = PurePosixPath(rel).parts
        # deepest ignore file first: its decision, if any, wins
        for depth in range(len(parts) - 1, -1, -1):
            key = "/".join(parts[:depth])
            spec = self.specs.get(key)
            if spec is None:
                continue
            sub = "/".join(parts[depth:]) + ("/" if is_dir else "")
            decision = spec.check_file(sub).include
            if decision is not None:
                return bool(decision)
        spec = self.specs.get("\0exclude")
        if spec is not None:
            decision = spec.check_file(rel + ("/" if is_dir else "")).include
            return bool(decision)
        return False
