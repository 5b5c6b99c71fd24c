"""The report renderer interface (STYLE.md habit 9): renderers take a finished
:class:`~auditor.results.ScanResult` and only format it.

Renderers are registered through the ``auditor.reports`` entry-point group. Each has a
fixed output file name used with ``-o DIR`` (``report.json``, ``report.sarif``...).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, TextIO

from auditor.results import ScanResult

__all__ = ["Reporter"]


class Reporter(ABC):
    #: format name used with ``--format``
    name: ClassVar[str]
    #: file name written inside ``-o DIR``
    filename: ClassVar[str]
    #: one line for ``auditor formats``
    description: ClassVar[str] = ""
    #: machine-readable formats may go to stdout without ``-o``
    machine: ClassVar[bool] = True

    @abstractmethod
    def render(self, result: ScanResult, out: TextIO) -> None:
        """Write the report for ``result`` to ``out`` (text, UTF-8)."""
