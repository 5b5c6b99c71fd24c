"""CSV report: header, one row per finding (suppressed included), exact round-trip,
spreadsheet formula injection neutralised."""

from __future__ import annotations

import csv
import dataclasses
import io

import pytest
from auditor.reports.csv import COLUMNS, CsvReporter, read_findings
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.models import Location
from auditor.results import ScanResult
from tests.reports.sample import sample_result


def render(result: ScanResult) -> str:
    buf = io.StringIO()
    CsvReporter().render(result, buf)
    return buf.getvalue()


def test_one_row_per_finding_with_header() -> None:
    result = sample_result()
    rows = list(csv.DictReader(io.StringIO(render(result))))
    assert tuple(rows[0].keys()) == COLUMNS
    assert [r["fingerprint"] for r in rows] == [f.fingerprint for f in result.findings]
    sup = {r["fingerprint"][0]: (r["suppressed"], r["suppression_source"]) for r in rows}
    assert sup["a"] == ("true", "file")
    assert sup["d"] == ("true", "baseline")
    assert sup["b"] == ("false", "")
    cards = next(r for r in rows if r["column"] == "pan")
    assert (cards["table"], cards["line"], cards["entities"], cards["subjects"]) == \
        ("public.cards", "40", "CREDIT_CARD", "87")
    assert cards["controls"] == "vn-pdpl-2025:L91-protection-measures"


def test_round_trips_exactly() -> None:
    result = sample_result()
    back = tuple(read_findings(io.StringIO(render(result))))
    assert back == result.findings
    # Field by field too: Finding.__eq__ is dataclass equality over every field.
    for a, b in zip(back, result.findings, strict=True):
        assert dataclasses.asdict(a) == dataclasses.asdict(b)


@pytest.mark.parametrize(("message", "cell"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+1+2", "'+1+2"),
    ("-2", "'-2"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("'quoted", "''quoted"),
    ("plain text", "plain text"),
])
def test_formula_cells_are_neutralised_and_still_round_trip(message: str, cell: str) -> None:
    result = sample_result()
    f = dataclasses.replace(result.findings[0], message=message,
                            location=Location("=cmd|' /C calc'!A0"))
    one = dataclasses.replace(result, findings=(f,))
    row = next(csv.DictReader(io.StringIO(render(one))))
    assert row["message"] == cell
    assert row["uri"].startswith("'=")
    assert next(read_findings(io.StringIO(render(one)))) == f


def test_reading_a_foreign_csv_is_refused() -> None:
    with pytest.raises(ValueError, match="not an auditor CSV report"):
        list(read_findings(io.StringIO("a,b\n1,2\n")))


_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                max_size=40)


@settings(max_examples=150, deadline=None)
@given(message=_text, uri=_text.filter(bool), key=st.none() | _text.filter(bool),
       reason=_text, evidence=st.dictionaries(_text, _text, max_size=3),
       line=st.none() | st.integers(1, 10**6))
def test_round_trip_property(*, message: str, uri: str, key: str | None, reason: str,
                             evidence: dict[str, str], line: int | None) -> None:
    """Any text (quotes, commas, newlines, formula characters, Vietnamese) round-trips."""
    from auditor.results import Suppression
    base = sample_result()
    f = dataclasses.replace(base.findings[0], message=message,
                            location=Location(uri, line=line, key=key), evidence=evidence,
                            suppressed=True, suppression=Suppression("file", reason, "a", None))
    one = dataclasses.replace(base, findings=(f,))
    assert tuple(read_findings(io.StringIO(render(one), newline=""))) == (f,)
