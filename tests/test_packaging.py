"""The wheel installs only the project's namespace: scanners, reports and rules ship as
auditor.scanners, auditor.reports and auditor.rules (no generic top-level import names).

.ci/run also installs the wheel into a clean virtualenv beside packages that own the
generic names and runs a scan from another folder (tests/wheel_check.sh).
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ROOTS = {"auditor": "auditor", "scanners": "auditor.scanners", "reports": "auditor.reports",
         "rules": "auditor.rules"}


def test_the_package_list_names_every_package_folder() -> None:
    declared = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
                   ["packages"])
    found = set()
    for folder, name in ROOTS.items():
        for init in (REPO / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO / folder).parts
            found.add(".".join([name, *rel]))
    assert found == declared


@pytest.mark.slow
def test_the_wheel_has_one_top_level_package(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                    str(tmp_path), str(REPO)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("auditor-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"auditor"}
    for needed in ("auditor/scanners/pcap/__init__.py", "auditor/reports/html.py",
                   "auditor/rules/core/pack.yaml", "auditor/rules/frameworks/gdpr.yaml",
                   "auditor/rules/schema/rules.schema.json",
                   "auditor/knowledge/observation_kinds.yaml",
                   "auditor/knowledge/data/cipher_suites.csv",
                   "auditor/reports/templates/report.html.j2", "auditor/pii/lexicons"):
        assert any(n.startswith(needed) for n in names), needed
    info = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    entry_points = zipfile.ZipFile(wheel).read(info).decode()
    assert "auditor.scanners.config:ConfigScanner" in entry_points
    assert "= scanners." not in entry_points and "= reports." not in entry_points
