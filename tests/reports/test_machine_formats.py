"""JSON, SARIF and Markdown reports: contract schemas, content, and no leaks."""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import pytest
from auditor.reports.json import JsonReporter
from auditor.reports.markdown import MarkdownReporter
from auditor.reports.sarif import SarifReporter

from auditor.results import ScanResult
from tests.fakes import fake_engine, run, tree

CANARY = "hunter2-CANARY-7f3a"


@pytest.fixture
def result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ScanResult:
    tree(tmp_path, {"conf/a.kv": f"debug = true\ndb.password = {CANARY}\n",
                    "conf/b.kv": "!fail\n"})
    monkeypatch.chdir(tmp_path)
    return run(fake_engine(tmp_path), Path("tree"))


def render(reporter: JsonReporter | SarifReporter | MarkdownReporter, result: ScanResult) -> str:
    buf = io.StringIO()
    reporter.render(result, buf)
    return buf.getvalue()


def test_json_matches_contract_schema_and_round_trips(result: ScanResult,
                                                      schemas: Path) -> None:
    text = render(JsonReporter(), result)
    doc = json.loads(text)
    schema = json.loads((schemas / "auditor-report-v1.schema.json").read_text())
    jsonschema.validate(doc, schema)
    assert doc["schema_version"] == "1"
    assert {t["status"] for t in doc["targets"]} == {"ok", "error"}
    assert doc["findings"][0]["cwe"] == ["CWE-798"]
    again = ScanResult.from_document(doc)
    assert render(JsonReporter(), again) == text


def test_sarif_validates_against_official_schema(result: ScanResult, schemas: Path) -> None:
    doc = json.loads(render(SarifReporter(), result))
    schema = json.loads((schemas / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(doc)
    run_ = doc["runs"][0]
    rules = {r["id"]: r for r in run_["tool"]["driver"]["rules"]}
    assert rules["t.secret.password"]["properties"]["security-severity"] == "8.0"
    assert "CWE-798" in rules["t.secret.password"]["properties"]["tags"]
    assert rules["t.secret.password"]["help"]["text"].startswith("Move it")
    first = run_["results"][0]
    assert first["partialFingerprints"]["auditorFingerprint/v1"] == result.findings[0].fingerprint
    loc = first["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    assert not loc["artifactLocation"]["uri"].startswith("/")
    assert loc["region"]["startLine"] == 2
    assert run_["invocations"][0]["executionSuccessful"] is False


def test_markdown_summary(result: ScanResult) -> None:
    text = render(MarkdownReporter(), result)
    assert text.startswith("## auditor: 2 finding(s), 2 requirement(s) not met\n")
    assert "CI gate (`--fail-on low`): exit code 1 — scan incomplete." in text
    assert "passed" not in text and "clean" not in text
    assert "`t.secret.password`" in text
    assert "Targets that could not be scanned" in text


@pytest.mark.parametrize("reporter", [JsonReporter(), SarifReporter(), MarkdownReporter()])
def test_no_secret_in_any_machine_format(result: ScanResult,
                                         reporter: JsonReporter | SarifReporter |
                                         MarkdownReporter) -> None:
    assert CANARY not in render(reporter, result)
