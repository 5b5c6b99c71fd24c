"""Regenerate the pictures of docs/reports.md from the demo.

Usage: ``python tools/doc_pictures.py [OUT_DIR]`` (default ``docs/img``).

Scans ``fixtures/demo`` (``--as-of 2026-11-25``) with the cover facts and the remediation
plan below into HTML and DOCX, then

- photographs parts of the HTML report in headless Chromium (Playwright's driver,
  ``/usr/bin/chromium``): the cover, the top of the inventory, the record-of-processing
  annex, the remediation plan around its overdue entry;
- renders the DOCX with LibreOffice (``libreoffice --headless --convert-to pdf``) and
  rasterises pages with poppler (``pdftoppm -png -r 70``): the cover page and the page on
  which the remediation plan starts.

Needs chromium, libreoffice and poppler-utils (Debian packages) and
``pip install -e '.[test,docs]'``. Each picture is checked before it is written (the text
the page claims for it is on it), so a changed report cannot leave a stale picture behind
silently.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from auditor.cli import main as auditor

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

DOCUMENT = """\
controller: Sở Thông tin và Truyền thông tỉnh X
processor: Công ty TNHH Dịch vụ số ABC
system: Cổng dịch vụ công
scope: Cổng thông tin, CSDL công dân, máy chủ thư, mạng nội bộ
period: 11/2026
assessor: Nguyễn Văn A
"""
PLAN = """\
plan:
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
"""

#: HTML pictures: file name -> (CSS selector, text the picture must show)
HTML_PICTURES: dict[str, tuple[str, str]] = {
    "report-cover.png": ("section#cover", "Sở Thông tin và Truyền thông tỉnh X"),
    "report-annex.png": ("table.annex", "Categories of sensitive personal data"),
    "report-inventory.png": ("section#inventory", "Personal-data inventory"),
    "report-plan.png": ("section#remediation", "Overdue"),
}
#: DOCX pages: file name -> a pattern of the page's text (pdftotext -layout) that picks it
DOCX_PAGES: dict[str, str] = {
    "report-docx-cover.png": r"Sở Thông tin và Truyền thông tỉnh X",
    "report-docx-plan.png": r"—\s+Overdue",
}
PICTURES = (*HTML_PICTURES, *DOCX_PAGES)
#: inventory rows shown (the whole table is 70 rows long)
INVENTORY_ROWS = 14
TRIM = f"""() => {{
    document.querySelectorAll('tr.inventory-entry').forEach(
        (r, i) => {{ if (i >= {INVENTORY_ROWS}) r.remove(); }});
    const rows = Array.from(document.querySelectorAll('tr.plan-row'));
    const late = rows.findIndex(r => r.dataset.overdue === 'true');
    rows.forEach((r, i) => {{ if (i < late - 3 || i > late + 2) r.remove(); }});
    document.querySelectorAll('section#inventory > h3, section#inventory > table.annex,'
        + 'section#inventory > p.note').forEach(e => e.remove());
}}"""


def scan(work: Path) -> Path:
    # NOTE: run from the checkout with relative paths (gitignored out/ for the inputs),
    # so the pictures show paths as a user's would be
    os.chdir(ROOT)
    inputs = Path("out") / "doc-pictures"
    inputs.mkdir(parents=True, exist_ok=True)
    (inputs / "document.yaml").write_text(DOCUMENT, encoding="utf-8")
    (inputs / "remediation-plan.yaml").write_text(PLAN, encoding="utf-8")
    out = work / "out"
    auditor(["scan", "fixtures/demo", "--as-of", "2026-11-25", "-q",
             "--format", "html,docx", "-o", str(out), "--document",
             str(inputs / "document.yaml"), "--remediation-plan",
             str(inputs / "remediation-plan.yaml")])
    return out


def html_pictures(report: Path, dest: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.goto(report.as_uri())
        page.evaluate("document.querySelector('nav').style.display = 'none'")  # sticky
        for name, (selector, claim) in HTML_PICTURES.items():
            if name == "report-inventory.png":
                # the inventory: its first rows only (the annex is pictured apart); the
                # plan: from its header to a few rows after the overdue entry
                page.evaluate(TRIM)
            element = page.locator(selector).first
            text = element.inner_text()
            if claim.lower() not in text.lower():
                raise SystemExit(f"{name}: {selector} does not show {claim!r}")
            element.screenshot(path=str(dest / name))
            print(f"{dest / name}: {selector}")
        browser.close()


def docx_pages(docx: Path, work: Path, dest: Path) -> None:
    profile = work / "lo-profile"  # NOTE: a profile of its own: other soffice runs coexist
    subprocess.run(["libreoffice", f"-env:UserInstallation={profile.as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(work), str(docx)], check=True,
                   capture_output=True, env={**os.environ, "HOME": str(work)})
    pdf = work / (docx.stem + ".pdf")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    pages = text.split("\f")
    print(f"{pdf}: {len(pages) - 1} page(s)")
    for name, claim in DOCX_PAGES.items():
        number = next((i + 1 for i, p in enumerate(pages) if re.search(claim, p)), None)
        if number is None:
            raise SystemExit(f"{name}: no page of the DOCX shows {claim!r}")
        stem = work / name.removesuffix(".png")
        subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", str(number), "-l", str(number),
                        "-singlefile", str(pdf), str(stem)], check=True)
        shutil.copyfile(stem.with_suffix(".png"), dest / name)
        print(f"{dest / name}: page {number}")


def main(argv: list[str]) -> int:
    dest = Path(argv[0]) if argv else ROOT / "docs" / "img"
    dest.mkdir(parents=True, exist_ok=True)
    for tool in ("libreoffice", "pdftoppm", "pdftotext"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        out = scan(work)
        html_pictures(out / "report.html", dest)
        docx_pages(out / "report.docx", work, dest)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
