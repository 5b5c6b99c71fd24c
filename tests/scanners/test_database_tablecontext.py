"""Table-context decisions (scanners/database/tablecontext.py, profile.py) without a
server: dates of birth by range, organisation and reference tables, location traces by
neighbours, categories and credentials from values."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from auditor.scanners.database.classify import ColumnFacts
from auditor.scanners.database.columns import ColumnResult
from auditor.scanners.database.profile import ValueProfile, birth_date_shape
from auditor.scanners.database.tablecontext import refine, table_kind

TODAY = dt.date(2026, 1, 1)


def _dates(start: int, end: int, *, fmt: str = "%d/%m/%Y", timed: bool = False,
           n: int = 40) -> list[str]:
    rng = random.Random(start * 31 + end)
    lo, hi = dt.date(start, 1, 1).toordinal(), dt.date(end, 12, 31).toordinal()
    out = []
    for _ in range(n):
        day = dt.date.fromordinal(rng.randint(lo, min(hi, TODAY.toordinal() - 1)))
        text = day.strftime(fmt)
        out.append(f"{text} {rng.randint(1, 23):02d}:{rng.randint(0, 59):02d}:11" if timed
                   else text)
    return out


def _profile(column: str, values: list[str]) -> ValueProfile:
    profile = ValueProfile(column, 1000)
    for v in values:
        profile.add(v)
    return profile


@pytest.mark.parametrize(("values", "young", "expected"), [
    (_dates(1945, 2006), False, True),                   # adults' birth dates
    (_dates(1950, 2005, fmt="%Y-%m-%d"), False, True),
    (_dates(2009, 2019), True, True),                    # pupils, next to their names
    (_dates(2009, 2019), False, False),                  # children's ages need a name column
    (_dates(2016, 2025), False, False),                  # CCCD issue dates
    (_dates(2020, 2025), True, False),                   # enrolment dates
    (_dates(1980, 2000, timed=True), False, False),      # timestamps
    (_dates(2005, 2025), False, False),                  # hire dates: median too recent
    ([f"{y}-01-01" for y in range(1990, 2000)] + ["2030-01-01"], False, False),  # a future
])
def test_birth_dates_told_from_other_dates(values: list[str], young: bool,
                                           expected: bool) -> None:
    assert birth_date_shape(_profile("c2", values), TODAY, young=young) is expected


def _result(column: str, values: list[str], *, entities: tuple[str, ...] = (),
            categories: tuple[str, ...] = (), by_name: bool = False,
            data_type: str = "text") -> ColumnResult:
    facts = ColumnFacts(entities=entities, categories=categories,
                        hit_ratio=1.0 if entities else 0.0, confidence=0.9 if entities else 0.0,
                        sample_size=len(values), by_name=by_name)
    return ColumnResult(column, data_type, facts, len(values), profile=_profile(column, values))


@pytest.mark.parametrize(("table", "columns", "kind"), [
    ("dm_dan_toc", [("ten", ["Kinh", "Tày"])], "reference"),
    ("danh_muc_benh", [("ten", ["Viêm phổi"])], "reference"),
    ("phong_kham", [("ten", ["Phòng khám A"])], "organisations"),
    ("don_vi_hanh_chinh", [("ten", ["Phường Bến Nghé"])], "organisations"),
    ("co_so_y_te", [], "organisations"),
    ("facilities", [], "organisations"),
    ("hoc_sinh", [("ho_ten", ["Nguyễn Văn An"])], None),
    ("benh_nhan", [], None),
    ("ho_so", [], None),
    # a clinic list found by its name column: unique organisation names
    ("ds_import", [("ten", [f"Phòng khám Đa khoa số {i}" for i in range(20)])],
     "organisations"),
    # repeated facility names over records are not a list of facilities
    ("records", [("facility_name", ["Bệnh viện Chợ Rẫy", "Bệnh viện Bạch Mai"] * 10)], None),
])
def test_table_kind(table: str, columns: list[tuple[str, list[str]]], kind: str | None) -> None:
    assert table_kind(table, [_result(c, v) for c, v in columns]) == kind


def _refined(table: str, results: list[ColumnResult]) -> dict[str, ColumnResult]:
    return {r.column: r for r in refine(table, results, today=TODAY)}


def test_coordinates_are_a_trace_only_next_to_a_time_and_a_subject() -> None:
    lat = [f"10.{i:04d}" for i in range(30)]
    times = _dates(2024, 2025, fmt="%Y-%m-%d", timed=True, n=30)
    ids = [str(i % 7) for i in range(30)]
    traced = _refined("gps", [_result("lat", lat), _result("recorded_at", times),
                              _result("driver_id", ids)])
    assert traced["lat"].facts is not None
    assert traced["lat"].facts.categories == ("LOCATION_TRACE",)
    station = _refined("weather", [_result("lat", lat), _result("recorded_at", times)])
    assert station["lat"].facts is not None and not station["lat"].facts.categories
    clinic = _refined("clinics", [_result("lat", lat, categories=("LOCATION_TRACE",)),
                                  _result("updated_at", times), _result("owner_id", ids)])
    assert clinic["lat"].facts is not None and not clinic["lat"].facts.categories


def test_organisation_tables_keep_only_people() -> None:
    names = [f"Phòng khám Đa khoa số {i}" for i in range(20)]
    refined = _refined("clinics", [
        _result("ten", names, entities=("PERSON",)),
        _result("dia_chi", ["12 Lê Lợi, Quận 1"] * 20, entities=("ADDRESS",)),
        _result("giam_doc", ["Nguyễn Văn An"] * 20, entities=("PERSON",))])
    assert [refined[c].facts.entities for c in ("ten", "dia_chi", "giam_doc")  # type: ignore[union-attr]
            ] == [(), (), ("PERSON",)]


@pytest.mark.parametrize(("values", "categories"), [
    (["Kinh"] * 15 + ["Tày", "Thái", "Mường", "Khmer", "Hoa"], ["ETHNICITY"]),
    (["Không"] * 12 + ["Phật giáo", "Công giáo", "Cao Đài", "Tin Lành"] * 2, ["RELIGION"]),
    (["J18.9", "I10", "E11.9", "K29.7"] * 5, ["HEALTH"]),
    (["Không"] * 20, []),                                  # "no" alone shows nothing
    (["Kinh", "Tày", "Thái", "Mường", "Hoa"] * 1, []),     # no repeats: a reference list
    (["Hoa", "Lan", "Mai", "Cúc", "Hồng", "Đào"] * 4, []),  # given names, one ethnic word
    (["Bệnh viện Chợ Rẫy", "Bệnh viện Bạch Mai"] * 10, []),  # hospitals, not health
])
def test_categories_from_values(values: list[str], categories: list[str]) -> None:
    refined = _refined("t", [_result("c7", values)])
    facts = refined["c7"].facts
    assert facts is not None and list(facts.categories) == categories
    if categories:
        assert facts.attributes["basis"] == "values"


@pytest.mark.parametrize(("column", "values", "kinds"), [
    ("dsn", ["postgresql://app:Pw83!kT2@db1:5432/crm"] * 5, ["url-password"]),
    ("conn", ["Server=sql1;Database=erp;User Id=sa;Password=Pw83!kT2;"] * 5,
     ["password-assignment"]),
    ("x", ["ghp_" + "a1B2c3D4e5" * 4] * 5, ["github-token"]),
    ("password_changed_at", ["2024-05-01"] * 5, []),
    ("callback_url", ["https://shop.example.vn/cb/1"] * 5, []),
    ("note", ["password: ******** (hidden)"] * 5, []),
])
def test_credentials_in_values(column: str, values: list[str], kinds: list[str]) -> None:
    refined = _refined("t", [_result(column, values, entities=("PASSWORD",) if kinds else ())])
    assert sorted(refined[column].credentials) == kinds
    if kinds:
        assert refined[column].facts is not None
        assert "PASSWORD" not in refined[column].facts.entities  # type: ignore[union-attr]
