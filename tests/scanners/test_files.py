"""The files scanner: personal data in logs, CSV exports and text files."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import pytest
from auditor.scanners.files import FilesScanner

from auditor.cli import main
from auditor.models import Observation, Problem
from auditor.pipeline.discovery import discover
from auditor.pipeline.plugins import Registry
from auditor.scanner import ScanOptions

KEY = b"test-key"
CCCD = "079203004521"  # province 079, 2000s female, born 2003
PHONE = "0903517246"
EMAIL = "tran.thi.canary@example.vn"


def scan(path: Path, **params: object) -> list[Observation | Problem]:
    scanners = Registry([("files", FilesScanner())])
    targets, skipped = discover([str(path)], scanners)
    assert not skipped, skipped
    options = ScanOptions(as_of=dt.date(2026, 11, 25), hash_key=KEY, params=params)  # type: ignore[arg-type]
    return [o for t in targets for o in FilesScanner().scan(t, options)]


def by_entity(items: list[Observation | Problem]) -> dict[str, Observation]:
    return {str(o.attributes["entity"]): o for o in items if isinstance(o, Observation)}


def write_log(path: Path, gz: bool = False) -> Path:
    lines = [f"2026-11-01 10:00:0{i} INFO step={i} ok" for i in range(5)]
    lines[1] = f"2026-11-01 10:00:01 INFO submit cccd {CCCD} phone {PHONE}"
    lines[3] = f"2026-11-01 10:00:03 INFO resend to {PHONE} for {EMAIL}"
    data = ("\n".join(lines) + "\n").encode()
    if gz:
        path = path.with_suffix(".log.gz")
        path.write_bytes(gzip.compress(data, mtime=0))
    else:
        path.write_bytes(data)
    return path


@pytest.mark.parametrize("gz", [False, True])
def test_log_entities_counted_with_lines_and_subjects(tmp_path: Path, gz: bool) -> None:
    found = by_entity(scan(write_log(tmp_path / "app.log", gz)))
    assert set(found) == {"VN_CCCD", "VN_PHONE", "EMAIL_ADDRESS"}
    phone = found["VN_PHONE"]
    assert phone.attributes["count"] == 2 and phone.attributes["lines"] == [2, 4]
    assert phone.subjects == 1 and phone.location.line == 2
    assert found["VN_CCCD"].attributes["sensitive"] is True
    assert found["VN_PHONE"].attributes["sensitive"] is False
    text = json.dumps([o.attributes for o in found.values()] +
                      [o.evidence for o in found.values()], ensure_ascii=False)
    for canary in (CCCD, PHONE, EMAIL, CCCD[3:9], PHONE[2:8]):
        assert canary not in text


def test_clean_log_gives_nothing(tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    log.write_text("".join(f"2026-11-01 10:00:{i:02d} INFO job {i} done in 12 ms\n"
                           for i in range(50)))
    assert scan(log) == []


def test_csv_columns_classified_and_decoys_left_alone(tmp_path: Path) -> None:
    rows = ["stt;ho_ten;so_cccd;sdt;ma_ho_so;ghi_chu"]
    for i in range(30):
        cccd = f"0012{i % 10}{(70 + i) % 100:02d}{100000 + i:06d}"[:12]
        rows.append(f"{i};Nguyễn Văn An{i};{cccd};09{i % 10}{1234500 + i:07d};"
                    f"{202611250000 + i};ok")
    export = tmp_path / "export.csv"
    export.write_text("\n".join(rows) + "\n", encoding="utf-8")
    cols = {o.location.column: o for o in scan(export) if isinstance(o, Observation)}
    assert "so_cccd" in cols and "VN_CCCD" in cols["so_cccd"].entities
    assert "sdt" in cols
    assert "ma_ho_so" not in cols and "stt" not in cols and "ghi_chu" not in cols
    assert cols["so_cccd"].location.table == "export.csv"
    assert cols["so_cccd"].kind == "pii.column"


def test_broken_csv_reports_a_problem_and_keeps_what_came_before(tmp_path: Path) -> None:
    export = tmp_path / "x.csv"
    good = "".join(f"{i},user{i}@example.vn\n" for i in range(20))
    # an unterminated quote swallows the rest of the file into one oversized field
    export.write_text("id,email\n" + good + '21,"unterminated' + "x" * 200_000,
                      encoding="utf-8")
    items = scan(export)
    assert any(isinstance(o, Observation) and o.location.column == "email" for o in items)
    problems = [o for o in items if isinstance(o, Problem)]
    assert len(problems) == 1 and "CSV parsing stopped at line 22" in problems[0].message
    assert "xxxx" not in problems[0].message


def test_binary_junk_is_not_claimed(tmp_path: Path) -> None:
    junk = tmp_path / "core.log"
    junk.write_bytes(b"\x00\xff\x10" * 100)
    targets, skipped = discover([str(junk)], Registry([("files", FilesScanner())]))
    assert targets == [] and skipped[0].status == "skipped"


def test_rules_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_log(tmp_path / "app.log")
    (tmp_path / "access.log").write_text(
        "10.0.0.1 - - [01/Nov/2026:10:00:00 +0700] \"GET / HTTP/1.1\" 200 12\n")
    code = main(["scan", str(tmp_path), "--format", "json", "--as-of", "2026-11-25", "-j", "1"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1
    got = sorted((Path(f["location"]["uri"]).name, f["rule_id"], f["cwe"][0])
                 for f in doc["findings"])
    assert got == [("app.log", "core.file.pii-in-log", "CWE-532"),
                   ("app.log", "core.file.pii-in-log", "CWE-532"),
                   ("app.log", "core.file.pii-in-log-identifiers", "CWE-532")]
    assert {f["entities"][0] for f in doc["findings"]} == {"VN_CCCD", "VN_PHONE",
                                                          "EMAIL_ADDRESS"}
