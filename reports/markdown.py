"""Markdown summary (``--format md``, ``report.md``), sized for a pull-request comment.

A headline verdict, severity counts, the findings table (capped, most severe first) with
masked evidence, target errors, and per-framework compliance tallies.
"""

from __future__ import annotations

from typing import TextIO

from auditor.reporting import DEFAULT_RENDER, RenderOptions, Reporter
from auditor.results import ScanResult
from auditor.textsafe import md_code, md_safe
from auditor.views import (
    compliance_verdict,
    evidence_text,
    framework_statuses,
    location_label,
    severities,
)

__all__ = ["MarkdownReporter"]

MAX_ROWS = 50


def _cell(text: str) -> str:
    # NOTE: names come from the scanned data (file names, keys, certificate names, table
    # names): no raw HTML, link, image or line break may pass into the report
    return md_safe(text)


class MarkdownReporter(Reporter):
    name = "md"
    filename = "report.md"
    description = "Markdown summary for pull-request comments"

    def render(self, result: ScanResult, out: TextIO,
               options: RenderOptions = DEFAULT_RENDER) -> None:
        result = options.apply(result)
        active = result.active_findings
        code = result.exit_code()
        count, failing, scoping = compliance_verdict(result)
        # NOTE: the headline states findings and unmet requirements, never "passed";
        # the CI gate (--fail-on) is its own line
        if count or failing:
            headline = f"{count} finding(s), {failing} requirement(s) not met"
        else:
            headline = "no finding by the automated checks (not a statement of conformity)"
        out.write(f"## auditor: {headline}\n\n")
        threshold = result.fail_on.label if result.fail_on is not None else "never"
        incomplete = " — scan incomplete" if any(
            t.status == "error" for t in result.targets) else ""
        out.write(f"CI gate (`--fail-on {threshold}`): exit code {code}{incomplete}. ")
        out.write(f"Requirements needing scoping: {scoping}.\n\n")
        counts = result.severity_counts()
        out.write("| " + " | ".join(s.label for s in severities()) + " | suppressed |\n")
        out.write("|" + "---|" * (len(severities()) + 1) + "\n")
        out.write("| " + " | ".join(str(counts[s.label]) for s in severities())
                  + f" | {len(result.findings) - len(active)} |\n\n")
        if active:
            out.write("| severity | rule | location | message | evidence |\n")
            out.write("|---|---|---|---|---|\n")
            for f in active[:MAX_ROWS]:
                out.write(f"| {f.severity.label} | {md_code(f.rule_id)} | "
                          f"{_cell(location_label(f.location))} | {_cell(f.message)} | "
                          f"{_cell(evidence_text(f.evidence, 80))} |\n")
            if len(active) > MAX_ROWS:
                out.write(f"\n…and {len(active) - MAX_ROWS} more findings "
                          "(see the full report).\n")
            out.write("\n")
        else:
            out.write("No unsuppressed findings.\n\n")
        self._suppressed(result, out)
        errors = [t for t in result.targets if t.status == "error"]
        if errors:
            out.write("### Targets that could not be scanned\n\n")
            for t in errors:
                out.write(f"- {md_code(t.uri)}: {_cell(t.error or 'error')}\n")
            out.write("\n")
        statuses = framework_statuses(result)
        if statuses:
            out.write("### Compliance\n\n| framework | fail | no finding (automated) | "
                      "manual | attested (manual check) | needs scoping | not applicable | "
                      "not assessed |\n")
            out.write("|---|---|---|---|---|---|---|---|\n")
            for fs in statuses:
                c = fs.counts
                out.write(f"| {_cell(fs.display_title(result.lang))} | {c['fail']} | "
                          f"{c['no_finding']} | {c['manual']} | {c['attested']} | "
                          f"{c['needs_scoping']} | "
                          f"{c['not_applicable']} | {c['not_assessed']} |\n")
            out.write("\n")
        out.write(f"<sub>auditor {result.tool_version} · as of {result.as_of.isoformat()} · "
                  f"run {result.run_id}</sub>\n")

    @staticmethod
    def _suppressed(result: ScanResult, out: TextIO) -> None:
        """Suppressed findings stay visible (collapsed), with who approved them and why;
        expired suppressions are called out."""
        sup = result.extra.get("suppressions")
        expired = sup.get("expired") if isinstance(sup, dict) else None
        for e in expired if isinstance(expired, list) else ():
            if isinstance(e, dict):
                out.write(f"> **Expired suppression** ({_cell(str(e.get('source', '?')))}, "
                          f"expired {e.get('expires', '?')}): "
                          f"{e.get('matching_findings', 0)} finding(s) no longer suppressed.\n")
        if expired:
            out.write("\n")
        hidden = [f for f in result.findings if f.suppressed]
        if not hidden:
            return
        out.write(f"<details><summary>{len(hidden)} suppressed finding(s)</summary>\n\n")
        out.write("| severity | rule | location | suppressed by | reason |\n"
                  "|---|---|---|---|---|\n")
        for f in hidden[:MAX_ROWS]:
            s = f.suppression
            by = "baseline" if s and s.source == "baseline" else (
                f"{s.approved_by or '?'} (expires {s.expires or 'never'})" if s else "?")
            out.write(f"| {f.severity.label} | {md_code(f.rule_id)} | "
                      f"{_cell(location_label(f.location))}"
                      f" | {_cell(by)} | {_cell(s.reason if s else '')} |\n")
        if len(hidden) > MAX_ROWS:
            out.write(f"\n…and {len(hidden) - MAX_ROWS} more.\n")
        out.write("\n</details>\n\n")
