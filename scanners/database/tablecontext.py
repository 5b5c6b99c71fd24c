"""Decisions taken with the whole table in view (database and SQL dump scanners).

The PII engine judges one column at a time from its name and values. Some facts need the
table: :func:`refine` revises every column result of one table, deterministically:

- **credentials in data**: a column whose values hold connection strings or URLs with a
  password, or API tokens (``profile.credentials``) is a credential store, not personal
  data: ``PASSWORD`` found in those values is dropped from its entities, and the result
  carries ``credentials`` (detector name -> count) for a ``db.credential_column``
  observation;
- **organisations, administrative units and reference lists are not people**: a table
  whose name says it lists clinics, schools, companies, provinces, wards... (``clinics``,
  ``dm_tinh``, ``co_so_y_te``), or whose name column holds organisation or unit names
  (``Phòng khám …``, ``Phường …``), keeps only a person's name or identity number found in
  it (a director, a name in a free-text note); addresses, phones, e-mails and tax codes
  there belong to the organisation, and no sensitive category applies. Reference tables
  (``dm_*``, ``danh_muc_*``, ``lookup_*``) get nothing;
- **sensitive categories from values**: a column whose values are ethnic groups,
  religions, diagnoses or ICD-10 codes, criminal-record terms... (``profile``) carries that
  category, when the values repeat (a list of the 54 ethnic groups is a reference list);
- **tax codes by check digit**: nearly every value passes the check digit;
- **location traces by neighbours**: a coordinate column (``lat``, ``vi_do``,
  ``longitude``) is a ``LOCATION_TRACE`` when the table also has timestamps and a column
  naming whom or what the positions follow (``user_id``, ``driver_id``, ``device_id``);
  a clinic's or a weather station's coordinates are not;
- **dates of birth by range, position and neighbours**: a date column whose name names
  no other date (issue, expiry, visit, creation...) is a date of birth when its values
  are shaped like birth dates (:func:`scanners.database.profile.birth_date_shape`); a
  table that also holds a person's name accepts children's ages.

A **column comment** (``c3 COMMENT 'Dân tộc'``) adds the sensitive categories it names,
and a date of birth when the values are dates (``by_comment`` says so).

Every revised result says how it was decided in ``basis``: ``name`` (the column name
alone), ``values`` (sampled values alone: meaningless names such as ``c3``, ``field_7``,
``data``), ``name+values``; a decision from values alone has a lower confidence.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence

from auditor.models import JSONValue
from auditor.pii.columns import name_signal
from auditor.pii.text import name_tokens

from .classify import ColumnFacts
from .columns import ColumnResult
from .profile import ValueProfile, birth_date_shape

__all__ = ["refine", "table_kind"]

#: table-name words of lists of organisations and administrative units
_ORG_TABLE_WORDS = frozenset({
    "clinic", "clinics", "phong", "kham", "hospital", "hospitals", "benh", "vien", "school",
    "schools", "truong", "hoc", "company", "companies", "cong", "ty", "branch", "branches",
    "chi", "nhanh", "store", "stores", "cua", "hang", "organization", "organizations",
    "organisation", "organisations", "to", "chuc", "department", "departments", "ban",
    "agency", "agencies", "co", "quan", "don", "vi", "facility", "facilities", "so", "y",
    "te", "tinh", "thanh", "huyen", "xa", "phuong", "province", "provinces", "district",
    "districts", "ward", "wards", "commune", "communes", "hanh", "administrative", "unit",
    "units", "pharmacy", "pharmacies", "nha", "thuoc", "supplier", "suppliers", "vendor",
    "vendors", "partner", "partners", "bank", "banks", "ngan", "region", "regions", "vung",
    "mien", "area", "areas", "khu", "vuc", "office", "offices", "van", "tram", "chinh",
})
#: words a table name must hold one of to be an organisation list (not only fillers)
_ORG_TABLE_HEADS = frozenset({
    "clinic", "clinics", "kham", "hospital", "hospitals", "vien", "school", "schools",
    "truong", "company", "companies", "ty", "branch", "branches", "nhanh", "store", "stores",
    "organization", "organizations", "organisation", "organisations", "chuc", "department",
    "departments", "agency", "agencies", "facility", "facilities", "tinh", "huyen", "xa",
    "phuong", "province", "provinces", "district", "districts", "ward", "wards", "commune",
    "communes", "pharmacy", "pharmacies", "thuoc", "supplier", "suppliers", "vendor",
    "vendors", "partner", "partners", "bank", "banks", "region", "regions", "office",
    "offices", "tram", "units", "chinh", "te",
})
_FILLERS = frozenset({"dm", "danh", "muc", "ds", "sach", "list", "tbl", "ref", "master",
                      "lookup", "md", "data", "info", "thong", "tin", "all", "s"})
_REFERENCE_HEADS = frozenset({"dm", "lookup", "ref", "enum", "code", "codes"})
_NAME_WORDS = frozenset({"ten", "name", "title", "label", "tieu", "de"})
#: entity types that stay in an organisation table: a person's name or identity
_PERSON_TYPES = frozenset({"PERSON", "VN_CCCD", "VN_CMND", "VN_PASSPORT"})
#: column-name words of dates that are not birth dates
_OTHER_DATES = frozenset({
    "cap", "issue", "issued", "het", "han", "expiry", "expire", "expires", "expiration",
    "created", "create", "updated", "update", "modified", "deleted", "start", "end", "hire",
    "hired", "join", "joined", "kham", "visit", "appointment", "hen", "giao", "dich",
    "transaction", "order", "payment", "thanh", "toan", "tao", "nhap", "xuat", "login",
    "last", "due", "valid", "effective", "hieu", "luc", "death", "mat", "at", "on", "time",
    "timestamp", "ts", "ky", "dang", "registered", "registration", "admitted", "discharge",
    "vao", "ra", "gui", "nhan", "booking", "checkin", "checkout", "period", "month", "year",
})
_VALUE_CONFIDENCE = 0.6
#: column names of coordinates
_COORDINATES = frozenset({("lat",), ("latitude",), ("lng",), ("lon",), ("long",),
                          ("longitude",), ("vi", "do"), ("kinh", "do"), ("toa", "do"),
                          ("vido",), ("kinhdo",), ("toado",), ("gps",), ("coordinates",),
                          ("coords",), ("geo",), ("location",), ("position",), ("vi", "tri")})
#: words of a column that points at the person or device a position belongs to
_SUBJECT_WORDS = frozenset({"user", "users", "driver", "nguoi", "customer", "khach",
                            "employee", "nhan", "patient", "benh", "device", "thiet", "member",
                            "account", "tai", "shipper", "rider", "imei", "msisdn", "subject",
                            "citizen", "cong", "person", "vehicle", "xe", "phone"})


def _words(name: str) -> tuple[str, ...]:
    return name_tokens(name.rsplit(".", 1)[-1])


def table_kind(table: str, results: Sequence[ColumnResult]) -> str | None:
    """``reference`` (a code list), ``organisations`` (clinics, schools, units...) or
    None (rows may be about people)."""
    words = _words(table)
    if (words and words[0] in _REFERENCE_HEADS) or words[:2] == ("danh", "muc"):
        return "reference"
    core = [w for w in words if w not in _FILLERS]
    if core and all(w in _ORG_TABLE_WORDS for w in core) and \
            any(w in _ORG_TABLE_HEADS for w in core):
        return "organisations"
    for result in results:
        profile = result.profile
        if profile is None or profile.seen < 5 or result.json_key is not None:
            continue
        if not set(name_tokens(result.column)) & _NAME_WORDS or profile.repeats:
            continue  # NOTE: a facility name repeated over records is not a list of them
        if profile.share(profile.organisations + profile.units) >= 0.6:
            return "organisations"
    return None


def _is_coordinate(column: str) -> bool:
    words = name_tokens(column)
    return any(words[i:i + len(c)] == c for c in _COORDINATES for i in range(len(words)))


def _traces(results: Sequence[ColumnResult]) -> bool:
    """Positions in this table follow someone: a time column (timestamps) next to a
    column naming a person, account, vehicle or device, or a person's name."""
    timed = any(r.profile is not None and r.profile.seen >= 5
                and r.profile.share(r.profile.timed) >= 0.8 for r in results)
    subject = any(
        (set(name_tokens(r.column)) & _SUBJECT_WORDS and not _is_coordinate(r.column))
        or (r.facts is not None and "PERSON" in r.facts.entities) for r in results)
    return timed and subject


