"""The report renderer interface (STYLE.md habit 9): renderers take a finished
:class:`~auditor.results.ScanResult` and only format it.

Renderers are registered through the ``auditor.reports`` entry-point group. Each has a
fixed output file name used with ``-o DIR`` (``report.json``, ``report.sarif``...).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import ClassVar, TextIO

from auditor.results import ScanResult

__all__ = ["DEFAULT_RENDER", "RenderOptions", "Reporter", "RuleText"]


@dataclass(frozen=True, slots=True)
class RuleText:
    """A rule's texts in one language, shipped in its pack (``<pack>/i18n/``): title,
    remediation, and the message template in English (``message_en``, the pack's own,
    to recognise a filled message) with its translation (``message``)."""

    title: str = ""
    remediation: str = ""
    message_en: str = ""
    message: str = ""


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """How to render, given to :meth:`Reporter.render` by the caller (never carried
    through the engine): ``lang`` (``en``/``vi``; None keeps the result's), ``max_rows``
    (renderers with long tables may stop there; None = all) and ``rule_texts`` (rule id
    -> :class:`RuleText` in ``lang``, from the packs' translations)."""

    lang: str | None = None
    max_rows: int | None = None
    rule_texts: Mapping[str, RuleText] = field(default_factory=dict)

    def apply(self, result: ScanResult) -> ScanResult:
        """``result`` in the language asked for."""
        return result if self.lang in (None, result.lang) else replace(result, lang=self.lang)


DEFAULT_RENDER = RenderOptions()


class Reporter(ABC):
    #: format name used with ``--format``
    name: ClassVar[str]
    #: file name written inside ``-o DIR``
    filename: ClassVar[str]
    #: one line for ``auditor formats``
    description: ClassVar[str] = ""
    #: machine-readable formats may go to stdout without ``-o`` (DESIGN.md "CLI"); a
    #: document format (HTML) needs ``-o``
    machine: ClassVar[bool] = True
    #: a binary document (DOCX): written with :meth:`render_bytes`, never to a text stream
    binary: ClassVar[bool] = False

    def render_bytes(self, result: ScanResult,
                     options: RenderOptions = DEFAULT_RENDER) -> bytes:
        """The report as bytes: binary formats override this; text formats give their
        text in UTF-8."""
        import io
        buf = io.StringIO()
        self.render(result, buf, options)
        return buf.getvalue().encode("utf-8")

    @abstractmethod
    def render(self, result: ScanResult, out: TextIO,
               options: RenderOptions = DEFAULT_RENDER) -> None:
        """Write the report for ``result`` to ``out`` (text, UTF-8), as ``options`` say."""
