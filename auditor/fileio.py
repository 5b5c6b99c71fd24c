"""File helpers every part of auditor shares: atomic writes and content hashes.

:func:`atomic_write` writes to a temporary file beside the target and renames it over
the target, so a reader (or a crash, or an interrupt) sees the old file or the whole new
one, never half of it. :func:`sha256_file` hashes a file in bounded chunks.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_write", "sha256_file"]

_CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike[str]) -> tuple[str, int]:
    """(hex SHA-256, size in bytes) of the file's content; OSError when unreadable."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def atomic_write(path: str | os.PathLike[str],
                 content: str | bytes | Callable[[IO[Any]], object], *,
                 newline: str | None = "\n") -> None:
    """Write ``content`` (text, bytes, or a function that writes to the open file) to
    ``path`` atomically; the parent folder is created. Text is UTF-8, with ``newline``
    as in :func:`open` (``""``: written as given)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        if isinstance(content, bytes):
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
        elif isinstance(content, str):
            with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as fh:
                fh.write(content)
        else:
            binary = newline is None
            with (os.fdopen(fd, "wb") if binary else
                  os.fdopen(fd, "w", encoding="utf-8", newline=newline)) as fh:
                content(fh)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