def _basis(facts: ColumnFacts, from_values: bool) -> str:
    if not facts.by_name:
        return "values"
    return "name+values" if from_values else "name"


def refine(table: str, results: Sequence[ColumnResult], *,
           comments: Mapping[str, str] | None = None,
           today: dt.date | None = None) -> list[ColumnResult]:
    """The column results of one table, revised with the table in view (module doc).
    ``comments``: column -> the schema's comment on it."""
    today = today or dt.date.today()
    kind = table_kind(table, results)
    has_person = any(r.facts is not None and "PERSON" in r.facts.entities for r in results)
    traces = _traces(results)
    comments = comments or {}
    refined = [_refine(r, kind, has_person=has_person, today=today, traces=traces,
                       comment=comments.get(r.column) if r.json_key is None else None)
               for r in results]
    if kind is not None:
        return refined
    people = any(r.facts is not None and r.facts.entities and r.protection is None
                 for r in refined)
    return [_by_name_only(r, table, people=people,
                          comment=comments.get(r.column) if r.json_key is None else None)
            for r in refined]


def _by_name_only(result: ColumnResult, table: str, *, people: bool,
                  comment: str | None) -> ColumnResult:
    """Personal data the values cannot show, said by the column's name or comment:

    - **protected values**: a column whose values are ciphertext, tokens or hashes
      (``result.protection``) and whose name or comment names an entity type
      (``cccd_ma_hoa``, ``sdt_hash``) holds that data protected: it gets the entity types
      (the observation says ``protected``, so no cleartext finding follows), so the
      inventory lists it with its protection state;
    - **personal data without an entity type** (``nhom_mau``, ``gioi_tinh``: the lexicon's
      ``labels``) in a table that holds other personal data in cleartext: the labels go
      to ``personal_data`` (no entity type, no category; values no detector recognises
      do not make a cleartext finding, the inventory lists the column).
    """
    facts = result.facts
    if facts is None or facts.entities or facts.categories or result.credentials \
            or result.password_storage is not None:
        return result
    leaf = result.column if result.json_key is None else \
        result.json_key.rsplit(".", 1)[-1].replace("[]", "")
    signal = name_signal(leaf, table)
    said = name_signal(comment) if comment else None
    if result.protection is not None and facts.sample_size > 0:
        entities = sorted({*signal.entities, *(said.entities if said else ())})
        if entities:
            return dataclasses.replace(result, facts=facts.revised(
                entities, (), confidence=max(facts.confidence, 0.6),
                extra={"basis": "name", "protected_by_name": True,
                       **({"by_comment": True} if said and said.entities else {})}))
        return result
    labels = sorted({*signal.labels, *(said.labels if said else ())})
    if labels and people and facts.sample_size > 0 and result.protection is None:
        return dataclasses.replace(result, facts=facts.revised(
            (), (), confidence=max(facts.confidence, 0.5),
            extra={"basis": "name", "personal_data": list(labels)}))
    return result


