"""Golden test: the demo certificates, keys and server configs through the real CLI.

Every planted weakness (``fixtures/crypto_truth.json``: rule id, file, line, CWE) is
reported exactly once, and nothing is reported on the hardened examples.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from collections import Counter
from pathlib import Path

import pytest

from auditor.cli import main

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "fixtures" / "demo"
TRUTH = REPO / "fixtures" / "crypto_truth.json"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    work = tmp_path_factory.mktemp("golden")
    for part in ("certs", "server"):
        shutil.copytree(DEMO / part, work / "demo" / part)
    # NOTE: git keeps no permission bits; set the modes the generator intends.
    for key in (work / "demo" / "certs").rglob("*"):
        if key.is_file():
            os.chmod(key, 0o644 if key.name == "server.key" else 0o600)
    out = work / "out"
    cwd = os.getcwd()
    os.chdir(work)
    try:
        code = main(["scan", "demo/certs", "demo/server", "--pack", "core", "--format",
                     "json", "-o", str(out), "--as-of", "2026-11-25", "-q"])
    finally:
        os.chdir(cwd)
    assert code == 1  # findings at or above the default threshold
    doc: dict[str, object] = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return doc


def _rows(doc: dict[str, object]) -> list[tuple[str, str, int | None, str]]:
    findings = doc["findings"]
    assert isinstance(findings, list)
    return [(f["rule_id"], f["location"]["uri"].removeprefix("demo/"),
             f["location"].get("line"), ",".join(f["cwe"])) for f in findings]


def test_every_planted_weakness_exactly_once(report: dict[str, object]) -> None:
    truth = json.loads(TRUTH.read_text(encoding="utf-8"))
    expected = Counter((t["rule_id"], t["uri"], t["line"], t["cwe"]) for t in truth)
    got = Counter(_rows(report))
    assert got == expected


def test_nothing_on_hardened_examples(report: dict[str, object]) -> None:
    assert [r for r in _rows(report) if "/hardened/" in r[1]] == []


def test_every_target_scanned(report: dict[str, object]) -> None:
    targets = report["targets"]
    assert isinstance(targets, list)
    bad = [(t["uri"], t["status"], t.get("error")) for t in targets if t["status"] != "ok"]
    assert bad == []
    assert {t["scanner"] for t in targets} == {"crypto", "services"}


def test_report_matches_the_schema(report: dict[str, object], schemas: Path) -> None:
    import jsonschema

    schema = json.loads((schemas / "auditor-report-v1.schema.json").read_text())
    jsonschema.validate(report, schema)


def test_no_key_material_or_secret_in_report(report: dict[str, object]) -> None:
    text = json.dumps(report)
    key = (DEMO / "certs" / "weak" / "server.key").read_text().splitlines()
    for line in key[1:-1:5]:
        assert line not in text
    assert "demo-only-passphrase" not in text


def test_committed_server_configs_match_the_generator() -> None:
    spec = importlib.util.spec_from_file_location("gen_services",
                                                  REPO / "fixtures" / "gen_services.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    for variant, files in (("weak", gen.WEAK), ("hardened", gen.HARDENED)):
        for rel, text in files.items():
            assert (DEMO / "server" / variant / rel).read_text(encoding="utf-8") == text


def test_pkcs12_password_option_never_written(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = main(["scan", str(DEMO / "certs" / "weak" / "legacy.p12"), "--option",
                 "crypto.pkcs12_password=demo-only-passphrase", "--format", "json,md,sarif",
                 "-o", str(out), "--as-of", "2026-11-25", "-q"])
    assert code == 1
    for report in out.iterdir():
        assert "demo-only-passphrase" not in report.read_text(encoding="utf-8")
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
    rules = sorted(f["rule_id"] for f in doc["findings"])
    # opened with the password: the RSA-1024 / SHA-1 certificate and key inside are judged
    assert rules == ["core.cert.short-key", "core.cert.weak-signature", "core.key.short-key",
                     "core.pkcs12.weak-encryption"]
