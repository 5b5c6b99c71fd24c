"""Pattern recognizers with validators for the remaining types.

- ``VN_LICENSE_PLATE``: area code 11-99, series letter(s) (``A``, ``LD``, or letter+digit
  for motorbikes), 4-5 digits: ``30A-123.45``, ``51G-12345``, ``29-B1 123.45``. Written
  with a separator: 0.55; run together (``51G12345``): 0.35.
- ``DATE_OF_BIRTH``: a real date (``12/03/1990``, ``1/2/90``, ``1990-03-12``,
  ``12 tháng 3 năm 1990``, ``12 March 1990``, ``March 12, 1990``), year 1900..this year.
  Base 0.1: reported only with birth context (``ngày sinh``, ``sinh``, ``DOB``, ``born``...).
- ``PASSWORD``: the value after ``password=``/``mật khẩu:``/``pwd:``..., and the password
  in a URL (``postgres://app:s3cret@db:5432``); placeholders (``****``, ``${VAR}``,
  ``<redacted>``) are ignored. 0.6.
- ``CREDIT_CARD`` (domestic NAPAS cards, BIN ``9704``, 16 or 19 digits, which the
  international card pattern (``general.py``) does not cover): Luhn-valid 0.6,
  otherwise 0.3 (needs context).
"""

from __future__ import annotations

import datetime as dt
import re

from auditor.pii.recognizers.base import CheckedRecognizer

__all__ = ["luhn_ok", "pattern_recognizers", "valid_date"]

_MONTHS = {name: i + 1 for i, names in enumerate((
    "january jan", "february feb", "march mar", "april apr", "may", "june jun",
    "july jul", "august aug", "september sep sept", "october oct", "november nov",
    "december dec")) for name in names.split()}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))

_PLACEHOLDER = re.compile(r"^(?:[*x•.#_\-]+|\$\{?.*|\{\{.*|<.*>|%\(?.*|null|none|changeme)$",
                          re.IGNORECASE)


def luhn_ok(digits: str) -> bool:
    """Luhn checksum over a string of digits."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def valid_date(year: int, month: int, day: int, *, this_year: int,
               today: dt.date | None = None) -> bool:
    """A real calendar date from 1900 to the end of ``this_year`` (and not after
    ``today`` when given)."""
    if not 1900 <= year <= this_year:
        return False
    try:
        date = dt.date(year, month, day)
    except ValueError:
        return False
    return today is None or date <= today


def pattern_recognizers() -> list[CheckedRecognizer]:
    """Plate, date-of-birth, password and NAPAS-card recognizers (fresh instances)."""
    today = dt.date.today()
    this_year = today.year

    def plate(m: re.Match[str], _: str) -> float | None:
        if not 11 <= int(m.group("area")) <= 99:
            return None
        return 0.55 if m.group("sep1") or m.group("sep2") else 0.35

    def dob(m: re.Match[str], _: str) -> float | None:
        g = m.groupdict()
        month_text = (g.get("mname") or "").lower().rstrip(".")
        month = _MONTHS.get(month_text) if month_text else int(g["m"])
        if month is None:
            return None
        if g.get("yy"):
            # NOTE: a two-digit year is the most recent past one (90 -> 1990, 05 -> 2005).
            year = 2000 + int(g["yy"])
            year = year if year <= this_year else year - 100
        else:
            year = int(g["y"])
        ok = valid_date(year, month, int(g["d"]), this_year=this_year, today=today)
        return 0.1 if ok else None

    def password(m: re.Match[str], _: str) -> float | None:
        value = m.group("v")
        if _PLACEHOLDER.match(value):
            return None
        # NOTE: after "is"/"là" (no colon) ordinary words follow ("password is
        # incorrect"): a password there must hold a digit or a symbol.
        if m.group("sep") is None and value.isalpha():
            return None
        return 0.6

    def password_in_url(m: re.Match[str], _: str) -> float | None:
        return None if _PLACEHOLDER.match(m.group("v")) else 0.6

    def napas(m: re.Match[str], _: str) -> float | None:
        digits = re.sub(r"\D", "", m.group(0))
        return 0.6 if luhn_ok(digits) else 0.3

    nb, ne = r"(?<![\w.\-/])", r"(?![\w/]|[.,\-/]\d)"
    date_patterns = [
        nb + r"(?P<d>\d{1,2})(?P<s>[/.\-])(?P<m>\d{1,2})(?P=s)(?P<y>\d{4})" + ne,
        nb + r"(?P<d>\d{1,2})(?P<s>[/.\-])(?P<m>\d{1,2})(?P=s)(?P<yy>\d{2})" + ne,
        nb + r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?![\w:]|[.,]\d)",
        nb + r"(?P<d>\d{1,2})\s+th[áa]ng\s+(?P<m>\d{1,2}),?\s+n[ăa]m\s+(?P<y>\d{4})" + ne,
        nb + r"(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?P<mname>" + _MONTH_RE + r")\.?,?\s+(?P<y>\d{4})"
        + ne,
        r"\b(?P<mname>" + _MONTH_RE + r")\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})"
        + ne,
    ]
    return [
        CheckedRecognizer(
            "VN_LICENSE_PLATE",
            [r"(?<![\w.\-])(?P<area>\d{2})(?P<sep1>[ \-]?)(?:[A-Z]{1,2}|[A-Z]\d)(?P<sep2>[ \-]?)"
             r"(?:\d{3}\.\d{2}|\d{4,5})(?![\w]|[.,]\d)"],
            plate, name="VnLicensePlateRecognizer"),
        CheckedRecognizer("DATE_OF_BIRTH", date_patterns, dob, name="DateOfBirthRecognizer",
                          flags=re.IGNORECASE),
        CheckedRecognizer(
            "PASSWORD",
            [r"(?i)\b(?:password|passwd|pwd|passcode|pass|m[ậa]t[ _]?kh[ẩa]u|mk)\b[\"']?"
             r"(?:\s*(?:l[àa]|is)?\s*(?P<sep>[:=])|(?:\s+\w+){0,3}?\s+(?:l[àa]|is))"
             r"\s*[\"']?(?P<v>[^\s,;'\"]{4,64})"],
            password, name="PasswordInTextRecognizer", group=2),
        CheckedRecognizer(
            "PASSWORD",
            [r"(?i)\b[a-z][a-z0-9+.\-]{1,20}://[^\s:/@]{1,64}:(?P<v>[^\s@/]{1,128})@[\w.\-]+"],
            password_in_url, name="PasswordInUrlRecognizer", group=1),
        CheckedRecognizer("CREDIT_CARD",
                          [r"(?<![\d\-])9704(?:[ \-]?\d{4}){3}(?:[ \-]?\d{3})?(?![\d]|[\-]\d)"],
                          napas, name="NapasCardRecognizer"),
    ]
