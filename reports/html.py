"""Self-contained HTML report (``--format html``, ``report.html``), English or Vietnamese.

One file an inspector can open anywhere, offline: inline CSS, inline SVG charts, a small
inline script for filtering (allowed by a Content-Security-Policy that permits nothing
else: no network, no external fonts or images). Sections: executive summary (verdict,
counts, charts), compliance by framework (each requirement with its provision, status,
findings and data subjects affected, guidance for manual checks), findings grouped by
rule (masked evidence, remediation, suppression state), the remediation plan (owner,
deadline, status per finding group; overdue against ``--as-of``), targets, and run details.

All user-facing text comes from ``reports/i18n/<lang>.yaml`` (``ScanResult.lang``);
requirement titles, guidance and notes use their Vietnamese versions in ``vi``, and rule
titles, remediation and finding messages come from the packs' translations in the render
options (English for rules without a translation). Times are
shown in Asia/Ho_Chi_Minh in Vietnamese reports.
The template is rendered by Jinja2 with autoescaping: every value from a scan is
escaped.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from auditor.reporting import DEFAULT_RENDER, RenderOptions, Reporter, RuleText
from auditor.results import ComplianceItem, Finding, ScanResult
from auditor.views import (
    COMPLIANCE_STATUSES,
    FrameworkStatus,
    compliance_verdict,
    evidence_text,
    framework_statuses,
    location_label,
    severities,
)

from .auditdoc import annex_views, cover_rows, inventory_stats, plan_view
from .messages import (
    Messages,
    MessageTranslator,
    load_messages,
    message_translator,
    rule_texts,
)

__all__ = ["HtmlReporter", "build_context", "display_date", "display_time"]

_TEMPLATES = Path(__file__).resolve().parent / "templates"
SEVERITY_COLORS: Mapping[str, str] = {
    "critical": "#7f1d1d", "high": "#c2410c", "medium": "#b45309", "low": "#1d4ed8",
    "info": "#4b5563"}
STATUS_COLORS: Mapping[str, str] = {
    "fail": "#b91c1c", "pass": "#0e7490", "no_finding": "#0e7490", "not_assessed": "#9ca3af",
    "manual": "#6d28d9", "not_applicable": "#6b7280", "needs_scoping": "#a16207",
    "attested": "#166534"}
VN_TZ_NAME = "Asia/Ho_Chi_Minh"


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar segment of an SVG chart (geometry precomputed, in user units)."""

    key: str
    label: str
    value: int
    x: float
    width: float
    color: str


@dataclass(frozen=True, slots=True)
class RequirementRow:
    item: ComplianceItem
    title: str
    guidance: str
    note: str
    subjects: int | None
    provision: str = ""
    checked: str = ""
    penalty: str = ""
    rationale: str = ""
    remediation: str = ""


@dataclass(frozen=True, slots=True)
class FrameworkView:
    status: FrameworkStatus
    title: str
    period: str
    coverage: str
    rows: tuple[RequirementRow, ...]
    bars: tuple[Bar, ...]


@dataclass(frozen=True, slots=True)
class FindingView:
    finding: Finding
    location: str
    evidence: str
    suppression: str
    search: str
    message: str = ""


@dataclass(frozen=True, slots=True)
class RuleGroup:
    rule_id: str
    title: str
    severity: str
    cwe: tuple[str, ...]
    remediation: str
    references: tuple[str, ...]
    findings: tuple[FindingView, ...]
    active: int


def display_date(text: str | None, lang: str) -> str:
    """A date as readers expect it: ``25/11/2026`` in Vietnamese, ISO ``2026-11-25`` in
    English. Anything that is not a date is shown as it is."""
    if not text:
        return ""
    try:
        day = dt.date.fromisoformat(text[:10])
    except ValueError:
        return text
    return day.strftime("%d/%m/%Y") if lang == "vi" else day.isoformat()


