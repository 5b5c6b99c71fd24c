"""The one way from the capture scanner into the PII engine (``auditor.pii``).

:func:`pii_detection` returns a :class:`PiiDetection`, or None when personal-data
detection is off (``--option pcap.pii=false``). The recorder (scanners.pcap.events) hands
it the cleartext payload texts as the analysers produce them, each with a record of its
own (the server, protocol, frame...), and applies the results in exactly the order the
texts were given, so the findings do not depend on how the work is done:

- **verdicts of identical texts are cached**: a bounded LRU keyed by a 128-bit BLAKE2b
  digest of the text (form pages, mail templates and API paths repeat on every visit);
- texts are **batched** into ``PiiDetector.detect_many`` (up to :data:`BATCH_TEXTS` texts
  or :data:`BATCH_CHARS` characters; a text repeated inside the batch is analysed once);
- with ``workers > 1`` (``--jobs`` given to a single target, see
  :attr:`auditor.scanner.ScanOptions.workers`) batches are analysed in ``workers - 1``
  worker processes while this process goes on parsing; at most :data:`IN_FLIGHT`
  batches per worker are outstanding, so memory stays bounded. The workers start only
  once :data:`POOL_AFTER` characters have been analysed in this process: below that a
  worker's start-up and the texts' trips cost more than they save (the 150 MB benchmark
  capture hands the engine about 0.3 M characters), so ``--jobs 2`` is never slower than
  ``--jobs 1`` on a small or mostly encrypted capture.

The raw values found never leave scanners.pcap.events, which masks and keyed-hashes them.
The engine (Presidio with Vietnamese recognizers, offline) is loaded on first use, so
captures without cleartext payloads never pay for it.
"""

from __future__ import annotations

import hashlib
import signal
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from auditor.scanner import ScanOptions

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

__all__ = ["BATCH_CHARS", "BATCH_TEXTS", "CACHE_ENTRIES", "IN_FLIGHT", "POOL_AFTER",
           "Found", "PiiDetection", "pii_detection"]

#: ``(entity type, raw value)`` pairs found in one text
Found = list[tuple[str, str]]

BATCH_TEXTS = 128
BATCH_CHARS = 256 << 10
CACHE_ENTRIES = 4096
IN_FLIGHT = 4
POOL_AFTER = 1 << 20  # characters analysed in this process before workers start


def pii_detection(options: ScanOptions) -> PiiDetection | None:
    if options.get("pcap.pii", True) is False:
        return None
    return PiiDetection(max(1, options.workers) - 1)


def _digest(text: str) -> bytes:
    # NOTE: JSON strings may hold lone surrogates; they must hash, not raise
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _find(texts: list[str]) -> list[Found]:
    """Detect personal data in a batch of texts (in this process or a worker)."""
    from auditor.pii import get_detector

    detector = get_detector()
    return [[(e.type, text[e.start:e.end]) for e in found]
            for text, found in zip(texts, detector.detect_many(texts), strict=True)]


def _worker_init() -> None:
    # NOTE: the parent decides what a Ctrl-C means (as for the scan's own workers)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class _Cell:
    """The verdict of one distinct text, filled when its batch has been analysed."""

    __slots__ = ("found",)

    def __init__(self, found: Found | None = None) -> None:
        self.found = found


class PiiDetection:
    """Texts in, ``(record, found)`` out in the order the texts came in."""

    def __init__(self, processes: int = 0,
                 find: Callable[[list[str]], list[Found]] | None = None) -> None:
        # NOTE: ``find`` (tests) must be picklable when ``processes`` > 0
        self._processes = processes
        self._find = find or _find
        self._pool: ProcessPoolExecutor | None = None
        self._cache: OrderedDict[bytes, Found] = OrderedDict()
        self._queue: deque[tuple[Any, _Cell]] = deque()
        self._open: dict[bytes, _Cell] = {}  # distinct texts not analysed yet
        self._batch: list[tuple[str, bytes, _Cell]] = []
        self._batch_chars = 0
        self._local_chars = 0  # characters analysed in this process
        self._flight: deque[tuple[Future[list[Found]], list[bytes], list[_Cell]]] = deque()
        #: texts given, texts analysed (cache and in-batch repeats excluded)
        self.texts = 0
        self.analysed = 0

    def put(self, record: Any, text: str) -> None:
        """Queue ``text`` for analysis; its result comes back with ``record``."""
        self.texts += 1
        key = _digest(text)
        found = self._cache.get(key)
        if found is not None:
            self._cache.move_to_end(key)
            self._queue.append((record, _Cell(found)))
            return
        cell = self._open.get(key)
        if cell is None:
            cell = self._open[key] = _Cell()
            self._batch.append((text, key, cell))
            self._batch_chars += len(text)
        self._queue.append((record, cell))
        if len(self._batch) >= BATCH_TEXTS or self._batch_chars >= BATCH_CHARS:
            self._send()

    def ready(self) -> Iterator[tuple[Any, Found]]:
        """Results available now, in input order (never waits for a worker)."""
        while self._flight and self._flight[0][0].done():
            self._receive()
        yield from self._pop()

    def finish(self) -> Iterator[tuple[Any, Found]]:
        """Every remaining result, in input order (waits for the workers)."""
        self._send()
        while self._flight:
            self._receive()
        yield from self._pop()

    def close(self) -> None:
        """Stop the worker processes (what was not received is dropped)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._flight.clear()

    # ---- internals ----------------------------------------------------------------------
    def _pop(self) -> Iterator[tuple[Any, Found]]:
        queue = self._queue
        while queue and queue[0][1].found is not None:
            record, cell = queue.popleft()
            yield record, cell.found  # type: ignore[misc]

    def _send(self) -> None:
        if not self._batch:
            return
        texts = [text for text, _, _ in self._batch]
        keys = [key for _, key, _ in self._batch]
        cells = [cell for _, _, cell in self._batch]
        chars = self._batch_chars
        self._batch, self._batch_chars = [], 0
        self.analysed += len(texts)
        if self._processes <= 0 or (self._pool is None and self._local_chars < POOL_AFTER):
            self._local_chars += chars
            self._fill(keys, cells, self._find(texts))
            return
        if self._pool is None:
            # NOTE: imported here: most captures never start a worker (POOL_AFTER)
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(max_workers=self._processes,
                                             initializer=_worker_init)
        # NOTE: bounded memory: wait for the oldest batch before sending too many
        while len(self._flight) >= IN_FLIGHT * self._processes:
            self._receive()
        self._flight.append((self._pool.submit(self._find, texts), keys, cells))

    def _receive(self) -> None:
        future, keys, cells = self._flight.popleft()
        self._fill(keys, cells, future.result())

    def _fill(self, keys: list[bytes], cells: list[_Cell], results: list[Found]) -> None:
        cache, opened = self._cache, self._open
        for key, cell, found in zip(keys, cells, results, strict=True):
            cell.found = found
            opened.pop(key, None)
            cache[key] = found
            if len(cache) > CACHE_ENTRIES:
                cache.popitem(last=False)
