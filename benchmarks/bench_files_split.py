"""One large log: ``auditor scan --jobs 2`` (byte ranges in two processes) vs ``--jobs 1``.

    python benchmarks/bench_files_split.py              # a 200 MB application log
    python benchmarks/bench_files_split.py --mb 50      # quicker

Generates (once, cached in ``benchmarks/.data/``) an application log where one line in
ten holds personal data (CCCD, phone numbers, e-mail addresses, Vietnamese names) among
ordinary request lines, then runs the real CLI on it, ``--jobs 1`` and ``--jobs 2``
interleaved, best of ``--repeat``: wall time, CPU time of the whole process tree (user +
system, ``wait4``), peak RSS of the largest process; and checks that both reports hold
the same findings (rule, fingerprint, location, evidence, counts). Say the machine's load
when quoting the numbers: with two cores shared, wall time is what the neighbours leave.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / ".data"
AUDITOR = shutil.which("auditor", path=str(Path(sys.executable).parent)) or "auditor"
NAMES = ("Nguyễn Văn An", "Trần Thị Bích Ngọc", "Lê Hoàng Đức", "Phạm Thu Hà", "Võ Minh Khoa")


def make_log(megabytes: float) -> Path:
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"app-{megabytes:g}MB.log"
    if path.exists():
        return path
    rng = random.Random(15)
    size = int(megabytes * 1e6)
    with path.open("w", encoding="utf-8") as fh:
        n = 0
        while fh.tell() < size:
            block = []
            for _ in range(1000):
                n += 1
                stamp = f"2026-11-{n // 86400 % 28 + 1:02d} {n // 3600 % 24:02d}:" \
                        f"{n // 60 % 60:02d}:{n % 60:02d}"
                if n % 10 == 0:
                    kind = n // 10 % 3
                    if kind == 0:
                        block.append(f"{stamp} INFO ho so {n}: cong dan {rng.choice(NAMES)}, "
                                     f"CCCD 0792030{rng.randrange(10**5):05d}")
                    elif kind == 1:
                        block.append(f"{stamp} INFO SMS gui toi 09{rng.randrange(10**8):08d}")
                    else:
                        block.append(f"{stamp} WARN mail bounce user{n}@example.vn")
                else:
                    block.append(f"{stamp} INFO GET /api/v1/items/{n} 200 "
                                 f"{rng.randrange(1, 900)}ms req={n:x}")
            fh.write("\n".join(block) + "\n")
    return path


def run(path: Path, jobs: int, out: Path) -> tuple[float, float, float, list[object]]:
    argv = [AUDITOR, "scan", str(path), "--format", "json", "-o", str(out), "--as-of",
            "2026-11-25", "--jobs", str(jobs), "--quiet", "--fail-on", "never"]
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise RuntimeError(f"auditor failed with status {status}")
    doc = json.loads((out / "report.json").read_text())
    found = [(f["rule_id"], f["fingerprint"], f["location"], f["evidence"])
             for f in doc["findings"]]
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--mb", type=float, default=200.0, help="log size (default 200 MB)")
    parser.add_argument("--repeat", type=int, default=2, help="runs per setting (best kept)")
    args = parser.parse_args(argv)
    path = make_log(args.mb)
    best: dict[int, tuple[float, float, float]] = {}
    found: dict[int, list[object]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(max(1, args.repeat)):
            for jobs in (1, 2):
                wall, cpu, rss, found[jobs] = run(path, jobs, Path(tmp))
                old = best.get(jobs, (wall, cpu, rss))
                best[jobs] = (min(old[0], wall), min(old[1], cpu), max(old[2], rss))
    load = os.getloadavg()[0]
    mb = path.stat().st_size / 1e6
    print(f"{mb:.0f} MB log, load average {load:.1f} on {os.cpu_count()} cores")
    print(f"{'jobs':>4} {'wall s':>7} {'CPU s':>7} {'MB/s wall':>9} {'peak RSS MB':>11}")
    for jobs, (wall, cpu, rss) in best.items():
        print(f"{jobs:>4} {wall:7.1f} {cpu:7.1f} {mb / wall:9.1f} {rss:11.0f}")
    print(f"wall speed-up --jobs 2 vs 1: {best[1][0] / best[2][0]:.2f}x; CPU "
          f"{best[2][1] / best[1][1]:.2f}x of --jobs 1; same findings: {found[1] == found[2]}"
          f" ({len(found[1])})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
