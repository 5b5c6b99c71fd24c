"""CSV report (``--format csv``, ``report.csv``): one row per finding, suppressed included.

Columns (fixed order, header row first): ``fingerprint, severity, rule_id, pack, title,
cwe, uri, line, key, table, column, flow, packet, kind, message, evidence, entities,
subjects, controls, suppressed, suppression_source, suppression_reason,
suppression_approved_by, suppression_expires, remediation, references, explanation``.
Lists of identifiers (cwe, entities, controls as ``framework:requirement``) are
space-separated; evidence, references and explanation are JSON. Text cells that a
spreadsheet would run as a formula (starting with ``= + - @``, tab or CR), and cells
starting with ``'``, get a leading ``'``; :func:`read_findings` removes it, so the file
round-trips exactly to the findings it was written from.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import ClassVar, TextIO

from auditor.models import Location, Severity
from auditor.reporting import DEFAULT_RENDER, RenderOptions, Reporter
from auditor.results import Control, Finding, ScanResult, Suppression

__all__ = ["COLUMNS", "CsvReporter", "read_findings"]

COLUMNS: tuple[str, ...] = (
    "fingerprint", "severity", "rule_id", "pack", "title", "cwe", "uri", "line", "key",
    "table", "column", "flow", "packet", "kind", "message", "evidence", "entities",
    "subjects", "controls", "suppressed", "suppression_source", "suppression_reason",
    "suppression_approved_by", "suppression_expires", "remediation", "references",
    "explanation",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def _cell(text: str) -> str:
    # NOTE: OWASP "CSV injection": a leading quote makes spreadsheets show the text.
    return "'" + text if text.startswith(_FORMULA_START) else text


def _uncell(text: str) -> str:
    return text[1:] if text.startswith("'") else text


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _row(f: Finding) -> dict[str, str]:
    loc = f.location
    sup = f.suppression
    raw: dict[str, str | int | None] = {
        "fingerprint": f.fingerprint, "severity": f.severity.label, "rule_id": f.rule_id,
        "pack": f.pack, "title": f.title, "cwe": " ".join(f.cwe), "uri": loc.uri,
        "line": loc.line, "key": loc.key, "table": loc.table, "column": loc.column,
        "flow": loc.flow, "packet": loc.packet, "kind": f.kind, "message": f.message,
        "evidence": _json(dict(f.evidence)), "entities": " ".join(f.entities),
        "subjects": f.subjects,
        "controls": " ".join(f"{c.framework}:{c.requirement}" for c in f.controls),
        "suppressed": "true" if f.suppressed else "false",
        "suppression_source": sup.source if sup else None,
        "suppression_reason": sup.reason if sup else None,
        "suppression_approved_by": sup.approved_by if sup else None,
        "suppression_expires": sup.expires if sup else None,
        "remediation": f.remediation, "references": _json(list(f.references)),
        "explanation": _json(list(f.explanation)),
    }
    return {k: "" if v is None else (str(v) if isinstance(v, int) else _cell(v))
            for k, v in raw.items()}


class CsvReporter(Reporter):
    name: ClassVar[str] = "csv"
    filename: ClassVar[str] = "report.csv"
    description: ClassVar[str] = "CSV, one row per finding (spreadsheets, data tools)"
    machine: ClassVar[bool] = True

    def render(self, result: ScanResult, out: TextIO,
               options: RenderOptions = DEFAULT_RENDER) -> None:
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        for finding in result.findings:
            writer.writerow(_row(finding))


def _opt(row: Mapping[str, str], name: str) -> str | None:
    value = _uncell(row.get(name) or "")
    return value or None


def _int(row: Mapping[str, str], name: str) -> int | None:
    value = row.get(name) or ""
    return int(value) if value else None


def _finding(row: Mapping[str, str]) -> Finding:
    controls = []
    for item in (row.get("controls") or "").split():
        framework, _, requirement = item.partition(":")
        controls.append(Control(framework, requirement))
    source = _opt(row, "suppression_source")
    return Finding(
        fingerprint=_uncell(row["fingerprint"]), rule_id=_uncell(row["rule_id"]),
        pack=_uncell(row["pack"]), title=_uncell(row["title"]),
        severity=Severity.parse(row["severity"]), cwe=tuple(row["cwe"].split()),
        message=_uncell(row["message"]),
        location=Location(uri=_uncell(row["uri"]), line=_int(row, "line"),
                          key=_opt(row, "key"), table=_opt(row, "table"),
                          column=_opt(row, "column"), flow=_opt(row, "flow"),
                          packet=_int(row, "packet")),
        kind=_uncell(row["kind"]), remediation=_uncell(row["remediation"]),
        references=tuple(json.loads(_uncell(row["references"]) or "[]")),
        evidence=json.loads(_uncell(row["evidence"]) or "{}"),
        entities=tuple(row["entities"].split()), subjects=_int(row, "subjects"),
        controls=tuple(controls),
        explanation=tuple(json.loads(_uncell(row["explanation"]) or "[]")),
        suppressed=row["suppressed"] == "true",
        suppression=Suppression(
            source=source, reason=_opt(row, "suppression_reason") or "",
            approved_by=_opt(row, "suppression_approved_by"),
            expires=_opt(row, "suppression_expires"),
        ) if source else None,
    )


def read_findings(lines: Iterable[str]) -> Iterator[Finding]:
    """Read findings back from a CSV report (the inverse of :class:`CsvReporter`)."""
    reader = csv.DictReader(lines)
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise ValueError("not an auditor CSV report: unexpected header "
                         f"{reader.fieldnames!r}")
    for row in reader:
        yield _finding(row)
