"""The HTML report in headless Chromium: visible content, Vietnamese text, working
filters, no console errors and no network requests. Screenshots go to test-output/.

Needs /usr/bin/chromium (Debian package ``chromium``) and the ``playwright`` Python
package (its bundled driver only; no browser download): skipped when either is absent.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from auditor.reports.html import HtmlReporter

from auditor.cli import main
from auditor.policy.frameworks import load_framework
from tests.conftest import REPO
from tests.reports.sample import sample_result

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
OUTPUT = REPO / "test-output"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 1280, "height": 900})
        try:
            yield ctx
        finally:
            ctx.close()


class Watched:
    """A page with its console errors, page errors and requests recorded."""

    def __init__(self, context: Any) -> None:
        self.page = context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error"
                     else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))

    def open(self, path: Path) -> Any:
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_load_state("load")
        return self.page

    def assert_offline_and_clean(self, path: Path) -> None:
        assert self.errors == []
        assert self.requests == [path.resolve().as_uri()]


def test_demo_report_in_vietnamese(browser: Any, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = main(["scan", str(REPO / "fixtures" / "demo"), "--framework", "vn-pdpl-2025",
                 "--format", "html,json", "--lang", "vi", "-o", str(out), "--as-of", "2026-11-25",
                 "-q", "--jobs", "1"])
    assert code in (0, 1)
    report = out / "report.html"
    watched = Watched(browser)
    page = watched.open(report)
    assert page.locator("h1").inner_text() == \
        "Báo cáo đánh giá tuân thủ bảo vệ dữ liệu cá nhân và an toàn thông tin"
    rows = page.locator("table.requirements[data-framework=vn-pdpl-2025] tr.requirement")
    assert rows.count() == 23 == len(load_framework(
        REPO / "rules" / "frameworks" / "vn-pdpl-2025.yaml").requirements)
    assert rows.first.is_visible()
    statuses = page.locator("tr.requirement span.badge").all_inner_texts()
    assert set(statuses) <= {"Không phát hiện vi phạm qua kiểm tra tự động", "Không đạt",
                             "Chưa đánh giá", "Kiểm tra thủ công", "Cần xác định phạm vi",
                             "Không áp dụng"}
    assert "Đạt" not in statuses
    items = json.loads((out / "report.json").read_text(encoding="utf-8"))["compliance"]
    assert statuses.count("Kiểm tra thủ công") == sum(i["outcome"] == "manual" for i in items)
    # no scope declared: the sector provisions need scoping, none fails (issue 18)
    scoping = page.locator("tr.requirement[data-outcome=needs_scoping] td.mono")
    assert sorted(scoping.all_inner_texts()) == ["D356-Art11", "D356-Art12-4", "D356-Art8",
                                                 "D356-Art9-3", "L91-Art29-2", "L91-Art30-3"]
    sensitive = page.locator("tr.requirement[data-outcome=fail]", has_text="D356-Art4-sensitive")
    assert sensitive.count() == 1
    assert page.get_by_text("khoản 2 Điều 7 Nghị định 356/2025/NĐ-CP").first.is_visible()
    verdict = page.locator("p.verdict").first
    assert "bad" in (verdict.get_attribute("class") or "")
    assert page.locator("#gate").inner_text().startswith("Ngưỡng CI (--fail-on")
    assert "(giờ Việt Nam, UTC+7)" in page.locator("#run").inner_text()
    sev = page.locator("#severity-chart g.severity-row")
    assert sev.count() == 5
    assert sev.locator("text").first.text_content() == "Nghiêm trọng"
    assert sev.first.is_visible()
    counts = page.locator("text.severity-count").all_text_contents()
    assert len(counts) == 5 and all(c.isdigit() for c in counts)
    assert page.locator("#stat-findings .num").inner_text() == str(sum(map(int, counts)))
    summary = json.loads((out / "report.json").read_text(encoding="utf-8"))["summary"]
    assert [int(c) for c in counts] == [summary["by_severity"][s] for s in
                                        ("critical", "high", "medium", "low", "info")]
    failing = page.locator("tr.requirement[data-status=fail]")
    assert failing.count() == summary["compliance"]["fail"]
    if summary["findings"]:
        assert failing.count() > 0 and failing.first.is_visible()
        # groups are collapsed by default (issue 19): opening one shows its findings
        assert not page.locator("tr.finding").first.is_visible()
        page.locator("details.rule-group > summary").first.click()
        assert page.locator("tr.finding").first.is_visible()
    assert page.get_by_text("Tóm tắt dành cho lãnh đạo").is_visible()
    assert page.get_by_text("Thông báo vi phạm trong vòng 72 giờ kể từ khi phát hiện").is_visible()
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "report-demo-vi.png"), full_page=True)
    watched.assert_offline_and_clean(report)
    page.close()


def test_filters_hide_and_show_findings(browser: Any, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    buf = io.StringIO()
    HtmlReporter().render(sample_result("en"), buf)
    report.write_text(buf.getvalue(), encoding="utf-8")
    watched = Watched(browser)
    page = watched.open(report)
    page.evaluate("document.querySelectorAll('details.rule-group').forEach(d => d.open = true)")
    rows = page.locator("tr.finding")
    visible = lambda: sum(1 for i in range(rows.count()) if rows.nth(i).is_visible())  # noqa: E731
    assert visible() == 5
    assert page.locator("#shown-count").inner_text() == "5 of 5 shown"
    page.get_by_label("Show suppressed findings").uncheck()
    assert visible() == 3
    page.locator("input[name=severity][value=high]").uncheck()
    assert visible() == 1
    assert page.locator("#shown-count").inner_text() == "1 of 5 shown"
    page.locator("input[name=severity][value=high]").check()
    page.locator("input[name=q]").fill("public.cards")
    assert visible() == 1
    shown = page.locator("tr.finding:visible td.mono").first.inner_text()
    assert shown.startswith("dumps/shop.sql")
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "report-sample-filtered.png"), full_page=True)
    watched.assert_offline_and_clean(report)
    page.close()


def test_requirement_link_filters_its_findings(browser: Any, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    buf = io.StringIO()
    HtmlReporter().render(sample_result("vi"), buf)
    report.write_text(buf.getvalue(), encoding="utf-8")
    watched = Watched(browser)
    page = watched.open(report)
    page.evaluate("document.querySelectorAll('details.rule-group').forEach(d => d.open = true)")
    rows = page.locator("tr.finding")

    def shown() -> list[str]:
        return [rows.nth(i).get_attribute("data-fingerprint") or ""
                for i in range(rows.count()) if rows.nth(i).is_visible()]

    assert len(shown()) == 5
    page.locator("a.req-link[data-requirement='vn-pdpl-2025 L91-protection-measures']").click()
    assert sorted(shown()) == ["b" * 32, "e" * 32]
    assert page.locator("#requirement-filter .label").inner_text() == \
        "Chỉ các phát hiện của yêu cầu vn-pdpl-2025 L91-protection-measures"
    assert page.locator("#shown-count").inner_text() == "Đang hiện 2/5"
    page.get_by_role("button", name="Hiện tất cả").click()
    assert len(shown()) == 5
    assert not page.locator("#requirement-filter").is_visible()
    watched.assert_offline_and_clean(report)
    page.close()


def test_printing_opens_collapsed_groups(browser: Any, tmp_path: Path) -> None:
    import dataclasses
    result = sample_result()
    many = tuple(dataclasses.replace(result.findings[-1], fingerprint=f"{i:032x}")
                 for i in range(30))
    report = tmp_path / "report.html"
    buf = io.StringIO()
    HtmlReporter().render(dataclasses.replace(result, findings=many), buf)
    report.write_text(buf.getvalue(), encoding="utf-8")
    watched = Watched(browser)
    page = watched.open(report)
    group = page.locator("details.rule-group").first
    assert group.get_attribute("open") is None  # more than 25 findings: collapsed
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert group.get_attribute("open") is not None
    page.pdf(path=str(tmp_path / "report.pdf"))
    assert (tmp_path / "report.pdf").stat().st_size > 10_000
    watched.assert_offline_and_clean(report)
    page.close()
