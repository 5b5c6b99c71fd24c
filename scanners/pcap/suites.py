"""Cipher-suite names and weakness flags for the TLS analyser: one lookup, :func:`suite`.

The shared table of the crypto scanner (``scanners.crypto.suites.suite_by_code``) is used
when it is installed, so captures and server configurations are judged alike; otherwise
the names come from scapy's TLS suite registry and the flags are derived from the IANA
name. Flags: ``EXPORT NULL RC4 DES 3DES RC2 IDEA CBC ANON MD5 NO_PFS``.
SSLv2 cipher kinds (3-byte codes) have their own small table.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["SuiteInfo", "sslv2_kind", "suite"]


@dataclass(frozen=True, slots=True)
class SuiteInfo:
    code: int
    name: str
    kex: str
    flags: tuple[str, ...]


_SSLV2_KINDS: dict[int, tuple[str, tuple[str, ...]]] = {
    0x010080: ("SSL_CK_RC4_128_WITH_MD5", ("MD5", "NO_PFS", "RC4")),
    0x020080: ("SSL_CK_RC4_128_EXPORT40_WITH_MD5", ("EXPORT", "MD5", "NO_PFS", "RC4")),
    0x030080: ("SSL_CK_RC2_128_CBC_WITH_MD5", ("CBC", "MD5", "NO_PFS", "RC2")),
    0x040080: ("SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5", ("CBC", "EXPORT", "MD5", "NO_PFS",
                                                        "RC2")),
    0x050080: ("SSL_CK_IDEA_128_CBC_WITH_MD5", ("CBC", "IDEA", "MD5", "NO_PFS")),
    0x060040: ("SSL_CK_DES_64_CBC_WITH_MD5", ("CBC", "DES", "MD5", "NO_PFS")),
    0x0700C0: ("SSL_CK_DES_192_EDE3_CBC_WITH_MD5", ("3DES", "CBC", "MD5", "NO_PFS")),
}


def sslv2_kind(code: int) -> SuiteInfo:
    """An SSLv2 CIPHER-KIND (3-byte code)."""
    name, flags = _SSLV2_KINDS.get(code, (f"SSL_CK_UNKNOWN_{code:06X}", ("MD5", "NO_PFS")))
    return SuiteInfo(code, name, "RSA", flags)


def flags_from_name(name: str) -> tuple[str, ...]:
    """Weakness flags of a suite from its IANA name."""
    flags = set()
    body = name.split("_WITH_", 1)
    kex = body[0][4:] if len(body) == 2 else ""
    if "EXPORT" in name:
        flags.add("EXPORT")
    if "_WITH_NULL" in name or name.startswith("TLS_NULL"):
        flags.add("NULL")
    for algo in ("RC4", "3DES", "RC2", "IDEA"):
        if algo in name:
            flags.add(algo)
    if "_DES_" in name or "_DES40_" in name:
        flags.add("DES")
    if "_CBC" in name:
        flags.add("CBC")
    if "anon" in kex:
        flags.add("ANON")
    if name.endswith("_MD5"):
        flags.add("MD5")
    if len(body) == 2 and not kex.startswith(("DHE", "ECDHE")):
        flags.add("NO_PFS")
    return tuple(sorted(flags))


def _kex(name: str) -> str:
    head = name.split("_WITH_", 1)
    return head[0][4:].split("_", 1)[0] if len(head) == 2 else "TLS13"


@lru_cache(maxsize=1)
def _shared_table() -> Callable[[int], object | None] | None:
    # NOTE: imported by name so this module does not depend on the crypto scanner's
    # presence at type-check time; its table wins when installed.
    try:
        shared = importlib.import_module("scanners.crypto.suites")
    except ImportError:
        return None
    lookup: Callable[[int], object | None] = shared.suite_by_code
    return lookup


@lru_cache(maxsize=1)
def _scapy_names() -> dict[int, str]:
    from scapy.layers.tls.crypto.suites import _tls_cipher_suites

    return dict(_tls_cipher_suites)


@lru_cache(maxsize=1024)
def suite(code: int) -> SuiteInfo:
    """Name, key exchange and flags of a TLS cipher suite code."""
    shared = _shared_table()
    if shared is not None:
        found = shared(code)
        if found is None:
            return SuiteInfo(code, f"UNKNOWN_0x{code:04X}", "", ())
        name = str(getattr(found, "iana", "") or f"0x{code:04X}")
        kex = str(getattr(found, "kex", "") or _kex(name))
        flags = tuple(sorted(str(f) for f in getattr(found, "flags", ())))
        return SuiteInfo(code, name, kex, flags)
    name = _scapy_names().get(code, f"UNKNOWN_0x{code:04X}")
    return SuiteInfo(code, name, _kex(name), flags_from_name(name))
