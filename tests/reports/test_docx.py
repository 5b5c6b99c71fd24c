"""The DOCX audit document, opened with python-docx: sections in order, cover facts,
sampling settings, attestations, remediation plan carried forward, inventory and annex,
evidence key id; and the PNG chart is a valid, deterministic image."""

from __future__ import annotations

import json
import re
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from auditor.reports.pngchart import bar_chart_png

from auditor.cli import main

docx = pytest.importorskip("docx")

REPO = Path(__file__).resolve().parents[2]
PLAN = """plan:
  - rule: core.db.pii-cleartext-sensitive
    owner: Phòng CNTT
    deadline: 2027-03-31
    status: in_progress
  - rule: core.db.pii-cleartext
    owner: Tổ phát triển
    deadline: 2026-06-30
    status: open
  - rule: core.retired.rule
    owner: Tổ kỹ thuật
    status: done
"""
ATTEST = """attestations:
  - requirement: gdpr:Art35
    result: pass
    evidence: DPIA-2026-12
    assessor: Nguyễn Văn A
    date: 2026-10-01
    expires: 2027-09-30
"""
HEADINGS = ["Executive summary", "Methodology and limits", "Results per framework",
            "Findings by rule", "Findings by system", "Remediation plan",
            "Personal-data inventory", "Annexes"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, Any]]:
    root = tmp_path_factory.mktemp("docx")
    (root / "plan.yaml").write_text(PLAN, encoding="utf-8")
    (root / "att.yaml").write_text(ATTEST, encoding="utf-8")
    (root / "doc.yaml").write_text(
        "controller: Sở Thông tin và Truyền thông\nscope: Cổng dịch vụ công\n"
        "systems:\n  - name: CSDL công dân\n    owner: Phòng CNTT\n    security_level: 3\n"
        "    targets: ['*/demo/db/*']\n", encoding="utf-8")
    out = root / "out"
    main(["scan", str(REPO / "fixtures" / "demo"), "--as-of", "2026-11-25", "-q", "-j", "2",
          "--format", "json,docx", "-o", str(out), "--document", str(root / "doc.yaml"),
          "--system", "Cổng dịch vụ công", "--assessor", "Trần Thị B",
          "--period", "11/2026", "--attestations", str(root / "att.yaml"),
          "--remediation-plan", str(root / "plan.yaml"),
          "-O", "database.seed=7", "--sample-size", "200"])
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return docx.Document(str(out / "report.docx")), report


def _text(document: Any) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


def test_sections_in_order(demo: tuple[Any, dict[str, Any]]) -> None:
    document, _ = demo
    level1 = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert level1 == HEADINGS
    assert document.paragraphs[0].style.name == "Title"
    page = document.sections[0]  # A4, Decree 30/2020 margins (left 30 mm, right 15 mm)
    assert (round(page.page_width.mm), round(page.page_height.mm)) == (210, 297)
    assert (round(page.left_margin.mm), round(page.right_margin.mm)) == (30, 15)


def test_cover(demo: tuple[Any, dict[str, Any]]) -> None:
    document, report = demo
    cover = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
    assert cover["Data controller"] == "Sở Thông tin và Truyền thông"
    assert cover["System"] == "Cổng dịch vụ công"
    assert cover["Assessor"] == "Trần Thị B"
    assert cover["Audit period"] == "11/2026"
    assert cover["Data processor"] == "(not given)"
    assert cover["Assessed as of"] == "2026-11-25"
    assert cover["Run id"] == report["run"]["id"]
    assert "CSDL công dân (owner: Phòng CNTT; security level: 3)" in cover["Systems"]


def test_methodology_states_sampling_and_limits(demo: tuple[Any, dict[str, Any]]) -> None:
    text = _text(demo[0])
    assert "database.seed = 7" in text and "database.sample_size = 200" in text
    assert "citizens.sqlite: 200 value(s) read per column at most, of about 300 row(s)" in text
    assert re.search(r"\d+ requirement\(s\) manual check", text)
    assert "pcap: 1 target(s)" in text


