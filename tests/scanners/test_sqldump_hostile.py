"""Hostile SQL dumps (issue 17, items 2 and 14): raw binary (BLOB bytes, NUL, ``\\xff``)
in a mysqldump's first 8 KiB does not make it "not recognised"; a ``\\xff`` byte in an
identifier is shown escaped and never crashes the scan."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from auditor.scanners.database.sqldump import SqlDumpScanner

from auditor.models import Target
from auditor.pipeline.discovery import discover
from auditor.pipeline.engine import ScanTask, execute
from auditor.pipeline.plugins import load_scanners
from auditor.policy.rules import load_pack
from auditor.scanner import Candidate, ScanOptions
from tests.scanners.dbsupport import MY_URL, REPO, my_scratch, no_pii, run

CORE_PACK = REPO / "rules" / "core"

HEADER = (b"-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n--\n"
          b"-- Host: 127.0.0.1    Database: hoso\n"
          b"-- ------------------------------------------------------\n")
BLOB = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\\0\x00\x00\xfe\x9c"


def binary_dump() -> bytes:
    rows = b",".join(b"(%d,_binary '%s','%032x')" % (i, BLOB, i) for i in range(1, 40))
    return (HEADER + b"CREATE TABLE `anh` (`id` int, `du_lieu` longblob, `password` "
            b"varchar(64));\nINSERT INTO `anh` VALUES " + rows + b";\n")


@pytest.mark.parametrize(("head", "name", "confidence"), [
    (binary_dump()[:8192], "backup.sql", 90),
    (binary_dump()[:8192], "backup", 90),
    (b"-- MariaDB dump 10.19\n" + b"\x00" * 100, "x.dump", 90),
    # decoys: binary files that merely contain dump-looking text are not claimed
    (b"\x89PNG\r\n\x1a\n\x00\x00" + b"\n-- MySQL dump 10.13\n", "image.png", None),
    (b"\x7fELF\x02\x01\x01\x00" * 200 + b"\nCREATE TABLE t (a int);\n", "x.sql", None),
], ids=["mysqldump-blob", "no-suffix", "mariadb-nul", "png-decoy", "elf-decoy"])
def test_claim_binary_head(head: bytes, name: str, confidence: int | None) -> None:
    claim = SqlDumpScanner().claim(Candidate(path="/x", uri=name, name=name, size=len(head),
                                             head=head))
    assert (claim.confidence if claim else None) == confidence


def test_binary_dump_is_discovered_and_scanned(tmp_path: Path) -> None:
    path = tmp_path / "backup.sql"
    path.write_bytes(binary_dump())
    targets, skipped = discover([str(path)], load_scanners())
    assert not skipped
    assert [(t.scanner, t.kind) for t in targets] == [("sqldump", "sqldump")]
    result = run(SqlDumpScanner(no_pii), str(path), is_file=True)
    assert result.error is None
    (pw,) = result.kind("db.password_column")
    assert (pw.location.table, pw.attributes["rows_read"]) == ("hoso.anh", 39)


@pytest.mark.mysql
def test_real_mysqldump_with_blob_in_the_head_is_recognised(tmp_path: Path) -> None:
    tool = shutil.which("mariadb-dump") or shutil.which("mysqldump")
    if tool is None:
        pytest.skip("mysqldump not installed")
    with my_scratch() as (url, conn):
        database = url.rsplit("/", 1)[1]
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE anh (id INT PRIMARY KEY, du_lieu BLOB, pwd VARCHAR(64))")
            cur.executemany("INSERT INTO anh VALUES (%s, %s, %s)",
                            [(i, BLOB + bytes([i]), f"{i:032x}") for i in range(1, 30)])
        host = MY_URL.split("@", 1)[1].split("/", 1)[0]
        hostname, _, port = host.partition(":")
        raw = subprocess.run([tool, "-h", hostname, "-P", port or "3306", "-u", "root",
                              database], check=True, capture_output=True).stdout
    assert b"\x00" in raw[:8192] or b"\xff" in raw[:8192]
    path = tmp_path / "real.sql"
    path.write_bytes(raw)
    targets, skipped = discover([str(path)], load_scanners())
    assert [t.scanner for t in targets] == ["sqldump"] and not skipped


def test_xff_in_identifier_is_escaped(tmp_path: Path) -> None:
    path = tmp_path / "d.sql"
    path.write_bytes(HEADER + b"CREATE TABLE `kh\xffach` (`id` int, `pass\xffword` varchar(64));"
                     b"\nINSERT INTO `kh\xffach` VALUES (1,'5f4dcc3b5aa765d61d8327deb882cf99');\n")
    target = Target(uri=str(path), locator=str(path), kind="sqldump", scanner="sqldump")
    task = ScanTask(target, ScanOptions(as_of=dt.date(2026, 1, 1), hash_key=b"k"), ())
    outcome = execute(task, SqlDumpScanner(no_pii), [load_pack(CORE_PACK)])
    assert outcome.result.status == "ok", outcome.result.error
    (finding,) = [f for f in outcome.findings if f.rule_id == "core.db.password-fast-hash"]
    assert (finding.location.table, finding.location.column) == (
        "hoso.kh\\xffach", "pass\\xffword")
    finding.to_dict()  # JSON-safe
    assert finding.fingerprint
