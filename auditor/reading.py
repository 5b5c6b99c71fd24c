"""Reading a whole (small) file for a scanner, bounded, with errors that name the file.

Certificate, key and service-configuration files are read whole: they are small, and a
file far larger than any real one is reported instead of read.
"""

from __future__ import annotations

from pathlib import Path

from auditor.errors import TargetError

__all__ = ["read_bounded"]


def read_bounded(path: Path, uri: str, *, limit: int, what: str) -> bytes:
    """The bytes of ``path``; a :class:`TargetError` naming ``uri`` when it is larger than
    ``limit`` bytes ("too large for a ``what``") or cannot be read."""
    try:
        size = path.stat().st_size
        if size > limit:
            raise TargetError(f"{uri}: {size} bytes is too large for a {what} "
                              f"(limit {limit})")
        return path.read_bytes()
    except OSError as exc:
        raise TargetError(f"{uri}: cannot read ({exc.strerror})") from None
