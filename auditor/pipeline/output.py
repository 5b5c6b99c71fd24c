"""Writing reports: atomically (temp file + rename), one fixed file name per format.

``write_reports`` writes a *set*: every format is rendered into a staging folder inside
``-o DIR`` first; only when all are written are they renamed into place, under an
exclusive lock on the folder (two runs into one ``-o`` take turns) and with SIGINT/SIGTERM
held back for the few renames (an interrupt lands after the swap, never in the middle).
Report files of a previous set that this set does not write are removed, so the folder
never mixes two runs. An interrupt while rendering leaves the previous set untouched.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from auditor.errors import ConfigError
from auditor.fileio import atomic_write
from auditor.pipeline.ownoutput import own_output_kind
from auditor.policy.rules import RulePack
from auditor.reporting import DEFAULT_RENDER, RenderOptions, Reporter, RuleText
from auditor.results import ScanResult

__all__ = ["parse_formats", "render_options", "render_text", "write_atomic", "write_reports"]


def parse_formats(values: Sequence[str], reporters: Mapping[str, Reporter]) -> list[str]:
    """``--format`` values (repeatable, comma-separated) checked against the reporters."""
    out: list[str] = []
    for value in values:
        for raw in value.split(","):
            name = {"markdown": "md"}.get(raw.strip(), raw.strip())
            if not name:
                continue
            if name not in reporters:
                known = ", ".join(reporters)
                raise ConfigError(f"--format: unknown format {name!r} (available: {known})")
            if name not in out:
                out.append(name)
    return out


def render_options(packs: Iterable[RulePack], lang: str | None,
                   max_rows: int | None = None) -> RenderOptions:
    """Render options for ``lang`` with the rule texts the packs ship for it."""
    texts: dict[str, RuleText] = {}
    if lang:
        for pack in packs:
            texts.update(pack.translations.get(lang, {}))
    return RenderOptions(lang=lang, max_rows=max_rows, rule_texts=texts)


def render_text(reporter: Reporter, result: ScanResult,
                options: RenderOptions = DEFAULT_RENDER) -> str:
    buf = io.StringIO()
    reporter.render(result, buf, options)
    return buf.getvalue()


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so readers see the old file or the whole new one."""
    atomic_write(path, text)


STAGING_PREFIX = ".auditor-staging-"


@contextlib.contextmanager
def _locked(out_dir: Path) -> Iterator[None]:
    """An exclusive lock on the folder itself (no lock file left behind)."""
    fd = os.open(out_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # NOTE: closing the descriptor releases the lock


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT/SIGTERM wait until the block is over (main thread; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def write_reports(result: ScanResult, reporters: Mapping[str, Reporter],
                  formats: Sequence[str], out_dir: Path,
                  options: RenderOptions = DEFAULT_RENDER) -> list[Path]:
    """Render each format into ``out_dir`` under its fixed name, as one set (see module
    docstring); returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out_dir))
    try:
        staged: list[tuple[Path, Path]] = []
        for name in formats:
            reporter = reporters[name]
            tmp = stage / reporter.filename
            if reporter.binary:
                with tmp.open("wb") as bh:
                    bh.write(reporter.render_bytes(result, options))
                    bh.flush()
                    os.fsync(bh.fileno())
            else:
                with tmp.open("w", encoding="utf-8", newline="\n") as fh:
                    reporter.render(result, fh, options)
                    fh.flush()
                    os.fsync(fh.fileno())
            staged.append((tmp, out_dir / reporter.filename))
        new_names = {final.name for _, final in staged}
        with _locked(out_dir), _signals_held():
            stale = [out_dir / r.filename for r in reporters.values()
                     if r.filename not in new_names and _is_our_report(out_dir / r.filename)]
            for tmp, final in staged:
                os.replace(tmp, final)
            for old in stale:
                old.unlink(missing_ok=True)
        return [final for _, final in staged]
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _is_our_report(path: Path) -> bool:
    """A file at a report name that auditor wrote (never delete someone else's file)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(8192)
    except OSError:
        return False
    return own_output_kind(head) is not None
