"""OpenSSL cipher-string expansion (``ssl/ssl_ciph.c`` semantics of OpenSSL 1.1.1/3.0).

Use it through :func:`expand_openssl`; see :mod:`auditor.knowledge.suites` for the
semantics. This module holds OpenSSL's keyword table, the rule operations on the ordered
cipher list (add, remove, kill, move to end, bump, strength sort) and the built-in
preference order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache

from auditor.knowledge.suites import CipherSuite, _table

__all__ = ["Expansion", "expand_openssl", "expand_openssl_detailed"]


# ---- OpenSSL categories of a suite -----------------------------------------------------
_KX = {"RSA": "kRSA", "DHE": "kDHE", "ECDHE": "kECDHE", "PSK": "kPSK", "RSAPSK": "kRSAPSK",
       "DHEPSK": "kDHEPSK", "ECDHEPSK": "kECDHEPSK", "SRP": "kSRP", "DH": "kDH",
       "ECDH": "kECDH", "GOST": "kGOST"}
_AU = {"RSA": "aRSA", "DSS": "aDSS", "ECDSA": "aECDSA", "NULL": "aNULL", "PSK": "aPSK",
       "SRP": "aSRP", "GOST": "aGOST"}


def _enc(cipher: str) -> str:
    m = re.fullmatch(r"AES_(128|256)_(CBC|GCM|CCM|CCM_8)", cipher)
    if m:
        mode = {"CBC": "", "GCM": "GCM", "CCM": "CCM", "CCM_8": "CCM8"}[m.group(2)]
        return f"AES{m.group(1)}{mode}"
    m = re.fullmatch(r"(CAMELLIA|ARIA)_(128|256)_(CBC|GCM)", cipher)
    if m:
        return f"{m.group(1)}{m.group(2)}{'GCM' if m.group(3) == 'GCM' else ''}"
    for prefix, enc in (("CHACHA20", "CHACHA20"), ("3DES", "3DES"), ("DES", "DES"),
                        ("RC4", "RC4"), ("RC2", "RC2"), ("IDEA", "IDEA"), ("SEED", "SEED"),
                        ("NULL", "eNULL")):
        if cipher.startswith(prefix):
            return enc
    return cipher


@dataclass(frozen=True, slots=True)
class _Cats:
    kx: str
    au: str
    enc: str
    mac: str
    strength: str
    tls: str
    nd: str  # "1" when outside OpenSSL's DEFAULT
    bits: str  # strength bits, as text


@cache
def _cats(s: CipherSuite) -> _Cats:
    au = _AU.get(s.auth, s.auth)
    if s.kex in {"DH", "ECDH"}:  # static (EC)DH: OpenSSL 1.0.2 authenticated with aDH/aECDH
        au = "aDH" if s.kex == "DH" else "aECDH"
    tls = {"TLSv1.2": "TLSv1.2", "SSLv3": "SSLv3", "TLSv1": "TLSv1"}.get(s.min_tls, s.min_tls)
    return _Cats(_KX.get(s.kex, s.kex), au, _enc(s.cipher), s.mac, s.strength, tls,
                 "1" if s.not_default else "0", str(s.strength_bits))


# ---- keywords (ssl_ciph.c cipher_aliases) ------------------------------------------------
_AES128 = frozenset({"AES128", "AES128GCM", "AES128CCM", "AES128CCM8"})
_AES256 = frozenset({"AES256", "AES256GCM", "AES256CCM", "AES256CCM8"})
_CBC_ENC = frozenset({"DES", "3DES", "RC2", "IDEA", "AES128", "AES256", "CAMELLIA128",
                      "CAMELLIA256", "SEED"})
_PSK_KX = frozenset({"kPSK", "kRSAPSK", "kDHEPSK", "kECDHEPSK"})
_NOT_ANON = frozenset({"aRSA", "aDSS", "aECDSA", "aPSK", "aSRP", "aGOST", "aDH", "aECDH"})
_ANY_ENC_BUT_NULL = "!eNULL"  # sentinel: every cipher except eNULL
_DEFAULT_RULES = "ALL:!COMPLEMENTOFDEFAULT:!eNULL"

# keyword -> {category: allowed values}; categories: kx au enc mac strength tls nd
_ALIASES: dict[str, dict[str, frozenset[str]]] = {
    "ALL": {"enc": frozenset({_ANY_ENC_BUT_NULL})},
    "COMPLEMENTOFALL": {"enc": frozenset({"eNULL"})},
    "COMPLEMENTOFDEFAULT": {"enc": frozenset({_ANY_ENC_BUT_NULL}), "nd": frozenset({"1"})},
    "kRSA": {"kx": frozenset({"kRSA"})},
    "kEDH": {"kx": frozenset({"kDHE"})}, "kDHE": {"kx": frozenset({"kDHE"})},
    "DH": {"kx": frozenset({"kDHE"})},
    "kEECDH": {"kx": frozenset({"kECDHE"})}, "kECDHE": {"kx": frozenset({"kECDHE"})},
    "ECDH": {"kx": frozenset({"kECDHE"})},
    "kPSK": {"kx": frozenset({"kPSK"})}, "kRSAPSK": {"kx": frozenset({"kRSAPSK"})},
    "kECDHEPSK": {"kx": frozenset({"kECDHEPSK"})}, "kDHEPSK": {"kx": frozenset({"kDHEPSK"})},
    "kSRP": {"kx": frozenset({"kSRP"})}, "kGOST": {"kx": frozenset({"kGOST"})},
    # OpenSSL 1.0.2 static (EC)DH keywords
    "kDH": {"kx": frozenset({"kDH"})}, "kDHr": {"kx": frozenset({"kDH"}),
                                                "au": frozenset({"aDH"})},
    "kDHd": {"kx": frozenset({"kDH"}), "au": frozenset({"aDH"})},
    "kECDH": {"kx": frozenset({"kECDH"})}, "kECDHr": {"kx": frozenset({"kECDH"})},
    "kECDHe": {"kx": frozenset({"kECDH"})},
    "aDH": {"au": frozenset({"aDH"})}, "aECDH": {"au": frozenset({"aECDH"})},
    "aRSA": {"au": frozenset({"aRSA"})}, "aDSS": {"au": frozenset({"aDSS"})},
    "DSS": {"au": frozenset({"aDSS"})}, "aNULL": {"au": frozenset({"aNULL"})},
    "aECDSA": {"au": frozenset({"aECDSA"})}, "ECDSA": {"au": frozenset({"aECDSA"})},
    "aPSK": {"au": frozenset({"aPSK"})}, "aSRP": {"au": frozenset({"aSRP"})},
    "aGOST": {"au": frozenset({"aGOST"})}, "aGOST01": {"au": frozenset({"aGOST"})},
    "aGOST12": {"au": frozenset({"aGOST"})},
    "EDH": {"kx": frozenset({"kDHE"}), "au": _NOT_ANON},
    "DHE": {"kx": frozenset({"kDHE"}), "au": _NOT_ANON},
    "EECDH": {"kx": frozenset({"kECDHE"}), "au": _NOT_ANON},
    "ECDHE": {"kx": frozenset({"kECDHE"}), "au": _NOT_ANON},
    "NULL": {"enc": frozenset({"eNULL"})}, "eNULL": {"enc": frozenset({"eNULL"})},
    "RSA": {"kx": frozenset({"kRSA"}), "au": frozenset({"aRSA"})},
    "ADH": {"kx": frozenset({"kDHE"}), "au": frozenset({"aNULL"})},
    "AECDH": {"kx": frozenset({"kECDHE"}), "au": frozenset({"aNULL"})},
    "PSK": {"kx": _PSK_KX}, "SRP": {"kx": frozenset({"kSRP"})},
    "3DES": {"enc": frozenset({"3DES"})}, "DES": {"enc": frozenset({"DES"})},
    "RC4": {"enc": frozenset({"RC4"})}, "RC2": {"enc": frozenset({"RC2"})},
    "IDEA": {"enc": frozenset({"IDEA"})}, "SEED": {"enc": frozenset({"SEED"})},
    "AES128": {"enc": _AES128}, "AES256": {"enc": _AES256}, "AES": {"enc": _AES128 | _AES256},
    "AESGCM": {"enc": frozenset({"AES128GCM", "AES256GCM"})},
    "AESCCM": {"enc": frozenset({"AES128CCM", "AES256CCM", "AES128CCM8", "AES256CCM8"})},
    "AESCCM8": {"enc": frozenset({"AES128CCM8", "AES256CCM8"})},
    "CAMELLIA128": {"enc": frozenset({"CAMELLIA128"})},
    "CAMELLIA256": {"enc": frozenset({"CAMELLIA256"})},
    "CAMELLIA": {"enc": frozenset({"CAMELLIA128", "CAMELLIA256"})},
    "CHACHA20": {"enc": frozenset({"CHACHA20"})},
    "ARIA": {"enc": frozenset({"ARIA128GCM", "ARIA256GCM"})},
    "ARIAGCM": {"enc": frozenset({"ARIA128GCM", "ARIA256GCM"})},
    "ARIA128": {"enc": frozenset({"ARIA128GCM"})}, "ARIA256": {"enc": frozenset({"ARIA256GCM"})},
    "CBC": {"enc": _CBC_ENC},
    "MD5": {"mac": frozenset({"MD5"})}, "SHA1": {"mac": frozenset({"SHA1"})},
    "SHA": {"mac": frozenset({"SHA1"})}, "SHA256": {"mac": frozenset({"SHA256"})},
    "SHA384": {"mac": frozenset({"SHA384"})},
    "SSLv3": {"tls": frozenset({"SSLv3"})}, "TLSv1": {"tls": frozenset({"TLSv1"})},
    "TLSv1.0": {"tls": frozenset({"TLSv1"})}, "TLSv1.2": {"tls": frozenset({"TLSv1.2"})},
    "HIGH": {"strength": frozenset({"HIGH"})}, "MEDIUM": {"strength": frozenset({"MEDIUM"})},
    "LOW": {"strength": frozenset({"LOW"})},
    # OpenSSL 1.0.2 export keywords
    "EXPORT": {"strength": frozenset({"EXPORT"})}, "EXP": {"strength": frozenset({"EXPORT"})},
    "EXPORT40": {"strength": frozenset({"EXPORT"}), "bits": frozenset({"40"})},
    "EXPORT56": {"strength": frozenset({"EXPORT"}), "bits": frozenset({"56"})},
}

_Rule = Callable[[CipherSuite], bool]


def _matcher(constraint: Mapping[str, frozenset[str]]) -> _Rule:
    items = tuple(constraint.items())

    def match(s: CipherSuite) -> bool:
        c = _cats(s)
        for cat, allowed in items:
            if cat == "enc" and _ANY_ENC_BUT_NULL in allowed:
                if c.enc == "eNULL":
                    return False
                continue
            if getattr(c, cat) not in allowed:
                return False
        return True
    return match


def _combine(names: list[str]) -> dict[str, frozenset[str]] | None:
    """Intersect keyword constraints joined by '+'; None when a keyword is unknown or
    the intersection is empty (OpenSSL then ignores the element)."""
    merged: dict[str, frozenset[str]] = {}
    for name in names:
        alias = _ALIASES.get(name)
        if alias is None:
            return None
        for cat, allowed in alias.items():
            if cat not in merged:
                merged[cat] = allowed
                continue
            old = merged[cat]
            if cat == "enc" and _ANY_ENC_BUT_NULL in old:
                merged[cat] = allowed - {"eNULL"}
            elif cat == "enc" and _ANY_ENC_BUT_NULL in allowed:
                merged[cat] = old - {"eNULL"}
            else:
                merged[cat] = old & allowed
            if not merged[cat]:
                return None
    return merged


# ---- the ordered list and OpenSSL's rule operations -------------------------------------
class _List:
    """OpenSSL's doubly-linked cipher list as a Python list of [suite, active]."""

    def __init__(self, suites: Iterable[CipherSuite]) -> None:
        self.items: list[tuple[CipherSuite, bool]] = [(s, False) for s in suites]

    def apply(self, op: str, match: _Rule) -> None:
        moved: list[tuple[CipherSuite, bool]] = []
        kept: list[tuple[CipherSuite, bool]] = []
        for suite, active in self.items:
            if not match(suite):
                kept.append((suite, active))
            elif op == "kill":
                continue
            elif op == "add" and not active:
                moved.append((suite, True))
            elif op in {"ord", "del", "bump"} and active:
                moved.append((suite, op != "del"))
            else:
                kept.append((suite, active))
        # NOTE: ADD/ORD append to the tail; DEL/BUMP walk backwards prepending to the head,
        # which keeps the moved suites in their relative order either way.
        self.items = kept + moved if op in {"add", "ord"} else moved + kept

    def strength_sort(self) -> None:
        active = [it for it in self.items if it[1]]
        inactive = [it for it in self.items if not it[1]]
        active.sort(key=lambda it: -it[0].strength_bits)  # stable, like OpenSSL's buckets
        self.items = inactive + active

    def active(self) -> tuple[CipherSuite, ...]:
        return tuple(s for s, a in self.items if a)


