"""Value shapes: recognise password-hash formats, ciphertext and tokens by their form.

Used by the database and SQL dump scanners to say *how* a column stores its values
without keeping them: a password column holding ``$2b$12$...`` strings stores bcrypt
hashes; a column whose values are all Fernet tokens or high-entropy base64 is protected
(encrypted or tokenised), so personal data in it is not in cleartext.

Only the shape is looked at. Nothing here decrypts, cracks or keeps a value.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

__all__ = [
    "FAST_HASHES",
    "PROTECTED_SHAPES",
    "SLOW_HASHES",
    "dominant",
    "hash_format",
    "protected_shape",
    "shannon_entropy",
]

# NOTE: order matters: the first matching pattern names the format.
_HASH_FORMATS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern)) for name, pattern in (
        ("bcrypt", r"^\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}$"),
        ("argon2", r"^\$argon2(?:id|i|d)\$(?:v=\d+\$)?m=\d+,t=\d+,p=\d+\$\S+$"),
        ("scrypt", r"^(?:\$scrypt\$|\$7\$|scrypt:\d+:\d+:\d+\$)\S+$"),
        ("yescrypt", r"^\$y\$\S+$"),
        ("pbkdf2", r"^(?:pbkdf2_sha(?:1|256|512)\$\d+\$\S+|\$pbkdf2(?:-sha\d+)?\$\d+\$\S+"
                   r"|pbkdf2:sha\d+:\d+\$\S+|\{PBKDF2[^}]*\}\S+)$"),
        ("scram-sha-256", r"^SCRAM-SHA-256\$\d+:\S+\$\S+:\S+$"),
        ("sha512-crypt", r"^\$6\$(?:rounds=\d+\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{86}$"),
        ("sha256-crypt", r"^\$5\$(?:rounds=\d+\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{43}$"),
        ("md5-crypt", r"^\$(?:1|apr1)\$[./A-Za-z0-9]{1,8}\$[./A-Za-z0-9]{22}$"),
        ("salted-sha1", r"^(?:sha1\$[^$]+\$[0-9a-f]{40}|\{SSHA\}[A-Za-z0-9+/=]{28,})$"),
        ("salted-md5", r"^(?:md5\$[^$]+\$[0-9a-f]{32}|\{SMD5\}[A-Za-z0-9+/=]{24,})$"),
        ("pg-md5", r"^md5[0-9a-f]{32}$"),
        ("mysql-native", r"^\*[0-9A-F]{40}$"),
        ("md5", r"^(?:[0-9a-f]{32}|[0-9A-F]{32}|\{MD5\}[A-Za-z0-9+/]{22}==)$"),
        ("sha1", r"^(?:[0-9a-f]{40}|[0-9A-F]{40}|\{SHA\}[A-Za-z0-9+/]{27}=)$"),
        ("sha256", r"^(?:[0-9a-f]{64}|[0-9A-F]{64})$"),
        ("sha512", r"^(?:[0-9a-f]{128}|[0-9A-F]{128})$"),
    )
)

#: slow, salted password hashing schemes (acceptable storage)
SLOW_HASHES = frozenset({"bcrypt", "argon2", "scrypt", "yescrypt", "pbkdf2", "scram-sha-256",
                         "sha512-crypt", "sha256-crypt"})
#: fast or unsalted hashes (CWE-916 when used for passwords)
FAST_HASHES = frozenset({"md5-crypt", "salted-sha1", "salted-md5", "pg-md5", "mysql-native",
                         "md5", "sha1", "sha256", "sha512"})

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                   r"[0-9a-fA-F]{12}$")
_PROTECTED: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern)) for name, pattern in (
        ("fernet", r"^gAAAAA[A-Za-z0-9_-]{80,}={0,2}$"),
        ("vault-transit", r"^vault:v\d+:[A-Za-z0-9+/=]+$"),
        ("pgp", r"^-----BEGIN PGP MESSAGE-----"),
        ("jwe", r"^[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"
                r"\.[A-Za-z0-9_-]{10,}$"),
        ("prefixed-ciphertext", r"^(?:enc|ENC|encrypted|cipher|aes|AES|tok|token|tkn)"
                                r"[:_$(][A-Za-z0-9+/=_-]{16,}\)?$"),
        ("keyed-token", r"^kh:[0-9a-f]{8,}$"),
        ("base64-random", r"^[A-Za-z0-9+/]{22,}={0,2}$"),
        ("hex-random", r"^(?:[0-9a-f]{32,}|[0-9A-F]{32,})$"),
    )
)
#: shapes that mean "this value is encrypted or tokenised"
PROTECTED_SHAPES = frozenset(name for name, _ in _PROTECTED)


def shannon_entropy(text: str) -> float:
    """Bits per character of ``text`` (0 for the empty string)."""
    if not text:
        return 0.0
    counts = Counter(text)
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def hash_format(value: str) -> str | None:
    """The password-hash format a value has (``bcrypt``, ``md5``...), or None."""
    text = value.strip()
    if not text or len(text) > 1024:
        return None
    for name, pattern in _HASH_FORMATS:
        if pattern.match(text):
            return name
    return None


def protected_shape(value: str) -> str | None:
    """The ciphertext/token shape of a value (``fernet``, ``base64-random``...), or None.

    Base64 and hex runs count only when they look random (entropy high, mixed classes),
    so long words or digit strings are not mistaken for ciphertext. UUIDs are not
    protection (they are identifiers) and return None.
    """
    text = value.strip()
    if len(text) < 16 or len(text) > 1 << 16 or _UUID.match(text):
        return None
    for name, pattern in _PROTECTED:
        if not pattern.match(text):
            continue
        if name == "base64-random":
            classes = sum(1 for test in (str.isupper, str.islower, str.isdigit)
                          if any(test(ch) for ch in text))
            if classes < 3 or shannon_entropy(text) < 4.0:
                continue
        if name == "hex-random" and shannon_entropy(text) < 3.0:
            continue
        return name
    return None


def dominant(labels: Iterable[str | None], *, threshold: float = 0.8) -> tuple[str | None, float]:
    """The most common non-None label and its share of *all* labels, when that share
    reaches ``threshold``; else ``(None, share)``."""
    counts: Counter[str | None] = Counter(labels)
    total = sum(counts.values())
    if not total:
        return None, 0.0
    best = max(((n, lab) for lab, n in counts.items() if lab is not None), default=None)
    if best is None:
        return None, 0.0
    share = best[0] / total
    return (best[1], share) if share >= threshold else (None, share)
