"""Presidio, offline.

``build_analyzer(config)`` returns a Presidio ``AnalyzerEngine`` that never touches the
network:

- ``TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS`` is set to ``""`` before Presidio (and with it
  ``tldextract``) is imported, so the e-mail recognizer uses tldextract's bundled
  public-suffix snapshot instead of fetching the list;
- the NLP engine is explicit (Presidio's default would try to download
  ``en_core_web_lg``). By default it is :class:`TokenNlpEngine`: a regular-expression
  tokenizer (words, numbers, single punctuation marks, so ``CCCD:001203012345`` splits)
  whose lemmas are the folded, lower-case NFC token text, so Vietnamese context words
  match with or without diacritics. NOTE: context matching is all Presidio needs from the
  NLP engine when no model is used; a blank spaCy pipeline gives the same tokens for
  this purpose at several times the cost, and its vocabulary grows with every new token
  it sees (memory that grows with input size);
- an installed spaCy model can be named in ``DetectorConfig.use_spacy_model`` to add
  English NER (PERSON; GPE/LOC/FAC as low-score ADDRESS) through
  :class:`OfflineSpacyNlpEngine` (same folded lemmas). A model that is not installed is a
  configuration error: it is never downloaded. ``OfflineSpacyNlpEngine(None)`` is the
  blank-pipeline engine (used by the benchmark for plain Presidio).

Recognizers: ours (``auditor.pii.recognizers``, ``names``, ``addresses``) plus Presidio's
e-mail, credit-card, IBAN and IP recognizers. The US/UK/AU/... country recognizers, URL,
date, crypto-wallet and Presidio's 8-region phone recognizer are not loaded: they are noisy
on Vietnamese data (US_DRIVER_LICENSE, US_BANK_NUMBER and UK_NHS fire on digit runs; URL
fires inside every e-mail address).
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Iterable, Iterator

# NOTE: must happen before anything imports tldextract: its module-level extractor reads
# the variable once, at import. Offline is an invariant, so the variable is forced.
os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""

from typing import Any

import spacy
import tldextract.tldextract
from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry
from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
from presidio_analyzer.nlp_engine import (
    NerModelConfiguration,
    NlpArtifacts,
    NlpEngine,
    SpacyNlpEngine,
)
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    IpRecognizer,
    SpacyRecognizer,
)
from spacy.util import compile_infix_regex

from auditor.errors import ConfigError
from auditor.pii.addresses import AddressRecognizer
from auditor.pii.config import DetectorConfig
from auditor.pii.lexicon import context_words
from auditor.pii.names import HonorificNameRecognizer, NameRecognizer
from auditor.pii.recognizers import auditor_recognizers
from auditor.pii.text import fold_lower

__all__ = ["AuditorCreditCardRecognizer", "AuditorEmailRecognizer", "AuditorIpRecognizer",
           "OfflineSpacyNlpEngine", "TokenNlpEngine", "build_analyzer", "build_recognizers"]

if tldextract.tldextract.TLD_EXTRACTOR.suffix_list_urls:  # pragma: no cover
    # Imported by someone else before us, with the network default: use the snapshot.
    tldextract.tldextract.TLD_EXTRACTOR.suffix_list_urls = ()

_NER_MAPPING = {"PERSON": "PERSON", "PER": "PERSON", "GPE": "ADDRESS", "LOC": "ADDRESS",
                "FAC": "ADDRESS"}


class OfflineSpacyNlpEngine(SpacyNlpEngine):
    """spaCy NLP engine that loads a blank pipeline (or an installed model), never
    downloads, and produces folded lower-case lemmas for context matching."""

    def __init__(self, model: str | None = None) -> None:
        self._model = model
        super().__init__(
            models=[{"lang_code": "en", "model_name": model or "blank:en"}],
            ner_model_configuration=NerModelConfiguration(
                model_to_presidio_entity_mapping=_NER_MAPPING,
                low_score_entity_names=["ADDRESS"],
                low_confidence_score_multiplier=0.4,
                labels_to_ignore=["CARDINAL", "DATE", "EVENT", "LANGUAGE", "LAW", "MONEY",
                                  "NORP", "ORDINAL", "ORG", "PERCENT", "PRODUCT", "QUANTITY",
                                  "TIME", "WORK_OF_ART", "MISC"],
            ),
        )

    def load(self) -> None:
        if self._model:
            if not spacy.util.is_package(self._model):
                raise ConfigError(
                    f"spaCy model {self._model!r} is not installed; auditor never downloads "
                    "models (install it from a wheel, or leave use_spacy_model unset)")
            nlp = spacy.load(self._model, exclude=["parser", "lemmatizer"])
        else:
            nlp = spacy.blank("en")
        infixes = [*(nlp.Defaults.infixes or ()), r"[:=]"]
        tokenizer: Any = nlp.tokenizer
        tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
        self.nlp = {"en": nlp}  # type: ignore[assignment]

    def is_stopword(self, word: str, language: str) -> bool:
        # NOTE: English stop words hide folded Vietnamese context words ("thẻ" -> "the",
        # "số" -> "so"); context words are specific enough without a stop list.
        return False

    def _doc_to_nlp_artifact(self, doc: Any, language: str) -> NlpArtifacts:
        artifacts = super()._doc_to_nlp_artifact(doc, language)
        lemmas = [fold_lower(token.text) for token in doc]
        return NlpArtifacts(entities=artifacts.entities, tokens=doc,
                            tokens_indices=artifacts.tokens_indices, lemmas=lemmas,
                            nlp_engine=self, language=language, scores=artifacts.scores)


class AuditorEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail recognizer, with ``key=`` / ``mailto:`` prefixes and cell
    separators cut off the local part (``user=bob@example.com`` and ``Bob|bob@example.com``
    are the address ``bob@example.com``)."""

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None,
                regex_flags: int | None = None) -> list[Any]:
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        for r in results:
            local = text[r.start:r.end].split("@", 1)[0]
            # NOTE: a CSV or log cell separator glued to the address (``Dat|dat@x.vn``)
            cut = max(local.rfind(ch) for ch in "=:|;,\t'\"(<[{")
            if 0 <= cut < len(local) - 1:
                r.start += cut + 1
        return results