def _has(**constraint: Iterable[str]) -> _Rule:
    return _matcher({k: frozenset(v) for k, v in constraint.items()})


@cache
def _base_order() -> tuple[CipherSuite, ...]:
    """OpenSSL's built-in preference order (ssl_create_cipher_list), all inactive."""
    table = [s for s in _table().suites
             if s.openssl and "TLS13" not in s.flags and "SSL2" not in s.flags]
    # NOTE: OpenSSL walks its static table from the end; the table is in code order.
    lst = _List(sorted(table, key=lambda s: -s.code))
    everything: _Rule = lambda s: True  # noqa: E731
    lst.apply("add", _has(kx={"kECDHE"}, au={"aECDSA"}))
    lst.apply("add", _has(kx={"kECDHE"}))
    lst.apply("del", _has(kx={"kECDHE"}))
    lst.apply("add", _has(enc={"AES128GCM", "AES256GCM"}))
    lst.apply("add", _has(enc={"CHACHA20"}))
    lst.apply("add", _has(enc=(_AES128 | _AES256) - {"AES128GCM", "AES256GCM"}))
    lst.apply("add", everything)
    lst.apply("ord", _has(mac={"MD5"}))
    lst.apply("ord", _has(au={"aNULL"}))
    lst.apply("ord", _has(kx={"kRSA"}))
    lst.apply("ord", _has(kx={"kPSK"}))
    lst.apply("ord", _has(enc={"RC4"}))
    lst.strength_sort()
    lst.apply("bump", _has(tls={"TLSv1.2"}))
    lst.apply("bump", lambda s: s.mac == "AEAD")
    lst.apply("bump", _has(kx={"kDHE", "kECDHE"}))
    lst.apply("del", everything)
    return tuple(s for s, _ in lst.items)


