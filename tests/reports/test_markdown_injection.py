"""Markdown report injection (issue 17 item 10): names from scanned data (file names, keys,
certificate and table names, errors) are inert in ``report.md`` — no raw HTML, link, image
or forged line — checked by rendering it (markdown-it-py, HTML allowed as on GitHub) and in
headless Chromium."""

from __future__ import annotations

import dataclasses
import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from auditor.reports.markdown import MarkdownReporter

from auditor.models import Location
from auditor.results import ScanResult, TargetResult
from tests.reports.sample import sample_result

markdown_it = pytest.importorskip("markdown_it")

PWN = "document.title='PWNED'"
PAYLOADS = {
    "uri": f'<img src=x onerror="{PWN}">.log',
    "key": f"[login](javascript:{PWN})",
    "table": "![x](http://127.0.0.1:9/beacon.png)",
    "column": f"a\r\n## forged heading\r\n<script>{PWN}</script>",
    "message": 'certificate <a href="http://evil.example">CN=Bank</a> expired `x` **y**',
    "error": f"<iframe src=\"javascript:{PWN}\"></iframe>|cell|break",
    "rule": "x`<script>alert(1)</script>",
}
OURS = {"<sub>", "</sub>", "<details>", "<summary>", "</summary>", "</details>"}


def hostile_result() -> ScanResult:
    base = sample_result()
    first, *rest = base.findings
    loc = Location(PAYLOADS["uri"], line=1, key=PAYLOADS["key"], table=PAYLOADS["table"],
                   column=PAYLOADS["column"])
    findings = (dataclasses.replace(first, location=loc, message=PAYLOADS["message"],
                                    rule_id=PAYLOADS["rule"], suppressed=False,
                                    suppression=None,
                                    evidence={"subject": PAYLOADS["key"]}),
                *rest)
    targets = (*base.targets, TargetResult(PAYLOADS["uri"], "log", "files", "error",
                                           error=PAYLOADS["error"]))
    return dataclasses.replace(base, findings=findings, targets=targets)


def render_md() -> str:
    buf = io.StringIO()
    MarkdownReporter().render(hostile_result(), buf)
    return buf.getvalue()


def test_markdown_tokens_hold_no_html_link_or_image() -> None:
    md = render_md()
    assert "\r" not in md
    assert not any(line.startswith("## forged") for line in md.splitlines())
    parser = markdown_it.MarkdownIt("commonmark", {"html": True}).enable("table")
    raw_html: list[str] = []
    kinds: set[str] = set()
    for token in parser.parse(md):
        for t in [token, *(token.children or [])]:
            kinds.add(t.type)
            if t.type in {"html_inline", "html_block"}:
                raw_html.append(t.content)
    assert not kinds & {"link_open", "image"}
    leftover = " ".join(raw_html)
    for ours in OURS:
        leftover = leftover.replace(ours, "")
    assert "<" not in leftover, raw_html  # only the report's own <sub>/<details> tags
    html = parser.render(md)
    for tag in ("<img", "<script", "<iframe", "<a ", "<h2>forged"):
        assert tag not in html
    # the names are still there, readable, as text
    assert "&lt;img src=x onerror=" in html and "forged heading" in html
    assert "**y**" in html  # emphasis from a name stays literal


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    profile = tmp_path_factory.mktemp("chromium-md")
    with sync_api.sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            str(profile), executable_path=chromium, headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"])
        try:
            yield ctx
        finally:
            ctx.close()


@pytest.mark.browser
def test_rendered_markdown_is_inert_in_chromium(browser: Any, tmp_path: Path) -> None:
    parser = markdown_it.MarkdownIt("commonmark", {"html": True}).enable("table")
    page_file = tmp_path / "report.html"
    page_file.write_text("<!doctype html><meta charset=utf-8><title>report</title>"
                         + parser.render(render_md()), encoding="utf-8")
    page = browser.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(page_file.as_uri())
    page.wait_for_load_state("load")
    assert page.title() == "report"
    assert page.evaluate("document.querySelectorAll('img,script,iframe,a').length") == 0
    assert requests == [page_file.as_uri()] and errors == []
    assert "onerror=" in page.inner_text("body")  # shown as text
    page.close()
