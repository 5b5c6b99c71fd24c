"""Target discovery: command-line inputs to :class:`~auditor.models.Target` records.

Inputs are files, directories (walked recursively, in sorted order, without following
symlinked directories) and database URLs. Each file is offered to every scanner as a
:class:`~auditor.scanner.Candidate` with its first bytes (decompressed when gzip), so
classification is by content sniffing first and by name second; the highest-confidence
claim wins (ties: scanner name). Files no scanner claims, files over the size limit and
paths matching an ignore glob are reported as ``skipped``; unreadable ones as ``error``.
Walks honour ``.gitignore`` inside a git work tree (:mod:`auditor.pipeline.gitignore`) and never
enter or scan auditor's own output — reports, baselines, suppression files, evidence
bundles, the ``-o`` folder — nor virtualenvs (:mod:`auditor.pipeline.ownoutput`): those are
``skipped`` with the reason.

``uri`` of a file is the path as given on the command line joined with the path inside a
scanned directory (``fixtures/demo/portal/app.yaml``), in POSIX form. For a database URL it
is the URL without password.
"""

from __future__ import annotations

import fnmatch
import gzip
import os
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from auditor.masking import redact_url
from auditor.models import Target
from auditor.pipeline.gitignore import GitIgnore
from auditor.pipeline.ownoutput import own_output_dir, own_output_kind
from auditor.results import TargetResult
from auditor.scanner import Candidate, Claim, Scanner

__all__ = ["DEFAULT_IGNORES", "HEAD_BYTES", "DiscoveryOptions", "discover"]

HEAD_BYTES = 8192
DEFAULT_IGNORES: tuple[str, ...] = (
    ".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", ".nox", ".tox",
    ".mypy_cache", ".ruff_cache", ".pytest_cache", "*.pyc",
)


@dataclass(frozen=True, slots=True)
class DiscoveryOptions:
    ignore: tuple[str, ...] = DEFAULT_IGNORES
    max_size: int | None = 4 * 1024**3  # NOTE: bytes; None = no limit
    #: honour .gitignore files inside a git work tree (auditor.pipeline.gitignore)
    gitignore: bool = True
    #: resolved paths never scanned, with the reason (the -o folder, the baseline...)
    exclude_paths: tuple[tuple[str, str], ...] = ()
    #: when set, only these resolved file paths are scanned (--since / --changed-only)
    only: frozenset[str] | None = None

    def excluded(self, path: Path) -> str | None:
        key = str(path.resolve())
        for excluded, reason in self.exclude_paths:
            if key == excluded:
                return reason
        return None


def _ignored(rel_parts: Sequence[str], patterns: Sequence[str]) -> bool:
    rel = "/".join(rel_parts)
    for pat in patterns:
        if any(fnmatch.fnmatchcase(part, pat) for part in rel_parts):
            return True
        if "/" in pat and fnmatch.fnmatchcase(rel, pat):
            return True
    return False


def _read_head(path: Path) -> tuple[bytes, str | None]:
    with path.open("rb") as fh:
        raw = fh.read(HEAD_BYTES)
    if raw[:2] != b"\x1f\x8b":
        return raw, None
    # NOTE: decompress just enough of a gzip file to sniff what is inside
    try:
        with gzip.open(path, "rb") as gz:
            return gz.read(HEAD_BYTES), "gzip"
    except (OSError, EOFError, zlib.error):
        return raw, None


def _best_claim(scanners: Mapping[str, Scanner], ask: Callable[[Scanner], Claim | None]
                ) -> tuple[str, Claim] | None:
    """The most confident claim (``ask`` is ``claim`` or ``claim_url``) and its scanner."""
    best: tuple[str, Claim] | None = None
    for name, scanner in scanners.items():  # registry is name-ordered: ties keep the first
        claim = ask(scanner)
        if claim is not None and (best is None or claim.confidence > best[1].confidence):
            best = (name, claim)
    return best


def _walk(root: Path, options: DiscoveryOptions, skipped: list[tuple[Path, str]]
          ) -> Iterator[Path]:
    """Files under ``root`` in sorted order. Directories that are ignored are not entered;
    those that are ours (an evidence bundle, the -o folder, a virtualenv) are recorded in
    ``skipped`` with the reason."""
    rules = GitIgnore.for_walk(root) if options.gitignore else None
    wanted_dirs = None if options.only is None else {
        str(parent) for f in options.only for parent in Path(f).parents}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        if rules is not None:
            rules.enter(here)
        keep = []
        for name in sorted(dirnames):
            sub = here / name
            if _ignored(sub.relative_to(root).parts, options.ignore):
                continue
            if wanted_dirs is not None and str(sub.resolve()) not in wanted_dirs:
                continue
            reason = options.excluded(sub) or own_output_dir(sub)
            if reason is not None:
                skipped.append((sub, reason))
                continue
            if rules is not None and rules.ignored(sub, is_dir=True):
                continue
            keep.append(name)
        dirnames[:] = keep
        for name in sorted(filenames):
            path = here / name
            if rules is not None and rules.ignored(path, is_dir=False):
                continue
            yield path