@dataclass(frozen=True, slots=True)
class Expansion:
    """Result of expanding a cipher string: the suites and what was not understood."""

    spec: str
    suites: tuple[CipherSuite, ...]
    unknown: tuple[str, ...] = ()  # keywords / names OpenSSL would ignore
    seclevel: int | None = None  # @SECLEVEL=n, when given


_SEPARATORS = re.compile(r"[:, ;]+")


def _run(spec: str, lst: _List, unknown: list[str]) -> int | None:
    seclevel: int | None = None
    for element in _SEPARATORS.split(spec.strip()):
        if not element:
            continue
        op = {"!": "kill", "-": "del", "+": "ord"}.get(element[0], "add")
        body = element[1:] if op != "add" else element
        if body.startswith("@") or element.startswith("@"):
            word = element.lstrip("@")
            if word == "STRENGTH":
                lst.strength_sort()
            elif word.startswith("SECLEVEL="):
                seclevel = int(word[9:]) if word[9:].isdigit() else None
            else:
                unknown.append(element)
            continue
        suite = _table().by_name.get(body.upper()) if "+" not in body else None
        if suite is not None and suite.openssl and body in {suite.openssl,
                                                           "EDH-" + suite.openssl[4:]}:
            code = suite.code
            lst.apply(op, lambda s, code=code: s.code == code)  # type: ignore[misc]
            continue
        constraint = _combine(body.split("+"))
        if constraint is None:
            unknown.append(element)
            continue
        lst.apply(op, _matcher(constraint))
    return seclevel


def expand_openssl_detailed(spec: str) -> Expansion:
    """Expand an OpenSSL cipher string; see the module docstring for the semantics."""
    lst = _List(_base_order())
    unknown: list[str] = []
    rest = spec.strip()
    if rest.startswith("DEFAULT"):
        _run(_DEFAULT_RULES, lst, unknown)
        rest = rest[len("DEFAULT"):]
    seclevel = _run(rest, lst, unknown)
    return Expansion(spec=spec, suites=lst.active(), unknown=tuple(unknown),
                     seclevel=seclevel)


def expand_openssl(spec: str) -> tuple[CipherSuite, ...]:
    """OpenSSL cipher string -> suites in OpenSSL's preference order (TLS <= 1.2)."""
    return expand_openssl_detailed(spec).suites
