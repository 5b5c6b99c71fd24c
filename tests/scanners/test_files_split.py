"""A large log scanned in byte ranges by worker processes gives exactly the observations,
fingerprints, order and counts of one sequential pass."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import multiprocessing
import random
from pathlib import Path

import pytest
from auditor.scanners import files as files_module
from auditor.scanners.files import FilesScanner

from auditor.cli import main
from auditor.models import Observation, Problem, Target
from auditor.scanner import ScanOptions

KEY = b"split-key"
NAMES = ("Nguyễn Văn An", "Trần Thị Bích Ngọc", "Lê Hoàng Đức", "Phạm Thị Thu Hà")


def _log(path: Path, lines: int = 1500, seed: int = 7) -> Path:
    """A log with Vietnamese (multi-byte) text, personal data on most lines, CRLF and
    lone-CR line ends, over-long lines, undecodable bytes and no final newline."""
    rng = random.Random(seed)
    out = bytearray()
    for n in range(lines):
        kind = n % 9
        stamp = f"2026-11-01 10:{n // 60 % 60:02d}:{n % 60:02d}"
        phone = f"09{rng.randrange(10**8):08d}"
        cccd = f"0792030{rng.randrange(10**5):05d}"
        name = rng.choice(NAMES)
        if kind == 0:
            line = f"{stamp} INFO đăng ký công dân {name} số CCCD {cccd}\n"
        elif kind == 1:
            line = f"{stamp} INFO gửi SMS tới {phone} cho {name}\r\n"
        elif kind == 2:
            line = f"{stamp} DEBUG tiến trình xử lý hồ sơ ổn định\r"
        elif kind == 3 and n % 270 == 3:  # NOTE: rare: its lines span several ranges
            line = f"{stamp} WARN email {name.split()[-1].lower()}{n}@example.vn trả về lỗi\n"
        elif kind == 3 and n > 1000:  # NOTE: first seen in a later range
            line = f"{stamp} WARN đăng nhập từ 203.0.113.{n % 250} bị từ chối\n"
        elif kind == 4:
            line = f"{stamp} INFO " + "dữ liệu " * 60 + f"{phone}\n"  # cut at max_line
        elif kind == 5:
            line = "\n"
        elif kind == 6 and n > 300:  # NOTE: past the head discovery reads
            out += f"{stamp} ERROR bytes ".encode() + b"\xe1\x88 \xff\xfe" + b" end\n"
            continue
        elif kind == 7:
            line = f"{stamp} INFO liên hệ {phone} (ông/bà {name})\n"
        else:
            line = f"{stamp} INFO CCCD {cccd}, điện thoại {phone}\n"
        out += line.encode()
    out += "kết thúc không xuống dòng 0912345678".encode()
    path.write_bytes(bytes(out))
    return path


def _scan(path: Path, workers: int, kind: str = "log", **params: object
          ) -> list[Observation | Problem]:
    target = Target(uri=path.name, locator=str(path), kind=kind, scanner="files")
    options = ScanOptions(as_of=dt.date(2026, 11, 25), hash_key=KEY,
                          params={"files.max_line": 300, **params},  # type: ignore[dict-item]
                          workers=workers)
    return list(FilesScanner().scan(target, options))


def _inside_a_character(data: bytes, chunk: int) -> bool:
    """Whether some nominal cut (a multiple of ``chunk``) falls inside a UTF-8 character."""
    return any(0x80 <= data[pos] <= 0xBF for pos in range(chunk, len(data), chunk))


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _log(tmp_path_factory.mktemp("split") / "app.log")


@pytest.mark.parametrize("chunk", [4093, 4096, 6007])
def test_ranges_give_the_sequential_observations(log: Path, chunk: int,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files_module, "MIN_CHUNK", chunk)
    ranges = files_module._split(log, 2)
    data = log.read_bytes()
    assert len(ranges) >= 8
    # NOTE: every range starts right after a newline, the ranges cover the file
    assert all(data[start - 1:start] == b"\n" for start, _ in ranges[1:])
    assert ranges[0][0] == 0 and ranges[-1][1] == len(data)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
    assert _inside_a_character(data, chunk)
    sequential = _scan(log, 1)
    split = _scan(log, 2)
    found = {str(o.attributes["entity"]) for o in sequential if isinstance(o, Observation)}
    assert {"VN_CCCD", "VN_PHONE", "EMAIL_ADDRESS", "IP_ADDRESS"} <= found
    email = next(o for o in sequential if isinstance(o, Observation)
                 and o.attributes["entity"] == "EMAIL_ADDRESS")
    assert email.attributes["lines"] == [4, 274, 544, 814, 1084]
    assert any(isinstance(p, Problem) and "were cut" in p.message for p in sequential)
    assert split == sequential
    assert multiprocessing.active_children() == []


def test_subject_cap_keeps_the_first_values_in_file_order(
        log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files_module, "MIN_CHUNK", 4096)
    monkeypatch.setattr(files_module, "MAX_SUBJECTS", 7)
    sequential = _scan(log, 1)
    assert any(isinstance(o, Observation) and o.subjects == 7 for o in sequential)
    assert _scan(log, 2) == sequential


def test_small_compressed_and_csv_files_are_not_split(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import gzip

    monkeypatch.setattr(files_module, "MIN_CHUNK", 4096)
    small = tmp_path / "small.log"
    small.write_text("2026-11-01 10:00:00 INFO phone 0912345678\n" * 10)
    assert files_module._split(small, 2) == [(0, small.stat().st_size)]
    packed = tmp_path / "big.log.gz"
    packed.write_bytes(gzip.compress(_log(tmp_path / "big.log").read_bytes(), mtime=0))
    assert len(files_module._split(packed, 2)) == 1
    assert _scan(packed, 2) == _scan(packed, 1)
    # NOTE: CSV exports are sampled from their first rows: never split
    rows = ["ho_ten,so_dien_thoai,ghi_chu"] + [
        f'{NAMES[n % 4]},09{n:08d},"dòng một\ndòng hai {n}"' for n in range(600)]
    export = tmp_path / "export.csv"
    export.write_text("\n".join(rows) + "\n")
    assert _scan(export, 2, kind="csv") == _scan(export, 1, kind="csv")


def test_cli_jobs_2_report_equals_jobs_1(log: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files_module, "MIN_CHUNK", 4096)
    split: list[int] = []
    real = files_module._scan_ranges

    def counted(target: Target, ranges: list[tuple[int, int]], *args: object) -> object:
        split.append(len(ranges))
        return real(target, ranges, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(files_module, "_scan_ranges", counted)
    reports = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}"
        main(["scan", str(log), "--format", "json", "-o", str(out), "--as-of", "2026-11-25",
              "--jobs", jobs, "--quiet", "--fail-on", "never", "--option",
              "files.max_line=300"])
        doc = json.loads((out / "report.json").read_text())
        reports.append(([(f["rule_id"], f["fingerprint"], f["location"], f["evidence"],
                          f.get("occurrences")) for f in doc["findings"]],
                        [(t["uri"], t["status"], t.get("problems")) for t in doc["targets"]]))
    assert reports[0][0]
    assert reports[1] == reports[0]
    # NOTE: --jobs 1 read the log in one pass; --jobs 2 gave the lone target two processes
    assert len(split) == 1 and split[0] >= 8
