"""The audit document as DOCX (``--format docx``, ``report.docx``) through python-docx
(optional extra ``docs``), so agencies can add their letterhead, signature and seal.

Sections, in order: cover (controller, processor, system, scope, period, assessor, date,
``--as-of``), methodology and limits (what each scanner read, sampling settings and what
was read per store, what was not assessed), executive summary (words and one chart, a
dependency-free PNG), results per framework, findings by rule (masked evidence, at most
:data:`MAX_ROWS` locations per rule) and by system, remediation plan
(``--remediation-plan``), personal-data inventory and its record-of-processing annex, and
the evidence annex (bundle manifest and signing key id). Text from
``reports/i18n/<lang>.yaml``; values from the scan only ever masked (as in every report).
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, TextIO

from auditor.errors import ConfigError
from auditor.reporting import DEFAULT_RENDER, RenderOptions, Reporter
from auditor.results import Finding, ScanResult
from auditor.views import evidence_text, framework_statuses, location_label, severities

from .auditdoc import annex_views, cover_rows, inventory_stats, plan_view
from .html import SEVERITY_COLORS, display_date
from .messages import Messages, load_messages
from .pngchart import bar_chart_png

__all__ = ["MAX_ROWS", "DocxReporter"]

MAX_ROWS = 15
_PROTECTIONS = ("cleartext", "hashed", "encrypted", "mixed", "not-read", "cleartext-in-transit")


#: A4 with the margins of Vietnamese administrative documents (Decree 30/2020/ND-CP,
#: Annex I: top and bottom 20-25 mm, left 30-35 mm, right 15-20 mm)
PAGE_MM = (210, 297)
MARGINS_MM = (20, 20, 30, 15)  # top, bottom, left, right
TEXT_WIDTH_MM = PAGE_MM[0] - MARGINS_MM[2] - MARGINS_MM[3]
TABLE_PT = 9


def _table(doc: Any, header: Sequence[str], rows: Sequence[Sequence[str]],
           widths: Sequence[float] = ()) -> None:
    """A grid table; ``widths``: the columns' shares of the text width."""
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    if widths:
        from docx.shared import Mm

        table.autofit = False
        for column, share in zip(table.columns, widths, strict=True):
            column.width = Mm(TEXT_WIDTH_MM * share)
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = text
    from docx.shared import Pt

    for row in table.rows:
        for i, cell in enumerate(row.cells):
            if widths:
                # NOTE: Word reads the cell widths, LibreOffice the grid: both are set
                cell.width = table.columns[i].width
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(TABLE_PT)


def _extra(result: ScanResult, name: str) -> Mapping[str, Any]:
    value = result.extra.get(name)
    return value if isinstance(value, Mapping) else {}


def _protection(t: Messages, state: str) -> str:
    return t(f"protection_{state}") if state in _PROTECTIONS else state


