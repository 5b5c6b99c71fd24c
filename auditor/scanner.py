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
import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Literal

from auditor.catalogue import ObservationKind
from auditor.errors import ConfigError
from auditor.masking import redact_url
from auditor.models import JSONValue, Observation, Problem, Target

if TYPE_CHECKING:
    from auditor.pii import PiiDetector

__all__ = ["Candidate", "Claim", "Option", "ScanContext", "ScanOptions", "Scanner"]

OptionType = Literal["bool", "int", "number", "text", "secret", "globs"]


@dataclass(frozen=True, slots=True)
class Option:
    """One scanner option, declared on the scanner class (``Scanner.options``) and given
    as ``--option SCANNER.NAME=VALUE``. The core checks every given option against these
    declarations before the scan (an unknown name or a bad value is exit 2 listing the
    known ones) and ``auditor scanners`` prints them.

    Types: ``bool``; ``int`` and ``number`` (at least ``minimum`` when set); ``text``;
    ``secret`` (text never printed); ``globs`` (a list, or text split at commas).
    """

    name: str
    type: OptionType
    default: JSONValue = None
    help: str = ""
    minimum: float | None = None

    def parse(self, full_name: str, value: JSONValue) -> JSONValue:
        """The checked value; ConfigError names the option and what it must be."""
        kind = self.type
        if kind == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in {"true", "false"}:
                return value.lower() == "true"
            raise ConfigError(f"option {full_name} must be true or false")
        if kind in {"int", "number"}:
            number: float
            if isinstance(value, bool) or value is None:
                raise ConfigError(f"option {full_name} must be a number")
            if isinstance(value, int | float):
                number = value
            else:
                try:
                    number = int(str(value)) if kind == "int" else float(str(value))
                except ValueError:
                    raise ConfigError(f"option {full_name} must be "
                                      f"{'a whole number' if kind == 'int' else 'a number'}"
                                      ) from None
            if kind == "int" and not float(number).is_integer():
                raise ConfigError(f"option {full_name} must be a whole number")
            if not math.isfinite(number):
                raise ConfigError(f"option {full_name} must be a finite number")
            if self.minimum is not None and number < self.minimum:
                raise ConfigError(f"option {full_name} must be at least {self.minimum:g}")
            return int(number) if kind == "int" else number
        if kind in {"text", "secret"}:
            if isinstance(value, str):
                return value
            if isinstance(value, int | float) and not isinstance(value, bool):
                return str(value)
            raise ConfigError(f"option {full_name} must be text")
        if kind == "globs":
            if isinstance(value, str):
                return [g.strip() for g in value.split(",") if g.strip()]
            if isinstance(value, list) and all(isinstance(g, str) for g in value):
                return list(value)
            raise ConfigError(f"option {full_name} must be a glob or a list of globs")
        raise ConfigError(f"option {full_name}: unknown option type {kind!r}")

    def describe(self) -> str:
        """One line for ``auditor scanners``: type, default, help (never a secret)."""
        default = "" if self.default is None or self.type == "secret" else \
            f", default {self.default!r}".replace("True", "true").replace("False", "false")
        minimum = f", at least {self.minimum:g}" if self.minimum is not None else ""
        return f"{self.type}{default}{minimum}: {self.help}"


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
    #: processes this target's scan may use for its own parts (a large log split into
    #: byte ranges, a capture's payload detection): the local executor gives its
    #: ``--jobs`` to a target scanned alone; 1 = this process only. Never changes results.
    workers: int = 1

    def get(self, name: str, default: JSONValue = None) -> JSONValue:
        return self.params.get(name, default)


@dataclass(frozen=True, slots=True)
class ScanContext(ScanOptions):
    """What a scanner is given for one target: the checked options (as
    :class:`ScanOptions`, so ``ctx.get("pcap.pii")``, ``ctx.as_of`` and ``ctx.hash_key``
    work), the Vietnam-first PII detector built lazily once per worker process
    (:meth:`pii`), and :meth:`record_fingerprint` for a content fingerprint of a target
    that is not a file (a database schema), which the report shows as the target's
    ``fingerprint``. The engine makes one context per task in the process that runs it.
    """

    _records: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    _states: list[object] = field(default_factory=list, repr=False, compare=False)
    #: the clock of time budgets (seconds, monotonic); tests pass a fake one
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)

    @classmethod
    def of(cls, options: ScanOptions) -> ScanContext:
        """A fresh context (nothing recorded yet) with these options."""
        return cls(options.as_of, options.hash_key, options.params, options.time_budget,
                   options.reveal, options.workers,
                   clock=getattr(options, "clock", time.monotonic))

    def pii(self) -> PiiDetector:
        """The PII detector of this worker process (built on first use, then shared)."""
        from auditor.pii import get_detector  # NOTE: the engine loads only when asked

        return get_detector()

    def record_fingerprint(self, sha256: str) -> None:
        """Record the target's content fingerprint (hex SHA-256)."""
        self._records["fingerprint"] = sha256

    @property
    def fingerprint(self) -> str | None:
        return self._records.get("fingerprint")

    def record_state(self, state: object) -> None:
        """Hand a part's mergeable state (picklable, never a raw value) to the client,
        which passes it to :meth:`Scanner.combine`; for parts of a :meth:`Scanner.plan`."""
        self._states.append(state)

    @property
    def states(self) -> tuple[object, ...]:
        return tuple(self._states)


