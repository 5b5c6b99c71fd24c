"""Peers' cases benchmark: auditor and detect-secrets on the same secret test cases.

The cases (``tests/scanners/peer_cases.py``) are our own values in the shapes of the
positive and negative samples that detect-secrets and gitleaks publish for the token types
auditor claims (AWS, GitHub, GitLab, Slack, Stripe, JWT, private keys, passwords under
secret-named keys). Each case is written to its own folder; then, in one run:

- ``auditor scan CASES --pack core --format json`` (in-process, the whole pipeline); a case
  counts as reported when a ``core.secret.*`` finding names its file;
- ``detect-secrets scan --all-files CASES`` (default plugins and filters); a case counts as
  reported when any result names its file.

Printed per split (``tuning``: the cases written while the detectors were tuned;
``held-out``: written afterwards in other formats, never tuned on), per family and in
total: recall (planted cases reported) and false positives
(decoy cases reported), and the ids each tool got wrong. Usage::

    python benchmarks/bench_secrets_peers.py [--show-misses]

``detect-secrets`` is looked up next to this Python, then on PATH; it is a benchmark tool,
never a dependency of auditor. Exit status: 0 when both tools ran, 1 when detect-secrets
is missing.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.scanners.peer_cases import CASES, Case

__all__ = ["main"]


def write_cases(root: Path) -> None:
    for case in CASES:
        folder = root / case.id
        folder.mkdir(parents=True)
        (folder / case.name).write_text(case.text, encoding="utf-8")


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def run_auditor(root: Path) -> tuple[float, set[str]]:
    """CPU seconds of the in-process scan, and the case ids with a secret finding."""
    from auditor.cli import main as auditor_main
    with tempfile.TemporaryDirectory() as out:
        start = _cpu(resource.RUSAGE_SELF)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            auditor_main(["scan", str(root), "--pack", "core", "--format", "json", "-o", out,
                          "--fail-on", "never", "--as-of", "2026-12-01"])
        seconds = _cpu(resource.RUSAGE_SELF) - start
        report = json.loads((Path(out) / "report.json").read_text(encoding="utf-8"))
    prefix = root.name + "/"
    return seconds, {f["location"]["uri"].split(prefix, 1)[-1].split("/", 1)[0]
                     for f in report["findings"] if f["rule_id"].startswith("core.secret.")}


def _detect_secrets() -> str | None:
    local = Path(sys.executable).with_name("detect-secrets")
    return str(local) if local.is_file() else shutil.which("detect-secrets")


def run_detect_secrets(exe: str, root: Path) -> tuple[float, set[str]]:
    """CPU seconds of ``detect-secrets scan``, and the case ids it reported."""
    start = _cpu(resource.RUSAGE_CHILDREN)
    done = subprocess.run([exe, "scan", "--all-files", "."], cwd=root, capture_output=True,
                          text=True, check=True)
    seconds = _cpu(resource.RUSAGE_CHILDREN) - start
    results = json.loads(done.stdout)["results"]
    return seconds, {name.split("/", 1)[0] for name, items in results.items() if items}


def score(cases: Sequence[Case], reported: set[str]) -> tuple[int, int, int, int]:
    """(planted reported, planted, decoys reported, decoys)."""
    planted = [c for c in cases if c.secret]
    decoys = [c for c in cases if not c.secret]
    return (sum(c.id in reported for c in planted), len(planted),
            sum(c.id in reported for c in decoys), len(decoys))


def _cell(found: int, total: int) -> str:
    return f"{found}/{total} ({found / total:.2f})" if total else "-"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show-misses", action="store_true",
                        help="list the case ids each tool got wrong")
    args = parser.parse_args(argv)
    os.environ.setdefault("AUDITOR_HASH_KEY", "bench")
    exe = _detect_secrets()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "peer-cases"
        write_cases(root)
        ours_s, ours = run_auditor(root)
        theirs_s, theirs = run_detect_secrets(exe, root) if exe else (0.0, set())
    for split in ("tuning", "held-out"):
        chosen = tuple(c for c in CASES if c.split == split)
        print(f"\n{split}: {len(chosen)} cases ({sum(c.secret for c in chosen)} planted, "
              f"{sum(not c.secret for c in chosen)} decoys), one file each")
        header = f"{'family':<12} {'auditor recall':>16} {'auditor FP':>14} " \
                 f"{'detect-secrets recall':>22} {'detect-secrets FP':>18}"
        print(header)
        print("-" * len(header))
        for family in [*sorted({c.family for c in chosen}), "total"]:
            cases = chosen if family == "total" else tuple(
                c for c in chosen if c.family == family)
            a, b = score(cases, ours), score(cases, theirs)
            peer = (_cell(b[0], b[1]), _cell(b[2], b[3])) if exe else ("n/a", "n/a")
            print(f"{family:<12} {_cell(a[0], a[1]):>16} {_cell(a[2], a[3]):>14} "
                  f"{peer[0]:>22} {peer[1]:>18}")
    print(f"CPU seconds: auditor {ours_s:.2f} (whole pipeline in-process, including loading "
          f"the PII engine), detect-secrets {theirs_s:.2f}")
    if args.show_misses:
        for name, reported in (("auditor", ours), ("detect-secrets", theirs if exe else None)):
            if reported is None:
                continue
            missed = [c.id for c in CASES if c.secret and c.id not in reported]
            false = [c.id for c in CASES if not c.secret and c.id in reported]
            print(f"{name}: missed {missed or '-'}; false positives {false or '-'}")
    if exe is None:
        print("detect-secrets is not installed: `pip install detect-secrets` in the bench "
              "environment", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