class _Builder:
    def __init__(self, result: ScanResult) -> None:
        from docx import Document

        self.result = result
        self.t = load_messages(result.lang if result.lang in ("en", "vi") else "en")
        self.doc = Document()
        from docx.shared import Mm

        for section in self.doc.sections:
            section.page_width, section.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
            (section.top_margin, section.bottom_margin, section.left_margin,
             section.right_margin) = (Mm(m) for m in MARGINS_MM)

    def date(self, text: object) -> str:
        return display_date(text if isinstance(text, str) else None, self.t.lang)

    # ---- sections ------------------------------------------------------------------
    def cover(self) -> None:
        t, r = self.t, self.result
        self.doc.add_heading(t("report_title"), level=0)
        info, rows = cover_rows(r)
        body = [[t(key), (self.date(value) if key == "cover_date" else value)
                 or t("cover_blank")] for key, value in rows]
        body.append([t("cover_as_of"), self.date(r.as_of.isoformat())])
        body.append([t("run_id"), r.run_id])
        body.append([t("run_tool"), f"auditor {r.tool_version}"])
        for s in info.systems:
            extra = "; ".join(x for x in (s.owner and f"{t('cover_owner')}: {s.owner}",
                                           s.security_level and
                                           f"{t('cover_level')}: {s.security_level}") if x)
            body.append([t("cover_systems"), s.name + (f" ({extra})" if extra else "")])
        _table(self.doc, [t("cover_heading"), ""], body, widths=(0.34, 0.66))
        from docx.enum.text import WD_BREAK

        self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def methodology(self) -> None:
        t, r, doc = self.t, self.result, self.doc
        doc.add_heading(t("docx_methodology"), level=1)
        doc.add_paragraph(t("docx_methodology_intro"))
        doc.add_heading(t("docx_scanners_read"), level=2)
        by_scanner: dict[str, list[Any]] = {}
        for target in r.targets:
            by_scanner.setdefault(target.scanner or "-", []).append(target)
        for scanner in sorted(by_scanner):
            items = by_scanner[scanner]
            doc.add_paragraph(t("docx_scanner_row", scanner=scanner, count=len(items),
                                kinds=", ".join(sorted({x.kind for x in items})),
                                observations=sum(x.observations for x in items)),
                              style="List Bullet")
        doc.add_heading(t("docx_sampling"), level=2)
        settings = _extra(r, "settings")
        for name in sorted(settings):
            if name.split(".", 1)[1] in ("sample_size", "seed", "full", "sample_rows"):
                doc.add_paragraph(t("docx_sampling_row", name=name, value=settings[name]),
                                  style="List Bullet")
        stores: dict[str, tuple[int, int]] = {}
        for e in r.inventory:
            if e.sampled is not None and e.rows is not None:
                old = stores.get(e.store, (0, 0))
                stores[e.store] = (max(old[0], e.sampled), max(old[1], e.rows))
        for store in sorted(stores):
            sampled, rows = stores[store]
            doc.add_paragraph(t("docx_stores_sampled", store=store, sampled=sampled,
                                rows=rows), style="List Bullet")
        doc.add_heading(t("docx_not_assessed"), level=2)
        outcomes = Counter(c.result for c in r.compliance)
        for outcome in ("not_assessed", "needs_scoping", "manual"):
            if outcomes.get(outcome):
                doc.add_paragraph(t("docx_not_assessed_row", count=outcomes[outcome],
                                    what=t(f"status_{outcome}").lower()),
                                  style="List Bullet")
        bad = [x for x in r.targets if x.status != "ok"]
        if bad:
            doc.add_paragraph(t("docx_errors_row", count=len(bad)), style="List Bullet")
            for x in bad:
                doc.add_paragraph(f"{x.uri}: {x.error or x.status}", style="List Bullet 2")

    def summary(self) -> None:
        from docx.shared import Inches

        t, r, doc = self.t, self.result, self.doc
        doc.add_heading(t("summary_heading"), level=1)
        active = len(r.active_findings)
        failing = sum(1 for c in r.compliance if c.result == "fail")
        manual = sum(1 for c in r.compliance if c.result == "manual")
        scoping = sum(1 for c in r.compliance if c.result == "needs_scoping")
        if active or failing:
            doc.add_paragraph(t("verdict_findings", count=active, failing=failing))
        else:
            doc.add_paragraph(t("verdict_no_findings", manual=manual, scoping=scoping))
        stats = inventory_stats(r.inventory)
        if r.inventory:
            doc.add_paragraph(t("inventory_intro", places=stats.places,
                                sensitive=stats.sensitive,
                                cleartext=stats.sensitive_cleartext))
        counts = r.severity_counts()
        png = bar_chart_png([(counts[s.label], SEVERITY_COLORS[s.label])
                             for s in severities()])
        doc.add_picture(io.BytesIO(png), width=Inches(4.5))
        doc.add_paragraph(t("docx_chart_caption"), style="Caption")
        _table(doc, [t("col_severity"), t("col_findings")],
               [[t(f"severity_{s.label}"), str(counts[s.label])] for s in severities()])

    def frameworks(self) -> None:
        t, r, doc = self.t, self.result, self.doc
        doc.add_heading(t("docx_results"), level=1)
        statuses = framework_statuses(r)
        if not statuses:
            doc.add_paragraph(t("frameworks_none"))
        outcomes = ("fail", "no_finding", "attested", "manual", "needs_scoping",
                    "not_applicable", "not_assessed")
        _table(doc, ["", *(t(f"status_{o}") for o in outcomes)],
               [[fs.display_title(t.lang), *(str(fs.counts[o]) for o in outcomes)]
                for fs in statuses])
        for fs in statuses:
            doc.add_heading(fs.display_title(t.lang), level=2)
            rows = []
            for item in fs.items:
                if item.result not in ("fail", "manual", "attested"):
                    continue
                title = item.localized("title", t.lang)
                note = ""
                if item.attestation is not None:
                    a = item.attestation
                    note = t("attestation_value", result=a.get("result"),
                             assessor=a.get("assessor"), date=self.date(a.get("date")),
                             expires=self.date(a.get("expires")),
                             evidence=a.get("evidence"))
                    if not a.get("valid"):
                        note += " — " + t("attestation_expired")
                rows.append([item.requirement, title, t(f"status_{item.result}"),
                             str(len(item.findings)) if item.findings else "", note])
            if rows:
                _table(doc, [t("col_requirement"), t("col_title"), t("col_status"),
                             t("col_findings"), t("attestation_label")], rows,
                       widths=(0.17, 0.37, 0.13, 0.09, 0.24))

    def _groups(self) -> dict[str, list[Finding]]:
        groups: dict[str, list[Finding]] = {}
        for f in self.result.active_findings:
            groups.setdefault(f.rule_id, []).append(f)
        return groups

    def findings(self) -> None:
        t, doc = self.t, self.doc
        doc.add_heading(t("docx_findings_by_rule"), level=1)
        groups = self._groups()
        if not groups:
            doc.add_paragraph(t("findings_none"))
        for rule_id, items in groups.items():
            first = items[0]
            doc.add_heading(f"{t('severity_' + first.severity.label)} — {first.title} "
                            f"({rule_id}) — {t('findings_group', count=len(items))}", level=2)
            if first.remediation:
                doc.add_paragraph(f"{t('remediation')}: {first.remediation}")
            _table(doc, [t("col_location"), t("col_evidence"), t("col_subjects")],
                   [[location_label(f.location), evidence_text(f.evidence),
                     "" if f.subjects is None else str(f.subjects)]
                    for f in items[:MAX_ROWS]], widths=(0.45, 0.43, 0.12))
            if len(items) > MAX_ROWS:
                doc.add_paragraph(t("docx_more", count=len(items) - MAX_ROWS))
        doc.add_heading(t("docx_findings_by_system"), level=1)
        systems = self._systems()
        labels = [s.label for s in severities()]
        rows = []
        for name in sorted(systems):
            c = Counter(f.severity.label for f in systems[name])
            rows.append([name or t("docx_system_unnamed"), *(str(c.get(x, 0)) for x in labels),
                         str(len(systems[name]))])
        _table(doc, [t("col_system"), *(t(f"severity_{x}") for x in labels),
                     t("col_findings")], rows)

    def _systems(self) -> dict[str, list[Finding]]:
        from auditor.document import document_of

        info = document_of(self.result)
        out: dict[str, list[Finding]] = {}
        for f in self.result.active_findings:
            out.setdefault(info.system_of(f.location.uri), []).append(f)
        return out

    def remediation(self) -> None:
        from docx.shared import RGBColor

        t, doc = self.t, self.doc
        doc.add_heading(t("docx_remediation"), level=1)
        doc.add_paragraph(t("docx_remediation_intro"))
        plan = plan_view(self.result)
        if not plan.file:
            doc.add_paragraph(t("plan_none"))
        if plan.overdue:
            run = doc.add_paragraph().add_run(t("plan_overdue_summary", count=plan.overdue,
                                                date=self.date(self.result.as_of.isoformat())))
            run.bold = True
            run.font.color.rgb = RGBColor(0x99, 0x1B, 0x1B)
        _table(doc, [t("col_group"), t("col_findings"), t("col_owner"), t("col_deadline"),
                     t("col_plan_status"), t("col_note")],
               [[f"{r.title} ({r.rule_id})", str(r.findings),
                 r.owner if r.planned else t("plan_unplanned"), self.date(r.deadline),
                 r.status + (f" — {t('plan_overdue')}" if r.overdue else ""), r.note]
                for r in plan.rows], widths=(0.3, 0.08, 0.15, 0.16, 0.15, 0.16))
        table = doc.tables[-1]
        for row, r in zip(table.rows[1:], plan.rows, strict=True):
            if r.overdue:
                for cell in row.cells[3:5]:
                    for run in cell.paragraphs[0].runs:
                        run.bold = True
                        run.font.color.rgb = RGBColor(0x99, 0x1B, 0x1B)
        if plan.resolved:
            doc.add_paragraph(t("docx_plan_resolved"))
            for r in plan.resolved:
                doc.add_paragraph(f"{r.rule_id}: {r.owner} — {r.status}", style="List Bullet")

    def inventory(self) -> None:
        t, r, doc = self.t, self.result, self.doc
        doc.add_heading(t("inventory_heading"), level=1)
        if not r.inventory:
            doc.add_paragraph(t("inventory_none"))
            return
        _table(doc, [t("col_system"), t("col_store"), t("col_place"), t("col_data"),
                     t("col_categories"), t("col_protection"), t("col_subjects")],
               [[e.system, e.store, e.place, ", ".join(e.data), ", ".join(e.categories),
                 _protection(t, e.protection), "" if e.subjects is None else str(e.subjects)]
                for e in r.inventory], widths=(0.12, 0.2, 0.2, 0.16, 0.12, 0.12, 0.08))
        doc.add_paragraph(t("inventory_note"))
        doc.add_heading(t("annex_heading"), level=2)
        doc.add_paragraph(t("annex_intro"))
        for a in annex_views(r.inventory):
            fill = f"[{t('annex_complete')}]"
            _table(doc, [t("annex_system"), a.system or t("cover_blank")], [
                [t("annex_basic"), ", ".join(a.basic) or t("none_observed")],
                [t("annex_sensitive"), ", ".join(a.sensitive) or t("none_observed")],
                [t("annex_stores"), "\n".join(a.stores) or t("none_observed")],
                [t("annex_flows"), "\n".join(a.flows) or t("none_observed")],
                [t("annex_subjects"), str(a.subjects) if a.subjects is not None
                 else t("stat_subjects_unknown")],
                [t("annex_protection"), "; ".join(f"{_protection(t, s)}: {n}"
                                                  for s, n in a.protection)],
                *([t(k), fill] for k in ("annex_purpose", "annex_legal_basis",
                                         "annex_recipients", "annex_retention",
                                         "annex_transfer"))], widths=(0.36, 0.64))
            doc.add_paragraph("")

    def annexes(self) -> None:
        t, r, doc = self.t, self.result, self.doc
        doc.add_heading(t("docx_annexes"), level=1)
        doc.add_heading(t("docx_evidence"), level=2)
        evidence = _extra(r, "evidence")
        if evidence:
            doc.add_paragraph(t("docx_evidence_row", dir=evidence.get("dir"),
                                manifest=evidence.get("manifest"),
                                key_id=evidence.get("key_id")))
        else:
            doc.add_paragraph(t("docx_evidence_none"))
        doc.add_heading(t("run_packs"), level=2)
        for p in r.packs:
            doc.add_paragraph(f"{p.id} {p.version} sha256:{p.sha256}", style="List Bullet")
        doc.add_heading(t("run_frameworks"), level=2)
        for f in r.frameworks:
            doc.add_paragraph(f"{f.id} {f.version} sha256:{f.sha256}", style="List Bullet")

    def build(self) -> bytes:
        self.cover()
        self.summary()
        self.methodology()
        self.frameworks()
        self.findings()
        self.remediation()
        self.inventory()
        self.annexes()
        props = self.doc.core_properties
        props.title = self.t("report_title")
        props.author = f"auditor {self.result.tool_version}"
        buf = io.BytesIO()
        self.doc.save(buf)
        return buf.getvalue()


class DocxReporter(Reporter):
    name: ClassVar[str] = "docx"
    filename: ClassVar[str] = "report.docx"
    description: ClassVar[str] = ("audit document as DOCX (cover, methodology, results, "
                                  "remediation plan, inventory, annexes); needs python-docx")
    machine: ClassVar[bool] = False
    binary: ClassVar[bool] = True

    def render_bytes(self, result: ScanResult,
                     options: RenderOptions = DEFAULT_RENDER) -> bytes:
        try:
            import docx  # noqa: F401
        except ImportError:
            raise ConfigError("--format docx needs python-docx: pip install "
                              "'auditor[docs]'") from None
        return _Builder(options.apply(result)).build()

    def render(self, result: ScanResult, out: TextIO,
               options: RenderOptions = DEFAULT_RENDER) -> None:
        raise ConfigError("--format docx writes a binary document: give -o DIR or "
                          "-o FILE.docx")
