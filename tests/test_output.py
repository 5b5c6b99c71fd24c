"""Report sets are swapped in whole (issue 17, item 20): an interrupt while writing, or two
runs into one -o, never leave a mix of old and new report files."""

from __future__ import annotations

import dataclasses
import json
import threading
from pathlib import Path
from typing import TextIO

import pytest

from auditor.pipeline.output import write_reports
from auditor.pipeline.plugins import load_reporters
from auditor.reporting import DEFAULT_RENDER, RenderOptions, Reporter
from auditor.results import ScanResult
from tests.reports.sample import sample_result

REPORTERS = load_reporters()
ALL = ["json", "sarif", "md", "csv", "junit", "oscal", "gitlab-sast"]


def _result(run_id: str) -> ScanResult:
    return dataclasses.replace(sample_result(), run_id=run_id)


def _run_ids(out: Path) -> dict[str, str]:
    """The run id each report file in ``out`` carries."""
    ids: dict[str, str] = {}
    for path in sorted(out.iterdir()):
        text = path.read_text()
        for rid in ("run-A", "run-B"):
            if rid in text:
                ids[path.name] = rid
    return ids


class Interrupting(Reporter):
    name = "boom"
    filename = "report.boom"

    def render(self, result: ScanResult, out: TextIO,
               options: RenderOptions = DEFAULT_RENDER) -> None:
        out.write("partial")
        raise KeyboardInterrupt


def test_interrupt_while_rendering_leaves_the_previous_set_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_reports(_result("run-A"), REPORTERS, ALL, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    reporters = {**REPORTERS, "boom": Interrupting()}
    with pytest.raises(KeyboardInterrupt):  # json and sarif are rendered, then Ctrl-C
        write_reports(_result("run-B"), reporters, ["json", "sarif", "boom", "md"], out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert set(_run_ids(out).values()) == {"run-A"}


def test_a_smaller_set_removes_the_older_runs_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_reports(_result("run-A"), REPORTERS, ALL, out)
    (out / "notes.txt").write_text("the user's own file")
    (out / "report.csv").write_text("a user's csv, not ours\n")  # same name, not ours
    write_reports(_result("run-B"), REPORTERS, ["json", "md"], out)
    assert _run_ids(out) == {"report.json": "run-B", "report.md": "run-B"}
    assert sorted(p.name for p in out.iterdir()) == [
        "notes.txt", "report.csv", "report.json", "report.md"]


def test_two_runs_into_one_folder_never_mix(tmp_path: Path) -> None:
    out = tmp_path / "out"
    errors: list[BaseException] = []

    def writer(run_id: str, formats: list[str]) -> None:
        try:
            for _ in range(15):
                write_reports(_result(run_id), REPORTERS, formats, out)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=("run-A", ALL)),
               threading.Thread(target=writer, args=("run-B", ["json", "sarif", "md"]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    ids = _run_ids(out)
    assert len(set(ids.values())) == 1, ids
    expected = {REPORTERS[f].filename for f in (ALL if "run-A" in ids.values()
                                                 else ["json", "sarif", "md"])}
    # exactly the winner's set: no file of the other run (nor a stale one) left over
    assert {p.name for p in out.iterdir()} == expected
    assert json.loads((out / "report.json").read_text())["run"]["id"] in {"run-A", "run-B"}
