"""Records of the PII engine: the entity names (fixed by DESIGN.md), one detection
(:class:`Entity`) and the detector configuration (:class:`DetectorConfig`)."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.errors import ConfigError

__all__ = [
    "ALL_TYPES",
    "CATEGORIES",
    "GENERAL_TYPES",
    "VN_TYPES",
    "DetectorConfig",
    "Entity",
]

VN_TYPES: tuple[str, ...] = (
    "VN_CCCD",
    "VN_CMND",
    "VN_PASSPORT",
    "VN_TAX_CODE",
    "VN_SOCIAL_INSURANCE",
    "VN_HEALTH_INSURANCE",
    "VN_PHONE",
    "VN_LICENSE_PLATE",
)
GENERAL_TYPES: tuple[str, ...] = (
    "PERSON",
    "ADDRESS",
    "DATE_OF_BIRTH",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "IP_ADDRESS",
    "PASSWORD",
)
ALL_TYPES: tuple[str, ...] = VN_TYPES + GENERAL_TYPES

CATEGORIES: tuple[str, ...] = (
    "HEALTH",
    "BIOMETRIC",
    "GENETIC",
    "RELIGION",
    "ETHNICITY",
    "POLITICAL_OPINION",
    "SEXUAL_ORIENTATION",
    "CRIMINAL_RECORD",
    "FINANCIAL_ACCOUNT",
    "LOCATION_TRACE",
)


@dataclass(frozen=True, slots=True)
class Entity:
    """One detection inside one text: entity type, character offsets, score (0..1)."""

    type: str
    start: int
    end: int
    score: float


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    """How a :class:`~auditor.pii.PiiDetector` is built.

    - ``score_threshold``: detections scoring below are dropped (0..1).
    - ``types``: entity types to look for (``None``: every type in :data:`ALL_TYPES`).
    - ``use_spacy_model``: name of an *installed* spaCy model (e.g. ``en_core_web_sm``) to
      add NER for English ``PERSON`` / ``ADDRESS`` (GPE, LOC); never downloaded. Default
      ``None``: a blank pipeline, no model needed.
    - ``n_process``: worker processes used by ``detect_many`` (1 = in-process).
    - ``batch_size``: texts per task sent to a worker when ``n_process > 1``.
    - ``prefilter``: skip text that cannot hold any enabled type without running the
      recognizers (turn off only to measure it).
    - ``context_boost``: score added when a context word is near a match (or passed as
      ``context=``).
    """

    score_threshold: float = 0.5
    types: tuple[str, ...] | None = None
    use_spacy_model: str | None = None
    n_process: int = 1
    batch_size: int = 512
    prefilter: bool = True
    context_boost: float = 0.45

    def __post_init__(self) -> None:
        if not 0.0 <= self.score_threshold <= 1.0:
            raise ConfigError(f"score_threshold must be within 0..1, not {self.score_threshold}")
        if self.types is not None:
            unknown = sorted(set(self.types) - set(ALL_TYPES))
            if unknown:
                raise ConfigError(
                    f"unknown entity type(s) {', '.join(unknown)} "
                    f"(known: {', '.join(ALL_TYPES)})")
        if self.n_process < 1 or self.batch_size < 1:
            raise ConfigError("n_process and batch_size must be at least 1")

    @property
    def enabled_types(self) -> tuple[str, ...]:
        return ALL_TYPES if self.types is None else tuple(
            t for t in ALL_TYPES if t in self.types)
