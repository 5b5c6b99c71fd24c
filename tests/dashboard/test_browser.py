"""The dashboard in real headless Chromium, served live by uvicorn over a seeded store:
charts render, filters change what is shown, markup in a scanned file name stays inert
text, the English toggle works, nothing is loaded from elsewhere and no console error
occurs; the static snapshot renders offline from files. Screenshots of the overview and
a system page are taken; with ``AUDITOR_DOC_PICTURES=1`` they replace the pictures in
docs/ (``docs/dashboard-*.png``), otherwise they go to the test's temporary folder (a test
run never changes tracked files).

Needs /usr/bin/chromium and the ``playwright`` package (no browser download)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from auditor.history import Store
from tests.conftest import REPO
from tests.dashboard.conftest import SYSTEMS, Live
from tests.dashboard.seed import MARKUP

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]
DOCS = REPO / "docs"


def _pictures(tmp_path: Path) -> Path:
    """Where screenshots go: docs/ when asked to refresh the documentation's pictures."""
    return DOCS if os.environ.get("AUDITOR_DOC_PICTURES") == "1" else tmp_path


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    profile = tmp_path_factory.mktemp("chromium-profile-dashboard")
    with sync_api.sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 1366, "height": 900})
        try:
            yield ctx
        finally:
            ctx.close()


class Watched:
    def __init__(self, context: Any, origin: str) -> None:
        self.page = context.new_page()
        self.origin = origin
        self.errors: list[str] = []
        self.foreign: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error"
                     else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: None if r.url.startswith(origin)
                     else self.foreign.append(r.url))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def open(self, url: str) -> Any:
        self.page.goto(url)
        self.page.wait_for_load_state("load")
        return self.page

    def charts(self) -> dict[str, str]:
        """Canvas id -> number of data sets Chart.js drew (set by dashboard.js)."""
        result: dict[str, str] = self.page.eval_on_selector_all(
            "canvas[data-chart]", "els => Object.fromEntries(els.map(e => "
            "[e.dataset.chart, e.getAttribute('data-rendered')]))")
        return result

    def clean(self) -> None:
        assert self.errors == []
        assert self.foreign == []
        assert self.dialogs == []


def test_overview_renders_charts_and_filters(browser: Any, live: Live, tmp_path: Path) -> None:
    w = Watched(browser, live.base)
    page = w.open(live.base + "/")
    assert page.locator("h1").inner_text() == "Tổng quan"
    assert w.charts() == {"frameworks": "2", "open": "5", "newfixed": "2", "subjects": "1"}
    # the canvases were really painted: non-blank pixels
    painted = page.eval_on_selector(
        "canvas[data-chart=open]", "c => { const d = c.getContext('2d').getImageData("
        "0, 0, c.width, c.height).data; let n = 0; for (let i = 3; i < d.length; i += 4) "
        "if (d[i]) n++; return n; }")
    assert painted > 1000
    tiles = page.locator("a.tile")
    assert tiles.count() == SYSTEMS
    # table view of a chart: the same numbers
    page.locator("#open-over-time details summary").click()
    assert page.locator("#open-over-time details table tbody tr").count() >= 2
    page.screenshot(path=str(_pictures(tmp_path) / "dashboard-overview.png"), full_page=True)
    # filter by owner through the form
    owner = page.locator("#f-owner option").nth(1).get_attribute("value")
    page.select_option("#f-owner", owner)
    page.click("#f-apply")
    page.wait_for_load_state("load")
    assert "owner=" in page.url
    shown = page.locator("a.tile")
    assert 0 < shown.count() < SYSTEMS
    assert all(page.locator(".owner h3").nth(i).inner_text() == owner
               for i in range(page.locator(".owner h3").count()))
    page.select_option("#f-severity", "critical")
    page.click("#f-apply")
    page.wait_for_load_state("load")
    assert w.charts()["open"] == "1"  # only the critical line is left
    w.clean()


def test_system_page_and_english_toggle(browser: Any, live: Live, tmp_path: Path) -> None:
    w = Watched(browser, live.base)
    page = w.open(live.base + "/system?name=he-thong-01")
    assert page.locator("#system-name").inner_text() == "he-thong-01"
    assert w.charts() == {"open": "5", "newfixed": "2", "requirements": "2"}
    assert page.locator("#runs tbody tr").count() > 0
    page.screenshot(path=str(_pictures(tmp_path) / "dashboard-system.png"), full_page=True)
    page.click("#lang-toggle")
    page.wait_for_load_state("load")
    assert "lang=en" in page.url
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Open findings" in page.locator("#open-findings h2").inner_text()
    assert w.charts()["open"] == "5"
    # links keep the language
    href = page.locator("#requirements a").first.get_attribute("href")
    assert "lang=en" in href
    page.click("#lang-toggle")
    page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("lang") == "vi"
    w.clean()


def test_markup_in_a_file_name_stays_inert(browser: Any, live: Live) -> None:
    w = Watched(browser, live.base)
    page = w.open(live.base + "/finding?system=he-thong-00&fp=fp-0-000")
    assert page.locator("#finding-title").inner_text() == f"{MARKUP} in table"
    assert MARKUP in page.locator("dd.uri").inner_text()
    assert page.locator("img").count() == 0
    assert page.title() != "pwned"
    page = w.open(live.base + "/system?name=he-thong-00&period=0")
    assert page.locator("main img").count() == 0 and page.title() != "pwned"
    w.clean()


def test_static_snapshot_renders_offline(browser: Any, seeded_store: Store,
                                         tmp_path: Path) -> None:
    out = tmp_path / "snapshot"
    url = seeded_store.display
    assert main(["dashboard", "--store", url, "-o", str(out)]) == 0
    pages = sorted(p.name for p in out.glob("*.html"))
    assert "index.html" in pages
    assert sum(p.startswith("system-") for p in pages) == SYSTEMS
    assert any(p.startswith("requirement-vn-pdpl-2025-D356") for p in pages)
    assert (out / "static" / "vendor" / "chart.js-LICENSE.md").is_file()
    w = Watched(browser, out.resolve().as_uri())
    page = w.open((out / "index.html").resolve().as_uri())
    assert w.charts() == {"frameworks": "2", "open": "5", "newfixed": "2", "subjects": "1"}
    page.locator("a.tile").first.click()
    page.wait_for_load_state("load")
    assert page.url.endswith(".html") and "/system-" in page.url
    assert w.charts()["open"] == "5"
    assert page.locator("#f-owner").count() == 0  # no live filters in a snapshot
    # printing: A4, table views opened, the filter form hidden
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    assert page.eval_on_selector_all("details.table-view", "ds => ds.every(d => d.open)") \
        is False or True  # NOTE: beforeprint only fires for window.print(); checked below
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert page.eval_on_selector_all("details.table-view", "ds => ds.every(d => d.open)")
    w.clean()
