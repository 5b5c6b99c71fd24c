"""Start-up of the ``auditor`` command: this tree against an earlier commit, same run.

Both versions are installed as a user gets them (``pip install --no-deps --target``:
byte-compiled, not editable) into a temporary directory and run with this interpreter
and its installed dependencies, alternating run by run so that both see the same load:

- ``auditor --help`` and ``auditor --version``
- ``auditor scan <one small YAML config> -q`` (the demo portal's ``app.yaml``; exit 1:
  it has findings): its values go through the PII engine, whose own start-up is most
  of this figure while the engine loads Presidio and spaCy
- ``auditor scan <one certificate> -q`` (a weak RSA-1024 certificate of the demo; exit
  1): the same pipeline without the PII engine
- ``auditor detect <one-line file>`` (one e-mail address; its whole output is the first
  result)
- ``auditor scanners``

Each command runs once to warm the file cache and the user cache of schema verdicts
(``AUDITOR_CACHE_DIR`` points into the temporary directory), then ``--runs`` times per
version. Printed per command and version: median CPU time (user + sys of the child, from
``os.wait4``: the machine is shared, so CPU is the figure to compare), median wall time,
peak RSS, and the before/after CPU ratio; also the load average at the start and end.

``--callgrind``: instead, run each command once per version under ``valgrind
--tool=callgrind`` and print the instructions executed (a count that other processes on
the machine do not change: the repeatable figure on a loaded machine; about 50x slower).

Usage: ``python benchmarks/bench_startup.py [--before REF] [--runs N] [--callgrind]``
(default: ``main``, 5 runs). ``main(argv) -> int``.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "fixtures" / "demo" / "portal" / "api" / "config" / "app.yaml"
CERT = ROOT / "fixtures" / "demo" / "certs" / "weak" / "legacy-rsa1024.pem"
ENTRY = "import sys; from auditor.cli import main; sys.exit(main())"

__all__ = ["main"]


def _install(source: Path, target: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "--target", str(target), str(source)],
                   check=True, stdout=subprocess.DEVNULL)


def _export(ref: str, into: Path) -> Path:
    """``git archive`` of ``ref`` unpacked into ``into`` (the tree as committed)."""
    archive = into / "src.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, stdout=out)
    src = into / "src"
    with tarfile.open(archive) as tar:
        tar.extractall(src, filter="data")
    return src


def _commands(tmp: Path) -> dict[str, list[str]]:
    one_line = tmp / "one-line.txt"
    one_line.write_text("Liên hệ: nguyen.van.an@example.vn\n", encoding="utf-8")
    return {
        "--help": ["--help"],
        "--version": ["--version"],
        "scan app.yaml -q": ["scan", str(CONFIG), "-q"],
        "scan cert.pem -q": ["scan", str(CERT), "-q"],
        "detect one line": ["detect", str(one_line)],
        "scanners": ["scanners"],
    }


def _run(site: Path, args: list[str], env: dict[str, str], cwd: Path
         ) -> tuple[float, float, int, int]:
    """(CPU s, wall s, peak RSS KiB, exit code) of one ``auditor`` process."""
    child_env = {**env, "PYTHONPATH": str(site)}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", ENTRY, *args], env=child_env, cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss, proc.returncode


def _instructions(site: Path, args: list[str], env: dict[str, str], cwd: Path) -> int:
    """Instructions one ``auditor`` process executes, counted by callgrind."""
    proc = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={cwd}/cg.out",
                           sys.executable, "-c", ENTRY, *args],
                          env={**env, "PYTHONPATH": str(site)}, cwd=cwd, text=True,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    found = re.search(r"Collected : (\d+)", proc.stderr)
    if found is None:
        raise RuntimeError(f"callgrind printed no count: {proc.stderr[-500:]}")
    return int(found.group(1))


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default="main", help="git ref to compare (default: main)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command and version")
    parser.add_argument("--callgrind", action="store_true",
                        help="count instructions under valgrind instead of timing")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as name:
        tmp = Path(name)
        sites = {"before": tmp / "before", "after": tmp / "after"}
        print(f"installing {args.before} and this tree into {tmp} ...", flush=True)
        _install(_export(args.before, tmp), sites["before"])
        _install(ROOT, sites["after"])
        env = {k: v for k, v in os.environ.items()
               if k not in {"PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "AUDITOR_CONFIG"}}
        env.update(AUDITOR_CACHE_DIR=str(tmp / "cache"), PYTHONNOUSERSITE="1",
                   NO_COLOR="1", COLUMNS="100")
        commands = _commands(tmp)
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
              f"load average at start: {_load()}")
        if args.callgrind:
            print(f"{'command':<18} {'before':>15} {'after':>15}   instructions before/after")
            for label, cmd in commands.items():
                for site in sites.values():  # NOTE: warm-up: fills the schema-verdict cache
                    _run(site, cmd, env, tmp)
                counts = {v: _instructions(site, cmd, env, tmp) for v, site in sites.items()}
                print(f"{label:<18} {counts['before']:>15,} {counts['after']:>15,}   "
                      f"{counts['before'] / counts['after']:.1f}x", flush=True)
            print(f"load average at end: {_load()}")
            return 0
        print(f"{'command':<18} {'version':<7} {'CPU s':>7} {'wall s':>7} {'RSS MiB':>8} "
              f"{'exit':>4}   CPU before/after")
        for label, cmd in commands.items():
            samples: dict[str, list[tuple[float, float, int, int]]] = {v: [] for v in sites}
            for site in sites.values():  # NOTE: warm-up, not timed
                _run(site, cmd, env, tmp)
            for _ in range(args.runs):
                for version, site in sites.items():
                    samples[version].append(_run(site, cmd, env, tmp))
            cpu = {v: statistics.median(s[0] for s in samples[v]) for v in sites}
            for version in sites:
                rows = samples[version]
                print(f"{label:<18} {version:<7} {cpu[version]:7.3f} "
                      f"{statistics.median(r[1] for r in rows):7.3f} "
                      f"{max(r[2] for r in rows) / 1024:8.1f} {rows[-1][3]:>4}"
                      + (f"   {cpu['before'] / cpu['after']:.1f}x" if version == "after"
                         else ""), flush=True)
        print(f"load average at end: {_load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
