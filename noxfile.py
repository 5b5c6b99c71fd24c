"""Developer sessions: ``nox -s tests lint typecheck demo bench``.

``bench`` installs the peers it compares against (detect-secrets from PyPI, tshark from
apt when running as root) into its own environment only: they are never runtime
dependencies of auditor.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True

BENCHMARKS = sorted(p.stem for p in Path("benchmarks").glob("bench_*.py"))


@nox.session
def tests(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff, and the import contracts of ARCHITECTURE.md (pyproject's [tool.importlinter])."""
    session.install("-e", ".[lint]")
    session.run("ruff", "check", ".")
    session.run("lint-imports")


@nox.session
def typecheck(session: nox.Session) -> None:
    session.install("-e", ".[typecheck]")
    session.run("mypy")


@nox.session
def fuzz(session: nox.Session) -> None:
    """The fuzzing suite, long: ``AUDITOR_FUZZ_EXAMPLES`` inputs per parser (default
    1,000,000; ``nox -s fuzz -- -k capture`` for one parser). See docs/fuzzing.md."""
    session.install("-e", ".[test]")
    env = {"AUDITOR_FUZZ_PROFILE": "long"}
    session.run("pytest", "tests/fuzz", "-p", "no:randomly", "-q",
                "--hypothesis-show-statistics", *session.posargs, env=env)


@nox.session
def demo(session: nox.Session) -> None:
    session.install("-e", ".")
    session.run("auditor", "scan", "fixtures/demo", "--as-of", "2026-11-25",
                "--format", "json,sarif,md", "-o", "out/demo", success_codes=[0, 1])
    session.run("auditor", "scan", "fixtures/demo", "--as-of", "2026-11-25",
                success_codes=[0, 1])


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks side by side with their peers; pass names to run a subset
    (``nox -s bench -- bench_pii --scale 0.1``)."""
    session.install("-e", ".[test]", "detect-secrets")
    if shutil.which("tshark") is None and shutil.which("apt-get") is not None:
        session.run("sh", "-c",
                    "echo 'wireshark-common wireshark-common/install-setuid boolean false' "
                    "| debconf-set-selections && DEBIAN_FRONTEND=noninteractive "
                    "apt-get install -y -q tshark", external=True, success_codes=[0, 100])
    names = [a for a in session.posargs if a.startswith("bench_")] or BENCHMARKS
    rest = [a for a in session.posargs if not a.startswith("bench_")]
    for name in names:
        session.run("python", f"benchmarks/{name}.py", *rest)
