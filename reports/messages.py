"""Translations of the user-facing text of human reports (``--lang en|vi``).

Messages are data: ``reports/i18n/<lang>.yaml`` maps a key to a text with optional
``{placeholders}``. Every language file has exactly the same keys (a test checks).
Rule titles, remediation and finding messages are translated by the rule packs
themselves (``<pack>/i18n/rules.<lang>.yaml`` and ``messages.<lang>.yaml``) and reach the
renderer in :class:`~auditor.reporting.RenderOptions` (``rule_texts``). A message
translation holds the English template next to the translated one: a finished report holds
only the filled English message, so the placeholder values are read back from it with the
template (:class:`MessageTranslator`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from auditor.errors import ConfigError
from auditor.reporting import RenderOptions, RuleText
from auditor.yamlsource import safe_load

__all__ = ["LANGUAGES", "MessageTranslator", "Messages", "i18n_dir", "load_messages",
           "message_translator", "rule_texts"]

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")

#: languages with a translation file, in display order
LANGUAGES: tuple[str, ...] = ("en", "vi")


def i18n_dir() -> Path:
    return Path(__file__).resolve().parent / "i18n"


@dataclass(frozen=True, slots=True)
class Messages(Mapping[str, str]):
    """The messages of one language; call it to fill placeholders: ``t("key", n=3)``."""

    lang: str
    texts: Mapping[str, str]

    def __getitem__(self, key: str) -> str:
        return self.texts[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.texts)

    def __len__(self) -> int:
        return len(self.texts)

    def __call__(self, key: str, **values: object) -> str:
        text = self.texts[key]
        return text.format(**values) if values else text


def rule_texts(options: RenderOptions) -> Mapping[str, RuleText]:
    """Translated titles and remediation by rule id, as the packs ship them (the render
    options carry them for the report's language; empty for English)."""
    return {k: v for k, v in options.rule_texts.items() if v.title}


def load_messages(lang: str) -> Messages:
    """The messages of ``lang``; a :class:`ConfigError` for a language we do not have."""
    if lang not in LANGUAGES:
        raise ConfigError(f"--lang: no translation for {lang!r} (available: "
                          f"{', '.join(LANGUAGES)})")
    path = i18n_dir() / f"{lang}.yaml"
    data = safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ConfigError(f"{path}: a translation file maps keys to texts")
    return Messages(lang, {str(k): v for k, v in data.items()})


@dataclass(frozen=True, slots=True)
class MessageTranslator:
    """Translates filled finding messages of the built-in rules: the English template
    (``{field}`` placeholders) is matched against the message to recover the values,
    which fill the translated template. A message that does not match (a custom rule, a
    template changed since) is returned as it is."""

    templates: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # id -> (en, tr)

    def __call__(self, rule_id: str, message: str) -> str:
        pair = self.templates.get(rule_id)
        if pair is None:
            return message
        en, translated = pair
        names = _PLACEHOLDER.findall(en)
        pattern = "".join(
            re.escape(part) if i % 2 == 0 else "(.*?)"
            for i, part in enumerate(_PLACEHOLDER.split(en)))
        found = re.fullmatch(pattern, message, re.S)
        if found is None:
            return message
        values: dict[str, str] = {}
        for name, value in zip(names, found.groups(), strict=True):
            values.setdefault(name, value)
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), translated)


def message_translator(options: RenderOptions) -> MessageTranslator:
    """The translator of finding messages into the options' language (identity when the
    packs ship no translated templates for it)."""
    return MessageTranslator({k: (v.message_en, v.message)
                              for k, v in options.rule_texts.items() if v.message_en})
