"""Names are data (issue 17, item 2): a non-UTF-8 file name, a lone surrogate in a JSON
key and a ``\\xff`` byte in a dump identifier never crash a scan; they are shown
backslash-escaped in locations, fingerprints and every report format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.masking import keyed_hash
from auditor.names import escape_name

SECRET = "s3cret-CANARY-77aa"


@pytest.mark.parametrize(("raw", "shown"), [
    ("plain.txt", "plain.txt"),
    ("caf\u00e9", "caf\u00e9"),
    ("\udcffbad.kv", "\\xffbad.kv"),          # a byte decoded with surrogateescape
    ("key-\ud800", "key-\\ud800"),            # a lone surrogate from JSON "\ud800"
    ("a\\xffb", "a\\xffb"),                   # already-escaped text stays as it is
])
def test_escape_name(raw: str, shown: str) -> None:
    assert escape_name(raw) == shown
    escape_name(raw).encode("utf-8")  # always encodable


def test_keyed_hash_of_a_lone_surrogate() -> None:
    assert keyed_hash("\ud800", b"k") != keyed_hash("\ud801", b"k")


def hostile_tree(base: Path) -> Path:
    root = base / "t"
    root.mkdir()
    (root / "notes.txt").write_text("plain text\n", encoding="utf-8")
    # NOTE: os.fsencode round-trips these names to the raw bytes \xff and \xfe on disk
    (root / "\udcffskipped.bin").write_bytes(b"\x00\x01\x02")
    (root / "\udcfe-app.json").write_text(json.dumps({"password": SECRET}),
                                          encoding="utf-8")
    (root / "keys.json").write_bytes(
        b'{"\\ud800": {"password": "' + SECRET.encode() + b'"}, "debug": true}')
    (root / "dump.sql").write_bytes(
        b"-- MySQL dump 10.13  Distrib 8.0.36\n"
        b"CREATE TABLE `cust\xffomers` (`id` int, `email\xff` varchar(80),"
        b" `cccd` varchar(12));\n"
        b"INSERT INTO `cust\xffomers` VALUES (1,'nguyen.van.an@example.vn','001099012345'),"
        b"(2,'tran.thi.binh@example.vn','079203012346');\n")
    return root


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_whole_scan_with_hostile_names_writes_every_report(
        tmp_path: Path, jobs: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = hostile_tree(tmp_path)
    out = tmp_path / "out"
    code = main(["scan", str(root), "--format", "json,sarif,md,html,csv,junit,oscal",
                 "-o", str(out), "--jobs", jobs])
    printed = capsys.readouterr()
    assert code in (0, 1), printed.err
    assert "Traceback" not in printed.err
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
    uris = {t["uri"]: t for t in doc["targets"]}
    assert uris[f"{root.as_posix()}/\\xfe-app.json"]["status"] == "ok"
    assert f"{root.as_posix()}/\\xffskipped.bin" in uris
    keys = {f["location"].get("key") for f in doc["findings"]}
    assert "\\ud800.password" in keys
    tables = {f["location"].get("table") for f in doc["findings"]}
    assert any(t and "cust\\xffomers" in t for t in tables), tables
    for path in out.iterdir():
        data = path.read_bytes()
        data.decode("utf-8")
        assert SECRET.encode() not in data, path.name
