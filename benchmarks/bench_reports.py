"""Report rendering: time and peak Python memory per format for a large result.

There is no outside peer that renders the same formats from the same data; the reference
is the JSON reporter (plain ``json.dump`` of the report document) in the same run, so the
other formats are read as multiples of "just serialising the result". Renderers receive a
finished, in-memory ``ScanResult`` (STYLE.md habit 9), so memory grows with the number of
findings by design; this shows by how much.

Usage: ``python benchmarks/bench_reports.py [--scale N]`` (scale 1 = 10,000 findings over
5 rules and 16 requirements; each format renders into a discarding sink).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auditor.pipeline.plugins import load_reporters  # noqa: E402
from auditor.results import ScanResult, sorted_findings  # noqa: E402
from tests.reports.sample import sample_result  # noqa: E402

__all__ = ["build", "main"]


class Sink:
    """A text stream that counts characters and keeps nothing."""

    def __init__(self) -> None:
        self.chars = 0

    def write(self, text: str) -> int:
        self.chars += len(text)
        return len(text)


def build(n: int) -> ScanResult:
    base = sample_result()
    findings = []
    for i in range(n):
        f = base.findings[i % len(base.findings)]
        loc = dataclasses.replace(f.location, uri=f"data/file-{i // 50}.sql", line=i % 997 + 1)
        findings.append(dataclasses.replace(f, fingerprint=f"{i:032x}", location=loc))
    items = tuple(dataclasses.replace(c, findings=tuple(f.fingerprint for f in findings
                                                        if c.status == "fail"
                                                        and f.rule_id in c.rules))
                  for c in base.compliance)
    return dataclasses.replace(base, findings=sorted_findings(findings), compliance=items)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args(argv)
    n = max(1, int(10_000 * args.scale))
    result = build(n)
    print(f"{n} findings, {len(result.compliance)} requirements")
    print(f"{'format':<8}{'seconds':>10}{'findings/s':>14}{'MB out':>10}{'peak MB':>10}"
          f"{'x json':>9}")
    rows = []
    for name, reporter in load_reporters().items():
        sink = Sink()
        start = time.perf_counter()
        reporter.render(result, sink)  # type: ignore[arg-type]
        elapsed = time.perf_counter() - start
        # NOTE: a second pass for memory: tracemalloc slows rendering several-fold
        tracemalloc.start()
        reporter.render(result, Sink())  # type: ignore[arg-type]
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rows.append((name, elapsed, sink.chars, peak))
    ref = next((r[1] for r in rows if r[0] == "json"), None)
    for name, elapsed, chars, peak in rows:
        ratio = f"{elapsed / ref:8.2f}x" if ref else "       -"
        print(f"{name:<8}{elapsed:>10.3f}{n / elapsed:>14,.0f}{chars / 1e6:>10.1f}"
              f"{peak / 1e6:>10.1f}{ratio:>9}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
