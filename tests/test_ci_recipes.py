"""The CI recipes end to end, on a throw-away git repository built in the test (issue 20).

The README's recipe runs twice with no change and exits 0 both times; the GitHub Action is
run through its shell steps (``uses:`` steps cannot run here: their inputs are checked),
the GitLab template's script lines run as a runner would, and the pre-commit hook's entry
runs on the staged files. Each also fails when a new secret arrives (a gate that cannot
fail is no gate).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.conftest import REPO

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

SECRET_YAML = ('database:\n  host: db.internal\n  user: portal\n'
               '  password: "Xk9#mQ2!vL7pR4zT-canary"\ndebug: true\n')
NEW_SECRET = 'smtp:\n  host: mail.internal\n  password: "Qw8$zN3@tY6&hB1m-canary"\n'


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUDITOR_", "GITHUB_"))}
    env.update({
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        "AUDITOR_HASH_KEY": "ci-recipe-test-key", "NO_COLOR": "1", "HOME": str(tmp_path),
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "GIT_CONFIG_NOSYSTEM": "1",
    })
    return env


def _bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, check=False)


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    root = tmp_path / "project"
    (root / "config").mkdir(parents=True)
    (root / "config" / "app.yaml").write_text(SECRET_YAML)
    (root / "README.md").write_text("# project\n")
    (root / ".gitignore").write_text("build/\n")
    (root / "build").mkdir()
    (root / "build" / "generated.yaml").write_text(NEW_SECRET)  # ignored by .gitignore
    env = _env(tmp_path)
    done = _bash("git init -q -b main . && git add -A && git commit -q -m init", root, env)
    assert done.returncode == 0, done.stderr
    return root, env


def readme_recipe() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- ci-recipe -->\s*```sh\n(.*?)```", text, re.S)
    assert block, "README lost its CI recipe block"
    return [ln for ln in block.group(1).splitlines() if ln.strip() and not ln.startswith("#")]


def test_readme_ci_recipe_passes_twice_and_fails_on_a_new_secret(
        repo: tuple[Path, dict[str, str]]) -> None:
    root, env = repo
    *setup, gate = readme_recipe()
    assert gate.startswith("auditor scan") and "--baseline" in gate
    for line in setup:
        done = _bash(line, root, env)
        assert done.returncode == 0, (line, done.stderr)
    for attempt in (1, 2):  # the second run also sees the first run's out/
        done = _bash(gate, root, env)
        assert done.returncode == 0, (attempt, done.stdout[-2000:], done.stderr[-2000:])
    report = json.loads((root / "out" / "report.json").read_text())
    skipped = {t["uri"]: t.get("error", "") for t in report["targets"]
               if t["status"] == "skipped"}
    assert any(u.endswith("out") and "report folder" in e for u, e in skipped.items()), skipped
    assert any(u.endswith(".auditor-baseline.json") for u in skipped), skipped
    assert not any("build/" in f["location"]["uri"] for f in report["findings"])
    assert report["run"]["baseline"]["known_findings"] >= 1  # the baseline did the work
    (root / "config" / "mail.yaml").write_text(NEW_SECRET)
    done = _bash(gate, root, env)
    assert done.returncode == 1, done.stderr
    report = json.loads((root / "out" / "report.json").read_text())
    new = [f for f in report["findings"] if not f["suppressed"]]
    assert new and {f["location"]["uri"] for f in new} == {"config/mail.yaml"}


def _expand(value: str, ctx: dict[str, dict[str, str]]) -> str:
    def sub(m: re.Match[str]) -> str:
        scope, _, name = m.group(1).strip().partition(".")
        if scope == "steps":
            step, _, out = name.partition(".outputs.")
            return ctx["steps"].get(f"{step}.{out}", "")
        return ctx[scope][name]
    return re.sub(r"\$\{\{\s*([^}]+?)\s*\}\}", sub, value)


def run_action(root: Path, env: dict[str, str], inputs: dict[str, str]
               ) -> tuple[int, dict[str, str], str]:
    """Run action.yml's shell steps as a runner would; returns the last step's exit code,
    the step outputs and the job summary."""
    action = yaml.safe_load((REPO / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    values = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}
    values.update(inputs)
    ctx: dict[str, dict[str, str]] = {"inputs": values, "steps": {},
                                      "github": {"action_path": str(REPO)}}
    summary = root.parent / "summary.md"
    summary.write_text("")
    code = 0
    for step in action["runs"]["steps"]:
        if "uses" in step:
            assert "upload-sarif" in step["uses"]
            sarif = _expand(step["with"]["sarif_file"], ctx)
            assert (root / sarif).is_file(), "the SARIF upload step names a missing file"
            continue
        assert step["shell"] == "bash"
        assert "${{" not in step["run"], "inputs must reach scripts through env: only"
        output = root.parent / "github_output"
        output.write_text("")
        step_env = dict(env, GITHUB_OUTPUT=str(output), GITHUB_STEP_SUMMARY=str(summary))
        step_env.update({k: _expand(str(v), ctx) for k, v in step.get("env", {}).items()})
        done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=root, env=step_env,
                              capture_output=True, text=True, timeout=300, check=False)
        for line in output.read_text().splitlines():
            key, _, val = line.partition("=")
            ctx["steps"][f"{step.get('id', '')}.{key}"] = val
        code = done.returncode
        if code != 0:
            break
    return code, ctx["steps"], summary.read_text()


def test_github_action_shell_steps(repo: tuple[Path, dict[str, str]],
                                   shared_dir: Path) -> None:
    root, env = repo
    code, outputs, summary = run_action(root, env, {"fail-on": "high"})
    assert code == 1 and outputs["scan.exit-code"] == "1"  # the secret fails the gate
    assert "auditor" in summary and "core.secret" in summary
    sarif = json.loads((root / outputs["scan.sarif"]).read_text())
    schema = json.loads((shared_dir / "schemas" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(sarif)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in sarif["runs"][0]["results"]}
    assert uris == {"config/app.yaml"}
    # accept today's findings: the same action passes (its own auditor-out/ is not scanned)
    done = _bash("auditor scan . --format json --fail-on never > .auditor-baseline.json",
                 root, env)
    assert done.returncode == 0, done.stderr
    code, outputs, _summary = run_action(
        root, env, {"fail-on": "high", "baseline": ".auditor-baseline.json"})
    assert code == 0 and outputs["scan.exit-code"] == "0"


# GitLab's SAST report, the parts GitLab requires (security report schemas 15.x):
GITLAB_SAST_SHAPE: dict[str, Any] = {
    "type": "object",
    "required": ["version", "scan", "vulnerabilities"],
    "properties": {
        "version": {"type": "string", "pattern": r"^15\.\d+\.\d+$"},
        "scan": {
            "type": "object",
            "required": ["analyzer", "scanner", "type", "start_time", "end_time", "status"],
            "properties": {
                "analyzer": {"$ref": "#/$defs/component"},
                "scanner": {"$ref": "#/$defs/component"},
                "type": {"const": "sast"},
                "start_time": {"type": "string",
                               "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"},
                "end_time": {"type": "string",
                             "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"},
                "status": {"enum": ["success", "failure"]},
                "messages": {"type": "array", "items": {
                    "type": "object", "required": ["level", "value"],
                    "properties": {"level": {"enum": ["info", "warn", "fatal"]}}}},
            },
        },
        "vulnerabilities": {"type": "array", "items": {
            "type": "object",
            "required": ["id", "identifiers", "location"],
            "properties": {
                "id": {"type": "string", "minLength": 1},
                "name": {"type": "string", "maxLength": 255},
                "description": {"type": "string", "maxLength": 1048576},
                "severity": {"enum": ["Info", "Unknown", "Low", "Medium", "High",
                                      "Critical"]},
                "solution": {"type": "string"},
                "identifiers": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "required": ["type", "name", "value"],
                    "properties": {"type": {"type": "string", "minLength": 1},
                                   "name": {"type": "string", "minLength": 1},
                                   "value": {"type": "string", "minLength": 1},
                                   "url": {"type": "string", "format": "uri"}}}},
                "location": {"type": "object", "properties": {
                    "file": {"type": "string", "minLength": 1},
                    "start_line": {"type": "integer", "minimum": 1}}},
            },
        }},
    },
    "$defs": {"component": {
        "type": "object", "required": ["id", "name", "version", "vendor"],
        "properties": {"id": {"type": "string", "minLength": 1},
                       "vendor": {"type": "object", "required": ["name"]}}}},
}


def run_gitlab_job(root: Path, env: dict[str, str], variables: dict[str, str]
                   ) -> subprocess.CompletedProcess[str]:
    template = yaml.safe_load((REPO / ".gitlab" / "auditor.gitlab-ci.yml").read_text())
    job = template["auditor-sast"]
    assert job["artifacts"]["reports"]["sast"] == "gl-sast-report.json"
    job_env = dict(env, **{k: str(v) for k, v in job["variables"].items()}, **variables)
    # a runner runs before_script and script lines in one shell, with errexit
    script = "set -eo pipefail\n" + "\n".join([*job["before_script"], *job["script"]])
    return subprocess.run(["bash", "-c", script], cwd=root, env=job_env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_gitlab_template_script_lines(repo: tuple[Path, dict[str, str]]) -> None:
    root, env = repo
    done = run_gitlab_job(root, env, {})
    assert done.returncode == 1, done.stderr  # the committed secret, fail_on high
    report = json.loads((root / "gl-sast-report.json").read_text())
    jsonschema.Draft202012Validator(GITLAB_SAST_SHAPE).validate(report)
    files = {v["location"]["file"] for v in report["vulnerabilities"]}
    assert files == {"config/app.yaml"}
    assert "canary" not in (root / "gl-sast-report.json").read_text()
    # a merge request that only touches a clean file: only that file is scanned, exit 0
    base = _bash("git rev-parse HEAD", root, env).stdout.strip()
    (root / "config" / "feature.yaml").write_text("feature:\n  enabled: true\n")
    assert _bash("git add -A && git commit -q -m docs", root, env).returncode == 0
    done = run_gitlab_job(root, env, {"CI_MERGE_REQUEST_DIFF_BASE_SHA": base})
    assert done.returncode == 0, done.stderr
    report = json.loads((root / "gl-sast-report.json").read_text())
    jsonschema.Draft202012Validator(GITLAB_SAST_SHAPE).validate(report)
    assert report["vulnerabilities"] == []
    scanned = json.loads((root / "auditor-out" / "report.json").read_text())
    assert [t["uri"] for t in scanned["targets"] if t["status"] != "skipped"] == [
        "config/feature.yaml"]


def test_pre_commit_hook_scans_staged_files_only(repo: tuple[Path, dict[str, str]]) -> None:
    root, env = repo
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "auditor")
    assert hook["pass_filenames"] is True

    def commit_check() -> subprocess.CompletedProcess[str]:
        staged = _bash("git diff --cached --name-only -z", root, env).stdout.split("\0")
        files = " ".join(f"'{f}'" for f in staged if f)
        return _bash(f"{hook['entry']} {files}", root, env)

    (root / "notes.txt").write_text("meeting notes, nothing personal\n")
    assert _bash("git add notes.txt", root, env).returncode == 0
    done = commit_check()
    assert done.returncode == 0, done.stderr  # config/app.yaml (committed) is not re-scanned
    (root / "config" / "mail.yaml").write_text(NEW_SECRET)
    assert _bash("git add config/mail.yaml", root, env).returncode == 0
    assert commit_check().returncode == 1
