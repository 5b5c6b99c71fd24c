"""mask_entity: type- and length-preserving, never more than ~40% shown."""

from __future__ import annotations

import pytest

from auditor.masking import MASK_CHAR, mask, mask_entity


@pytest.mark.parametrize(("entity", "value", "expected"), [
    ("VN_PHONE", "0912345678", "09••••••78"),
    ("VN_PHONE", "0912 345 678", "09•• ••• •78"),
    ("VN_CCCD", "079203012345", "079••••••••5"),
    ("PERSON", "Nguyễn Văn An", "N••••• V•• A•"),
    ("ADDRESS", "12 Lê Lợi, Quận 1", "•• •• •••, •••• •"),
    ("PASSWORD", "hunter2", "•••••••(7)"),
    ("EMAIL_ADDRESS", "an.nguyen@example.vn", mask("an.nguyen@example.vn")),
    ("DATE_OF_BIRTH", "12/03/1990", "••/••/••••"),
    ("CREDIT_CARD", "4532015112830366", "4532••••••••••66"),
    ("VN_CMND", "1234", "••••"),
])
def test_mask_entity(entity: str, value: str, expected: str) -> None:
    assert mask_entity(entity, value) == expected


@pytest.mark.parametrize("entity", ["VN_PHONE", "VN_CCCD", "VN_TAX_CODE", "CREDIT_CARD",
                                    "IBAN_CODE", "VN_HEALTH_INSURANCE", "PHONE_NUMBER",
                                    "VN_LICENSE_PLATE", "VN_PASSPORT", "IP_ADDRESS"])
def test_length_kept_and_at_most_40_percent_shown(entity: str) -> None:
    for value in ("0912345678", "079203012345", "GB82WEST12345698765432", "DN4791234567890",
                  "30A-123.45", "C1234567", "203.113.131.5"):
        masked = mask_entity(entity, value)
        assert len(masked) == len(value)
        shown = sum(1 for a, b in zip(value, masked, strict=True) if a == b and a.isalnum())
        assert shown <= int(len(value) * 0.4)
        assert MASK_CHAR in masked
