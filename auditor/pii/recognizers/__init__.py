"""auditor's own Presidio recognizers: Vietnamese identifiers, phones, plates, dates of
birth, passwords in text and NAPAS cards (names and addresses live in
``auditor.pii.names`` / ``auditor.pii.addresses``)."""

from __future__ import annotations

from presidio_analyzer import EntityRecognizer

from auditor.pii.recognizers.patterns import pattern_recognizers
from auditor.pii.recognizers.phones import AuditorPhoneRecognizer
from auditor.pii.recognizers.vn_ids import id_recognizers

__all__ = ["auditor_recognizers"]


def auditor_recognizers() -> list[EntityRecognizer]:
    """Fresh instances of every recognizer in this package."""
    return [*id_recognizers(), AuditorPhoneRecognizer(), *pattern_recognizers()]