@dataclasses.dataclass(slots=True)
class _Draft:
    """The revision of one column's facts being decided."""

    entities: set[str]
    categories: set[str]
    confidence: float
    hit_ratio: float
    from_values: bool
    by_name: bool
    said: dict[str, JSONValue] = dataclasses.field(default_factory=dict)

    def shown(self, share: float, confidence: float) -> None:
        """Values showed something: the hit ratio and, for a column whose name says
        nothing, a confidence that says the values alone decided."""
        self.from_values = True
        self.hit_ratio = max(self.hit_ratio, share)
        if not self.by_name:
            self.confidence = max(self.confidence, confidence)


def _from_values(draft: _Draft, result: ColumnResult, profile: ValueProfile, *,
                 has_person: bool, today: dt.date) -> None:
    shown = set(profile.value_categories()) if profile.repeats else set()
    if shown:
        draft.shown(max(profile.share(profile.categories[c]) for c in shown),
                    _VALUE_CONFIDENCE + 0.1)
        # NOTE: a column of religions or ethnic groups is not a column of names
        # ("Cao Đài" is a religion, not Mr Cao).
        draft.entities -= {"PERSON", "ADDRESS"}
        draft.categories |= shown
    if "VN_TAX_CODE" not in draft.entities and profile.seen >= 5 and \
            profile.share(profile.tax_codes) >= 0.9:
        draft.entities.add("VN_TAX_CODE")
        draft.shown(profile.share(profile.tax_codes), _VALUE_CONFIDENCE + 0.1)
    if "DATE_OF_BIRTH" not in draft.entities and \
            not set(name_tokens(result.column)) & _OTHER_DATES and \
            birth_date_shape(profile, today, young=has_person):
        draft.entities.add("DATE_OF_BIRTH")
        draft.shown(profile.date_share, _VALUE_CONFIDENCE)


