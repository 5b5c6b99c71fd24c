"""JUnit XML: parses (stdlib and junitparser, as CI dashboards read it), one test case per
requirement and per rule with findings, statuses mapped to failure / skipped / pass."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from auditor.reports.junit import JunitReporter

from auditor.results import ScanResult
from tests.reports.sample import sample_result


def render(result: ScanResult) -> str:
    buf = io.StringIO()
    JunitReporter().render(result, buf)
    return buf.getvalue()


def cases(text: str) -> dict[str, ET.Element]:
    root = ET.fromstring(text)
    return {c.get("name", "").split(" ")[0]: c for c in root.iter("testcase")}


def test_one_case_per_assessed_item() -> None:
    result = sample_result()
    root = ET.fromstring(render(result))
    all_cases = list(root.iter("testcase"))
    rules = {f.rule_id for f in result.findings}
    assert len(all_cases) == len(result.compliance) + len(rules)
    assert root.get("tests") == str(len(all_cases))
    assert [s.get("name") for s in root.iter("testsuite")] == \
        ["compliance.vn-pdpl-2025", "auditor.policy.rules"]
    suite = next(root.iter("testsuite"))
    assert (suite.get("timestamp"), suite.get("time")) == ("2026-11-25T08:00:00", "300.000")


@pytest.mark.parametrize(("name", "outcome"), [
    ("L91-protection-measures", "failure"),
    ("D356-Art7-2", "failure"),
    ("L91-Art30-3", "pass"),
    ("D356-Art12-4", "skipped"),
    ("L91-Art23", "skipped"),
    ("core.pii.cleartext-column", "failure"),
    ("core.secret.aws-key", "pass"),         # its only finding is suppressed
    ("core.config.debug-enabled", "pass"),   # suppressed by the baseline
    ("core.tls.deprecated-protocol", "failure"),
])
def test_status_mapping(name: str, outcome: str) -> None:
    case = cases(render(sample_result()))[name]
    found = [child.tag for child in case if child.tag in ("failure", "skipped")]
    assert found == ([] if outcome == "pass" else [outcome])


def test_failure_lists_findings_and_manual_shows_guidance() -> None:
    text = render(sample_result())
    c = cases(text)
    failure = c["L91-protection-measures"].find("failure")
    assert failure is not None and failure.text is not None
    assert "public.cards.pan" in failure.text and "public.citizens.cccd" in failure.text
    skipped = c["L91-Art23"].find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "manual check: Review the incident procedure."
    sup = c["core.secret.aws-key"].find("system-out")
    assert sup is not None and "[suppressed: file]" in (sup.text or "")


def test_vietnamese_titles_in_vi(tmp_path: Path) -> None:
    text = render(sample_result("vi"))
    assert "Thông báo vi phạm trong 72 giờ" in text


def test_junitparser_reads_it(tmp_path: Path) -> None:
    junitparser = pytest.importorskip("junitparser")
    path = tmp_path / "report.junit.xml"
    path.write_text(render(sample_result()), encoding="utf-8")
    xml = junitparser.JUnitXml.fromfile(str(path))
    suites = list(xml)
    assert [s.name for s in suites] == ["compliance.vn-pdpl-2025", "auditor.policy.rules"]
    assert sum(s.tests for s in suites) == 5 + 4
    assert sum(s.failures for s in suites) == 2 + 2
    assert sum(s.skipped for s in suites) == 2


def test_control_characters_do_not_break_xml() -> None:
    import dataclasses
    result = sample_result()
    bad = dataclasses.replace(result.findings[0], message="bell\x07 and nul\x00", suppressed=False)
    ET.fromstring(render(dataclasses.replace(result, findings=(bad,))))
