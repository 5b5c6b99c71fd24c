"""Distinct-value counting in constant memory (a k-minimum-values sketch).

Scanners count distinct data subjects (a database column over every row, the people
whose data crossed one service of a capture) without keeping the values: each value is
hashed with a keyed BLAKE2b (the scan's hash key), and only the ``k`` smallest hashes are
kept, so the state never grows past ``k`` hashes whatever the input. Below ``k`` distinct
values the count is exact (up to a collision of 64-bit hashes); above, the estimate
``(k - 1) / h_k`` (``h_k`` the k-th smallest hash scaled to [0, 1)) has a relative
standard error of about ``1 / sqrt(k - 2)`` (1.6 % for k = 4096).
"""

from __future__ import annotations

import hashlib
import heapq

__all__ = ["DistinctSketch"]

_SCALE = float(1 << 64)


class DistinctSketch:
    """Approximate distinct count of strings; memory bounded by ``k``."""

    def __init__(self, key: bytes, k: int = 4096) -> None:
        self._key = key[:64]
        self._k = k
        self._heap: list[int] = []  # negated: a max-heap of the k smallest hashes
        self._members: set[int] = set()

    def add(self, value: str) -> None:
        # NOTE: surrogatepass: a lone surrogate (JSON on the wire, a name from hostile
        # input) hashes, distinctly, instead of raising; valid text is plain UTF-8
        digest = hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=8,
                                 key=self._key).digest()
        self._offer(int.from_bytes(digest, "big"))

    def _offer(self, h: int) -> None:
        """Keep ``h`` if it is among the ``k`` smallest distinct hashes seen."""
        if h in self._members:
            return
        if len(self._heap) < self._k:
            heapq.heappush(self._heap, -h)
            self._members.add(h)
        elif h < -self._heap[0]:
            evicted = -heapq.heapreplace(self._heap, -h)
            self._members.discard(evicted)
            self._members.add(h)

    def merge(self, other: DistinctSketch) -> None:
        """Add another sketch of the same key: afterwards this sketch is exactly the
        sketch of both streams together (the k smallest distinct hashes of the union),
        so sketches of key ranges merge into the sketch of the whole table."""
        if other._k != self._k:
            raise ValueError("sketches of different sizes cannot be merged")
        for h in other._members:
            self._offer(h)

    def __getstate__(self) -> tuple[int, list[int]]:
        # NOTE: travels between processes as the hashes only, never the key: a sketch
        # that travelled can be merged and estimated, not fed (its key is empty)
        return self._k, sorted(self._members)

    def __setstate__(self, state: tuple[int, list[int]]) -> None:
        self._k, members = state
        self._key = b""
        self._members = set(members)
        self._heap = [-h for h in members]
        heapq.heapify(self._heap)

    def __len__(self) -> int:
        """Hashes kept: the state's size, never more than ``k``."""
        return len(self._members)

    @property
    def exact(self) -> bool:
        """Whether :meth:`estimate` is an exact count (fewer than ``k`` distinct values)."""
        return len(self._heap) < self._k

    def estimate(self) -> int:
        if len(self._heap) < self._k:
            return len(self._heap)
        kth = -self._heap[0] / _SCALE
        return round((self._k - 1) / kth) if kth > 0 else len(self._heap)
