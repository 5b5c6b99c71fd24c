"""Wiring of suppressions, baselines and evidence into ``auditor scan``.

``--suppressions FILE`` and ``--baseline PREVIOUS.json`` become finding filters the engine
runs before it assesses compliance (so a suppressed finding does not fail a requirement);
what they did is recorded in the JSON ``run`` object (``run.suppressions``,
``run.baseline``) and expired suppressions are warned about on stderr.
``--evidence DIR`` writes a signed bundle after the scan.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from auditor.errors import ConfigError
from auditor.gate.baseline import Baseline, apply_baseline, load_baseline
from auditor.gate.suppressions import (
    SuppressionEntry,
    SuppressionReport,
    apply_suppressions,
    load_suppressions,
)
from auditor.reporting import DEFAULT_RENDER, RenderOptions, Reporter
from auditor.results import Finding, ScanResult
from auditor.textsafe import term_safe

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

__all__ = ["Gate", "evidence_reporters", "load_signing_key", "prepare_evidence", "write_bundle"]

FindingFilter = Callable[[Sequence[Finding]], Sequence[Finding]]


@dataclass(slots=True)
class Gate:
    """Suppressions and baseline of one run; records what they did for the report.

    NOTE: not frozen on purpose: the engine calls the filters during the scan and the
    outcome (the suppression report) is read back afterwards by :meth:`finish`.
    """

    as_of: dt.date
    suppressions: tuple[SuppressionEntry, ...] = ()
    suppressions_source: str | None = None
    baseline: Baseline | None = None
    report: SuppressionReport | None = field(default=None)
    known: int = 0

    @classmethod
    def load(cls, as_of: dt.date, suppressions: str | None, baseline: str | None) -> Gate:
        return cls(as_of=as_of,
                   suppressions=load_suppressions(suppressions) if suppressions else (),
                   suppressions_source=suppressions,
                   baseline=load_baseline(baseline) if baseline else None)

    def filters(self) -> list[FindingFilter]:
        out: list[FindingFilter] = []
        if self.suppressions_source is not None:
            out.append(self._suppress)
        if self.baseline is not None:
            out.append(self._baseline)
        return out

    def _suppress(self, findings: Sequence[Finding]) -> Sequence[Finding]:
        kept, self.report = apply_suppressions(findings, self.suppressions, self.as_of)
        return kept

    def _baseline(self, findings: Sequence[Finding]) -> Sequence[Finding]:
        assert self.baseline is not None
        out = apply_baseline(findings, self.baseline)
        self.known = sum(1 for a, b in zip(findings, out, strict=True)
                         if b.suppressed and not a.suppressed)
        return out

    def finish(self, result: ScanResult, warn: TextIO, *, unused: bool = True) -> ScanResult:
        """The result with ``run.suppressions`` / ``run.baseline``; warnings to ``warn``
        (``unused``: also warn about entries that matched nothing — off when only part of
        the tree was scanned, where that proves nothing)."""
        extra = dict(result.extra)
        if self.report is not None:
            extra["suppressions"] = {"file": self.suppressions_source, **self.report.to_dict()}
            for line in self.report.warnings(unused=unused):
                warn.write(f"auditor: warning: {term_safe(line)}\n")
        if self.baseline is not None:
            extra["baseline"] = {"file": self.baseline.source, "run_id": self.baseline.run_id,
                                 "known_findings": self.known}
        return dataclasses.replace(result, extra=extra) if extra != result.extra else result


def prepare_evidence(out_dir: str, option: str | None) -> Ed25519PrivateKey:
    """Check the bundle directory and load the signing key before scanning."""
    # NOTE: the bundle modules (and cryptography) are imported only with --evidence
    from auditor.bundle.evidence import check_evidence_dir

    check_evidence_dir(out_dir)
    return load_signing_key(option)


def load_signing_key(option: str | None) -> Ed25519PrivateKey:
    from auditor.bundle.signing import (
        DEFAULT_PRIVATE_KEY,
        ENV_SIGNING_KEY,
        load_private_key,
        resolve_key_path,
    )

    path = resolve_key_path(option, ENV_SIGNING_KEY, default=DEFAULT_PRIVATE_KEY)
    if path is None:
        raise ConfigError(f"--evidence needs a signing key: pass --signing-key, set "
                          f"{ENV_SIGNING_KEY}, or run `auditor keygen` here (it writes "
                          f"{DEFAULT_PRIVATE_KEY})")
    return load_private_key(path)


def evidence_reporters(reporters: Mapping[str, Reporter],
                       formats: Sequence[str]) -> list[Reporter]:
    """JSON (the machine record) plus the requested formats, else JSON + HTML."""
    names = ["json", *(f for f in formats if f != "json")] if formats else ["json", "html"]
    return [reporters[n] for n in names if n in reporters]


def write_bundle(result: ScanResult, out_dir: str, reporters: Mapping[str, Reporter],
                 formats: Sequence[str], key: Ed25519PrivateKey, *, gate: Gate | None = None,
                 render: RenderOptions = DEFAULT_RENDER) -> Path:
    from auditor.bundle.evidence import write_evidence

    inputs: dict[str, str | Path] = {}
    if gate is not None and gate.suppressions_source:
        inputs["suppressions"] = gate.suppressions_source
    if gate is not None and gate.baseline is not None and gate.baseline.source:
        inputs["baseline"] = gate.baseline.source
    return write_evidence(result, out_dir, evidence_reporters(reporters, formats), key,
                          inputs=inputs, render=render)
