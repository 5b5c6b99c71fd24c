"""Peers' cases (issue 16): every case of ``tests/scanners/peer_cases.py`` — our own
values in the shapes detect-secrets and gitleaks test — is judged right: a secret where
one is planted, none in a decoy. ``benchmarks/bench_secrets_peers.py`` measures
detect-secrets on the same files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from auditor.scanners.config import ConfigScanner

from auditor.models import Observation, Target
from auditor.policy.evaluate import evaluate
from auditor.policy.rules import builtin_pack_path, load_pack
from auditor.scanner import Candidate, ScanOptions
from tests.scanners.peer_cases import CASES, Case

SCANNER = ConfigScanner()
CORE = load_pack(builtin_pack_path("core"))
OPTIONS = ScanOptions(as_of=dt.date(2026, 12, 1), hash_key=b"peers")


def detected(tmp_path: Path, case: Case) -> list[str]:
    path = tmp_path / case.name
    path.write_text(case.text, encoding="utf-8")
    claim = SCANNER.claim(Candidate(str(path), case.name, case.name, path.stat().st_size,
                                    path.read_bytes()[:8192]))
    assert claim is not None, case.name
    items = [o for o in SCANNER.scan(Target(case.name, str(path), claim.kind, "config"),
                                     OPTIONS) if isinstance(o, Observation)]
    # NOTE: what a user sees: findings of the secret rules (a low-confidence entropy
    # observation is not reported)
    return [f.rule_id for f in evaluate(items, [CORE]) if f.rule_id.startswith("core.secret.")]


def test_the_case_table_is_balanced() -> None:
    families = {c.family for c in CASES}
    assert families == {"aws", "github", "gitlab", "slack", "stripe", "jwt", "private-key",
                        "keyword"}
    for family in families:
        kinds = {c.secret for c in CASES if c.family == family}
        assert kinds == {True, False}, family
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_peer_case(tmp_path: Path, case: Case) -> None:
    found = detected(tmp_path, case)
    assert bool(found) == case.secret, (case.text, found)
