"""Files scanner: personal data in log files, CSV/TSV exports and plain-text files.

Agencies leak citizens' data in application logs and in spreadsheet exports as often as
in databases. This scanner streams such files (plain or gzip, line by line, constant
memory) through the PII engine.

Observation kinds:

``pii.text`` - one per (file, entity type) for logs and text files. Attributes:
``file_kind`` (``log`` or ``text``), ``entity``, ``count`` (occurrences), ``lines`` (the
first few 1-based line numbers), ``sensitive`` (a sensitive category, or an identity
number such as VN_CCCD), and masked ``examples``. ``subjects`` is the number of distinct
values (keyed hashes, never the values; counting stops at 200,000). Location: the file
and the first line::

    {"file_kind": "log", "entity": "VN_CCCD", "count": 412, "lines": [3, 9, 17],
     "sensitive": true, "examples": ["0792••••••21"]}

``pii.column`` - one per CSV/TSV column judged to hold personal data, from the same
column classification as database columns (:func:`auditor.pii.classify_column` over the
first ``files.sample_rows`` rows, default 2,000). Location ``table`` is the file name,
``column`` the header.

Options: ``files.sample_rows`` (CSV rows sampled per column), ``files.max_line`` (longer
lines are cut, default 10,000 characters).

A large log or text file (plain, at least two :data:`MIN_CHUNK`) scanned with
``workers > 1`` (``--jobs N`` given to a target scanned alone) is split into byte ranges
cut just after a newline (``\\n`` never occurs inside a UTF-8 character, and ``\\r\\n``
stays whole), scanned in ``workers`` processes, and the partial tallies are merged in
file order with each range's line offset: counts, line numbers, masked examples, the
distinct-subject count (first 200,000 distinct hashes in file order) and the cut-line
problem are exactly those of one sequential pass (detection is per line, so a line never
sees its neighbours). CSV exports are not split: only their first ``files.sample_rows``
rows are read, whatever the file's size.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import re
import signal
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, ClassVar, cast

from auditor.errors import TargetError
from auditor.masking import keyed_hash, mask_entity
from auditor.models import JSONValue, Location, Observation, Problem, Target
from auditor.pii import PiiDetector, classify_column, get_detector
from auditor.scanner import Candidate, Claim, Option, Scanner, ScanOptions

__all__ = ["FilesScanner"]

MAX_SUBJECTS = 200_000
MAX_LINES_SHOWN = 5
#: identity numbers whose presence in a log or export is treated as sensitive exposure
IDENTIFIERS = frozenset({"VN_CCCD", "VN_CMND", "VN_PASSPORT", "VN_SOCIAL_INSURANCE",
                         "VN_HEALTH_INSURANCE", "CREDIT_CARD", "IBAN_CODE", "PASSWORD"})
_LOG_NAME = re.compile(r"(?:\.log(?:\.\d+)?|^(?:syslog|messages|auth\.log|access_log|"
                       r"error_log)(?:\.\d+)?)$", re.IGNORECASE)
_LOG_LINE = re.compile(r"^(?:\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}|[A-Z][a-z]{2} [ \d]\d "
                       r"\d{2}:\d{2}:\d{2}|\d{1,3}(?:\.\d{1,3}){3} - )", re.MULTILINE)


def _base_name(candidate: Candidate) -> str:
    name = candidate.name
    if candidate.compression == "gzip" and name.lower().endswith(".gz"):
        return name[:-3]
    return name


@dataclass
class _Tally:
    """What one entity type looks like across a file (bounded)."""

    first_line: int
    count: int = 0
    lines: list[int] = field(default_factory=list)
    #: distinct keyed hashes in order of first appearance (a range's tally is merged in
    #: file order, so the first MAX_SUBJECTS are those of a sequential pass)
    hashes: dict[str, None] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)

    def add(self, entity: str, line: int, value: str, key: bytes) -> None:
        self.count += 1
        self._line(line)
        if len(self.hashes) < MAX_SUBJECTS:
            self.hashes[keyed_hash(value, key)] = None
        if len(self.examples) < 3:
            self._example(mask_entity(entity, value))

    def _line(self, line: int) -> None:
        if len(self.lines) < MAX_LINES_SHOWN and (not self.lines or self.lines[-1] != line):
            self.lines.append(line)

    def _example(self, shown: str) -> None:
        if len(self.examples) < 3 and shown not in self.examples:
            self.examples.append(shown)

    def merge(self, later: _Tally, offset: int) -> None:
        """Fold in the tally of a later byte range whose first line is ``offset + 1``."""
        self.count += later.count
        for line in later.lines:
            self._line(line + offset)
        for digest in later.hashes:
            if len(self.hashes) >= MAX_SUBJECTS:
                break
            self.hashes[digest] = None
        for shown in later.examples:
            self._example(shown)

    def shifted(self, offset: int) -> _Tally:
        return _Tally(self.first_line + offset, self.count,
                      [line + offset for line in self.lines], self.hashes, self.examples)


class FilesScanner(Scanner):
    name = "files"
    description = "personal data in log files, CSV/TSV exports and plain-text files"
    emits: ClassVar[tuple[str, ...]] = ("pii.text", "pii.column")

    options = (
        Option("max_line", "int", 10_000, "characters read per line (the rest is skipped)", 1),
        Option("sample_rows", "int", 2000, "rows of a CSV/TSV export classified per column", 1),
    )

    def claim(self, candidate: Candidate) -> Claim | None:
        name = _base_name(candidate)
        suffix = Path(name).suffix.lower()
        head = candidate.text_head()
        if head is None:
            return None
        if _LOG_NAME.search(name):
            return Claim("log", 60)
        if suffix in {".csv", ".tsv"}:
            return Claim("csv", 40)
        if suffix == ".txt":
            return Claim("log" if len(_LOG_LINE.findall(head)) >= 3 else "text", 20)
        return None

    def scan(self, target: Target, options: ScanOptions) -> Iterator[Observation | Problem]:
        max_line = _int_option(options, "files.max_line", 10_000)
        workers = options.workers
        if target.kind != "csv" and workers > 1:
            ranges = _split(Path(target.locator), workers)
            if len(ranges) > 1:
                tallies, cuts = _scan_ranges(target, ranges, workers, max_line,
                                             options.hash_key)
                yield from _text_observations(target, tallies, cuts, max_line)
                return
        with _open_text(target) as fh:
            if target.kind == "csv":
                rows = _int_option(options, "files.sample_rows", 2000)
                yield from self._scan_csv(target, fh, rows, options.hash_key)
            else:
                tallies, cuts, _ = _tally_lines(fh, max_line, options.hash_key)
                yield from _text_observations(target, tallies, cuts, max_line)

    def _scan_csv(self, target: Target, fh: IO[str], rows: int,
                  key: bytes) -> Iterator[Observation | Problem]:
        sample = fh.read(16384)
        fh.seek(0)
        try:
            dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
                sample, delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel_tab if target.uri.lower().endswith(".tsv") else csv.excel
        cuts = _Cuts()
        reader = csv.reader(_bounded_lines(fh, CSV_MAX_LINE, cuts), dialect)
        try:
            header = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise TargetError(f"{target.uri}:1: not a readable CSV header ({exc})",
                              line=1) from None
        detector = get_detector()
        columns: list[list[str]] = [[] for _ in header]
        if _is_data_row(header, detector):
            # NOTE: a file without a header row: its first row is a person's record, never
            # column names to publish; columns are named by position and the row is data
            for i, value in enumerate(header):
                columns[i].append(value)
            header = [f"col_{i}" for i in range(1, len(header) + 1)]
            yield Problem("no header row (the first row holds data): columns are named by "
                          "position (col_1, col_2...)", Location(target.uri, line=1))
        try:
            for count, row in enumerate(reader, 1):
                if count > rows:
                    break
                for i, value in enumerate(row[:len(header)]):
                    columns[i].append(value)
        except csv.Error as exc:
            yield Problem(f"CSV parsing stopped at line {reader.line_num}: {exc}",
                          Location(target.uri, line=reader.line_num))
        cut = cuts.problem(target.uri, CSV_MAX_LINE)
        if cut is not None:
            yield cut
        table = Path(target.uri).name
        for name, values in zip(header, columns, strict=True):
            verdict = classify_column(detector, name, values, table=table, hash_key=key)
            if not verdict.entities and not verdict.categories:
                continue
            attrs = verdict.to_attributes()
            attrs.update({"table": table, "column": name, "protected": False,
                          "sensitive": bool(verdict.categories), "source": "csv"})
            yield Observation(
                "pii.column", Location(target.uri, table=table, column=name), attrs,
                evidence={"entities": list(verdict.entities), "examples": list(verdict.examples)},
                identity=f"csv|{name}", entities=verdict.entities,
                subjects=verdict.distinct_subjects)


_DATA_CELL = re.compile(r"[\d\s+().,:/\\-]*\d[\d\s+().,:/\\-]*|.*@.*\.\w+|"
                        r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}.*")


def _is_data_row(row: list[str], detector: PiiDetector) -> bool:
    """True when a would-be header row holds values rather than names: a number, a date,
    an e-mail address, or a cell mostly covered by detected personal data."""
    for cell in row:
        text = cell.strip()
        if not text:
            continue
        if _DATA_CELL.fullmatch(text):
            return True
        covered = sum(e.end - e.start for e in detector.detect(text))
        if covered * 2 >= len(text):
            return True
    return False


class _Cuts:
    """Lines longer than the limit: how many, the first, and the characters not read."""

    def __init__(self) -> None:
        self.lines = 0
        self.first = 0
        self.chars = 0

    def problem(self, uri: str, limit: int, option: str | None = None) -> Problem | None:
        if not self.lines:
            return None
        raise_it = f"; option {option}" if option else ""
        return Problem(f"{self.lines} line(s) longer than {limit:,} characters were cut "
                       f"(first at line {self.first}; {self.chars:,} characters not "
                       f"scanned{raise_it})", Location(uri, line=self.first))


def _bounded_lines(fh: IO[str], limit: int, cuts: _Cuts) -> Iterator[str]:
    """The lines of ``fh`` (newline kept), each at most ``limit`` characters: the rest of
    a longer line is read in bounded pieces and dropped, and counted in ``cuts``. Memory
    stays flat whatever the line length (a 1 GiB line in a .log.gz)."""
    lineno = 0
    while True:
        line = fh.readline(limit)
        if not line:
            return
        lineno += 1
        if len(line) >= limit and not line.endswith("\n"):
            dropped = 0
            while True:
                rest = fh.readline(_PIECE)
                dropped += len(rest)
                if not rest or rest.endswith("\n"):
                    break
            if dropped:
                cuts.lines += 1
                cuts.first = cuts.first or lineno
                cuts.chars += dropped
                line += "\n"
        yield line


_PIECE = 1 << 20
#: CSV rows longer than this are cut (a wide export row is far shorter)
CSV_MAX_LINE = 1 << 20


def _chunks(fh: IO[str], max_line: int, cuts: _Cuts,
            size: int = 512) -> Iterator[list[tuple[int, str]]]:
    """Numbered lines in chunks (bounded memory, and batches for the detector)."""
    chunk: list[tuple[int, str]] = []
    for lineno, raw in enumerate(_bounded_lines(fh, max_line, cuts), 1):
        chunk.append((lineno, raw.rstrip("\r\n")))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _tally_lines(fh: IO[str], max_line: int, key: bytes
                 ) -> tuple[dict[str, _Tally], _Cuts, int]:
    """Tallies per entity type of the lines of ``fh``, the cut lines, the line count."""
    detector = get_detector()
    tallies: dict[str, _Tally] = {}
    cuts = _Cuts()
    lines = 0
    for chunk in _chunks(fh, max_line, cuts):
        found = detector.detect_many(text for _, text in chunk)
        for (lineno, text), entities in zip(chunk, found, strict=True):
            for ent in entities:
                tally = tallies.setdefault(ent.type, _Tally(first_line=lineno))
                tally.add(ent.type, lineno, text[ent.start:ent.end], key)
        lines = chunk[-1][0]
    return tallies, cuts, lines


def _text_observations(target: Target, tallies: dict[str, _Tally], cuts: _Cuts,
                       max_line: int) -> Iterator[Observation | Problem]:
    file_kind = "log" if target.kind == "log" else "text"
    for entity in sorted(tallies):
        t = tallies[entity]
        attributes: dict[str, JSONValue] = {
            "file_kind": file_kind, "entity": entity, "count": t.count,
            "lines": list(t.lines), "sensitive": entity in IDENTIFIERS,
            "examples": list(t.examples),
        }
        yield Observation(
            "pii.text", Location(target.uri, line=t.first_line), attributes,
            evidence={"entity": entity, "count": t.count, "examples": list(t.examples)},
            identity=f"{file_kind}|{entity}", entities=(entity,), subjects=len(t.hashes))
    cut = cuts.problem(target.uri, max_line, "files.max_line")
    if cut is not None:
        yield cut


# ---- large logs in byte ranges ---------------------------------------------------------
#: smallest byte range worth a process of its own (a file splits from twice this size)
MIN_CHUNK = 8 << 20
#: ranges per worker (smaller ranges balance the load, larger ones cost less merging)
RANGES_PER_WORKER = 4
_NEWLINE_WINDOW = 1 << 16


def _split(path: Path, workers: int) -> list[tuple[int, int]]:
    """Byte ranges of a plain file, each starting right after a newline; one range when
    the file is small, compressed or has no newline to cut at."""
    try:
        size = path.stat().st_size
        if size < 2 * MIN_CHUNK or _is_gzip(path):
            return [(0, size)]
    except OSError:
        return [(0, 0)]
    step = max(MIN_CHUNK, -(-size // (workers * RANGES_PER_WORKER)))
    cuts = [0]
    with path.open("rb") as fh:
        pos = step
        while pos < size:
            fh.seek(pos)
            cut = -1
            while cut < 0:
                window = fh.read(_NEWLINE_WINDOW)
                if not window:
                    break
                nl = window.find(b"\n")
                if nl >= 0:
                    cut = fh.tell() - len(window) + nl + 1
            if cut < 0 or cut >= size:
                break
            cuts.append(cut)
            pos = cut + step
    cuts.append(size)
    return [(a, b) for a, b in itertools.pairwise(cuts) if b > a]


class _Slice(io.RawIOBase):
    """Bytes ``start`` to ``end`` of a file, as a stream."""

    def __init__(self, path: str, start: int, end: int) -> None:
        self._fh = open(path, "rb")  # noqa: SIM115 - closed with the slice
        self._fh.seek(start)
        self._left = end - start

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._left <= 0:
            return 0
        view = memoryview(buffer)[:self._left]
        n = self._fh.readinto(view)
        self._left -= n
        return n

    def close(self) -> None:
        self._fh.close()
        super().close()


def _range_tallies(job: tuple[str, int, int, int, bytes]
                   ) -> tuple[dict[str, _Tally], _Cuts, int]:
    """Worker: the tallies of one byte range (line numbers from 1 within the range)."""
    path, start, end, max_line, key = job
    raw = io.BufferedReader(_Slice(path, start, end))
    with io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="") as fh:
        return _tally_lines(fh, max_line, key)


def _worker_init() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # NOTE: the parent handles Ctrl-C


def _scan_ranges(target: Target, ranges: list[tuple[int, int]], workers: int,
                 max_line: int, key: bytes) -> tuple[dict[str, _Tally], _Cuts]:
    """Scan byte ranges in ``workers`` processes; merge in file order."""
    get_detector()  # NOTE: built once here, inherited by the forked workers
    tallies: dict[str, _Tally] = {}
    cuts = _Cuts()
    offset = 0
    jobs = deque((target.locator, a, b, max_line, key) for a, b in ranges)
    flight: deque[Future[tuple[dict[str, _Tally], _Cuts, int]]] = deque()
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_init)
    try:
        while jobs or flight:
            while jobs and len(flight) < 2 * workers:
                flight.append(pool.submit(_range_tallies, jobs.popleft()))
            part, part_cuts, lines = flight.popleft().result()
            for entity, later in part.items():
                if entity in tallies:
                    tallies[entity].merge(later, offset)
                else:
                    tallies[entity] = later.shifted(offset)
            if part_cuts.lines:
                cuts.first = cuts.first or part_cuts.first + offset
                cuts.lines += part_cuts.lines
                cuts.chars += part_cuts.chars
            offset += lines
    except BaseException:
        # NOTE: interrupted or failed: stop the workers now, do not wait for them
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            proc.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return tallies, cuts




def _int_option(options: ScanOptions, name: str, default: int) -> int:
    value = options.get(name, default)
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    raise TargetError(f"option {name} must be a positive integer")


def _open_text(target: Target) -> IO[str]:
    """The file as text (gzip transparently); undecodable bytes become U+FFFD."""
    path = Path(target.locator)
    try:
        raw = gzip.open(path, "rb") if _is_gzip(path) else path.open("rb")  # noqa: SIM115
    except OSError as exc:
        raise TargetError(f"{target.uri}: cannot read: {exc.strerror}") from None
    return io.TextIOWrapper(cast(IO[bytes], raw), encoding="utf-8", errors="replace",
                            newline="")


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == b"\x1f\x8b"
