"""Phone numbers: ``VN_PHONE`` (Vietnamese, every written form) and ``PHONE_NUMBER``
(any other country).

Candidates and validity come from libphonenumber (``phonenumbers``) with Vietnam as the
default region and ``Leniency.VALID``: ``0912345678``, ``0912 345 678``, ``0912.345.678``,
``+84 912-345-678``, ``84912345678`` and landlines ``(028) 3822 1234`` are VN_PHONE;
``+44 20 7946 0958`` is PHONE_NUMBER. Numbers that are not valid for their region
(``0112345678``), timestamps and 12-digit IDs are rejected by the library.

Scores: VN_PHONE 0.6; PHONE_NUMBER 0.6 when written with ``+``/``00``, else 0.4.
"""

from __future__ import annotations

from typing import Any

import phonenumbers
from presidio_analyzer import LocalRecognizer, RecognizerResult

from auditor.pii.lexicon import context_words
from auditor.pii.recognizers.base import make_result

__all__ = ["PhoneRecognizer"]


class PhoneRecognizer(LocalRecognizer):
    """VN_PHONE and PHONE_NUMBER through libphonenumber's matcher."""

    def __init__(self) -> None:
        words = list(dict.fromkeys(
            [*context_words().get("VN_PHONE", ()), *context_words().get("PHONE_NUMBER", ())]))
        super().__init__(supported_entities=["VN_PHONE", "PHONE_NUMBER"],
                         name="AuditorPhoneRecognizer", supported_language="en",
                         context=words)

    def load(self) -> None:
        """Nothing to load: libphonenumber metadata loads lazily."""

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None
                ) -> list[RecognizerResult]:
        results: list[RecognizerResult] = []
        matcher = phonenumbers.PhoneNumberMatcher(
            text, "VN", leniency=phonenumbers.Leniency.VALID)
        for match in matcher:
            region = phonenumbers.region_code_for_number(match.number)
            if region == "VN":
                entity, score = "VN_PHONE", 0.6
            else:
                raw = match.raw_string.lstrip("( ")
                entity = "PHONE_NUMBER"
                score = 0.6 if raw.startswith(("+", "00")) else 0.4
            if entity in entities:
                results.append(make_result(self, entity, match.start, match.end, score))
        return results
