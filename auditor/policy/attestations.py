"""Manual checks recorded: ``--attestations FILE`` (issue 19).

The YAML file::

    attestations:
      - requirement: vn-pdpl-2025:L91-Art21     # FRAMEWORK:REQUIREMENT
        result: pass                             # pass | fail | not_applicable
        evidence: "DPIA dossier 12/2026, signed 2026-10-01"
        assessor: Nguyễn Văn A
        date: 2026-10-01                         # when the check was made
        expires: 2027-09-30                      # last day the result holds
        note: optional free text

An attestation is **valid** on ``--as-of`` when ``date <= as-of <= expires``. A valid one
decides a requirement whose outcome is ``manual``: ``pass`` → outcome ``attested`` (JSON
status ``pass``), ``fail`` → ``fail``, ``not_applicable`` → ``not_applicable``. Automated
outcomes are never overridden: on other requirements the attestation is recorded
(``applied: false``) next to the automated result. An expired (or not yet valid)
attestation leaves the requirement ``manual`` and is listed in ``run.attestations.expired``
(and warned about on stderr), so a stale manual check never passes silently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TextIO

from auditor.errors import RulePackError
from auditor.models import JSONValue
from auditor.outcomes import STATUS_OF
from auditor.results import ComplianceItem, ScanResult
from auditor.yamlsource import load_yaml

__all__ = ["RESULTS", "Attestation", "apply_attestations", "load_attestations"]

RESULTS = {"pass": "attested", "fail": "fail", "not_applicable": "not_applicable"}
_FIELDS = ("requirement", "result", "evidence", "assessor", "date", "expires", "note")


@dataclass(frozen=True, slots=True)
class Attestation:
    framework: str
    requirement: str
    result: str
    evidence: str
    assessor: str
    date: dt.date
    expires: dt.date
    note: str = ""
    line: int | None = None

    def valid_on(self, day: dt.date) -> bool:
        return self.date <= day <= self.expires

    def to_dict(self, *, applied: bool, valid: bool) -> dict[str, JSONValue]:
        return {"requirement": f"{self.framework}:{self.requirement}", "result": self.result,
                "evidence": self.evidence, "assessor": self.assessor,
                "date": self.date.isoformat(), "expires": self.expires.isoformat(),
                "note": self.note, "valid": valid, "applied": applied}


def _date(value: Any, path: str, name: str, line: int | None) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise RulePackError(path, f"'{name}' is not a date (YYYY-MM-DD): {value!r}",
                            line=line) from None


def load_attestations(path: str) -> tuple[Attestation, ...]:
    """Read and check the file; a :class:`~auditor.errors.RulePackError` names the file,
    the line and what is wrong."""
    doc = load_yaml(path)
    data = doc.data
    if not isinstance(data, Mapping) or not isinstance(data.get("attestations"), list):
        raise RulePackError(path, "an attestations file is a mapping with an "
                            "'attestations' list", line=1)
    out = []
    for i, entry in enumerate(data["attestations"]):
        line = doc.line_of(["attestations", i])
        if not isinstance(entry, Mapping):
            raise RulePackError(path, "attestation entry must be a mapping", line=line)
        unknown = sorted(str(k) for k in entry if k not in _FIELDS)
        if unknown:
            raise RulePackError(path, f"unknown field '{unknown[0]}' (expected one of: "
                                f"{', '.join(_FIELDS)})", line=line)
        for name in ("requirement", "result", "evidence", "assessor", "date", "expires"):
            if entry.get(name) in (None, ""):
                raise RulePackError(path, f"attestation needs a non-empty '{name}'", line=line)
        framework, sep, requirement = str(entry["requirement"]).partition(":")
        if not sep or not framework or not requirement:
            raise RulePackError(path, "'requirement' must be FRAMEWORK:REQUIREMENT, got "
                                f"{entry['requirement']!r}", line=line)
        result = str(entry["result"])
        if result not in RESULTS:
            raise RulePackError(path, f"'result' must be one of {', '.join(RESULTS)}, got "
                                f"{result!r}", line=line)
        date = _date(entry["date"], path, "date", line)
        expires = _date(entry["expires"], path, "expires", line)
        if expires < date:
            raise RulePackError(path, "'expires' is before 'date'", line=line)
        out.append(Attestation(framework, requirement, result, str(entry["evidence"]),
                               str(entry["assessor"]), date, expires,
                               str(entry.get("note") or ""), line))
    return tuple(out)


def _apply(item: ComplianceItem, att: Attestation, valid: bool) -> ComplianceItem:
    applied = valid and item.result == "manual"
    record = att.to_dict(applied=applied, valid=valid)
    if not applied:
        return replace(item, attestation=record)
    outcome = RESULTS[att.result]
    return replace(item, attestation=record, outcome=outcome, status=STATUS_OF[outcome],
                   review=False)


def apply_attestations(result: ScanResult, attestations: Sequence[Attestation],
                       source: str, warn: TextIO | None = None) -> ScanResult:
    """``result`` with the attestations valid on its ``as_of`` deciding the manual
    requirements they name; ``run.attestations`` says what was applied, what expired and
    what named no requirement of this run. The latest-dated attestation of a requirement
    wins."""
    by_req: dict[tuple[str, str], Attestation] = {}
    for each in sorted(attestations, key=lambda a: a.date):
        by_req[(each.framework, each.requirement)] = each
    day = result.as_of
    items = []
    applied, expired = [], []
    seen = set()
    for item in result.compliance:
        att = by_req.get((item.framework, item.requirement))
        if att is None:
            items.append(item)
            continue
        seen.add((item.framework, item.requirement))
        valid = att.valid_on(day)
        new = _apply(item, att, valid)
        if not valid:
            expired.append(att.to_dict(applied=False, valid=False))
            if warn is not None:
                state = "expired" if att.expires < day else "not yet valid"
                warn.write(f"auditor: attestation for {att.framework}:{att.requirement} "
                           f"{state} (date {att.date}, expires {att.expires}, as of "
                           f"{day}): the requirement stays manual\n")
        elif new.attestation and new.attestation.get("applied"):
            applied.append(f"{att.framework}:{att.requirement}")
        items.append(new)
    unmatched = sorted(f"{f}:{r}" for f, r in by_req if (f, r) not in seen)
    if unmatched and warn is not None:
        warn.write(f"auditor: {len(unmatched)} attestation(s) name no requirement in force "
                   f"in this run: {', '.join(unmatched)}\n")
    section: dict[str, JSONValue] = {
        "file": source, "applied": list(applied), "expired": list(expired),
        "unmatched": list(unmatched)}
    return replace(result, compliance=tuple(items),
                   extra={**result.extra, "attestations": section})
