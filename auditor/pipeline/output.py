"""Writing reports: atomically (temp file + rename), one fixed file name per format."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path

from auditor.errors import ConfigError
from auditor.fileio import atomic_write
from auditor.reporting import DEFAULT_RENDER, RenderOptions, Reporter
from auditor.results import ScanResult

__all__ = ["parse_formats", "render_text", "write_atomic", "write_reports"]


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


def render_text(reporter: Reporter, result: ScanResult,
                options: RenderOptions = DEFAULT_RENDER) -> str:
    buf = io.StringIO()
    reporter.render(result, buf, options)
    return buf.getvalue()


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so readers see the old file or the whole new one."""
    atomic_write(path, text)


def write_reports(result: ScanResult, reporters: Mapping[str, Reporter],
                  formats: Sequence[str], out_dir: Path,
                  options: RenderOptions = DEFAULT_RENDER) -> list[Path]:
    """Render each format into ``out_dir`` under its fixed name; returns the paths."""
    written = []
    for name in formats:
        reporter = reporters[name]
        path = out_dir / reporter.filename
        if reporter.binary:
            atomic_write(path, reporter.render_bytes(result, options))
        else:
            write_atomic(path, render_text(reporter, result, options))
        written.append(path)
    return written
