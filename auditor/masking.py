"""Masking and keyed hashing shared by every scanner and report.

Reports never show what was found: values are replaced by type- and length-preserving
masks (``0912•••678``) or by keyed-hash tokens (``kh:3f9a…``) that let equal values be
counted and correlated without being stored. Neither is reversible.

The hash key comes from ``AUDITOR_HASH_KEY`` (any string), else from the key file named
by ``AUDITOR_HASH_KEY_FILE``, else from a per-user key file created on first use
(``$XDG_DATA_HOME/auditor/hash.key``, mode 0600). Keep it stable where fingerprints must
match across machines (e.g. a CI baseline): set ``AUDITOR_HASH_KEY`` as a CI secret.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

__all__ = [
    "MASK_CHAR",
    "key_id",
    "keyed_hash",
    "load_hash_key",
    "mask",
    "mask_entity",
    "mask_secret",
    "redact_url",
]

MASK_CHAR = "•"


def load_hash_key(env: dict[str, str] | None = None, *, create: bool = True) -> bytes:
    """Resolve the keyed-hash key (see module docstring); with ``create`` False, a
    missing per-user key file is not created and the key is empty."""
    environ = os.environ if env is None else env
    value = environ.get("AUDITOR_HASH_KEY")
    if value:
        return value.encode("utf-8")
    key_file = environ.get("AUDITOR_HASH_KEY_FILE")
    if key_file:
        return Path(key_file).read_bytes().strip()
    base = Path(environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    path = base / "auditor" / "hash.key"
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        if not create:
            return b""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode("ascii")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key


def key_id(key: bytes) -> str:
    """A short public name of a hash key (HMAC of a fixed label, never the key): equal
    keys have equal ids, so two machines can compare keys without sending them."""
    return hmac.new(key, b"auditor hash-key id v1", hashlib.sha256).hexdigest()[:16]


def keyed_hash(value: str | bytes, key: bytes, *, length: int = 16) -> str:
    """HMAC-SHA256 token of a value, ``kh:`` + ``length`` hex chars. Not reversible
    without the key; equal values give equal tokens under the same key."""
    # NOTE: surrogatepass: a lone surrogate (a name from hostile input) still hashes,
    # distinctly, and valid text hashes exactly as with plain UTF-8
    data = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value
    digest = hmac.new(key, data, hashlib.sha256).hexdigest()
    return "kh:" + digest[:length]


def mask(value: str, *, keep_start: int | None = None, keep_end: int | None = None) -> str:
    """Type- and length-preserving mask of a personal-data value.

    Digits and letters in the middle become ``•``; separators (space, ``.``, ``-``, ``@``)
    are kept so the shape stays readable: ``0912345678`` -> ``0912•••678``,
    ``an.nguyen@example.vn`` -> ``an•••••••@e••••••.vn``. At most ~40% of the characters
    are ever shown, and nothing of values shorter than 5 characters.
    """
    n = len(value)
    if n < 5:
        return MASK_CHAR * n
    if "@" in value and keep_start is None and keep_end is None:
        local, _, domain = value.partition("@")
        host, dot, tld = domain.rpartition(".")
        masked_local = (local[:2] + MASK_CHAR * max(len(local) - 2, 1)) if len(local) > 3 \
            else MASK_CHAR * len(local)
        if dot:
            masked_domain = host[:1] + MASK_CHAR * (len(host) - 1) + "." + tld
        else:
            masked_domain = MASK_CHAR * len(domain)
        return masked_local + "@" + masked_domain
    budget = max(1, int(n * 0.4))
    start = keep_start if keep_start is not None else min(4, budget // 2 + budget % 2)
    end = keep_end if keep_end is not None else min(3, budget - start)
    start, end = max(0, min(start, budget)), max(0, min(end, budget - min(start, budget)))
    middle = "".join(ch if ch in " .-/:" else MASK_CHAR for ch in value[start:n - end])
    return value[:start] + middle + (value[n - end:] if end else "")


def mask_secret(value: str, *, prefix: int = 0) -> str:
    """Mask for a secret or password: nothing of it is shown except a well-known,
    non-secret prefix (e.g. ``ghp_``, ``AKIA``) when ``prefix`` says so, plus its length.

    ``mask_secret("hunter2")`` -> ``•••••••(7)``.
    """
    shown = value[: min(prefix, 4, len(value) // 4)] if prefix else ""
    return f"{shown}{MASK_CHAR * min(len(value) - len(shown), 12)}({len(value)})"


_WORD_TYPES = frozenset({"PERSON", "ADDRESS"})
_DIGIT_EDGES = {
    # type: (kept leading, kept trailing) characters; never more than mask() allows.
    "VN_PHONE": (2, 2),
    "PHONE_NUMBER": (3, 2),
    "VN_CCCD": (3, 1),
    "VN_CMND": (2, 2),
    "VN_TAX_CODE": (2, 2),
    "VN_SOCIAL_INSURANCE": (2, 2),
    "VN_HEALTH_INSURANCE": (2, 2),
    "VN_PASSPORT": (1, 2),
    "VN_LICENSE_PLATE": (2, 0),
    "CREDIT_CARD": (4, 4),
    "IBAN_CODE": (4, 2),
    "DATE_OF_BIRTH": (0, 0),
    "IP_ADDRESS": (0, 0),
}


def mask_entity(entity_type: str, value: str) -> str:
    """Mask of a detected value, shaped for its entity type.

    ``VN_PHONE`` ``0912345678`` -> ``09••••••78``; ``VN_CCCD`` ``079203012345`` ->
    ``079••••••••5``; ``PERSON`` ``Nguyễn Văn An`` -> ``N••••• V•• A•`` (initials only);
    ``EMAIL_ADDRESS`` as :func:`mask`; ``PASSWORD`` as :func:`mask_secret` (nothing shown);
    ``DATE_OF_BIRTH`` and ``IP_ADDRESS`` keep only separators. At most ~40% of the
    characters are ever shown (never more than :func:`mask` would).
    """
    if entity_type == "PASSWORD":
        return mask_secret(value)
    if entity_type == "EMAIL_ADDRESS":
        return mask(value)
    if entity_type in _WORD_TYPES:
        words = value.split(" ")
        if entity_type == "ADDRESS":
            return " ".join("".join(ch if ch in ",.-/" else MASK_CHAR for ch in w)
                            for w in words)
        return " ".join(w[:1] + MASK_CHAR * (len(w) - 1) if len(w) > 1 else MASK_CHAR
                        for w in words)
    if entity_type in _DIGIT_EDGES:
        start, end = _DIGIT_EDGES[entity_type]
        budget = max(0, int(len(value) * 0.4)) if len(value) >= 5 else 0
        start = min(start, budget)
        end = min(end, budget - start)
        n = len(value)
        middle = "".join(ch if ch in " .-/:" else MASK_CHAR for ch in value[start:n - end])
        return value[:start] + middle + (value[n - end:] if end else "")
    return mask(value)


_SECRET_QUERY = re.compile(r"(?i)pass|pwd|secret|token|key|credential|auth|sig")


def redact_url(url: str) -> str:
    """A URL as reports may show it: the password and secret-looking query parameters
    (``password=``, ``sslpassword=``, ``token=``...) removed, the user kept
    (``postgresql://app@db:5432/citizens``). Works on malformed URLs too."""
    scheme, sep, rest = url.strip().partition("://")
    if not sep:
        return url
    rest = rest.partition("#")[0]
    rest, qmark, query = rest.partition("?")
    netloc, slash, path = rest.partition("/")
    if "@" in netloc:
        creds, _, host = netloc.rpartition("@")
        user = creds.split(":", 1)[0]
        netloc = f"{user}@{host}" if user else host
    kept = [part for part in query.split("&")
            if part and not _SECRET_QUERY.search(part.partition("=")[0])]
    tail = ("?" + "&".join(kept)) if qmark and kept else ""
    return f"{scheme}://{netloc}{slash}{path}{tail}"
