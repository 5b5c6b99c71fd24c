"""Ctrl-C and SIGTERM on a running scan of a large input, in real subprocesses (issue 20).

Each test starts ``auditor scan -v`` on generated input (a few small files that finish at
once, and large logs that keep the workers busy), waits until a small file is reported
done, sends the signal(s), and checks: exit 130 within 2 seconds, no traceback on stderr,
no worker left behind, and a report with the finished targets and ``run.incomplete``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor.pipeline.engine import NOT_SCANNED

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

BIG_FILES = 3
BIG_LINES = 150_000


@pytest.fixture(scope="module")
def big_input(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("big")
    for i in range(2):
        (root / f"a-small-{i}.yaml").write_text(f"service:\n  debug: true\n  n: {i}\n")
    line = ("2026-01-01 12:00:00 INFO request served to user {n} phone 0912{n:06d} "
            "from 10.0.0.{m}\n")
    for i in range(BIG_FILES):
        with (root / f"z-big-{i}.log").open("w") as fh:
            fh.writelines(line.format(n=n, m=n % 250) for n in range(BIG_LINES))
    return root


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status


class Scan:
    def __init__(self, target: Path, out: Path, jobs: int) -> None:
        env = dict(os.environ, NO_COLOR="1", PYTHONUNBUFFERED="1")
        self.out = out
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "auditor.cli.main", "scan", str(target), "-v", "-j", str(jobs),
             "--format", "json", "-o", str(out), "--fail-on", "never"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
            start_new_session=True)  # NOTE: its own process group, as a terminal job is
        self.stderr: list[str] = []

    def wait_for(self, needle: str, timeout: float = 120.0) -> None:
        assert self.proc.stderr is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.stderr.append(line)
            if needle in line and line.startswith("auditor: done: "):
                return
        pytest.fail(f"never saw {needle!r}: {''.join(self.stderr)[-2000:]}")

    def finish(self) -> tuple[int, float, str]:
        start = time.monotonic()
        try:
            _out, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.communicate()
            pytest.fail("the scan did not stop")
        return self.proc.returncode, time.monotonic() - start, "".join(self.stderr) + err


@pytest.fixture
def scan_factory(tmp_path: Path) -> Iterator[list[Scan]]:
    started: list[Scan] = []
    yield started
    for s in started:
        if s.proc.poll() is None:
            os.killpg(s.proc.pid, signal.SIGKILL)
            s.proc.wait()


def _check(scan: Scan, code: int, elapsed: float, stderr: str, workers: list[int]) -> None:
    assert code == 130, stderr
    assert elapsed < 2.0, f"took {elapsed:.2f} s to stop"
    assert "Traceback" not in stderr, stderr
    assert not [pid for pid in workers if _alive(pid)], "a worker was left running"
    doc = json.loads((scan.out / "report.json").read_text())
    assert doc["run"]["incomplete"]["reason"].startswith("interrupted")
    status = {t["uri"].rsplit("/", 1)[-1]: (t["status"], t.get("error")) for t in doc["targets"]}
    assert status["a-small-0.yaml"][0] == "ok"
    not_scanned = [u for u, (s, e) in status.items() if e == NOT_SCANNED]
    assert not_scanned and all(u.startswith("z-big-") for u in not_scanned)
    assert doc["run"]["incomplete"]["targets_not_scanned"] == len(not_scanned)
    assert doc["compliance"] and "pass" not in {c["status"] for c in doc["compliance"]}


@pytest.mark.slow
@pytest.mark.parametrize(("jobs", "how"), [
    (2, "SIGINT to the process group (Ctrl-C in a terminal)"),
    (2, "SIGINT twice"),
    (2, "SIGINT to the parent only"),
    (2, "SIGTERM to the parent (a supervisor, timeout, a CI runner)"),
    (1, "SIGTERM to the parent, in-process scan"),
])
def test_interrupt_stops_fast_and_writes_a_marked_partial_report(
        big_input: Path, tmp_path: Path, scan_factory: list[Scan], jobs: int, how: str) -> None:
    scan = Scan(big_input, tmp_path / "out", jobs)
    scan_factory.append(scan)
    scan.wait_for("small-")  # both small files finished; the big ones are being scanned
    scan.wait_for("small-")
    workers = _children(scan.proc.pid)
    sig = signal.SIGTERM if how.startswith("SIGTERM") else signal.SIGINT
    if "process group" in how:
        os.killpg(scan.proc.pid, sig)
    else:
        os.kill(scan.proc.pid, sig)
        if "twice" in how:
            time.sleep(0.05)  # NOTE: the second press lands while the first is handled
            os.killpg(scan.proc.pid, sig)
    code, elapsed, stderr = scan.finish()
    _check(scan, code, elapsed, stderr, workers)
