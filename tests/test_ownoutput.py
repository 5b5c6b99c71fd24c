"""Never scan our own output (issue 20, item 1): reports in every format, suppression
files, evidence bundles, this run's -o folder and virtualenvs are skipped with a reason;
look-alike user files are still scanned."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from auditor.pipeline.discovery import DiscoveryOptions, discover
from auditor.pipeline.ownoutput import own_output_dir, own_output_kind
from auditor.pipeline.plugins import load_reporters, load_scanners
from tests.reports.sample import sample_result

REPORTERS = load_reporters()


@pytest.mark.parametrize("fmt", sorted(f for f in REPORTERS if not REPORTERS[f].binary))
def test_every_report_format_is_recognised(fmt: str) -> None:
    buf = io.StringIO()
    REPORTERS[fmt].render(sample_result(), buf)
    kind = own_output_kind(buf.getvalue().encode("utf-8")[:8192])
    assert kind is not None and kind.startswith("auditor ")


@pytest.mark.parametrize("fmt", sorted(f for f in REPORTERS if REPORTERS[f].binary))
def test_binary_documents_are_claimed_by_no_scanner(fmt: str, tmp_path: Path) -> None:
    from auditor.pipeline.discovery import discover
    from auditor.pipeline.plugins import load_scanners

    path = tmp_path / REPORTERS[fmt].filename
    path.write_bytes(REPORTERS[fmt].render_bytes(sample_result()))
    targets, _ = discover([str(path)], load_scanners())
    assert targets == []


SUPPRESSIONS = """schema_version: 1
suppressions:
  - rule: core.config.debug-enabled
    reason: staging only
    approved_by: a.nguyen
    expires: 2027-01-31
"""

DECOYS = {
    "package.json": json.dumps({"name": "auditor", "version": "1.0", "tool": "auditor"}),
    "settings.json": json.dumps({"schema_version": "1", "tool": {"name": "other"},
                                 "password": "x"}),
    "sarif-like.json": json.dumps({"runs": [{"tool": {"driver": {"name": "semgrep"}}}]}),
    "notes.md": "## auditor: notes from the audit\n\nwe met on Monday\n",
    "export.csv": "fingerprint,name,phone\n1,Nguyen Van A,0912345678\n",
    "app.yaml": "suppressions:\n  enabled: true\nreason: none\n",
    "page.html": "<!DOCTYPE html><meta name=\"generator\" content=\"hugo\">",
}


@pytest.mark.parametrize(("name", "text"), sorted(DECOYS.items()))
def test_look_alikes_are_not_ours(name: str, text: str) -> None:
    assert own_output_kind(text.encode()) is None, name


def test_suppression_file_is_recognised() -> None:
    assert own_output_kind(SUPPRESSIONS.encode()) == "auditor suppression file"


def test_discovery_skips_ours_with_reasons_and_scans_the_rest(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "old-out").mkdir(parents=True)
    for fmt in ("json", "sarif", "csv", "md"):
        buf = io.StringIO()
        REPORTERS[fmt].render(sample_result(), buf)
        (root / "old-out" / f"renamed-{fmt}.txt").write_text(buf.getvalue())
    (root / ".auditor-suppressions.yaml").write_text(SUPPRESSIONS)
    env = root / "py-env-with-any-name"
    (env / "lib").mkdir(parents=True)
    (env / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (env / "lib" / "settings.yaml").write_text("password: hunter2hunter2\n")
    bundle = root / "evidence-2026"
    bundle.mkdir()
    (bundle / "manifest.json").write_text(json.dumps({"kind": "auditor-evidence-manifest"}))
    (bundle / "report.json").write_text("{}")
    out = root / "out"
    out.mkdir()
    (out / "stale.yaml").write_text("password: from-an-older-run\n")
    (root / "app.yaml").write_text("db:\n  password: S3cr3t-value-1234\n")
    targets, skipped = discover([str(root)], load_scanners(), DiscoveryOptions(
        exclude_paths=((str(out.resolve()), "the report folder of this run (-o)"),)))
    assert [t.uri.rsplit("/", 1)[-1] for t in targets] == ["app.yaml"]
    reasons = {s.uri.split("repo/", 1)[1]: s.error for s in skipped}
    assert reasons == {
        ".auditor-suppressions.yaml": "not scanned: auditor suppression file",
        "old-out/renamed-csv.txt": "not scanned: auditor CSV report",
        "old-out/renamed-json.txt": "not scanned: auditor JSON report",
        "old-out/renamed-md.txt": "not scanned: auditor Markdown report",
        "old-out/renamed-sarif.txt": "not scanned: auditor SARIF report",
        "py-env-with-any-name": "not scanned: virtual environment (pyvenv.cfg)",
        "evidence-2026": "not scanned: auditor evidence bundle",
        "out": "not scanned: the report folder of this run (-o)",
    }


def test_plain_folder_is_not_ours(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"kind": "release-manifest"}))
    assert own_output_dir(tmp_path) is None
