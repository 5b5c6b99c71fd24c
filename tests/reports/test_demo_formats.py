"""The bundled demo through ``auditor scan`` with every format of this package: OSCAL
validates against the official schema, JUnit has one case per assessed item, CSV
round-trips to the JSON report's findings, and every framework in force is covered."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from auditor.reports.csv import read_findings

from auditor.cli import main
from auditor.gate.baseline import load_report
from tests.conftest import REPO
from tests.reports.oscal_schema import oscal_validator


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "out"
    code = main(["scan", str(REPO / "fixtures" / "demo"), "--format",
                 "json,html,csv,junit,oscal", "-o", str(out), "--as-of", "2026-11-25", "-q",
                 "--jobs", "1"])
    assert code in (0, 1)
    return out


def doc(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return data


def test_frameworks_in_force(demo_out: Path) -> None:
    ids = [f["id"] for f in doc(demo_out)["run"]["frameworks"]]
    assert ids == ["gdpr", "iso27001-2022", "nist-800-53r5", "pci-dss-4.0.1",
                   "vn-infosec-levels", "vn-pdpl-2025"]


def test_oscal_validates(demo_out: Path, schemas: Path) -> None:
    oscal = json.loads((demo_out / "report.oscal.json").read_text(encoding="utf-8"))
    oscal_validator(schemas).validate(oscal)
    report = doc(demo_out)
    result = oscal["assessment-results"]["results"][0]
    assert len(result.get("observations", [])) == len(report["findings"])
    assert len(result.get("findings", [])) == sum(
        1 for c in report["compliance"] if c["status"] in ("pass", "fail"))


def test_junit_one_case_per_item(demo_out: Path) -> None:
    root = ET.parse(demo_out / "report.junit.xml").getroot()
    report = doc(demo_out)
    rules = {f["rule_id"] for f in report["findings"]}
    assert len(list(root.iter("testcase"))) == len(report["compliance"]) + len(rules)


def test_csv_round_trips(demo_out: Path) -> None:
    with (demo_out / "report.csv").open(encoding="utf-8", newline="") as fh:
        back = tuple(read_findings(fh))
    assert back == load_report(demo_out / "report.json").findings


@pytest.mark.parametrize("fmt", ["html", "csv", "junit", "oscal"])
def test_rerendering_the_saved_json_gives_the_same_report(demo_out: Path, tmp_path: Path,
                                                          fmt: str) -> None:
    """``auditor report`` from the JSON is lossless: same bytes as the scan wrote."""
    again = tmp_path / "again"
    assert main(["report", str(demo_out / "report.json"), "--format", fmt, "-o",
                 str(again)]) == 0
    name = {"html": "report.html", "csv": "report.csv", "junit": "report.junit.xml",
            "oscal": "report.oscal.json"}[fmt]
    assert (again / name).read_bytes() == (demo_out / name).read_bytes()
