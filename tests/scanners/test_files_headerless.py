"""A CSV export without a header row (issue 17 item 6): its first row is a person's record
and must never be published as "column names" — in any report format or the evidence
bundle. Columns are named by position and the row is scanned as data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.bundle.signing import generate_key, write_keypair
from auditor.cli import main

# the first data row: canaries that must appear nowhere
FIRST = ["Nguyễn Thị Lan", "079204012345", "0912345671", "canary.lan@example.vn"]
ROWS = [FIRST] + [["Trần Văn Bình", f"0792040{12346 + i:05d}",
                   f"09123456{72 + i:02d}", f"user{i}@example.vn"] for i in range(40)]


def _write(path: Path, rows: list[list[str]]) -> Path:
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def scanned(tmp_path: Path) -> tuple[Path, Path, int]:
    tree = tmp_path / "exports"
    tree.mkdir()
    _write(tree / "khach_hang.csv", ROWS)
    keys = tmp_path / "keys"
    write_keypair(generate_key(), keys / "k.key", keys / "k.pub", env={})
    out, evidence = tmp_path / "out", tmp_path / "evidence"
    code = main(["scan", str(tree), "-j1", "--format", "json,md,html,csv,sarif,junit,oscal",
                 "-o", str(out), "--evidence", str(evidence), "--signing-key",
                 str(keys / "k.key"), "-q"])
    return out, evidence, code


def test_first_row_never_published(scanned: tuple[Path, Path, int]) -> None:
    out, evidence, code = scanned
    assert code == 1  # personal data found
    files = [p for d in (out, evidence) for p in d.rglob("*") if p.is_file()]
    assert len(files) >= 8
    for path in files:
        body = path.read_bytes().decode("utf-8", errors="replace")
        for value in FIRST:
            assert value not in body, (path.name, value)
            assert json.dumps(value)[1:-1] not in body, (path.name, value)


def test_columns_named_by_position_and_first_row_counted(
        scanned: tuple[Path, Path, int]) -> None:
    out, _, _ = scanned
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    text = json.dumps(report, ensure_ascii=False)
    assert "col_2" in text and "col_4" in text
    (target,) = report["targets"]
    assert any("no header row" in p["message"] for p in target["problems"])


@pytest.mark.parametrize("header", [
    "ho_ten,so_cccd,so_dien_thoai,email",
    "Họ và tên,Số CCCD,Điện thoại,Email",
    "customer_id,first_name,address1,zip",
])
def test_a_real_header_is_kept(tmp_path: Path, header: str,
                               capsys: pytest.CaptureFixture[str]) -> None:
    tree = tmp_path / "t"
    tree.mkdir()
    _write(tree / "a.csv", [header.split(","), *ROWS[1:]])
    out = tmp_path / "o"
    main(["scan", str(tree), "-j1", "--format", "json", "-o", str(out), "-q"])
    text = (out / "report.json").read_text(encoding="utf-8")
    assert "col_1" not in text and "no header row" not in text
    assert json.dumps(header.split(",")[1], ensure_ascii=False)[1:-1] in \
        json.dumps(json.loads(text), ensure_ascii=False)
