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

Hostile trees (see docs/security.md): a directory that cannot be listed is an ``error``
target (the scan is incomplete), never silently empty. Symbolic links inside a scanned
directory are never entered when they point to directories; a link to a file is scanned
under the real file's name when that file is in the tree (the link is recorded as
``skipped``: "scanned there"), and a link leading out of the tree is skipped unless
``follow_symlinks`` (``--follow-symlinks``). FIFOs, devices, sockets and anything under
``/proc``, ``/sys`` or ``/dev`` are never opened. Paths named on the command line are
followed (the user chose them) but the special-file rule still holds.

``uri`` of a file is the path as given on the command line joined with the path inside a
scanned directory (``fixtures/demo/portal/app.yaml``), in POSIX form. For a database URL it
is the URL without password.
"""

from __future__ import annotations

import fnmatch
import gzip
import os
import stat
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from auditor.masking import redact_url
from auditor.models import Target
from auditor.names import escape_name
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
    follow_symlinks: bool = False  # follow file links that leave the scanned directory
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


_FILE_TYPES = ((stat.S_ISFIFO, "FIFO"), (stat.S_ISCHR, "character device"),
               (stat.S_ISBLK, "block device"), (stat.S_ISSOCK, "socket"),
               (stat.S_ISDIR, "directory"))
_PSEUDO_FS = ("/proc", "/sys", "/dev")


def _special(path: Path, mode: int) -> str | None:
    """Why a path must not be opened, or None. FIFOs and devices block or never end, and
    files under /proc, /sys and /dev look regular but may block (``/proc/kmsg``) or
    change what they read."""
    if not stat.S_ISREG(mode):
        what = next((name for test, name in _FILE_TYPES if test(mode)), "special file")
        return f"not a regular file ({what}), not opened"
    real = str(path.resolve())
    for top in _PSEUDO_FS:
        if real == top or real.startswith(top + "/"):
            return f"special file under {top}, not opened"
    return None


def _read_head(path: Path) -> tuple[bytes, str | None]:
    # NOTE: O_NONBLOCK: if the file was swapped for a FIFO after the checks, opening and
    # reading it fails instead of blocking the scan
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(0, "not a regular file")
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


def _walk(root: Path, options: DiscoveryOptions, errors: list[OSError],
          own: list[tuple[Path, str]]) -> Iterator[Path]:
    """Every non-directory entry under ``root`` (symbolic links included, not followed),
    in sorted order; ignored directories (ignore globs, .gitignore, outside --since) are
    not entered, ours (an evidence bundle, the -o folder, a virtualenv) are collected in
    ``own`` with the reason, and directories that cannot be listed in ``errors``."""
    rules = GitIgnore.for_walk(root) if options.gitignore else None
    wanted_dirs = None if options.only is None else {
        str(parent) for f in options.only for parent in Path(f).parents}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False,
                                                onerror=errors.append):
        base = Path(dirpath)
        rel = base.relative_to(root).parts
        if rules is not None:
            rules.enter(base)
        kept = []
        for name in sorted(dirnames):
            sub = base / name
            if sub.is_symlink():
                filenames.append(name)  # NOTE: reported, never entered
                continue
            if _ignored((*rel, name), options.ignore):
                continue
            if wanted_dirs is not None and str(sub.resolve()) not in wanted_dirs:
                continue
            reason = options.excluded(sub) or own_output_dir(sub)
            if reason is not None:
                own.append((sub, reason))
                continue
            if rules is not None and rules.ignored(sub, is_dir=True):
                continue
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            path = base / name
            if rules is not None and rules.ignored(path, is_dir=False):
                continue
            yield path


def _join_uri(given: str, rel: PurePosixPath | None) -> str:
    base = PurePosixPath(Path(given).as_posix())
    path = base / rel if rel is not None else base
    text = os.path.normpath(str(path)).replace(os.sep, "/")
    return escape_name(text)  # NOTE: a non-UTF-8 file name is shown as \xNN


def discover(inputs: Sequence[str], scanners: Mapping[str, Scanner],
             options: DiscoveryOptions = DiscoveryOptions()
             ) -> tuple[list[Target], list[TargetResult]]:
    """Targets to scan, and results for inputs that are skipped or cannot be read."""
    targets: list[Target] = []
    skipped: list[TargetResult] = []
    seen: dict[str, str] = {}  # resolved path -> uri it is scanned under
    for given in inputs:
        if "://" in given:
            url_target = _url_target(given, scanners)
            if url_target is None:
                skipped.append(TargetResult(escape_name(redact_url(given)), "url", None, "error",
                                            error="no scanner accepts this URL scheme"))
            else:
                targets.append(url_target)
            continue
        root = Path(given)
        if not root.exists() and not root.is_symlink():
            skipped.append(TargetResult(_join_uri(given, None), "unknown", None, "error",
                                        error="no such file or directory"))
            continue
        if not root.is_dir():  # NOTE: a file (or link) named on the command line is followed
            _add(_entry(root, _join_uri(given, None), None, seen,
                        scanners=scanners, options=options),
                 targets, skipped)
            continue
        reason = options.excluded(root) or own_output_dir(root)
        if reason is not None:
            skipped.append(TargetResult(_join_uri(given, None), "directory", None,
                                        "skipped", error=f"not scanned: {reason}"))
            continue
        errors: list[OSError] = []
        own_dirs: list[tuple[Path, str]] = []
        entries = [(p, PurePosixPath(p.relative_to(root).as_posix()))
                   for p in _walk(root, options, errors, own_dirs)]
        for exc in errors:
            failed = Path(exc.filename or root)
            rel = PurePosixPath(failed.relative_to(root).as_posix()) if failed != root else None
            skipped.append(TargetResult(
                _join_uri(given, rel), "directory", None, "error",
                error=f"cannot list directory: {exc.strerror or type(exc).__name__}"))
        entries = [(p, rel) for p, rel in entries if not _ignored(rel.parts, options.ignore)]
        if options.only is not None:
            entries = [(p, rel) for p, rel in entries if str(p.resolve()) in options.only]
        # NOTE: real files first: a link visited first must not claim (or hide) the file
        # it points to; links to files already scanned are recorded as such
        entries.sort(key=lambda e: e[0].is_symlink())
        for path, rel in entries:
            _add(_entry(path, _join_uri(given, rel), root, seen,
                        scanners=scanners, options=options),
                 targets, skipped)
        for sub, why in own_dirs:
            skipped.append(TargetResult(
                _join_uri(given, PurePosixPath(sub.relative_to(root).as_posix())),
                "directory", None, "skipped", error=f"not scanned: {why}"))
    return targets, skipped


def _add(result: Target | TargetResult | None, targets: list[Target],
         skipped: list[TargetResult]) -> None:
    if isinstance(result, Target):
        targets.append(result)
    elif result is not None:
        skipped.append(result)


def _entry(path: Path, uri: str, root: Path | None, seen: dict[str, str], *,
           scanners: Mapping[str, Scanner], options: DiscoveryOptions
           ) -> Target | TargetResult | None:
    """One walked entry (``root`` is the scanned directory, None for a path given on the
    command line): a target, a skipped/error result, or None for a duplicate."""
    link = path.is_symlink()
    if link and not path.exists():
        return TargetResult(uri, "unknown", None, "skipped", error="broken symbolic link")
    try:
        real = path.resolve()
    except (OSError, RuntimeError):  # NOTE: a link loop
        return TargetResult(uri, "unknown", None, "skipped", error="symbolic link loop")
    if link and root is not None:
        if real.is_dir():
            return TargetResult(uri, "unknown", None, "skipped",
                                error="symbolic link to a directory (not followed)")
        if not options.follow_symlinks and not real.is_relative_to(root.resolve()):
            return TargetResult(uri, "unknown", None, "skipped",
                                error="symbolic link out of the scanned tree (not followed; "
                                      "use --follow-symlinks)")
    key = str(real)
    if key in seen:
        if link and seen[key] != uri:
            return TargetResult(uri, "unknown", None, "skipped",
                                error=f"symbolic link to {seen[key]} (scanned there)")
        return None
    seen[key] = uri
    return _file_target(path, uri, scanners, options)


def _url_target(url: str, scanners: Mapping[str, Scanner]) -> Target | None:
    best = _best_claim(scanners, lambda s: s.claim_url(url))
    if best is None:
        return None
    name, claim = best
    return Target(uri=escape_name(scanners[name].redact_url(url)), locator=url, kind=claim.kind,
                  scanner=name, is_file=False)


def _file_target(path: Path, uri: str, scanners: Mapping[str, Scanner],
                 options: DiscoveryOptions) -> Target | TargetResult:
    if path.is_symlink() and not path.exists():
        return TargetResult(uri, "unknown", None, "skipped", error="broken symbolic link")
    try:
        info = path.stat()
    except OSError as exc:
        return TargetResult(uri, "unknown", None, "error",
                            error=f"cannot read: {exc.strerror or type(exc).__name__}")
    special = _special(path, info.st_mode)
    if special is not None:
        return TargetResult(uri, "unknown", None, "skipped", error=special)
    try:
        size = info.st_size
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