def test_results_attestation_plan_inventory(demo: tuple[Any, dict[str, Any]]) -> None:
    document, report = demo
    text = _text(document)
    assert "DPIA-2026-12" in text  # the recorded manual check
    rows = {row.cells[0].text: [c.text for c in row.cells] for t in document.tables
            for row in t.rows}
    plan_row = next(v for k, v in rows.items() if "core.db.pii-cleartext-sensitive" in k)
    assert plan_row[2:] == ["Phòng CNTT", "2027-03-31", "in_progress", ""]
    assert "core.retired.rule: Tổ kỹ thuật — done" in text  # carried forward, now resolved
    # past its deadline on --as-of 2026-11-25 and not closed: overdue, in bold red
    late = next(row for t in document.tables for row in t.rows
                if row.cells[0].text.endswith("(core.db.pii-cleartext)"))
    assert [c.text for c in late.cells][2:] == ["Tổ phát triển", "2026-06-30", "open — Overdue",
                                                 ""]
    run = late.cells[4].paragraphs[0].runs[0]
    assert run.bold and str(run.font.color.rgb) == "991B1B"
    assert "1 finding group(s) past their deadline on 2026-11-25" in text
    assert "No plan entry" in text  # groups the plan does not name
    # the inventory names the system of each store from --document systems
    inv = [r for r in report["inventory"] if r["column"] == "van_tay"]
    assert {r["system"] for r in inv} == {"CSDL công dân"}
    assert "RELIGION" in text and "BIOMETRIC" in text
    assert "[to be completed by the controller]" in text
    # findings by system: the db system and the default system both appear
    assert "CSDL công dân" in text and "Cổng dịch vụ công" in text
    assert "No evidence bundle was written" in text


def test_evidence_annex_names_the_key(tmp_path: Path) -> None:
    key = tmp_path / "k.pem"
    assert main(["keygen", "--private-key", str(key), "--public-key",
                 str(tmp_path / "k.pub")]) == 0
    target = tmp_path / "t"
    target.mkdir()
    (target / "app.env").write_text("DEBUG=true\n")
    out = tmp_path / "report.docx"
    main(["scan", str(target), "-o", str(out), "-q", "-j", "1", "--evidence",
          str(tmp_path / "ev"), "--signing-key", str(key)])
    text = _text(docx.Document(str(out)))
    manifest = json.loads((tmp_path / "ev" / "manifest.json").read_text())
    key_id = next(v for k, v in _walk(manifest) if k == "key_id")
    assert f"signing key {key_id}" in text


def _walk(node: Any) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    if isinstance(node, dict):
        for k, v in node.items():
            out.append((k, v))
            out.extend(_walk(v))
    elif isinstance(node, list):
        for v in node:
            out.extend(_walk(v))
    return out


def test_png_chart_is_valid_and_deterministic() -> None:
    data = bar_chart_png([(3, "#7f1d1d"), (0, "#c2410c"), (6, "#1d4ed8")], width=100)
    assert data == bar_chart_png([(3, "#7f1d1d"), (0, "#c2410c"), (6, "#1d4ed8")], width=100)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    raw = zlib.decompress(data[data.index(b"IDAT") + 4:data.index(b"IEND") - 8])
    assert (width, height) == (100, 10 + 3 * 32)
    stride = 1 + width * 3
    first_bar_row = raw[stride * 10:stride * 11]
    full = sum(1 for x in range(width) if first_bar_row[1 + x * 3:4 + x * 3] == b"\x7f\x1d\x1d")
    third = raw[stride * (10 + 64):stride * (11 + 64)]
    longest = sum(1 for x in range(width) if third[1 + x * 3:4 + x * 3] == b"\x1d\x4e\xd8")
    assert longest == 80 and full == 40  # scaled to the largest value
