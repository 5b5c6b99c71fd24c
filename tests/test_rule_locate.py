"""A rule's ``locate``: the finding points at the offending directive's line (issue 16),
the fingerprint stays the observation's, and a misspelt path fails at pack load."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import RulePackError
from auditor.models import Location, Observation
from auditor.pipeline.plugins import catalogue_of, load_scanners
from auditor.policy.evaluate import evaluate
from auditor.policy.kindcheck import check_packs
from auditor.policy.rules import load_pack

PACK = """\
schema_version: 1
pack: {{id: t, version: "1", title: t}}
rules:
- id: t.tls.old
  title: old protocol
  severity: high
  cwe: [CWE-327]
  match:
    kind: tls.config
    where: {{field: deprecated_protocols.0, exists: true}}
  locate: {locate}
  message: m
  remediation: r
  references: []
"""


def _pack(tmp_path: Path, locate: str) -> Path:
    path = tmp_path / "pack.yaml"
    path.write_text(PACK.format(locate=locate), encoding="utf-8")
    return path


def _obs(**extra: object) -> Observation:
    return Observation("tls.config", Location("conf/nginx.conf", line=12, key="http.server"),
                       {"deprecated_protocols": ["TLSv1"], **extra}, identity="nginx|a:443")


@pytest.mark.parametrize(("attributes", "expected"), [
    ({"protocols_at": "conf/ssl.conf:3"}, ("conf/ssl.conf", 3)),
    ({"protocols_at": None, "ciphers_at": 7}, ("conf/nginx.conf", 7)),
    ({"protocols_at": None}, ("conf/nginx.conf", 12)),
    ({"protocols_at": "no line here"}, ("conf/nginx.conf", 12)),
    ({"protocols_at": True, "ciphers_at": 0}, ("conf/nginx.conf", 12)),
], ids=["uri-line", "second-path-int", "none", "not-a-location", "bool-and-zero"])
def test_locate_moves_the_finding_not_the_fingerprint(
        tmp_path: Path, attributes: dict[str, object], expected: tuple[str, int]) -> None:
    pack = load_pack(_pack(tmp_path, "[protocols_at, ciphers_at]"))
    (finding,) = evaluate([_obs(**attributes)], [pack])
    (plain,) = evaluate([_obs()], [pack])
    assert (finding.location.uri, finding.location.line) == expected
    assert finding.location.key == "http.server"
    assert finding.fingerprint == plain.fingerprint


def test_misspelt_locate_path_fails_at_load_with_its_line(tmp_path: Path) -> None:
    pack = load_pack(_pack(tmp_path, "protocol_at"))
    with pytest.raises(RulePackError) as err:
        check_packs([pack], catalogue_of(load_scanners()))
    assert "locate" in str(err.value) and "protocol_at" in str(err.value)
    assert err.value.line == 11
