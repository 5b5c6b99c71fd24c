"""Memory stays flat on hostile sizes (issue 17 item 9): a .log.gz holding one huge line,
configuration files with hundreds of thousands of values. What is not read is reported
(a problem or a target error), never silently dropped."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest
from auditor.scanners.config.bounds import MAX_VALUES

from auditor.errors import TargetError
from tests.scanners.test_config_formats import scan as config_scan

ROOT = Path(__file__).resolve().parents[2]
LINE_MIB = 128

CHILD = """
import datetime as dt, json, resource, sys
from auditor.models import Observation, Problem, Target
from auditor.scanner import ScanOptions
from auditor.scanners.files import FilesScanner
target = Target(uri="app.log.gz", locator=sys.argv[1], kind="log", scanner="files")
items = list(FilesScanner().scan(target, ScanOptions(as_of=dt.date(2026, 1, 1), hash_key=b"k")))
print(json.dumps({
    "entities": sorted(o.attributes["entity"] for o in items if isinstance(o, Observation)),
    "lines": sorted(l for o in items if isinstance(o, Observation) for l in o.attributes["lines"]),
    "problems": [p.message for p in items if isinstance(p, Problem)],
    "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))
"""


def test_one_huge_gzip_line_is_cut_with_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "app.log.gz"
    with gzip.open(path, "wb", compresslevel=1) as out:  # built streamed: 128 MiB, ~0.6 MB
        out.write(b"2026-01-01 10:00:00 login user 079204012345\n")
        block = b"x" * (1 << 20)
        for _ in range(LINE_MIB):
            out.write(block)
        out.write(b"\n2026-01-01 10:00:01 call 0912345671 done\n")
    proc = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True,
                          text=True, cwd=ROOT, timeout=300, check=True)
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["entities"] == ["VN_CCCD", "VN_PHONE"]  # before and after the long line
    assert report["lines"] == [1, 3]
    (problem,) = report["problems"]
    assert problem.startswith("1 line(s) longer than 10,000 characters were cut (first at "
                              f"line 2; {LINE_MIB * (1 << 20) - 10_000 + 1:,} characters")
    # NOTE: the old reader held the whole line (and copies): 128 MiB line -> > 400 MiB
    assert report["max_rss_mib"] < 300, report["max_rss_mib"]


N = MAX_VALUES + 50_000


@pytest.mark.parametrize(("name", "make"), [
    ("big.yaml", lambda: "a: 1\nbig: {" + ", ".join(f"k{i}: {i}" for i in range(N)) + "}\n"),
    ("big.json", lambda: '{"a": 1,\n"big": {' + ", ".join(f'"k{i}": {i}' for i in range(N))
     + "}}"),
    ("big.toml", lambda: "a = 1\n[big]\n" + "".join(f"k{i} = {i}\n" for i in range(N))),
])
def test_config_with_too_many_values_is_refused_before_parsing(
        tmp_path: Path, name: str, make: object) -> None:
    with pytest.raises(TargetError) as info:
        config_scan(tmp_path, name, make())  # type: ignore[operator]
    message = str(info.value)
    assert f"holds more than {MAX_VALUES:,} values" in message and "not parsed" in message
    assert info.value.line is not None and info.value.line >= 1


def test_values_in_strings_and_comments_do_not_count(tmp_path: Path) -> None:
    text = '{"note": "' + ", : " * (MAX_VALUES + 10) + '", "debug": true}'
    items = config_scan(tmp_path, "ok.json", text)
    keys = [o.attributes.get("key") for o in items if hasattr(o, "attributes")]
    assert "debug" in keys
