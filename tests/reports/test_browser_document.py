"""The demo's HTML report in real Chromium: groups collapsed with counts, sorting and
filtering by framework and rule, and printed to A4 PDF: under 25 pages, every word inside
the page (no column cut off, checked with pdftotext -bbox), every column header present."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from tests.conftest import REPO
from tests.reports.test_browser import Watched, browser

pytestmark = pytest.mark.browser
__all__ = ["browser"]


# --as-of 2026-11-25: one entry past its deadline (overdue), one past its deadline but
# closed (not overdue), one due later, one whose group has no finding any more
PLAN = """plan:
  - rule: core.db.pii-cleartext-sensitive
    owner: Phòng CNTT
    deadline: 2026-10-31
    status: in_progress
    note: mã hóa cột bằng khóa KMS
  - rule: core.db.password-plaintext
    owner: Tổ phát triển
    deadline: 2026-09-30
    status: done
  - rule: core.db.pii-cleartext
    owner: Phòng CNTT
    deadline: 2027-03-31
    status: open
  - rule: core.retired.rule
    owner: Tổ kỹ thuật
    status: done
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("doc")
    (root / "plan.yaml").write_text(PLAN, encoding="utf-8")
    out = root / "report.html"
    main(["scan", str(REPO / "fixtures" / "demo"), "--as-of", "2026-11-25", "-q", "-j", "2",
          "-o", str(out), "--controller", "Sở Thông tin và Truyền thông",
          "--system", "Cổng dịch vụ công", "--remediation-plan", str(root / "plan.yaml")])
    return out


def _visible_rows(page: Any) -> list[str]:
    return page.evaluate("""Array.from(document.querySelectorAll('tr.finding'))
        .filter(r => !r.hidden && !r.closest('details').hidden)
        .map(r => r.getAttribute('data-frameworks'))""")


def test_collapse_sort_filter(browser: Any, report: Path) -> None:
    w = Watched(browser)
    page = w.open(report)
    groups = page.locator("details.rule-group")
    assert groups.count() > 40
    assert page.locator("details.rule-group[open]").count() == 0  # collapsed by default
    assert re.search(r"\d+ finding\(s\)", groups.first.locator("> summary").inner_text())
    first_row = groups.first.locator("tr.finding").first
    assert not first_row.is_visible()
    groups.first.locator("> summary").click()
    assert first_row.is_visible()
    # sort by number of findings: the first group is the largest
    page.select_option("select[name=sort]", "count")
    counts = page.evaluate("""Array.from(document.querySelectorAll('details.rule-group'))
        .map(g => Number(g.getAttribute('data-count')))""")
    assert counts == sorted(counts, reverse=True)
    page.select_option("select[name=sort]", "rule")
    rules = page.evaluate("""Array.from(document.querySelectorAll('details.rule-group'))
        .map(g => g.getAttribute('data-rule'))""")
    assert rules == sorted(rules)
    # filter by framework: only findings mapped to it stay
    total = len(_visible_rows(page))
    options = page.evaluate("""Array.from(document.querySelectorAll(
        'select[name=framework] option')).map(o => o.value).filter(v => v)""")
    narrowed = 0
    for framework in options:
        page.select_option("select[name=framework]", framework)
        shown = _visible_rows(page)
        assert all(framework in (f or "").split() for f in shown)
        narrowed += 0 < len(shown) < total
    assert narrowed >= 1  # some framework covers only part of the findings
    page.select_option("select[name=framework]", "")
    page.select_option("select[name=rule]", "core.db.pii-cleartext-sensitive")
    group = page.locator("details.rule-group[data-rule='core.db.pii-cleartext-sensitive']")
    assert len(_visible_rows(page)) == int(group.get_attribute("data-count") or 0) > 0
    assert page.locator("details.rule-group:not([hidden])").count() == 1
    # references are links
    assert page.locator("a.ref[href^='https://']").count() > 0
    w.assert_offline_and_clean(report)


def test_remediation_plan_with_overdue_groups(browser: Any, report: Path) -> None:
    w = Watched(browser)
    page = w.open(report)
    page.click("nav a[href='#remediation']")
    section = page.locator("section#remediation")
    assert section.is_visible()
    rows = section.locator("tr.plan-row")
    groups = page.evaluate("""Array.from(document.querySelectorAll('details.rule-group'))
        .map(g => g.getAttribute('data-rule'))""")
    # one row per finding group, in the findings' order
    assert page.evaluate("""Array.from(document.querySelectorAll('tr.plan-row'))
        .map(r => r.getAttribute('data-rule'))""") == groups
    overdue = section.locator("tr.plan-row[data-overdue='true']")
    assert [overdue.nth(i).get_attribute("data-rule") for i in range(overdue.count())] == [
        "core.db.pii-cleartext-sensitive"]
    row = overdue.first
    cells = row.locator("td").all_inner_texts()
    assert cells[2:5] == ["Phòng CNTT", "2026-10-31 Overdue", "in_progress"]
    assert "mã hóa cột bằng khóa KMS" in cells[5]
    # highlighted by more than colour: a tinted row, a red edge and the word "Overdue"
    shade = row.locator("td").first.evaluate("e => getComputedStyle(e).backgroundColor")
    plain = section.locator("tr.plan-row[data-rule='core.db.pii-cleartext'] td").first \
        .evaluate("e => getComputedStyle(e).backgroundColor")
    assert shade != plain
    assert row.locator(".overdue-flag").is_visible()
    closed = section.locator("tr.plan-row[data-rule='core.db.password-plaintext']")
    assert closed.get_attribute("data-overdue") == "false"  # past its deadline but done
    assert "1 finding group(s) past their deadline on 2026-11-25" in section.inner_text()
    unplanned = section.locator("tr.plan-row.unplanned")
    assert unplanned.count() == rows.count() - 3
    assert unplanned.first.locator("td").nth(2).inner_text() == "No plan entry"
    assert section.locator("tr.plan-resolved-row").all_inner_texts() == [
        "core.retired.rule\tTổ kỹ thuật\t\tdone\t"]
    w.assert_offline_and_clean(report)


def test_prints_to_fewer_than_25_a4_pages_without_cut_columns(browser: Any, report: Path,
                                                              tmp_path: Path) -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    w = Watched(browser)
    page = w.open(report)
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    page.emulate_media(media="print")
    pdf = tmp_path / "report.pdf"
    page.pdf(path=str(pdf), format="A4", prefer_css_page_size=True, print_background=True)
    bbox = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    root = ET.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", bbox).replace(
        'xmlns="http://www.w3.org/1999/xhtml"', ""))
    pages = root.findall(".//page")
    assert 5 < len(pages) < 25
    for p in pages:
        width = float(p.get("width", "0"))
        for word in p.findall("word"):
            assert float(word.get("xMin", "0")) >= 0
            assert float(word.get("xMax", "0")) <= width + 0.5, word.text
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    for header in ("Severity", "Location", "Message", "Evidence", "Requirement", "Rows",
                   "Personal", "Sensitive", "Protection", "subjects", "types"):
        assert header in text, header
    assert "Sở Thông tin và Truyền thông" in text  # the cover
    # the remediation plan: its entries with every column, overdue marked, the groups
    # without an entry named
    plan = text[text.index("Remediation plan\n"):text.index("Plan entries with no finding")]
    for header in ("Finding group", "Owner", "Deadline", "Status", "Note"):
        assert header in plan, header
    assert "Overdue" in plan and "mã hóa cột bằng khóa KMS" in plan
    assert "core.mysql.skip-grant-tables" in plan  # a group without a plan entry
    assert "more finding(s) of this rule in the interactive report" in text
