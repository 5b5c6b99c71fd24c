"""Helpers for the capture-scanner tests: build small captures, scan them, find shared data."""

from __future__ import annotations

import datetime as dt
import io
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from auditor.models import Observation, Problem, Target
from auditor.scanner import ScanOptions

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "fixtures"))

from auditor.scanners.pcap import PcapScanner  # noqa: E402
from pcapgen import CaptureWriter, Tcp  # noqa: E402

AS_OF = dt.date(2026, 11, 25)
KEY = b"test-hash-key"

__all__ = ["AS_OF", "ROOT", "build", "conversation", "scan", "shared_dir"]


def shared_dir() -> Path | None:
    """The shared folder (DESIGN.md, corpus), or None when absent."""
    candidates = [ROOT / ".." / "shared"]
    if os.environ.get("AUDITOR_SHARED_DIR"):
        candidates.insert(0, Path(os.environ["AUDITOR_SHARED_DIR"]))
    for candidate in candidates:
        if (candidate / "corpus").is_dir():
            return candidate.resolve()
    return None


def build(path: Path, scenario: Callable[[CaptureWriter], object]) -> Path:
    """Write a capture produced by ``scenario(writer)``."""
    buf = io.BytesIO()
    scenario(CaptureWriter(buf))
    path.write_bytes(buf.getvalue())
    return path


def conversation(path: Path, port: int, turns: Iterable[tuple[str, bytes]], *,
                 client: str = "10.0.0.1", server: str = "10.0.0.2",
                 close: bool = True) -> Path:
    """A capture of one TCP connection; turns are ("c"|"s", bytes)."""
    def scenario(cap: CaptureWriter) -> None:
        t = Tcp(cap, client, 50000, server, port)
        t.open()
        for who, data in turns:
            t.send(who == "c", data)
        if close:
            t.close()
    return build(path, scenario)


def scan(path: Path, *, uri: str | None = None, params: dict[str, object] | None = None,
         ) -> list[Observation | Problem]:
    target = Target(uri=uri or path.name, locator=str(path), kind="pcap", scanner="pcap")
    options = ScanOptions(as_of=AS_OF, hash_key=KEY, params=dict(params or {}))  # type: ignore[arg-type]
    return list(PcapScanner().scan(target, options))


def observations(items: list[Observation | Problem], kind: str | None = None,
                 ) -> list[Observation]:
    return [o for o in items if isinstance(o, Observation) and (kind is None or o.kind == kind)]


def report(paths: list[Path], out: Path, *extra: str) -> tuple[int, dict[str, object]]:
    """Run ``auditor scan PATH... --format json -o OUT`` in-process; (exit code, report)."""
    import json

    from auditor.cli import main

    code = main(["scan", *map(str, paths), "--format", "json", "-o", str(out), "--as-of",
                 AS_OF.isoformat(), "--jobs", "1", "--quiet", *extra])
    doc: dict[str, object] = json.loads((out / "report.json").read_text())
    return code, doc