def _join_uri(given: str, rel: PurePosixPath | None) -> str:
    base = PurePosixPath(Path(given).as_posix())
    path = base / rel if rel is not None else base
    text = os.path.normpath(str(path)).replace(os.sep, "/")
    return text


def discover(inputs: Sequence[str], scanners: Mapping[str, Scanner],
             options: DiscoveryOptions = DiscoveryOptions()
             ) -> tuple[list[Target], list[TargetResult]]:
    """Targets to scan, and results for inputs that are skipped or cannot be read."""
    targets: list[Target] = []
    skipped: list[TargetResult] = []
    seen: set[str] = set()
    for given in inputs:
        if "://" in given:
            url_target = _url_target(given, scanners)
            if url_target is None:
                skipped.append(TargetResult(redact_url(given), "url", None, "error",
                                            error="no scanner accepts this URL scheme"))
            else:
                targets.append(url_target)
            continue
        root = Path(given)
        if not root.exists() and not root.is_symlink():
            skipped.append(TargetResult(_join_uri(given, None), "unknown", None, "error",
                                        error="no such file or directory"))
            continue
        own_dirs: list[tuple[Path, str]] = []
        if root.is_dir():
            reason = options.excluded(root) or own_output_dir(root)
            if reason is not None:
                skipped.append(TargetResult(_join_uri(given, None), "directory", None,
                                            "skipped", error=f"not scanned: {reason}"))
                continue
            files: Iterator[tuple[Path, PurePosixPath | None]] = (
                (p, PurePosixPath(p.relative_to(root).as_posix()))
                for p in _walk(root, options, own_dirs))
        else:
            files = iter([(root, None)])
        for path, rel in files:
            if rel is not None and _ignored(rel.parts, options.ignore):
                continue
            if rel is not None and options.only is not None \
                    and str(path.resolve()) not in options.only:
                continue
            key = str(path.resolve())
            if key in seen:
                continue
            seen.add(key)
            result = _file_target(path, _join_uri(given, rel), scanners, options)
            if isinstance(result, Target):
                targets.append(result)
            else:
                skipped.append(result)
        for sub, reason in own_dirs:
            skipped.append(TargetResult(
                _join_uri(given, PurePosixPath(sub.relative_to(root).as_posix())),
                "directory", None, "skipped", error=f"not scanned: {reason}"))
    return targets, skipped


def _url_target(url: str, scanners: Mapping[str, Scanner]) -> Target | None:
    best = _best_claim(scanners, lambda s: s.claim_url(url))
    if best is None:
        return None
    name, claim = best
    return Target(uri=scanners[name].redact_url(url), locator=url, kind=claim.kind,
                  scanner=name, is_file=False)


def _file_target(path: Path, uri: str, scanners: Mapping[str, Scanner],
                 options: DiscoveryOptions) -> Target | TargetResult:
    if path.is_symlink() and not path.exists():
        return TargetResult(uri, "unknown", None, "skipped", error="broken symbolic link")
    if not path.is_file():
        return TargetResult(uri, "unknown", None, "skipped", error="not a regular file")
    try:
        size = path.stat().st_size
        if options.max_size is not None and size > options.max_size:
            return TargetResult(uri, "unknown", None, "skipped",
                                error=f"larger than the size limit ({size} > "
                                      f"{options.max_size} bytes)")
        reason = options.excluded(path)
        if reason is not None:
            return TargetResult(uri, "unknown", None, "skipped", error=f"not scanned: {reason}")
        head, compression = _read_head(path)
    except OSError as exc:
        return TargetResult(uri, "unknown", None, "error",
                            error=f"cannot read: {exc.strerror or type(exc).__name__}")
    own = own_output_kind(head)
    if own is not None:
        return TargetResult(uri, "unknown", None, "skipped", error=f"not scanned: {own}")
    candidate = Candidate(path=str(path.resolve()), uri=uri, name=path.name, size=size,
                          head=head, compression=compression)
    best = _best_claim(scanners, lambda s: s.claim(candidate))
    if best is None:
        return TargetResult(uri, "unknown", None, "skipped",
                            error="no scanner recognises this file")
    return Target(uri=uri, locator=str(path.resolve()), kind=best[1].kind, scanner=best[0],
                  is_file=True, size=size)
