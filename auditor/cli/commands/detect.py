"""``auditor detect [FILE|-]``: PII detection on text, one input line per record.

Writes JSON Lines to stdout, one record per input line (DESIGN.md)::

    {"line": 3, "entities": [{"type": "VN_PHONE", "start": 4, "end": 16, "score": 1.0}]}

``line`` is 1-based; ``start``/``end`` are character offsets in that line (without its
line ending). The detected text itself is never printed. Input is read as a stream
(memory does not grow with the file). A line that is not UTF-8 text is reported on
stderr with its line number and byte offset and skipped; the other lines are still
processed and the exit code is then 3 (incomplete); so is a line the engine fails on
(``PiiEngineError``, whose message never quotes the text).

Options: ``--types VN_CCCD,VN_PHONE`` restricts the entity types; ``--threshold``
sets the minimum score; ``--context WORD`` adds context words (e.g. the column the lines
came from); ``--hits-only`` omits lines without entities; ``--jobs N`` uses N processes.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import deque
from collections.abc import Iterator
from typing import IO, Any

from auditor.errors import ConfigError, ExitCode
from auditor.pii.config import ALL_TYPES, DetectorConfig
from auditor.textsafe import term_safe

__all__ = ["register", "run"]

EXIT_INCOMPLETE = ExitCode.INCOMPLETE


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "detect", help="detect personal data in text, one line per record (JSON Lines)",
        description="PII detection on text, one input line per record. Writes JSON Lines "
                    '{"line": N, "entities": [{"type", "start", "end", "score"}]} to stdout; '
                    "the detected text itself is never printed.")
    parser.add_argument("file", nargs="?", default="-", metavar="FILE|-",
                        help="text file to read (default: - for standard input)")
    parser.add_argument("--types", default=None,
                        help="comma-separated entity types to look for "
                             f"(default: all of {', '.join(ALL_TYPES)})")
    parser.add_argument("--threshold", type=float, default=0.5,
                        help="minimum score of a reported entity, 0..1 (default 0.5)")
    parser.add_argument("--context", action="append", default=[], metavar="WORD",
                        help="context word or identifier describing every line (repeatable)")
    parser.add_argument("--hits-only", action="store_true",
                        help="write only lines with at least one entity")
    parser.add_argument("--jobs", type=int, default=1, metavar="N",
                        help="worker processes (default 1)")
    parser.set_defaults(handler=run)


def _parse_types(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    types = tuple(dict.fromkeys(t.strip().upper() for t in text.split(",") if t.strip()))
    if not types:
        raise ConfigError("--types: no entity type given")
    unknown = [t for t in types if t not in ALL_TYPES]
    if unknown:
        raise ConfigError(f"--types: unknown entity type(s) {', '.join(unknown)} "
                          f"(known: {', '.join(ALL_TYPES)})")
    return types


class _Lines:
    """Decoded lines of a binary stream; undecodable lines become None and are noted."""

    def __init__(self, stream: IO[bytes], name: str, errors: IO[str]) -> None:
        self._stream = stream
        self._name = name
        self._errors = errors
        self.bad = 0

    def __iter__(self) -> Iterator[str | None]:
        offset = 0
        for number, raw in enumerate(self._stream, start=1):
            body = raw.rstrip(b"\n").rstrip(b"\r")
            problem = None
            if b"\x00" in body:
                problem = f"binary data (NUL byte at byte offset {offset + body.index(0)})"
                text = None
            else:
                try:
                    text = body.decode("utf-8")
                except UnicodeDecodeError as exc:
                    problem = (f"not UTF-8 text (invalid byte at byte offset "
                               f"{offset + exc.start})")
                    text = None
            if problem:
                self.bad += 1
                self._errors.write(f"auditor detect: {term_safe(self._name)}: line {number}: "
                                   f"{problem}; line skipped\n")
            offset += len(raw)
            yield text


def run(args: argparse.Namespace, *, stdin: IO[bytes] | None = None,
        stdout: IO[str] | None = None, stderr: IO[str] | None = None) -> int:
    """Handler of ``auditor detect`` (streams are injectable for tests)."""
    from auditor.pii import Entity, PiiDetector, PiiEngineError, get_detector

    out = stdout or sys.stdout
    err = stderr or sys.stderr
    config = DetectorConfig(score_threshold=args.threshold, types=_parse_types(args.types),
                            n_process=max(1, args.jobs))
    detector: PiiDetector = get_detector(config)
    if args.file == "-":
        stream: IO[bytes] = stdin or sys.stdin.buffer
        name = "<stdin>"
        close = False
    else:
        try:
            stream = open(args.file, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise ConfigError(f"cannot read {args.file}: {exc.strerror}") from None
        name = args.file
        close = True
    pending: deque[bool] = deque()

    def texts(lines: _Lines) -> Iterator[str]:
        # NOTE: detect_many may read ahead (a batch per worker); ``pending`` remembers
        # which of the lines in flight were undecodable, in order.
        for text in lines:
            pending.append(text is not None)
            yield text if text is not None else ""

    def one_by_one(lines: _Lines) -> Iterator[list[Entity] | None]:
        for number, text in enumerate(texts(lines), start=1):
            try:
                yield detector.detect(text, context=args.context)
            except PiiEngineError as exc:
                failed.append(number)
                err.write(f"auditor detect: {term_safe(name)}: line {number}: "
                          f"{term_safe(exc)}; line skipped\n")
                yield None

    failed: list[int] = []
    try:
        lines = _Lines(stream, name, err)
        results: Iterator[list[Entity] | None] = (
            one_by_one(lines) if config.n_process == 1
            else detector.detect_many(texts(lines), context=args.context))
        for number, entities in enumerate(results, start=1):
            if not pending.popleft() or entities is None or (args.hits_only and not entities):
                continue
            record = {"line": number, "entities": [
                {"type": e.type, "start": e.start, "end": e.end, "score": e.score}
                for e in entities]}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    except PiiEngineError as exc:   # from a worker process: the rest is not analysed
        err.write(f"auditor detect: {term_safe(name)}: {term_safe(exc)}; stopped\n")
        failed.append(0)
    finally:
        if close:
            stream.close()
    out.flush()
    return EXIT_INCOMPLETE if lines.bad or failed else 0

