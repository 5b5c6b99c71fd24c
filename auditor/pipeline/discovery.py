"""Target discovery: command-line inputs to :class:`~auditor.models.Target` records.

Inputs are files, directories (walked recursively, in sorted order, without following
symlinked directories) and database URLs. Each file is offered to every scanner as a
:class:`~auditor.scanner.Candidate` with its first bytes (decompressed when gzip), so
classification is by content sniffing first and by name second; the highest-confidence
claim wins (ties: scanner name). Files no scanner claims, files over the size limit and
paths matching an ignore glob are reported as ``skipped``; unreadable ones as ``error``.

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


def _walk(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames):
            yield Path(dirpath) / name


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
        if root.is_dir():
            files: Iterator[tuple[Path, PurePosixPath | None]] = (
                (p, PurePosixPath(p.relative_to(root).as_posix())) for p in _walk(root))
        else:
            files = iter([(root, None)])
        for path, rel in files:
            if rel is not None and _ignored(rel.parts, options.ignore):
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
        head, compression = _read_head(path)
    except OSError as exc:
        return TargetResult(uri, "unknown", None, "error",
                            error=f"cannot read: {exc.strerror or type(exc).__name__}")
    candidate = Candidate(path=str(path.resolve()), uri=uri, name=path.name, size=size,
                          head=head, compression=compression)
    best = _best_claim(scanners, lambda s: s.claim(candidate))
    if best is None:
        return TargetResult(uri, "unknown", None, "skipped",
                            error="no scanner recognises this file")
    return Target(uri=uri, locator=str(path.resolve()), kind=best[1].kind, scanner=best[0],
                  is_file=True, size=size)
