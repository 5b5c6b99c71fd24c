"""Every picture the documentation shows exists and is an image, and the pictures of
docs/reports.md are exactly those tools/doc_pictures.py regenerates from the demo."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from tests.conftest import REPO

PAGES = sorted([REPO / "README.md", *(REPO / "docs").rglob("*.md")])
_MARKDOWN = re.compile(r"!\[[^\]]*\]\(\s*<?([^)>\s]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HTML = re.compile(r"<img\b[^>]*\bsrc=[\"']([^\"']+)[\"']", re.I)
_MAGIC = {".png": b"\x89PNG\r\n\x1a\n", ".jpg": b"\xff\xd8\xff", ".jpeg": b"\xff\xd8\xff",
          ".gif": b"GIF8", ".svg": b"<"}


def images(page: Path) -> list[str]:
    # NOTE: pictures inside fenced code blocks are examples, not references
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    return [*_MARKDOWN.findall(text), *_HTML.findall(text)]


def test_the_pattern_finds_pictures() -> None:
    assert images(REPO / "docs" / "reports.md")  # the page shows pictures


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_referenced_image_exists(page: Path) -> None:
    for ref in images(page):
        if re.match(r"[a-z]+:", ref):
            raise AssertionError(f"{page.name}: {ref} is not in the repository (offline docs)")
        path = (page.parent / ref.split("#", 1)[0]).resolve()
        assert path.is_file(), f"{page.relative_to(REPO)}: {ref} does not exist"
        assert REPO in path.parents, f"{page.name}: {ref} is outside the repository"
        magic = _MAGIC.get(path.suffix.lower())
        assert magic is not None, f"{ref}: not a known image type"
        head = path.read_bytes()[:16].lstrip()
        assert head.startswith(magic), f"{ref}: not a {path.suffix} file"
        assert path.stat().st_size > 1000, f"{ref}: nearly empty"


def test_report_pictures_are_the_ones_the_tool_makes() -> None:
    spec = importlib.util.spec_from_file_location("doc_pictures",
                                                  REPO / "tools" / "doc_pictures.py")
    assert spec is not None and spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    shown = {Path(ref).name for ref in images(REPO / "docs" / "reports.md")}
    assert shown == set(tool.PICTURES)
    assert any(name.startswith("report-docx") for name in shown)  # a page of the DOCX
