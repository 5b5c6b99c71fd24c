"""Target discovery: walking, ignore globs, size limit, sniffing, URLs, unreadable files."""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor.masking import redact_url
from auditor.models import Observation, Problem, Target
from auditor.pipeline.discovery import DiscoveryOptions, discover
from auditor.pipeline.plugins import Registry
from auditor.scanner import Candidate, Claim, Scanner, ScanOptions


class Sniffer(Scanner):
    """Claims files whose content starts with MAGIC (whatever their name), and .cfg by name."""

    name = "sniff"

    def claim(self, candidate: Candidate) -> Claim | None:
        if candidate.head.startswith(b"MAGIC"):
            return Claim("magic" + ("+gz" if candidate.compression else ""), 100)
        if candidate.suffix == ".cfg":
            return Claim("cfg", 40)
        return None

    def claim_url(self, url: str) -> Claim | None:
        return Claim("db", 100) if url.startswith("postgresql://") else None

    def scan(self, target: Target, options: ScanOptions) -> Iterator[Observation | Problem]:
        yield from ()


class Greedy(Scanner):
    name = "greedy"

    def claim(self, candidate: Candidate) -> Claim | None:
        return Claim("any", 10)

    def scan(self, target: Target, options: ScanOptions) -> Iterator[Observation | Problem]:
        yield from ()


SCANNERS = Registry([("sniff", Sniffer())])


def make(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)


def test_content_beats_extension_and_uris_keep_the_given_prefix(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make(tmp_path, {"d/a.txt": b"MAGIC...", "d/b.cfg": b"x=1", "d/sub/c.bin": b"\x00\x01",
                    "d/z.gz": gzip.compress(b"MAGIC inside")})
    monkeypatch.chdir(tmp_path)
    targets, skipped = discover(["d"], SCANNERS)
    assert [(t.uri, t.kind) for t in targets] == [
        ("d/a.txt", "magic"), ("d/b.cfg", "cfg"), ("d/z.gz", "magic+gz")]
    assert [(s.uri, s.status) for s in skipped] == [("d/sub/c.bin", "skipped")]
    assert all(Path(t.locator).is_absolute() for t in targets)


def test_highest_confidence_wins(tmp_path: Path) -> None:
    make(tmp_path, {"a.cfg": b"MAGIC"})
    both = Registry([("greedy", Greedy()), ("sniff", Sniffer())])
    targets, _ = discover([str(tmp_path / "a.cfg")], both)
    assert targets[0].scanner == "sniff"


def test_ignore_globs_and_size_limit(tmp_path: Path) -> None:
    make(tmp_path, {"keep.cfg": b"x", ".git/config.cfg": b"x", "node_modules/m.cfg": b"x",
                    "build/out.cfg": b"x", "big.cfg": b"x" * 2000})
    targets, skipped = discover(
        [str(tmp_path)], SCANNERS,
        DiscoveryOptions(ignore=(".git", "node_modules", "build/*"), max_size=1000))
    assert [Path(t.uri).name for t in targets] == ["keep.cfg"]
    assert [(Path(s.uri).name, s.status) for s in skipped] == [("big.cfg", "skipped")]
    assert "size limit" in (skipped[0].error or "")


def test_missing_and_unreadable_paths(tmp_path: Path) -> None:
    make(tmp_path, {"locked.cfg": b"x"})
    (tmp_path / "locked.cfg").chmod(0)
    targets, skipped = discover([str(tmp_path / "nope"), str(tmp_path / "locked.cfg")],
                                SCANNERS)
    errors = {Path(s.uri).name: s for s in skipped}
    assert errors["nope"].status == "error" and "no such file" in (errors["nope"].error or "")
    if os.geteuid() != 0:  # NOTE: root can read mode-000 files
        assert errors["locked.cfg"].status == "error"
        assert "cannot read" in (errors["locked.cfg"].error or "")
    else:
        assert [t.uri for t in targets] == [str(tmp_path / "locked.cfg")]


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql://app:s3cret-CANARY@db.example:5432/citizens",
     "postgresql://app@db.example:5432/citizens"),
    ("postgresql://db.example/x", "postgresql://db.example/x"),
    ("mysql://:pw@h/db", "mysql://h/db"),
    ("postgresql://u@h/db?sslmode=require&password=CANARY&sslpassword=CANARY2",
     "postgresql://u@h/db?sslmode=require"),
    ("postgresql://u@h/db?apiToken=CANARY", "postgresql://u@h/db"),
])
def test_urls_are_redacted(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    targets, skipped = discover([url], SCANNERS)
    if url.startswith("postgresql"):
        assert targets[0].uri == shown and targets[0].locator == url
        assert "CANARY" not in repr(targets[0])
    else:
        assert skipped[0].uri == shown and skipped[0].status == "error"


def test_claiming_scanner_decides_the_shown_uri() -> None:
    from auditor.pipeline.plugins import load_scanners

    url = "postgresql://app:pw-CANARY@db:5432/citizens?sslmode=require&passfile=/x&options=-c"
    targets, _ = discover([url], load_scanners())
    assert targets[0].scanner == "database"
    assert "CANARY" not in targets[0].uri and "passfile" not in targets[0].uri
    assert targets[0].uri.startswith("postgresql://app@db:5432/citizens")
