"""Records of the PII engine: the entity names (fixed by DESIGN.md), one detection
(:class:`Entity`) and the detector configuration (:class:`DetectorConfig`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
    - ``recognizers``: extra Presidio recognizers (``EntityRecognizer`` /
      ``PatternRecognizer`` instances) run through Presidio next to the built-in ones;
      their entity types may be new names. Presidio (and spaCy) are imported only when
      this is set or ``use_spacy_model`` is.
    """

    score_threshold: float = 0.5
    types: tuple[str, ...] | None = None
    use_spacy_model: str | None = None
    n_process: int = 1
    batch_size: int = 512
    prefilter: bool = True
    context_boost: float = 0.45
    recognizers: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        if not 0.0 <= self.score_threshold <= 1.0:
            raise ConfigError(f"score_threshold must be within 0..1, not {self.score_threshold}")
        if not isinstance(self.recognizers, tuple):
            object.__setattr__(self, "recognizers", tuple(self.recognizers))
        for recognizer in self.recognizers:
            entities = getattr(recognizer, "supported_entities", None)
            if not entities or not all(isinstance(e, str) for e in entities) or \
                    not callable(getattr(recognizer, "analyze", None)):
                raise ConfigError(
                    f"recognizers: {type(recognizer).__name__} is not a Presidio "
                    "EntityRecognizer (it needs supported_entities and analyze())")
        if self.types is not None:
            unknown = sorted(set(self.types) - set(ALL_TYPES) - set(self.extra_types))
            if unknown:
                raise ConfigError(
                    f"unknown entity type(s) {', '.join(unknown)} "
                    f"(known: {', '.join(ALL_TYPES)})")
        if self.n_process < 1 or self.batch_size < 1:
            raise ConfigError("n_process and batch_size must be at least 1")

    @property
    def extra_types(self) -> tuple[str, ...]:
        """Entity types of the added recognizers that are not built-in types."""
        return tuple(dict.fromkeys(
            e for r in self.recognizers for e in r.supported_entities if e not in ALL_TYPES))

    @property
    def presidio_types(self) -> tuple[str, ...]:
        """Types analysed through Presidio: the added recognizers' (and PERSON/ADDRESS
        with a spaCy model)."""
        types = [e for r in self.recognizers for e in r.supported_entities]
        if self.use_spacy_model:
            types += ["PERSON", "ADDRESS"]
        enabled = set(self.enabled_types)
        return tuple(t for t in dict.fromkeys(types) if t in enabled)

    @property
    def enabled_types(self) -> tuple[str, ...]:
        every = ALL_TYPES + self.extra_types
        return every if self.types is None else tuple(t for t in every if t in self.types)
