"""Cipher-suite names and weakness flags for the TLS analyser: one lookup, :func:`suite`.

Names, key exchange and flags come from the crypto scanner's table
(``auditor.knowledge.suites.suite_by_code``), so captures and server configurations are
judged alike. Flags: ``EXPORT NULL RC4 DES 3DES RC2 IDEA CBC ANON MD5 NO_PFS``.
SSLv2 cipher kinds (3-byte codes) have their own small table.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from auditor.knowledge.suites import suite_by_code

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


# RFC 9150 integrity-only TLS 1.3 suites: authenticated, not encrypted (NULL cipher)
_INTEGRITY_ONLY: dict[int, SuiteInfo] = {
    0xC0B4: SuiteInfo(0xC0B4, "TLS_SHA256_SHA256", "ANY", ("NULL", "TLS13")),
    0xC0B5: SuiteInfo(0xC0B5, "TLS_SHA384_SHA384", "ANY", ("NULL", "TLS13")),
}


@lru_cache(maxsize=1024)
def suite(code: int) -> SuiteInfo:
    """Name, key exchange and flags of a TLS cipher suite code, from the crypto scanner's
    table, so captures and server configurations are judged alike."""
    found = suite_by_code(code)
    if found is None and code in _INTEGRITY_ONLY:
        return _INTEGRITY_ONLY[code]
    if found is None:
        return SuiteInfo(code, f"UNKNOWN_0x{code:04X}", "", ())
    return SuiteInfo(code, found.iana or f"0x{code:04X}", found.kex,
                     tuple(sorted(found.flags)))
