"""Small fakes for engine tests (STYLE.md habit 8: pass fakes, don't patch modules)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from auditor.errors import TargetError
from auditor.masking import keyed_hash, mask_secret
from auditor.models import Location, Observation, Problem, Target
from auditor.pipeline.discovery import discover
from auditor.pipeline.engine import Engine
from auditor.pipeline.plugins import Registry
from auditor.policy.frameworks import load_framework
from auditor.policy.rules import load_pack
from auditor.results import ScanResult
from auditor.scanner import Candidate, Claim, Scanner, ScanOptions


class KeyValueScanner(Scanner):
    """Reads ``key = value`` lines from ``*.kv`` files; ``!fail`` raises a TargetError,
    ``!problem`` yields a Problem, ``!crash`` raises an unexpected exception."""

    name = "kv"
    description = "test scanner for key=value files"
    emits = ("config.setting", "secret")

    def claim(self, candidate: Candidate) -> Claim | None:
        return Claim("kv", 40) if candidate.name.endswith(".kv") else None

    def scan(self, target: Target, options: ScanOptions) -> Iterator[Observation | Problem]:
        text = Path(target.locator).read_text(encoding="utf-8")
        for lineno, line in enumerate(text.splitlines(), 1):
            if line.strip() == "!fail":
                raise TargetError(f"{target.uri}:{lineno}: broken on purpose", line=lineno)
            if line.strip() == "!crash":
                raise ValueError("secret-in-exception-message-CANARY")
            if line.strip() == "!problem":
                yield Problem("one part unreadable", Location(target.uri, line=lineno))
                continue
            key, sep, value = line.partition("=")
            if not sep:
                continue
            key, value = key.strip(), value.strip()
            loc = Location(target.uri, line=lineno, key=key)
            if key.endswith("password"):
                yield Observation("secret", loc, {"detector": "password-assignment",
                                                  "key": key, "length": len(value)},
                                  {"value": mask_secret(value)},
                                  identity=keyed_hash(value, options.hash_key))
            else:
                yield Observation("config.setting", loc,
                                  {"key": key, "key_leaf": key.rsplit(".", 1)[-1],
                                   "value": value}, {"value": value})


PACK = """\
schema_version: 1
pack: {id: t, version: "1", title: test}
rules:
  - id: t.secret.password
    title: Hard-coded password
    severity: high
    cwe: [CWE-798]
    match: {kind: secret}
    message: "Password in {location.key}"
    remediation: Move it to a secret store.
    references: []
  - id: t.config.debug
    title: Debug enabled
    severity: low
    cwe: [CWE-489]
    match:
      kind: config.setting
      where: {all: [{field: key_leaf, eq: debug}, {field: value, eq: "true"}]}
    message: "Debug mode on"
    remediation: Turn it off.
    references: []
"""

FRAMEWORK = """\
schema_version: 1
framework: {id: fw, version: "1", title: Test law, effective_from: "2026-01-01"}
requirements:
  - {id: R1, provision: Art. 1, title: No hard-coded secrets, cwe: [CWE-798]}
  - {id: R2, provision: Art. 2, title: No debug, rules: ["t.config.*"]}
  - {id: R3, provision: Art. 3, title: Biometrics, rules: [t.db.biometric]}
  - {id: R4, provision: Art. 4, title: Breach notice, manual: Check the breach register.}
"""


def fake_engine(tmp_path: Path) -> Engine:
    """An engine with the key=value scanner, a two-rule pack and a four-requirement law."""
    (tmp_path / "pack.yaml").write_text(PACK, encoding="utf-8")
    (tmp_path / "fw.yaml").write_text(FRAMEWORK, encoding="utf-8")
    scanners = Registry([("kv", KeyValueScanner())])
    return Engine(scanners, (load_pack(tmp_path / "pack.yaml"),),
                  (load_framework(tmp_path / "fw.yaml"),))


def run(engine: Engine, root: Path, **kw: Any) -> ScanResult:
    targets, pre = discover([str(root)], engine.scanners)
    options = ScanOptions(as_of=dt.date(2026, 6, 1), hash_key=b"k")
    return engine.scan(targets, options, pre_results=pre, **kw)


def tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "tree"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root
