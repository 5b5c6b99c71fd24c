"""The demo is generated, not hand-made: regenerating it gives the same bytes (or, for key
material, which is random by nature, the same findings under a fixed --as-of)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main

REPO = Path(__file__).resolve().parents[1]
#: key material comes from a CSPRNG: compared by findings, not bytes
RANDOM_BY_NATURE = ("demo/certs/",)


def findings(root: Path, capsys: pytest.CaptureFixture[str]) -> list[tuple[Any, ...]]:
    main(["scan", str(root), "--as-of", "2026-11-25", "--format", "json", "-j", "1"])
    doc = json.loads(capsys.readouterr().out)
    return sorted((f["rule_id"], f["location"]["uri"].split("/demo/", 1)[1],
                   f["location"].get("line"), f["message"]) for f in doc["findings"])


@pytest.mark.slow
def test_regenerating_the_demo_changes_nothing(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "fixtures"
    shutil.copytree(REPO / "fixtures", copy, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, str(copy / "generate.py")], check=True,
                   capture_output=True)
    changed = []
    for path in sorted(p for p in (REPO / "fixtures").rglob("*") if p.is_file()):
        rel = path.relative_to(REPO / "fixtures").as_posix()
        if "__pycache__" in rel or rel.startswith(RANDOM_BY_NATURE):
            continue
        if path.read_bytes() != (copy / rel).read_bytes():
            changed.append(rel)
    assert changed == []
    certs = [f for f in findings(copy / "demo" / "certs", capsys)]
    assert certs == findings(REPO / "fixtures" / "demo" / "certs", capsys)
    assert certs  # the weak examples do produce findings
