"""Fuzzing harness: mutated real files (the demo fixtures, the rule packs, an evidence
bundle) and generated input, fed to each parser. Invariant: every input ends in a result
or in the project's own clear error — never an uncaught exception, never a hang.

Profiles (``AUDITOR_FUZZ_PROFILE``): ``ci`` (default; a few dozen inputs per parser,
deterministic, well under a minute in all) and ``long`` (``AUDITOR_FUZZ_EXAMPLES`` inputs
per parser, default 1,000,000, random; ``nox -s fuzz``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from auditor.scanners.pcap.reader import CaptureError
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from auditor.errors import AuditorError
from auditor.models import Observation, Problem, Target
from auditor.pipeline.discovery import discover
from auditor.pipeline.plugins import load_scanners
from auditor.saferegex import UnsafeRegexError
from auditor.scanner import ScanOptions

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "fixtures" / "demo"
OPTIONS = ScanOptions(as_of=dt.date(2026, 11, 25), hash_key=b"fuzz-key")
#: the project's own, clear errors; anything else escaping a parser is a defect
CLEAR_ERRORS: tuple[type[BaseException], ...] = (AuditorError, CaptureError, UnsafeRegexError)
#: one input may not take longer than this (a hang guard, not a performance budget)
HANG_SECONDS = float(os.environ.get("AUDITOR_FUZZ_HANG_SECONDS", "60"))
#: the largest seed prefix used (keeps one input fast; mutations still reach the end)
MAX_SEED = 64 * 1024

settings.register_profile(
    "ci", max_examples=int(os.environ.get("AUDITOR_FUZZ_EXAMPLES", "20")), deadline=None,
    derandomize=True, database=None, suppress_health_check=list(HealthCheck))
settings.register_profile(
    "long", max_examples=int(os.environ.get("AUDITOR_FUZZ_EXAMPLES", "1000000")),
    deadline=None, database=None, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("AUDITOR_FUZZ_PROFILE", "ci"))

SCANNERS = load_scanners()

# ---- mutation ------------------------------------------------------------------------------
INTERESTING = [
    b"\x00", b"\xff", b"\xff\xff\xff\xff", b"\x7f\xff\xff\xff", b"\x80", b"\n", b"\r\n",
    b"\r", b"\x1b[2J", b"\xed\xa0\x80", b"\xc3", b"'", b'"', b"\\", b"{", b"}", b"[", b"]",
    b"[" * 300, b"{" * 300, b"- " * 300, b"&a [*a, *a]", b"*a", b"!!python/object:os.system",
    b"999999999999999999999", b"-1", b"1e999", b"NaN", b"=", b";", b"#", b"<", b">",
    b"-----BEGIN CERTIFICATE-----\n", b"-----END CERTIFICATE-----\n", b"\x30\x82\xff\xff",
    b"\x0a\x0d\x0d\x0a", b"\xa1\xb2\xc3\xd4", b"COPY t (a) FROM stdin;\n", b"\\.\n",
    b"INSERT INTO t VALUES ('", b"CREATE TABLE t (", b"\xef\xbb\xbf", b"A" * 5000,
]


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed file with 1-8 random edits: bit flips, byte sets, inserted interesting or
    random bytes, deleted or duplicated ranges, truncation, splices from another seed."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 8))):
        size = len(data)
        pos = draw(st.integers(0, size)) if size else 0
        op = draw(st.integers(0, 7))
        if op == 0 and size:
            data[min(pos, size - 1)] ^= 1 << draw(st.integers(0, 7))
        elif op == 1 and size:
            data[min(pos, size - 1)] = draw(st.integers(0, 255))
        elif op == 2:
            data[pos:pos] = draw(st.sampled_from(INTERESTING))
        elif op == 3:
            data[pos:pos] = draw(st.binary(max_size=64))
        elif op == 4 and size:
            del data[pos:pos + draw(st.integers(1, 256))]
        elif op == 5 and size:
            data[pos:pos] = data[pos:pos + draw(st.integers(1, 512))]
        elif op == 6:
            del data[pos:]
        else:
            other = draw(st.sampled_from(seeds))
            start = draw(st.integers(0, len(other)))
            data[pos:pos] = other[start:start + draw(st.integers(1, 512))]
    return bytes(data)


def seeds_of(paths: list[Path]) -> list[bytes]:
    return [p.read_bytes()[:MAX_SEED] for p in paths if p.is_file()]


# ---- running one input -----------------------------------------------------------------------
class HangError(Exception):
    """One input ran longer than HANG_SECONDS."""


@contextlib.contextmanager
def hang_guard() -> Iterator[None]:
    def alarm(_sig: int, _frame: FrameType | None) -> None:
        raise HangError(f"one input ran longer than {HANG_SECONDS} s")
    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, HANG_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def expect_clear(run: Callable[[], Any]) -> None:
    """Run one input: a result, or one of the project's clear errors with a message."""
    with hang_guard():
        try:
            run()
        except CLEAR_ERRORS as exc:
            assert str(exc).strip(), f"{type(exc).__name__} without a message"


def claims(paths: list[Path]) -> list[tuple[Path, Target]]:
    """(seed file, the target discovery made of it) for every claimed seed."""
    targets, _ = discover([str(p) for p in paths], SCANNERS)
    by_path = {Path(t.locator).resolve(): t for t in targets}
    return [(p, by_path[p.resolve()]) for p in paths if p.resolve() in by_path]


def scan_as(target: Target, data: bytes) -> list[Observation | Problem]:
    """Scan ``data`` written under the seed's own name, as the seed's target kind."""
    name = Path(target.locator).name
    with tempfile.TemporaryDirectory(prefix="auditor-fuzz-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        mutated_target = Target(uri=name, locator=str(path), kind=target.kind,
                                scanner=target.scanner)
        items = list(SCANNERS[target.scanner].scan(mutated_target, OPTIONS))
    for item in items:
        assert isinstance(item, Observation | Problem), type(item)
    return items
