"""auditor's built-in recognizers: Vietnamese identifiers, phones, plates, dates of birth,
passwords in text, NAPAS cards, and e-mail / card / IBAN / IP (names and addresses live
in ``auditor.pii.names`` / ``auditor.pii.addresses``). None of them imports Presidio."""

from __future__ import annotations

from auditor.pii.recognizers.base import BuiltinRecognizer
from auditor.pii.recognizers.general import general_recognizers
from auditor.pii.recognizers.patterns import pattern_recognizers
from auditor.pii.recognizers.phones import AuditorPhoneRecognizer
from auditor.pii.recognizers.vn_ids import id_recognizers

__all__ = ["auditor_recognizers"]


def auditor_recognizers() -> list[BuiltinRecognizer]:
    """Fresh instances of every recognizer in this package."""
    return [*id_recognizers(), AuditorPhoneRecognizer(), *pattern_recognizers(),
            *general_recognizers()]
