"""What a column's sampled values look like as a whole, beyond entity detection.

A :class:`ValueProfile` is fed the first ``limit`` text values of one column (the same
values the PII engine sees) and keeps only counts and dates, never values:

- **dates**: values that are calendar dates (``1990-05-12``, ``12/05/1990``, ``12.05.1990``,
  ``1990-05-12 00:00:00``); whether they carry a time of day. A date column is a date of
  birth or something else by its *range* (how old the dates are and how widely spread),
  see :func:`birth_date_shape`;
- **organisations and administrative units**: values that name a clinic, school,
  company... (``Phòng khám Đa khoa …``, ``Trường THPT …``, ``Công ty TNHH …``) or an
  administrative unit (``Phường Bến Nghé``, ``Huyện Củ Chi``, ``Hà Nội``);
- **sensitive-category vocabulary** (``auditor/pii/lexicons/categories.yaml``): values
  that are one of Vietnam's 54 ethnic groups, a religion, a diagnosis or ICD-10 code, a
  criminal-record term, a sexual orientation...;
- **tax codes**: values that pass the tax-code check digit (10 digits, or 13 with the
  ``-NNN`` branch suffix); one random 10-digit number in eleven passes, so a column where
  nearly all do holds tax codes even under a meaningless name;
- **credentials**: values holding a connection string or URL with a password, or an API
  token of a well-known format (the config scanner's secret detectors); only detector
  names are counted.

Used by :mod:`scanners.database.tablecontext`, which decides with the whole table in view.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from auditor.knowledge.secrets import text_secrets, value_secrets
from auditor.knowledge.values import is_secret_key
from auditor.pii.lexicon import admin_vocabulary, read_yaml
from auditor.pii.text import fold_lower

__all__ = ["ValueProfile", "birth_date_shape", "category_vocabulary"]

_DATE = re.compile(
    r"^(?:(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})"
    r"|(?P<d2>\d{1,2})[/.\-](?P<m2>\d{1,2})[/.\-](?P<y2>\d{4}))"
    r"(?:[T ](?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(?:Z|[+-]\d{2}:?\d{2})?)?$")
# Names about a secret, not holding one: password_changed_at, token_expires, secret_hint.
_ABOUT_SECRET = re.compile(
    r"(?:_at|_on)$|date|time|expir|reset|hint|policy|count|attempt|changed|length|strength|"
    r"required|enabled|algo|type|version|rule|ttl|name|id$|question", re.IGNORECASE)
_TAX_SHAPE = re.compile(r"^\d{10}(?:-\d{3})?$")
_MIDNIGHT = re.compile(r"^00:00(?::00(?:\.0+)?)?$")
_ORG_PREFIXES = (
    "phong kham", "benh vien", "truong", "cong ty", "trung tam", "chi nhanh", "ubnd",
    "uy ban", "tram y te", "nha thuoc", "quay thuoc", "van phong", "so ", "bo ", "cuc ",
    "ngan hang", "hop tac xa", "htx", "doanh nghiep", "clinic", "hospital", "school",
    "university", "college", "company", "bank", "branch", "dai hoc", "mam non", "tieu hoc",
    "thcs", "thpt", "vien ", "khoa ", "ctcp", "tnhh", "co so",
)
_UNIT_PREFIXES = ("phuong ", "xa ", "quan ", "huyen ", "tinh ", "thanh pho ", "tp ", "tp.",
                  "thi tran ", "thi xa ", "dac khu ", "ward ", "district ", "province ",
                  "commune ", "khu pho ", "thon ", "ap ")
_CREDENTIAL_DETECTORS = frozenset({
    "aws-access-key", "github-token", "gitlab-token", "slack-token", "slack-webhook",
    "google-api-key", "stripe-key", "sendgrid-key", "npm-token", "jwt", "private-key",
    "url-password", "password-assignment"})


@lru_cache(maxsize=1)
def category_vocabulary() -> dict[str, tuple[frozenset[str], frozenset[str], tuple[str, ...],
                                             re.Pattern[str] | None]]:
    """Category -> (whole values, neutral values, words a value may contain, value
    pattern), folded."""
    raw = read_yaml("categories.yaml")["categories"]
    out = {}
    for category, entry in raw.items():
        values = frozenset(fold_lower(str(v)) for v in entry.get("values", ()))
        neutral = frozenset(fold_lower(str(v)) for v in entry.get("neutral", ()))
        words = tuple(fold_lower(str(w)) for w in entry.get("contains", ()))
        pattern = re.compile(entry["pattern"]) if entry.get("pattern") else None
        out[str(category)] = (values, neutral, words, pattern)
    return out


@lru_cache(maxsize=1)
def _provinces() -> frozenset[str]:
    return frozenset(fold_lower(p) for p in admin_vocabulary()["provinces"])


@dataclass(slots=True)
class ValueProfile:
    """Counts over the first ``limit`` values of one column (see module docstring)."""

    column: str
    limit: int
    seen: int = 0
    dates: list[dt.date] = field(default_factory=list)
    timed: int = 0
    organisations: int = 0
    units: int = 0
    categories: Counter[str] = field(default_factory=Counter)
    neutral: Counter[str] = field(default_factory=Counter)
    credentials: Counter[str] = field(default_factory=Counter)
    credential_values: int = 0
    tax_codes: int = 0
    secret_named: bool = False
    distinct: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.secret_named = is_secret_key(self.column) and not _ABOUT_SECRET.search(self.column)

    def add(self, value: str) -> None:
        if self.seen >= self.limit:
            return
        text = value.strip()
        if not text:
            return
        self.seen += 1
        # NOTE: a Python hash of the value, only to count repeats within this scan
        self.distinct.add(hash(text))
        if len(text) <= 40 and text[:1].isdigit():
            self._date(text)
            if _TAX_SHAPE.match(text):
                # NOTE: imported here: auditor.pii.recognizers loads the engine's pattern
                # tables and phone metadata, which every `auditor` start-up would pay for
                # (the database scanner is always loaded)
                from auditor.pii.recognizers.vn_ids import valid_tax_code

                if valid_tax_code(text):
                    self.tax_codes += 1
        if self.secret_named or "://" in text or "=" in text or len(text) >= 20:
            self._credentials(text)
        folded = fold_lower(text)
        if len(folded) <= 120:
            if folded.startswith(_ORG_PREFIXES):
                self.organisations += 1
                return  # "Bệnh viện Chợ Rẫy" names a hospital, it says nothing of health
            if folded.startswith(_UNIT_PREFIXES) or folded in _provinces():
                self.units += 1
        for category, (values, neutral, words, pattern) in category_vocabulary().items():
            if folded in values or (words and any(w in folded for w in words)) or (
                    pattern is not None and pattern.match(text)):
                self.categories[category] += 1
            elif folded in neutral:
                self.neutral[category] += 1

    def _date(self, text: str) -> None:
        m = _DATE.match(text)
        if m is None:
            return
        y, mo, d = (m.group("y"), m.group("m"), m.group("d")) if m.group("y") else (
            m.group("y2"), m.group("m2"), m.group("d2"))
        try:
            date = dt.date(int(y), int(mo), int(d))
        except ValueError:
            return
        self.dates.append(date)
        time = m.group("time")
        if time and not _MIDNIGHT.match(time):
            self.timed += 1

    def _credentials(self, text: str) -> None:
        if self._date_or_number(text):
            return
        kinds = {hit.detector for hit in text_secrets(text)}
        kinds |= {hit.detector for hit in value_secrets(self.column, text, 0, entropy=False)}
        kinds &= _CREDENTIAL_DETECTORS
        if kinds:
            self.credential_values += 1
            self.credentials.update(kinds)

    @staticmethod
    def _date_or_number(text: str) -> bool:
        return _DATE.match(text) is not None or text.replace(".", "").isdigit() or \
            text.lower() in ("true", "false")

    # ---- summaries ----------------------------------------------------------------------
    def value_categories(self) -> list[str]:
        """Categories the values show: matching values >= 30 % of the sample, and with
        the neutral ones (``không``) >= 80 %."""
        return sorted(c for c, n in self.categories.items()
                      if self.share(n) >= 0.3 and self.share(n + self.neutral[c]) >= 0.8)

    def share(self, count: int) -> float:
        return count / self.seen if self.seen else 0.0

    @property
    def date_share(self) -> float:
        return self.share(len(self.dates))

    @property
    def repeats(self) -> bool:
        """Values repeat (a column about many people), unlike a reference list."""
        return self.seen > 0 and len(self.distinct) < 0.9 * self.seen


def birth_date_shape(profile: ValueProfile, today: dt.date, *, young: bool = False
                     ) -> bool:
    """Whether a column's dates are shaped like dates of birth: nearly all values are
    dates without a time of day, none in the future, ages spread over decades with a
    median of an adult (``young``: of a child or more, when the table is about people),
    none older than 110 years. Issue and expiry dates, appointments, hire dates and
    timestamps are recent, future, narrow or timed."""
    dates = profile.dates
    if len(dates) < 5 or profile.date_share < 0.8 or profile.timed > 0.05 * len(dates):
        return False
    if any(d > today for d in dates):
        return False
    ages = sorted((today - d).days / 365.25 for d in dates)
    median = ages[len(ages) // 2]
    p10, p90 = ages[len(ages) // 10], ages[(len(ages) * 9) // 10]
    return (5.0 if young else 16.0) <= median <= 90.0 and ages[-1] <= 110.0 \
        and p90 - p10 >= 8.0
