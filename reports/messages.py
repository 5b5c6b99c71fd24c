"""Translations of the user-facing text of human reports (``--lang en|vi``).

Messages are data: ``reports/i18n/<lang>.yaml`` maps a key to a text with optional
``{placeholders}``. Every language file has exactly the same keys (a test checks).
``reports/i18n/rules.<lang>.yaml`` translates the titles and remediation of the built-in
rules.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import ConfigError
from auditor.yamlsource import safe_load

__all__ = ["LANGUAGES", "Messages", "RuleText", "i18n_dir", "load_messages", "load_rule_texts"]

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


@dataclass(frozen=True, slots=True)
class RuleText:
    """A built-in rule's title and remediation in one language."""

    title: str
    remediation: str = ""


def load_rule_texts(lang: str) -> Mapping[str, RuleText]:
    """Translated titles and remediation of the built-in rules (``i18n/rules.<lang>.yaml``),
    by rule id; empty for English (the packs' own language) or a language without the file."""
    path = i18n_dir() / f"rules.{lang}.yaml"
    if lang == "en" or not path.is_file():
        return {}
    data = safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or not all(
            isinstance(v, dict) and isinstance(v.get("title"), str) for v in data.values()):
        raise ConfigError(f"{path}: maps each rule id to {{title, remediation}}")
    return {str(k): RuleText(v["title"], str(v.get("remediation") or ""))
            for k, v in data.items()}


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
