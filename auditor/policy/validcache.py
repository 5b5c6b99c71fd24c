"""Remembered schema verdicts: a document once found valid is not validated again.

JSON Schema validation of the rule packs and frameworks is most of what loading them
costs (about 80 ms of CPU at every ``auditor scan``, plus importing jsonschema). A
document's verdict depends only on the schema, the validator and the data, so the key is
a SHA-256 over all three: the schema's name and bytes, the installed jsonschema version,
and ``repr`` of the loaded data (which keeps types apart: the date ``2025-01-01`` and
the string ``"2025-01-01"`` do not collide). Any change to a pack, a schema or the
validator gives a new key, so a stale entry can never pass an invalid document; only
"valid" is remembered (an invalid document is validated again, for its precise error).
The shipped schemas use no ``format`` that needs an optional library (only ``date``,
which jsonschema checks itself), so installing one cannot change a verdict.

Entries are empty files named by the key under ``$AUDITOR_CACHE_DIR`` (set empty to turn
the cache off), else ``$XDG_CACHE_HOME/auditor``, else ``~/.cache/auditor``, in
``schema-valid/``. Nothing else is stored there: no pack content, no scanned data. A cache
that cannot be read or written (read-only home, no home) is skipped silently: loading is
then exactly as without it.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path
from typing import Any

__all__ = ["cache_dir", "known_valid", "remember_valid", "valid_key"]

_FORMAT = b"auditor schema-valid 1\0"


def cache_dir(environ: dict[str, str] | None = None) -> Path | None:
    """The user's auditor cache directory, or None when turned off or unknown."""
    env = os.environ if environ is None else environ
    if "AUDITOR_CACHE_DIR" in env:
        given = env["AUDITOR_CACHE_DIR"]
        return Path(given) if given else None
    xdg = env.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "auditor"
    try:
        home = Path.home()
    except (RuntimeError, KeyError):  # NOTE: no HOME and no passwd entry
        return None
    return home / ".cache" / "auditor"


@functools.cache
def _validator_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("jsonschema")
    except PackageNotFoundError:  # pragma: no cover - a dependency
        return "?"


def valid_key(schema_name: str, schema_bytes: bytes, data: Any) -> str:
    """The cache key of ``data``'s verdict under this schema and validator."""
    digest = hashlib.sha256(_FORMAT)
    for part in (schema_name.encode(), _validator_version().encode(), schema_bytes,
                 repr(data).encode("utf-8", "surrogatepass")):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _entry(key: str) -> Path | None:
    base = cache_dir()
    return None if base is None else base / "schema-valid" / key


def known_valid(key: str) -> bool:
    """True when a document with this key was found valid before."""
    path = _entry(key)
    try:
        return path is not None and path.is_file()
    except OSError:
        return False


def remember_valid(key: str) -> None:
    """Note that a document with this key is valid (silently skipped when not writable)."""
    path = _entry(key)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.touch()
    except OSError:
        pass