class Scanner(ABC):
    """Base class of every scanner plugin."""

    #: stable plugin name (also the entry-point name)
    name: ClassVar[str]
    #: one line for ``auditor scanners``
    description: ClassVar[str] = ""
    #: observation kinds this scanner may emit (used for compliance coverage)
    emits: ClassVar[tuple[str, ...]] = ()
    #: kinds this scanner adds to the catalogue (the built-in scanners' kinds are in
    #: auditor/knowledge/observation_kinds.yaml); see :mod:`auditor.catalogue`
    kinds: ClassVar[tuple[ObservationKind, ...]] = ()
    #: the options this scanner reads, as ``--option NAME.KEY=VALUE`` (NAME is
    #: ``option_prefix``, by default the scanner's name)
    options: ClassVar[tuple[Option, ...]] = ()
    #: the prefix of this scanner's options when it shares another's (sqldump reads the
    #: ``database.*`` sampling options); None = the scanner's own name
    option_prefix: ClassVar[str | None] = None

    def claim(self, candidate: Candidate) -> Claim | None:
        """Return a claim when this scanner can read the file, else None."""
        return None

    def claim_url(self, url: str) -> Claim | None:
        """Return a claim when this scanner can scan the URL (e.g. a database), else None."""
        return None

    def check_options(self, options: ScanOptions) -> None:
        """Further checks across this scanner's options (each one's type and bounds are
        checked from :attr:`options` first); raise
        :class:`~auditor.errors.ConfigError`. Called once before a scan, so a bad value
        is a usage error (exit 2) rather than a failed target."""
        return None

    def redact_url(self, url: str) -> str:
        """The URL of a claimed target as reports show it (``Target.uri``): never a
        password or secret query parameter. Override for scheme-specific secrets."""
        return redact_url(url)

    def plan(self, target: Target, options: ScanContext
             ) -> Sequence[Mapping[str, JSONValue]] | None:
        """Optional: split a large target into parts for a distributed executor (None =
        scan it whole, the default). Each part is a parameter overlay: the part is
        scanned as the same target with ``options.params`` updated by it. Contract: the
        observations and problems of every part, concatenated in part order, are exactly
        those of one whole scan. The last part runs after all the others, with
        :meth:`carry` of their observations added to its overlay. Runs where the target
        is reachable (a worker), so it may open the target. A part may also record
        mergeable state (:meth:`ScanContext.record_state`, e.g. one key range of a large
        table) that :meth:`combine` turns into observations on the client."""
        return None

    def combine(self, observations: Sequence[Observation], states: Sequence[object]
                ) -> list[Observation]:
        """Client side of a :meth:`plan`: the parts' observations (in part order) and the
        states they recorded (:meth:`ScanContext.record_state`) as the whole scan's
        observations; called before :meth:`carry` and before judging. Default: the
        observations as they are (a scanner whose parts record no state)."""
        return list(observations)

    def part_label(self, part: Mapping[str, JSONValue]) -> str:
        """A few words naming a part of a :meth:`plan` in an error (``table hr.staff,
        key range 2 of 5``); empty = the part's number only."""
        return ""

    def carry(self, observations: Sequence[Observation],
              problems: Sequence[Problem] = ()) -> Mapping[str, JSONValue]:
        """What the last part of a :meth:`plan` needs from the earlier parts'
        observations and problems (e.g. which tables hold personal data, which could not
        be read), as a parameter overlay."""
        return {}

    @abstractmethod
    def scan(self, target: Target, options: ScanContext) -> Iterator[Observation | Problem]:
        """Yield observations (and problems for partial failures) for one target;
        ``options`` is the task's :class:`ScanContext`.

        Raise :class:`auditor.errors.TargetError` when the target cannot be (further)
        scanned; observations yielded before the error are kept.
        """