def _vn_zone() -> dt.tzinfo:
    """Asia/Ho_Chi_Minh from the system's or the ``tzdata`` package's database; UTC+7
    when neither is installed (NOTE: Vietnam has kept UTC+7 without DST since 1975, so
    the fallback gives the same times for any date a scan can have)."""
    try:
        return ZoneInfo(VN_TZ_NAME)
    except ZoneInfoNotFoundError:
        return dt.timezone(dt.timedelta(hours=7), "ICT")


def display_time(text: str | None, lang: str) -> str:
    """A run timestamp for readers: Vietnamese reports show ``25/11/2026 15:04:05
    (giờ Việt Nam, UTC+7)`` in Asia/Ho_Chi_Minh; English keeps the ISO UTC text."""
    if not text or lang != "vi":
        return text or ""
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(_vn_zone())
    return local.strftime("%d/%m/%Y %H:%M:%S") + " (giờ Việt Nam, UTC+7)"


def _bars(values: Sequence[tuple[str, str, int, str]], width: float) -> tuple[Bar, ...]:
    total = sum(v for _, _, v, _ in values)
    x = 0.0
    out = []
    for key, label, value, color in values:
        w = width * value / total if total else 0.0
        out.append(Bar(key, label, value, round(x, 2), round(w, 2), color))
        x += w
    return tuple(out)


def _suppression_text(f: Finding, t: Messages) -> str:
    s = f.suppression
    if not f.suppressed:
        return ""
    if s is None:
        return t("suppressed_badge")
    if s.source == "baseline":
        return t("suppressed_by_baseline", reason=s.reason)
    if s.source == "file":
        return t("suppressed_by_file", reason=s.reason, approved_by=s.approved_by or "?",
                 expires=display_date(s.expires, t.lang) or t("never"))
    return t("suppressed_other", reason=s.reason)


def _framework_view(fs: FrameworkStatus, result: ScanResult, t: Messages,
                    by_fp: Mapping[str, Finding]) -> FrameworkView:
    vi = t.lang == "vi"
    ref = next((f for f in result.frameworks if f.id == fs.id), None)
    period = ""
    if ref is not None and ref.effective_from:
        start, end = (display_date(d, t.lang) for d in (ref.effective_from, ref.effective_to))
        period = t("framework_in_force_to", start=start, end=end) if end \
            else t("framework_in_force", start=start)
    rows = []
    for item in fs.items:
        # the engine's lower bound when it gave one, else the largest finding estimate
        counts = [item.subjects] if item.subjects is not None else [
            by_fp[fp].subjects for fp in item.findings if fp in by_fp]
        words = {name: item.localized(name, t.lang) for name in (
            "title", "note", "provision", "checked", "penalty", "rationale", "remediation")}
        rows.append(RequirementRow(
            item=item, guidance=(item.guidance_vi if vi and item.guidance_vi
                                 else item.guidance),
            subjects=max((c for c in counts if c is not None), default=None), **words))
    bars = _bars([(s, t(f"status_{s}"), fs.counts[s], STATUS_COLORS[s])
                  for s in COMPLIANCE_STATUSES], 600.0)
    return FrameworkView(
        status=fs, title=fs.display_title(t.lang), period=period,
        coverage=t("framework_coverage", assessed=fs.assessed, total=fs.total,
                   percent=f"{fs.coverage:.0%}"),
        rows=tuple(rows), bars=bars)


def _groups(result: ScanResult, t: Messages, texts: Mapping[str, RuleText],
            translate: MessageTranslator) -> tuple[RuleGroup, ...]:
    grouped: dict[str, list[Finding]] = {}
    for f in result.findings:  # NOTE: already in report order (severity, rule, location)
        grouped.setdefault(f.rule_id, []).append(f)
    out = []
    for rule_id, items in grouped.items():
        first = items[0]
        views = tuple(FindingView(
            finding=f, location=location_label(f.location), evidence=evidence_text(f.evidence),
            suppression=_suppression_text(f, t),
            search=" ".join((f.rule_id, f.title, location_label(f.location), f.message,
                             " ".join(f.entities))).lower(),
            message=translate(f.rule_id, f.message),
        ) for f in items)
        text = texts.get(rule_id)
        out.append(RuleGroup(rule_id, text.title if text else first.title,
                             max(i.severity for i in items).label, first.cwe,
                             text.remediation if text and text.remediation
                             else first.remediation, first.references, views,
                             sum(1 for i in items if not i.suppressed)))
    return tuple(out)


