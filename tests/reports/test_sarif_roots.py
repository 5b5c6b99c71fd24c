"""SARIF paths are right whatever directory the scan runs from (issue 20, item 8)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from auditor.cli import main


@pytest.mark.parametrize("given", ["../repo/services", "{abs}/services", "."])
def test_uris_are_relative_to_the_work_tree_root(tmp_path: Path, shared_dir: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 given: str) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "services" / "api").mkdir(parents=True)
    (repo / "services" / "api" / "app.yaml").write_text("server:\n  debug: true\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(repo / "services" if given == "." else elsewhere)
    out = tmp_path / "out"
    main(["scan", given.format(abs=repo), "--format", "sarif", "-o", str(out), "-q"])
    doc = json.loads((out / "report.sarif").read_text())
    schema = json.loads((shared_dir / "schemas" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(doc)
    run = doc["runs"][0]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": f"file://{repo}/"}}
    locations = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                 for r in run["results"]}
    bases = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"]
             for r in run["results"]}
    assert locations == {"services/api/app.yaml"} and bases == {"%SRCROOT%"}
