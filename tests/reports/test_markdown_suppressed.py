"""Markdown keeps suppressed findings visible (collapsed) and calls out expired ones."""

from __future__ import annotations

import io

from auditor.reports.markdown import MarkdownReporter

from tests.reports.sample import sample_result


def test_suppressed_findings_and_expired_suppressions_are_listed() -> None:
    buf = io.StringIO()
    MarkdownReporter().render(sample_result(), buf)
    text = buf.getvalue()
    assert "<details><summary>2 suppressed finding(s)</summary>" in text
    assert ("| critical | `core.secret.aws-key` | config/app.env:3 (AWS_SECRET_ACCESS_KEY) | "
            "Tran Thi B (expires 2027-01-31) | rotated, test account |") in text
    assert "| baseline | present in baseline run r0 |" in text
    assert ("> **Expired suppression** (sup.yaml:3, expired 2026-01-31): 2 finding(s) no "
            "longer suppressed.") in text