def _from_comment(draft: _Draft, comment: str, profile: ValueProfile | None) -> None:
    signal = name_signal(comment)
    if set(signal.categories) - draft.categories:
        draft.said["by_comment"] = True
        draft.categories |= set(signal.categories)
        draft.confidence = max(draft.confidence, 0.6)
    if "DATE_OF_BIRTH" in signal.entities and profile is not None and \
            profile.date_share >= 0.8 and "DATE_OF_BIRTH" not in draft.entities:
        draft.said["by_comment"] = True
        draft.entities.add("DATE_OF_BIRTH")
        draft.hit_ratio = max(draft.hit_ratio, profile.date_share)
        draft.confidence = max(draft.confidence, 0.8)


def _coordinates(draft: _Draft, result: ColumnResult, *, traced: bool) -> None:
    if traced:
        draft.categories.add("LOCATION_TRACE")
        draft.from_values = draft.from_values or result.non_null > 0
        draft.hit_ratio = max(draft.hit_ratio, 1.0 if result.non_null else 0.0)
        draft.confidence = max(draft.confidence, 0.7)
    else:
        draft.categories.discard("LOCATION_TRACE")  # a clinic's or a weather station's position


def _by_kind(draft: _Draft, kind: str | None, profile: ValueProfile | None) -> None:
    if profile is not None and profile.share(profile.organisations) >= 0.5:
        draft.entities.discard("PERSON")  # "Phòng khám Đa khoa Lê Lợi" names a clinic
    if kind == "reference":
        draft.entities, draft.categories = set(), set()
    elif kind == "organisations":
        draft.entities &= _PERSON_TYPES
        draft.categories = set()
        if profile is not None and profile.share(profile.organisations + profile.units) >= 0.5:
            draft.entities.clear()


def _refine(result: ColumnResult, kind: str | None, *, has_person: bool,
            today: dt.date, traces: bool, comment: str | None) -> ColumnResult:
    facts, profile = result.facts, result.profile
    if facts is None:
        return result
    draft = _Draft(set(facts.entities), set(facts.categories), facts.confidence,
                   facts.hit_ratio, facts.hit_ratio > 0, facts.by_name)
    credentials: dict[str, int] = {}
    if profile is not None and profile.credential_values:
        credentials = dict(sorted(profile.credentials.items()))
        draft.entities.discard("PASSWORD")
        if profile.share(profile.credential_values) >= 0.5:
            # NOTE: hosts, user names and addresses inside connection strings and webhook
            # URLs describe infrastructure, not people.
            draft.entities, draft.categories = set(), set()
    if profile is not None and kind is None:
        _from_values(draft, result, profile, has_person=has_person, today=today)
    if comment:
        _from_comment(draft, comment, profile)
    if _is_coordinate(result.column) and result.json_key is None:
        _coordinates(draft, result, traced=traces and kind is None)
    _by_kind(draft, kind, profile)
    entities, categories = draft.entities, draft.categories
    if (entities, categories) == (set(facts.entities), set(facts.categories)) \
            and not credentials and kind is None:
        basis = _basis(facts, draft.from_values) if facts.is_personal else None
        if basis is None:
            return result
        return dataclasses.replace(result, facts=facts.revised(
            facts.entities, facts.categories, extra={"basis": basis}))
    revised = facts.revised(
        sorted(entities), sorted(categories),
        confidence=round(draft.confidence, 3) if entities or categories else 0.0,
        hit_ratio=draft.hit_ratio,
        extra={"basis": _basis(facts, draft.from_values), **draft.said,
               **({"table_kind": kind} if kind else {})})
    return dataclasses.replace(result, facts=revised, credentials=credentials)