_CARD_GROUPS = frozenset({(4, 4, 4, 4), (4, 4, 4, 4, 3), (4, 6, 5), (4, 6, 4), (4, 4, 4, 2),
                          (4, 4, 4, 3), (4, 4, 4, 4, 2), (4, 4, 4, 4, 1)})
_CARD_SPLIT = re.compile(r"[ \-]+")


class AuditorCreditCardRecognizer(CreditCardRecognizer):
    """Presidio's card recognizer, without numbers grouped unlike any card
    (``0100233488-001`` is a tax code with its branch suffix, whatever Luhn says)."""

    def validate_result(self, pattern_text: str) -> bool:
        parts = tuple(len(p) for p in _CARD_SPLIT.split(pattern_text.strip()) if p)
        if len(parts) > 1 and parts not in _CARD_GROUPS:
            return False
        return bool(super().validate_result(pattern_text))


class AuditorIpRecognizer(IpRecognizer):
    """Presidio's IP recognizer without addresses that identify no one: unspecified
    (``0.0.0.0``, ``::``), loopback, multicast and the limited broadcast address."""

    def invalidate_result(self, pattern_text: str) -> bool:
        if super().invalidate_result(pattern_text):
            return True
        address = ipaddress.ip_interface(pattern_text).ip
        return bool(address.is_unspecified or address.is_loopback or address.is_multicast
                    or str(address) == "255.255.255.255")


_TOKEN = re.compile(r"[^\W_]+|\S")


class TokenNlpEngine(NlpEngine):
    """Tokens and folded lemmas from a regular expression; no model, no vocabulary."""

    def load(self) -> None:
        """Nothing to load."""

    def is_loaded(self) -> bool:
        return True

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        matches = list(_TOKEN.finditer(text))
        tokens = [m.group(0) for m in matches]
        indices = [m.start() for m in matches]
        lemmas = [fold_lower(t) for t in tokens]
        # NOTE: Presidio only iterates the tokens and takes their lengths: strings do.
        return NlpArtifacts(entities=[], tokens=tokens,  # type: ignore[arg-type]
                            tokens_indices=indices, lemmas=lemmas, nlp_engine=self,
                            language=language)

    def process_batch(self, texts: Iterable[str], language: str, batch_size: int = 1,
                      n_process: int = 1, **kwargs: Any,
                      ) -> Iterator[tuple[str, NlpArtifacts]]:
        for text in texts:
            yield text, self.process_text(text, language)

    def is_stopword(self, word: str, language: str) -> bool:
        return False

    def is_punct(self, word: str, language: str) -> bool:
        return len(word) == 1 and not word.isalnum()

    def get_supported_entities(self) -> list[str]:
        return []

    def get_supported_languages(self) -> list[str]:
        return ["en"]


def _ctx(entity: str) -> list[str]:
    return list(context_words().get(entity, ()))


def build_recognizers(config: DetectorConfig) -> list[EntityRecognizer]:
    """Fresh recognizer instances for the enabled types."""
    recognizers: list[EntityRecognizer] = [
        *auditor_recognizers(),
        NameRecognizer(),
        HonorificNameRecognizer(),
        AddressRecognizer(),
        AuditorEmailRecognizer(),
        AuditorCreditCardRecognizer(context=[*_ctx("CREDIT_CARD"), "credit", "card"]),
        IbanRecognizer(context=[*_ctx("IBAN_CODE"), "iban"]),
        AuditorIpRecognizer(),
    ]
    if config.use_spacy_model:
        recognizers.append(SpacyRecognizer(supported_entities=["PERSON", "ADDRESS"]))
    enabled = set(config.enabled_types)
    return [r for r in recognizers if set(r.supported_entities) & enabled]


def build_analyzer(config: DetectorConfig) -> AnalyzerEngine:
    """An offline AnalyzerEngine with auditor's recognizers (see module docstring)."""
    nlp_engine: NlpEngine = (OfflineSpacyNlpEngine(config.use_spacy_model)
                             if config.use_spacy_model else TokenNlpEngine())
    nlp_engine.load()
    registry = RecognizerRegistry(recognizers=build_recognizers(config),
                                  supported_languages=["en"])
    enhancer = LemmaContextAwareEnhancer(
        context_similarity_factor=config.context_boost,
        min_score_with_context_similarity=0.0,
        context_prefix_count=5,
        context_suffix_count=1,
        context_matching_mode="whole_word",
    )
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine,
                          supported_languages=["en"], context_aware_enhancer=enhancer)
