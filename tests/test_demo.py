"""The bundled demo end to end: every scanner contributes, parallel = sequential, the report
matches the contract, and two runs agree finding for finding."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from auditor.cli import main

REPO = Path(__file__).resolve().parents[1]


def scan(tmp_path: Path, name: str, *extra: str) -> dict[str, Any]:
    out = tmp_path / name
    code = main(["scan", str(REPO / "fixtures" / "demo"), "--as-of", "2026-11-25",
                 "--format", "json", "-o", str(out), "-q", *extra])
    doc: dict[str, Any] = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert code == doc["summary"]["exit_code"] == 1
    return doc


def comparable(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(f["fingerprint"], f["rule_id"], json.dumps(f["location"], sort_keys=True),
             f["message"]) for f in doc["findings"]]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return scan(tmp_path_factory.mktemp("demo"), "jobs2", "--jobs", "2")


def test_every_scanner_contributes(demo: dict[str, Any]) -> None:
    ok = {t["scanner"] for t in demo["targets"] if t["status"] == "ok"}
    assert {"config", "crypto", "services", "pcap", "database", "sqldump", "files"} <= ok
    assert not [t for t in demo["targets"] if t["status"] == "error"]
    with_findings = {f["location"]["uri"].split("/demo/")[1].split("/")[0]
                     for f in demo["findings"]}
    assert {"portal", "certs", "server", "capture", "db", "logs", "exports"} <= with_findings


def test_report_matches_contract(demo: dict[str, Any], schemas: Path) -> None:
    schema = json.loads((schemas / "auditor-report-v1.schema.json").read_text())
    jsonschema.validate(demo, schema)
    cwes = {c for f in demo["findings"] for c in f["cwe"]}
    assert {"CWE-798", "CWE-312", "CWE-319", "CWE-327", "CWE-523", "CWE-532"} <= cwes
    assert all(t["sha256"] for t in demo["targets"] if t["status"] == "ok" and
               "://" not in t["uri"])


def test_sequential_equals_parallel_and_is_deterministic(demo: dict[str, Any],
                                                         tmp_path: Path) -> None:
    sequential = scan(tmp_path, "jobs1", "--jobs", "1")
    assert comparable(sequential) == comparable(demo)
    assert [t["uri"] for t in sequential["targets"]] == [t["uri"] for t in demo["targets"]]


def test_demo_sarif_validates(demo: dict[str, Any], schemas: Path) -> None:
    """File, database (logical location) and capture (flow) findings in one SARIF log."""
    import io

    from auditor.reports.sarif import SarifReporter

    from auditor.results import ScanResult

    buf = io.StringIO()
    SarifReporter().render(ScanResult.from_document(demo), buf)
    sarif = json.loads(buf.getvalue())
    schema = json.loads((schemas / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(sarif)
    results = sarif["runs"][0]["results"]
    assert len(results) == len(demo["findings"])
    assert any("logicalLocations" in r["locations"][0] for r in results)


def test_demo_sensitive_columns_carry_their_categories(tmp_path: Path) -> None:
    """The real database scanner on the demo SQLite database: sensitive columns carry
    their category in ``entities`` (DESIGN.md), decided per column, and the requirement
    narrowed to sensitive categories (Decree 13 Art. 28, in force on 2025-06-01) sees
    exactly those findings."""
    out = tmp_path / "d13"
    main(["scan", str(REPO / "fixtures" / "demo" / "db" / "citizens.sqlite"),
          "--as-of", "2025-06-01", "--framework", "vn-decree13-2023", "--format", "json",
          "-o", str(out), "-q"])
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
    by_column = {(f["location"]["table"], f["location"]["column"]): f for f in doc["findings"]
                 if f["rule_id"].startswith("core.db.pii-cleartext")}
    dan_toc = by_column[("main.cong_dan", "dan_toc")]
    ton_giao = by_column[("main.cong_dan", "ton_giao")]
    assert dan_toc["rule_id"] == "core.db.pii-cleartext-sensitive"
    assert "ETHNICITY" in dan_toc["entities"] and "ETHNICITY" in dan_toc["evidence"]["categories"]
    assert "RELIGION" in ton_giao["entities"]
    # blood group alone is personal data, not a sensitive category (row 23)
    assert all("HEALTH" not in f["entities"] for (t, c), f in by_column.items()
               if c == "nhom_mau")
    sensitive = {f["fingerprint"] for f in doc["findings"]
                 if f["rule_id"] == "core.db.pii-cleartext-sensitive"}
    assert sensitive
    (req,) = [c for c in doc["compliance"] if c["requirement"] == "D13-Art28-measures"]
    assert req["status"] == "fail"
    assert sensitive <= set(req["findings"])
    plain = {f["fingerprint"] for f in doc["findings"]
             if f["rule_id"] == "core.db.pii-cleartext"
             and not set(f["entities"]) & {"FINANCIAL_ACCOUNT", "CREDIT_CARD"}}
    assert plain and not plain & set(req["findings"])
