"""The human summary printed after a scan (rich tables; plain text when not a terminal)."""

from __future__ import annotations

from typing import TextIO

from rich.console import Console
from rich.table import Table

from auditor.cli.terminal import use_color, width
from auditor.results import ScanResult
from auditor.textsafe import rich_safe
from auditor.views import (
    compliance_verdict,
    evidence_text,
    framework_statuses,
    location_label,
    severities,
)

__all__ = ["print_summary"]

MAX_ROWS = 25
_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan",
          "info": "dim"}


def print_summary(result: ScanResult, out: TextIO, *, color: bool | None = None) -> None:
    """``color``: None decides from the stream and NO_COLOR; False never; True always.
    Tables take the terminal's width (auditor.cli.terminal.width), never a fixed one."""
    colored = use_color(out, no_color=color is False) if color is None else color
    console = Console(file=out, width=width(out), force_terminal=colored,
                      no_color=not colored, color_system="auto" if colored else None,
                      highlight=False)
    summary = result.summary()
    targets = summary["targets"]
    assert isinstance(targets, dict)
    console.print(f"auditor {result.tool_version} — {len(result.targets)} targets "
                  f"({targets['ok']} ok, {targets['error']} error, {targets['skipped']} skipped)"
                  f", as of {result.as_of.isoformat()}")
    counts = result.severity_counts()
    sev = Table(title="findings by severity")
    for s in severities():
        sev.add_column(s.label, justify="right", style=_STYLE[s.label])
    sev.add_column("suppressed", justify="right")
    sev.add_row(*(str(counts[s.label]) for s in severities()),
                str(len(result.findings) - len(result.active_findings)))
    console.print(sev)
    active = result.active_findings
    if active:
        table = Table(title=f"findings (top {min(len(active), MAX_ROWS)} of {len(active)})")
        for col in ("severity", "rule", "location", "message", "evidence"):
            table.add_column(col, overflow="fold")
        for f in active[:MAX_ROWS]:
            # NOTE: names come from the scanned data: no escape sequence or markup passes
            table.add_row(f"[{_STYLE[f.severity.label]}]{f.severity.label}[/]",
                          rich_safe(f.rule_id), rich_safe(location_label(f.location)),
                          rich_safe(f.message), rich_safe(evidence_text(f.evidence, 60)))
        console.print(table)
    errors = [t for t in result.targets if t.status == "error"]
    if errors:
        err = Table(title="targets that could not be scanned")
        err.add_column("target")
        err.add_column("error", overflow="fold")
        for t in errors:
            err.add_row(rich_safe(t.uri), rich_safe(t.error or "error"))
        console.print(err)
    statuses = framework_statuses(result)
    if statuses:
        comp = Table(title="compliance")
        for col in ("framework", "fail", "no finding", "manual", "attested", "needs scoping",
                    "not applicable", "not assessed", "coverage"):
            comp.add_column(col)
        for fs in statuses:
            c = fs.counts
            comp.add_row(rich_safe(fs.display_title(result.lang)), str(c["fail"]),
                         str(c["no_finding"]), str(c["manual"]), str(c["attested"]),
                         str(c["needs_scoping"]),
                         str(c["not_applicable"]), str(c["not_assessed"]),
                         f"{fs.coverage:.0%}")
        console.print(comp)
    count, failing, scoping = compliance_verdict(result)
    if count or failing:
        console.print(f"compliance: {count} unsuppressed finding(s), {failing} requirement(s) "
                      f"not met, {scoping} need scoping")
    else:
        console.print("compliance: no finding by the automated checks (not a statement of "
                      f"conformity); {scoping} requirement(s) need scoping")
    code = result.exit_code()
    gate = {0: "below the threshold", 1: "findings at or above the threshold",
            3: "incomplete: some targets could not be scanned"}[code]
    threshold = result.fail_on.label if result.fail_on is not None else "never"
    console.print(f"CI gate (--fail-on {threshold}): {gate} (exit {code})")
