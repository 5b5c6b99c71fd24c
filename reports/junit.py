"""JUnit XML report (``--format junit``, ``report.junit.xml``) for CI dashboards.

One ``<testsuite>`` per framework with one ``<testcase>`` per requirement (``fail`` ->
``<failure>`` listing the findings, ``not_assessed`` and ``manual`` -> ``<skipped>`` with
the reason or the auditor's guidance, ``pass`` -> a passing case), then a suite
``auditor.policy.rules`` with one case per rule that produced findings (a failure when any of
its findings is unsuppressed, a pass listing the suppressed ones otherwise).
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import ClassVar, TextIO

from auditor.reporting import DEFAULT_RENDER, RenderOptions, Reporter
from auditor.results import ComplianceItem, Finding, ScanResult
from auditor.views import framework_statuses, location_label

__all__ = ["JunitReporter"]

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    """Text safe for XML 1.0 (control characters are not allowed even escaped)."""
    return _INVALID_XML.sub("\ufffd", text)


def _finding_line(f: Finding) -> str:
    state = f" [suppressed: {f.suppression.source}]" if f.suppressed and f.suppression \
        else (" [suppressed]" if f.suppressed else "")
    return f"{f.severity.label.upper()} {f.rule_id} {location_label(f.location)}: " \
           f"{f.message}{state}"


def _utc(text: str) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value.astimezone(dt.UTC) if value.tzinfo else value


def _suite(parent: ET.Element, name: str, result: ScanResult) -> ET.Element:
    # NOTE: the Ant JUnit schema's timestamp has no timezone: UTC, written without offset
    start, end = _utc(result.started_at), _utc(result.finished_at)
    suite = ET.SubElement(parent, "testsuite", name=_clean(name))
    if start is not None:
        suite.set("timestamp", start.strftime("%Y-%m-%dT%H:%M:%S"))
    if start is not None and end is not None:
        suite.set("time", f"{max((end - start).total_seconds(), 0.0):.3f}")
    props = ET.SubElement(suite, "properties")
    for key, value in (("run_id", result.run_id), ("as_of", result.as_of.isoformat()),
                       ("tool_version", result.tool_version)):
        ET.SubElement(props, "property", name=key, value=_clean(value))
    return suite


def _tally(suite: ET.Element) -> tuple[int, int, int]:
    cases = suite.findall("testcase")
    failures = sum(1 for c in cases if c.find("failure") is not None)
    skipped = sum(1 for c in cases if c.find("skipped") is not None)
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    return len(cases), failures, skipped


def _requirement_case(suite: ET.Element, framework: str, item: ComplianceItem,
                      by_fp: dict[str, Finding], lang: str) -> None:
    title = item.localized("title", lang)
    case = ET.SubElement(suite, "testcase", classname=_clean(framework),
                         name=_clean(f"{item.requirement} {title}".strip()))
    if item.status == "fail":
        found = [by_fp[fp] for fp in item.findings if fp in by_fp]
        failure = ET.SubElement(case, "failure", type="compliance.fail",
                                message=f"{len(found) or len(item.findings)} finding(s)")
        failure.text = _clean("\n".join(_finding_line(f) for f in found))
    elif item.result == "needs_scoping":
        ET.SubElement(case, "skipped", message=_clean(
            f"needs scoping: declare {item.scope or 'the scope'} with --param"))
    elif item.result == "not_applicable":
        ET.SubElement(case, "skipped", message=_clean(
            f"not applicable: out of the declared scope ({item.scope})"))
    elif item.status == "not_assessed":
        ET.SubElement(case, "skipped", message=_clean(
            "not assessed: no scanner looked at what this requirement needs"
            + (f" (rules: {', '.join(item.rules)})" if item.rules else "")))
    elif item.status == "manual":
        review = f"review required ({len(item.pointers)} finding(s) show where): " \
            if item.review else ""
        ET.SubElement(case, "skipped", message=_clean(
            "manual check: " + review + (item.guidance or "see the framework guidance")))
    elif item.result == "no_finding":
        # NOTE: a JUnit pass; system-out says it is no finding, not conformity
        out = ET.SubElement(case, "system-out")
        out.text = _clean(f"no finding by the automated checks ({item.coverage}): "
                          f"{item.checked}")


def _rule_cases(suite: ET.Element, findings: Iterable[Finding]) -> None:
    by_rule: dict[str, list[Finding]] = {}
    for f in findings:
        by_rule.setdefault(f.rule_id, []).append(f)
    for rule_id in sorted(by_rule):
        group = by_rule[rule_id]
        case = ET.SubElement(suite, "testcase", classname=_clean(f"rules.{group[0].pack}"),
                             name=_clean(f"{rule_id} {group[0].title}".strip()))
        active = [f for f in group if not f.suppressed]
        if active:
            failure = ET.SubElement(case, "failure", type=f"severity.{active[0].severity.label}",
                                    message=f"{len(active)} finding(s)")
            failure.text = _clean("\n".join(_finding_line(f) for f in group))
        else:
            out = ET.SubElement(case, "system-out")
            out.text = _clean("\n".join(_finding_line(f) for f in group))


class JunitReporter(Reporter):
    name: ClassVar[str] = "junit"
    filename: ClassVar[str] = "report.junit.xml"
    description: ClassVar[str] = "JUnit XML: one test case per requirement and per rule"
    machine: ClassVar[bool] = True

    def render(self, result: ScanResult, out: TextIO,
               options: RenderOptions = DEFAULT_RENDER) -> None:
        result = options.apply(result)
        root = ET.Element("testsuites", name="auditor")
        by_fp = {f.fingerprint: f for f in result.findings}
        totals = [0, 0, 0]
        for status in framework_statuses(result):
            suite = _suite(root, f"compliance.{status.id}", result)
            for item in status.items:
                _requirement_case(suite, status.id, item, by_fp, result.lang)
            for i, n in enumerate(_tally(suite)):
                totals[i] += n
        suite = _suite(root, "auditor.policy.rules", result)
        _rule_cases(suite, result.findings)
        for i, n in enumerate(_tally(suite)):
            totals[i] += n
        root.set("tests", str(totals[0]))
        root.set("failures", str(totals[1]))
        root.set("errors", "0")
        root.set("skipped", str(totals[2]))
        ET.indent(root)
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        out.write(ET.tostring(root, encoding="unicode"))
        out.write("\n")
