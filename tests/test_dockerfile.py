"""The container image's promises, checked on the Dockerfile itself (issue 20, item 3).

CI builds and runs the image where a container engine works and lints it with hadolint
otherwise (.ci/run); this test holds the properties either way."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.conftest import REPO

TEXT = (REPO / "Dockerfile").read_text()
STAGES = re.split(r"^FROM ", TEXT, flags=re.M)[1:]
FINAL = STAGES[-1]


def test_final_stage_is_slim_and_installs_nothing_it_compiles() -> None:
    assert len(STAGES) >= 2  # build stage + runtime stage
    assert FINAL.startswith("python:3.11-slim")
    assert "COPY --from=build" in FINAL
    for tool in ("gcc", "g++", "build-essential", "make ", "clang", "apt-get install"):
        assert tool not in TEXT, tool
    assert "--only-binary=:all:" in TEXT  # wheels only: no compiler is ever needed
    assert re.search(r"pip uninstall --yes pip", FINAL)


def test_runs_as_a_non_root_user() -> None:
    users = re.findall(r"^USER\s+(\S+)", FINAL, flags=re.M)
    assert users and users[-1].split(":")[0] not in {"0", "root"}


def test_readme_shows_build_and_run() -> None:
    readme = (REPO / "README.md").read_text()
    assert "docker build -t auditor ." in readme and "docker run --rm" in readme


@pytest.mark.skipif(shutil.which("hadolint") is None, reason="hadolint not installed")
def test_hadolint_is_clean() -> None:
    done = subprocess.run(["hadolint", str(REPO / "Dockerfile")], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stdout
