"""The scanner plugin interface.

A scanner reports facts and nothing else (STYLE.md habit 1): it says which files or URLs
it recognises (``claim`` / ``claim_url``) and turns one target into a stream of
:class:`~auditor.models.Observation` (and :class:`~auditor.models.Problem` for partial
failures). It never decides what is a violation and never writes output.

Scanners are registered through the ``auditor.scanners`` entry-point group, built-ins
included, and must be constructible without arguments and picklable by name: the engine
sends ``(target, options)`` tasks to worker processes, each of which loads the registry.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from auditor.masking import redact_url
from auditor.models import JSONValue, Observation, Problem, Target

__all__ = ["Candidate", "Claim", "ScanOptions", "Scanner"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A file offered to scanners during discovery.

    ``head`` holds the first bytes of the content (decompressed when the file is gzip,
    in which case ``compression`` is ``"gzip"``).
    """

    path: str
    uri: str
    name: str
    size: int
    head: bytes
    compression: str | None = None

    @property
    def suffix(self) -> str:
        base = self.name[:-3] if self.compression == "gzip" and self.name.endswith(".gz") \
            else self.name
        dot = base.rfind(".")
        return base[dot:].lower() if dot > 0 else ""

    def text_head(self) -> str | None:
        """The head decoded as text, or None when it looks binary."""
        if b"\x00" in self.head:
            return None
        try:
            return self.head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # A multi-byte character cut at the end of the head is still text.
            if exc.start >= len(self.head) - 4:
                return self.head[: exc.start].decode("utf-8")
            return None


@dataclass(frozen=True, slots=True)
class Claim:
    """A scanner's claim on a candidate: the content kind and how sure it is (1-100).

    Rough scale: 100 magic bytes; 80 well-known file name; 60 content signature;
    40 extension only; 10 generic fallback.
    """

    kind: str
    confidence: int


@dataclass(frozen=True, slots=True)
class ScanOptions:
    """Options passed to every scanner task. Picklable.

    ``params`` carries scanner-specific settings by dotted name
    (``database.sample_size``, ``crypto.pkcs12_password``...); read them with :meth:`get`.
    ``hash_key`` is the key for keyed hashes of sensitive values (see auditor.masking).
    """

    as_of: dt.date
    hash_key: bytes
    params: Mapping[str, JSONValue] = field(default_factory=dict)
    time_budget: float | None = None
    reveal: bool = False  # NOTE: never True at default settings; tests assert masking

    def get(self, name: str, default: JSONValue = None) -> JSONValue:
        return self.params.get(name, default)


class Scanner(ABC):
    """Base class of every scanner plugin."""

    #: stable plugin name (also the entry-point name)
    name: ClassVar[str]
    #: one line for ``auditor scanners``
    description: ClassVar[str] = ""
    #: observation kinds this scanner may emit (used for compliance coverage)
    emits: ClassVar[tuple[str, ...]] = ()

    def claim(self, candidate: Candidate) -> Claim | None:
        """Return a claim when this scanner can read the file, else None."""
        return None

    def claim_url(self, url: str) -> Claim | None:
        """Return a claim when this scanner can scan the URL (e.g. a database), else None."""
        return None

    def check_options(self, options: ScanOptions) -> None:
        """Raise :class:`~auditor.errors.ConfigError` when this scanner's options in
        ``options.params`` are invalid; called once before a scan, so a typo is a usage
        error (exit 2) rather than a failed target."""
        return None

    def redact_url(self, url: str) -> str:
        """The URL of a claimed target as reports show it (``Target.uri``): never a
        password or secret query parameter. Override for scheme-specific secrets."""
        return redact_url(url)

    @abstractmethod
    def scan(self, target: Target, options: ScanOptions) -> Iterator[Observation | Problem]:
        """Yield observations (and problems for partial failures) for one target.

        Raise :class:`auditor.errors.TargetError` when the target cannot be (further)
        scanned; observations yielded before the error are kept.
        """
