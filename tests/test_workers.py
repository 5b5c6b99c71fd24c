"""A worker process that dies (issue 17, item 5): with ``--jobs > 1`` a worker killed by
the OOM killer, a SIGKILL or a native crash is one target error; the scan completes and
the report is written (no BrokenProcessPool)."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.models import Observation, Problem, Target
from auditor.pipeline import engine as engine_module
from auditor.pipeline.workers import run_tasks
from auditor.scanner import ScanOptions
from tests.fakes import PACK, KeyValueScanner, fake_engine, run, tree

pytestmark = pytest.mark.skipif(multiprocessing.get_start_method() != "fork",
                                reason="the fake scanner reaches workers by fork")


class Killer(KeyValueScanner):
    """``!die`` kills the worker outright (as the OOM killer would); ``!exit`` ends it
    with ``os._exit``; anything else as the key=value scanner."""

    def scan(self, target: Target, options: ScanOptions) -> Iterator[Observation | Problem]:
        text = Path(target.locator).read_text(encoding="utf-8")
        if "!die" in text:
            os.kill(os.getpid(), signal.SIGKILL)
        if "!exit" in text:
            os._exit(3)
        yield from super().scan(target, options)


@pytest.fixture
def killer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "_worker_scanners", lambda: {"kv": Killer()})


FILES = {f"f{i:02d}.kv": f"db.password = secret-{i}\n" for i in range(12)}


@pytest.mark.usefixtures("killer")
@pytest.mark.parametrize("poison", ["!die", "!exit"])
def test_a_killed_worker_is_one_target_error(tmp_path: Path, poison: str) -> None:
    files = dict(FILES, **{"f05.kv": poison + "\n", "f09.kv": poison + "\n"})
    root = tree(tmp_path, files)
    result = run(fake_engine(tmp_path), root, jobs=3)
    status = {Path(t.uri).name: (t.status, t.error) for t in result.targets}
    assert len(status) == 12
    lost = {name for name, (s, _) in status.items() if s == "error"}
    assert lost == {"f05.kv", "f09.kv"}
    assert "worker process scanning this target died" in (status["f05.kv"][1] or "")
    found = {Path(f.location.uri).name for f in result.findings}
    assert found == {n for n in FILES if n not in lost}  # the others were all scanned
    assert result.exit_code() == 1


@pytest.mark.usefixtures("killer")
def test_scan_command_writes_the_report(tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from auditor.cli.commands import scan as scan_command
    from auditor.pipeline.plugins import Registry

    monkeypatch.setattr(scan_command, "load_scanners", lambda: Registry([("kv", Killer())]))
    (tmp_path / "pack.yaml").write_text(PACK, encoding="utf-8")
    root = tree(tmp_path, {"a.kv": "db.password = one\n", "b.kv": "!die\n",
                           "c.kv": "db.password = two\n"})
    out = tmp_path / "out"
    code = main(["scan", str(root), "--jobs", "2", "--format", "json", "-o", str(out), "-q",
                 "--pack", str(tmp_path / "pack.yaml"), "--fail-on", "never"])
    assert code == 3
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert {Path(t["uri"]).name: t["status"] for t in doc["targets"]} == {
        "a.kv": "ok", "b.kv": "error", "c.kv": "ok"}
    assert len(doc["findings"]) == 2


def _square(x: int) -> int:
    if x == 7:
        os.kill(os.getpid(), signal.SIGKILL)
    return x * x


def test_run_tasks_isolates_the_killer() -> None:
    got = sorted(run_tasks(_square, list(range(20)), 4, lambda x: -x))
    assert got == sorted([-7] + [x * x for x in range(20) if x != 7])


def test_run_tasks_all_lost() -> None:
    assert sorted(run_tasks(_square, [7, 7, 7], 2, lambda x: -1)) == [-1, -1, -1]
