"""One auditor.yaml serves both `auditor run` (systems) and `auditor scan` (the
repository's defaults): every key of `defaults:` is valid for both loaders."""

from __future__ import annotations

from pathlib import Path

from auditor.cli.settings import config_defaults
from auditor.runconfig.model import load_config

CONFIG = """\
schema_version: 1
defaults:
  ignore: ["vendor/**"]
  packs: [core]
  fail_on: high
  formats: [json, sarif]
  output: out
  evidence: evidence
  gitignore: false
systems:
  - name: portal
    owner: So TT&TT
    targets: [src]
"""


def test_one_file_for_scheduled_runs_and_repository_defaults(tmp_path: Path) -> None:
    path = tmp_path / "auditor.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    (tmp_path / "src").mkdir()
    config = load_config(path)
    assert [s.name for s in config.systems] == ["portal"]
    assert config.defaults.fail_on == "high"
    defaults = config_defaults(path)
    assert defaults["fail_on"] == "high" and defaults["no_gitignore"] is True
    assert defaults["format"] == ["json", "sarif"]
