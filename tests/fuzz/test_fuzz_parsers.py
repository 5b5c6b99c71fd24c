"""Each parser under mutated real files and generated input (see tests/fuzz/harness.py).

Run longer with ``nox -s fuzz`` (``AUDITOR_FUZZ_PROFILE=long``); statistics with
``--hypothesis-show-statistics``."""

from __future__ import annotations

import gzip
import io
import json
import shutil
from pathlib import Path

import pytest
from auditor.reports.json import JsonReporter
from auditor.scanners.pcap.reader import read_frames
from hypothesis import given
from hypothesis import strategies as st

from auditor.bundle.evidence import verify_evidence, write_evidence
from auditor.bundle.signing import generate_key
from auditor.policy.rules import load_pack
from auditor.saferegex import compile_safe
from tests.fakes import fake_engine, run, tree
from tests.fuzz.harness import DEMO, ROOT, claims, expect_clear, mutated, scan_as, seeds_of


def _files(*globs: str) -> list[Path]:
    return sorted(p for g in globs for p in DEMO.glob(g) if p.is_file())


def _targets(*globs: str) -> list[tuple[Path, object]]:
    found = claims(_files(*globs))
    assert found, globs
    return found  # type: ignore[return-value]


def _pcapng() -> bytes:
    from tests.scanners.test_pcap_reader import pcapng
    return pcapng(frames=(bytes(range(60)), b"\x45" + bytes(59)))


# ---- captures ------------------------------------------------------------------------------
CAPTURES = [*seeds_of(_files("capture/*")), _pcapng()]


@given(mutated(CAPTURES))
def test_capture_reader(data: bytes) -> None:
    expect_clear(lambda: sum(1 for _ in read_frames(io.BytesIO(data))))


PCAP_TARGET = _targets("capture/*")[0][1]


@given(mutated([c[:16384] for c in CAPTURES]))
def test_capture_scanner(data: bytes) -> None:
    expect_clear(lambda: scan_as(PCAP_TARGET, data))  # type: ignore[arg-type]


# ---- database dumps -----------------------------------------------------------------------
DUMP_TARGETS = _targets("db/*.sql", "db/*.sql.gz")
DUMP_SEEDS = [gzip.decompress(p.read_bytes())[:16384] if p.suffix == ".gz"
              else p.read_bytes()[:16384] for p, _ in DUMP_TARGETS]


@given(st.sampled_from(DUMP_TARGETS), mutated(DUMP_SEEDS), st.booleans())
def test_sql_dumps(target: tuple[Path, object], data: bytes, compress: bool) -> None:
    path, tgt = target
    payload = gzip.compress(data, compresslevel=1) if path.suffix == ".gz" else data
    if compress and path.suffix == ".gz":
        payload = payload[: len(payload) // 2]  # a cut gzip stream
    expect_clear(lambda: scan_as(tgt, payload))  # type: ignore[arg-type]


# ---- configuration files, service configurations, certificates, logs and exports ----------
FAMILIES = {
    "config": _targets("portal/**/*", "portal/**/.env*"),
    "services": _targets("server/**/*"),
    "crypto": _targets("certs/**/*"),
    "files": _targets("logs/*", "exports/*"),
    "sqlite": _targets("db/*.sqlite"),
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_file_families(family: str) -> None:
    targets = FAMILIES[family]
    seeds = [p.read_bytes()[:16384 if family in {"files", "sqlite"} else 65536]
             for p, _ in targets]

    @given(st.integers(0, len(targets) - 1), mutated(seeds))
    def one(index: int, data: bytes) -> None:
        expect_clear(lambda: scan_as(targets[index][1], data))  # type: ignore[arg-type]

    one()


# ---- rule packs -----------------------------------------------------------------------------
PACKS = seeds_of(sorted((ROOT / "rules" / "core").glob("*.yaml")))


@given(mutated(PACKS))
def test_rule_packs(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("pack") / "pack.yaml"
    path.write_bytes(b"schema_version: 1\npack:\n  id: fuzz\n  version: '1'\n  title: F\n"
                     + data.replace(b"schema_version: 1\n", b"", 1))
    expect_clear(lambda: load_pack(path))


@given(st.text(max_size=60), st.text(max_size=200))
def test_rule_regexes(pattern: str, value: str) -> None:
    def run_one() -> None:
        compile_safe(pattern).search(value)
    expect_clear(run_one)


# ---- evidence bundles -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("scan")
    tree(base, {"app.kv": "debug = true\ndb.password = s3cret-value\n"})
    out = tmp_path_factory.mktemp("bundle") / "evidence"
    write_evidence(run(fake_engine(base), base / "tree"), out, [JsonReporter()],
                   generate_key(), host="fuzz-host")
    return out


def test_evidence_bundles(bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    names = sorted(p.name for p in bundle.iterdir())
    seeds = [(bundle / n).read_bytes() for n in names]

    @given(st.integers(0, len(names) - 1), mutated(seeds))
    def one(index: int, data: bytes) -> None:
        copy = tmp_path_factory.mktemp("b") / "evidence"
        shutil.copytree(bundle, copy)
        (copy / names[index]).write_bytes(data)
        report = verify_evidence(copy)
        if data != seeds[index]:
            assert not report.ok  # a changed byte never verifies
        json.dumps([str(p) for p in report.problems])

    one()
