"""Presidio, offline, for the recognizers a user adds (and the spaCy NER option).

The built-in recognizers do not run through Presidio (``auditor.pii.scan``); this module
is imported only when ``DetectorConfig.recognizers`` or ``use_spacy_model`` is set, so
the default detector never imports Presidio or spaCy.

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

Recognizers: only the user's and the spaCy NER recognizer; Presidio's predefined
recognizers are not loaded (the built-in engine covers e-mail, cards, IBAN, IP and phones;
the US/UK/AU/... country recognizers, URL and date recognizers are noisy on Vietnamese
data).
"""

from __future__ import annotations

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
from presidio_analyzer.predefined_recognizers import SpacyRecognizer
from spacy.util import compile_infix_regex

from auditor.errors import ConfigError
from auditor.pii.config import DetectorConfig
from auditor.pii.text import fold_lower

__all__ = ["OfflineSpacyNlpEngine", "TokenNlpEngine", "build_analyzer", "build_recognizers"]

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


def build_recognizers(config: DetectorConfig) -> list[EntityRecognizer]:
    """The recognizers that run through Presidio: the user's (``config.recognizers``)
    and, with a spaCy model, its NER recognizer."""
    recognizers: list[EntityRecognizer] = list(config.recognizers)
    if config.use_spacy_model:
        recognizers.append(SpacyRecognizer(supported_entities=["PERSON", "ADDRESS"]))
    enabled = set(config.enabled_types)
    return [r for r in recognizers if set(r.supported_entities) & enabled]


def build_analyzer(config: DetectorConfig) -> AnalyzerEngine:
    """An offline AnalyzerEngine with the recognizers of :func:`build_recognizers`."""
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
