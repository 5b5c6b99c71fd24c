"""Validators and text helpers: (input, expected) tables."""

from __future__ import annotations

import unicodedata

import pytest

from auditor.pii.names import is_syllable
from auditor.pii.recognizers.patterns import luhn_ok, valid_date
from auditor.pii.recognizers.vn_ids import valid_bhyt, valid_cccd, valid_tax_code
from auditor.pii.text import compact, fold, name_tokens, to_nfc


@pytest.mark.parametrize(("number", "expected"), [
    ("001095012345", True),    # Hà Nội, male, 1995
    ("079301004521", True),    # TP HCM, female, 2001
    ("096226000001", True),    # 2000s male, 2026 (this year in the tests: 2026)
    ("003095012345", False),   # 003 is not a province code in use
    ("100095012345", False),   # 100 is not a province code
    ("001227012345", False),   # born 2027: future
    ("001495012345", False),   # 2100s
    ("00109501234", False),    # 11 digits
    ("00109501234a", False),
])
def test_cccd(number: str, expected: bool) -> None:
    assert valid_cccd(number, this_year=2026) is expected


@pytest.mark.parametrize(("code", "expected"), [
    ("0100233488", True),       # sum 167, 167 mod 11 = 2, check 8
    ("0314409058", True),
    ("0100233488-001", True),   # branch
    ("0100233488001", True),
    ("0100233489", False),      # wrong check digit
    ("0100233488-000", False),  # branch 000
    ("0100000000", False),      # digits 3-9 all zero
    ("0012345678", False),      # province 00
    ("010023348", False),
])
def test_tax_code(code: str, expected: bool) -> None:
    assert valid_tax_code(code) is expected


@pytest.mark.parametrize(("code", "expected"), [
    ("DN4791234567890", True),
    ("HS 4 01 0123456789", True),
    ("DN6791234567890", False),   # benefit level 6
    ("DN4031234567890", False),   # province 03 not in use
    ("dn4791234567890", False),
    ("DN479123456789", False),
])
def test_bhyt(code: str, expected: bool) -> None:
    assert valid_bhyt(code) is expected


@pytest.mark.parametrize(("digits", "expected"), [
    ("4532015112830366", True), ("4532015112830367", False), ("9704366612345678", False),
    ("5425233430109903", True),
])
def test_luhn(digits: str, expected: bool) -> None:
    assert luhn_ok(digits) is expected


@pytest.mark.parametrize(("ymd", "expected"), [
    ((1990, 2, 28), True), ((1990, 2, 30), False), ((1899, 1, 1), False),
    ((2027, 1, 1), False), ((2026, 12, 31), True),
])
def test_valid_date(ymd: tuple[int, int, int], expected: bool) -> None:
    assert valid_date(*ymd, this_year=2026) is expected


def test_date_after_today_is_not_a_birth_date() -> None:
    import datetime as dt

    assert valid_date(2026, 11, 30, this_year=2026, today=dt.date(2026, 12, 1))
    assert not valid_date(2026, 12, 31, this_year=2026, today=dt.date(2026, 12, 1))


@pytest.mark.parametrize(("word", "expected"), [
    ("Nguyễn", True), ("Nguyen", True), ("NGHIÊM", True), ("Thường", True), ("An", True),
    ("Street", False), ("Monde", False), ("Gogh", False), ("Bank", False), ("Kardashian", False),
])
def test_syllable(word: str, expected: bool) -> None:
    assert is_syllable(word) is expected


def test_fold_keeps_length_and_removes_marks() -> None:
    assert fold("Nguyễn Đức Thắng, Hà Nội") == "Nguyen Duc Thang, Ha Noi"
    text = "Trần Thị Bích Ngọc – Đắk Lắk"
    assert len(fold(text)) == len(text)


def test_to_nfc_maps_offsets_back() -> None:
    nfd = unicodedata.normalize("NFD", "ở Hà Nội")
    nfc, offsets = to_nfc(nfd)
    assert nfc == "ở Hà Nội"
    assert offsets is not None and len(offsets) == len(nfc) + 1
    start = nfc.index("Hà")
    assert unicodedata.normalize("NFC", nfd[offsets[start]:offsets[start + 2]]) == "Hà"
    assert to_nfc("plain") == ("plain", None)


@pytest.mark.parametrize(("name", "tokens"), [
    ("so_dien_thoai", ("so", "dien", "thoai")),
    ("soDienThoai", ("so", "dien", "thoai")),
    ("SoDienThoai", ("so", "dien", "thoai")),
    ("Số điện thoại", ("so", "dien", "thoai")),
    ("customer.email-address", ("customer", "email", "address")),
    ("HTTPServerURL", ("http", "server", "url")),
])
def test_name_tokens(name: str, tokens: tuple[str, ...]) -> None:
    assert name_tokens(name) == tokens
    assert compact(name) == "".join(tokens)