def _run_section(result: ScanResult, name: str) -> Mapping[str, Any]:
    value = result.extra.get(name)
    return value if isinstance(value, Mapping) else {}


def _expired(result: ScanResult) -> list[dict[str, Any]]:
    expired = _run_section(result, "suppressions").get("expired")
    return [e for e in expired if isinstance(e, dict)] if isinstance(expired, list) else []


def build_context(result: ScanResult, script: str,
                  options: RenderOptions = DEFAULT_RENDER) -> dict[str, Any]:
    """Everything the template shows, computed here so the template only formats."""
    t = load_messages(result.lang if result.lang in ("en", "vi") else "en")
    by_fp = {f.fingerprint: f for f in result.findings}
    counts = result.severity_counts()
    sev_bars = tuple(
        Bar(s.label, t(f"severity_{s.label}"), counts[s.label], 0.0,
            round(300.0 * counts[s.label] / max(*counts.values(), 1), 2),
            SEVERITY_COLORS[s.label])
        for s in severities())
    frameworks = tuple(_framework_view(fs, result, t, by_fp)
                       for fs in framework_statuses(result))
    subjects = [f.subjects for f in result.active_findings if f.subjects is not None]
    errors = sum(1 for x in result.targets if x.status == "error")
    active, failing, scoping = compliance_verdict(result)
    manual = sum(1 for c in result.compliance if c.result == "manual")
    groups = _groups(result, t, rule_texts(options), message_translator(options))
    return {
        "t": t, "lang": t.lang, "result": result, "severity_bars": sev_bars,
        "as_of": display_date(result.as_of.isoformat(), t.lang),
        "date": lambda text: display_date(text, t.lang),
        "frameworks": frameworks, "groups": groups,
        "group_titles": {g.rule_id: g.title for g in groups},
        "active": active, "scoping": scoping, "manual": manual,
        "time": lambda text: display_time(text, t.lang),
        "statuses": COMPLIANCE_STATUSES,
        "suppressed": len(result.findings) - len(result.active_findings),
        "subjects": max(subjects) if subjects else None,
        "errors": errors, "failing": failing, "exit_code": result.exit_code(),
        "expired": _expired(result), "script": script,
        "suppressions_run": _run_section(result, "suppressions"),
        "baseline_run": _run_section(result, "baseline"),
        "script_hash": base64.b64encode(hashlib.sha256(script.encode()).digest()).decode(),
        "severity_colors": SEVERITY_COLORS, "status_colors": STATUS_COLORS,
        **_document_context(result),
    }


def _document_context(result: ScanResult) -> dict[str, Any]:
    info, cover = cover_rows(result)
    expired = _run_section(result, "attestations").get("expired")
    return {"document": info, "cover": cover if not info.is_empty() else (),
            "attestations_expired": [e for e in expired if isinstance(e, Mapping)]
            if isinstance(expired, list) else [],
            "inventory": result.inventory, "inventory_stats": inventory_stats(result.inventory),
            "annex": annex_views(result.inventory), "plan": plan_view(result)}


class HtmlReporter(Reporter):
    name: ClassVar[str] = "html"
    filename: ClassVar[str] = "report.html"
    description: ClassVar[str] = "self-contained HTML audit report (--lang en|vi)"
    machine: ClassVar[bool] = False

    def render(self, result: ScanResult, out: TextIO,
               options: RenderOptions = DEFAULT_RENDER) -> None:
        import jinja2  # NOTE: here: every scan loads this plugin, few render HTML

        result = options.apply(result)
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(_TEMPLATES), autoescape=True,
            undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
            keep_trailing_newline=True)
        script = (_TEMPLATES / "report.js").read_text(encoding="utf-8")
        template = env.get_template("report.html.j2")
        # NOTE: generate() streams the page in chunks instead of building one big string
        for chunk in template.generate(**build_context(result, script, options)):
            out.write(chunk)
