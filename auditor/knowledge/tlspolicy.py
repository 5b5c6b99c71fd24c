"""TLS facts for a server context, graded against the profiles in ``data/tls_profiles.yaml``.

Every scanner that sees a TLS configuration (nginx server block, Apache vhost,
postgresql.conf, my.cnf, redis.conf) builds the ``tls.config`` attributes with
:func:`tls_config_facts`, so one set of rules judges them all. Profile membership is
computed here from data; whether being outside a profile is a finding is the rules'
business (pack parameter ``tls_profile``).

Attributes::

    protocols            enabled versions, canonical (SSLv2 SSLv3 TLSv1 TLSv1.1 TLSv1.2 TLSv1.3)
    deprecated_protocols enabled versions listed as deprecated in the profile data
    cipher_string        the OpenSSL cipher string as configured (None: library default)
    cipher_string_effective  the string actually expanded (the service's default if None)
    openssl3_assumed     suites removed from OpenSSL 3 were left out (option)
    suites               enabled TLS <= 1.2 suites, OpenSSL names, preference order
    tls13_suites         enabled TLS 1.3 suites (when TLS 1.3 is on)
    suite_count, suite_flags (union of the suites' flags)
    weak_suites          suites carrying a weak flag (data: weak_flags)
    weak_suites_summary  the first few of them, for messages
    outside_profile      ids of the profiles this context does not satisfy
    profile_gaps         {profile: {"protocols": [...], "missing_protocols": [...],
                         "suites": [...]}} what breaks each
    unknown_cipher_tokens keywords OpenSSL would silently ignore
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from auditor.knowledge.cipherstring import expand_openssl_detailed
from auditor.knowledge.suites import CipherSuite, suite_by_name
from auditor.models import JSONValue
from auditor.yamlsource import safe_load

__all__ = [
    "DEFAULT_PROTOCOLS",
    "PROTOCOLS",
    "Profile",
    "canonical_protocol",
    "profiles",
    "protocol_range",
    "tls_config_facts",
]

PROTOCOLS = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
_ALIASES = {"sslv2": "SSLv2", "sslv3": "SSLv3", "tlsv1": "TLSv1", "tlsv1.0": "TLSv1",
            "tls1": "TLSv1", "tls1.0": "TLSv1", "tlsv1.1": "TLSv1.1", "tls1.1": "TLSv1.1",
            "tlsv1.2": "TLSv1.2", "tls1.2": "TLSv1.2", "tlsv1.3": "TLSv1.3",
            "tls1.3": "TLSv1.3", "tlsv1_2": "TLSv1.2", "tlsv1_3": "TLSv1.3",
            "tlsv1_1": "TLSv1.1"}
# OpenSSL 3 / nginx / Apache defaults when nothing is configured.
DEFAULT_PROTOCOLS = ("TLSv1.2", "TLSv1.3")
DEFAULT_TLS13 = ("TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
                 "TLS_AES_128_GCM_SHA256")


def canonical_protocol(text: str) -> str | None:
    """``tlsv1.2`` / ``TLSv1_2`` / ``TLS1.2`` -> ``TLSv1.2``; None when unknown."""
    return _ALIASES.get(text.strip().strip("'\"").lower())


def protocol_range(low: str | None, high: str | None) -> tuple[str, ...]:
    """Versions between ``low`` and ``high`` inclusive (None: open end)."""
    lo = PROTOCOLS.index(low) if low in PROTOCOLS else 0
    hi = PROTOCOLS.index(high) if high in PROTOCOLS else len(PROTOCOLS) - 1
    return PROTOCOLS[lo:hi + 1]


@dataclass(frozen=True, slots=True)
class Profile:
    id: str
    title: str
    protocols: frozenset[str]
    required: frozenset[str]  # versions that must be enabled
    suites: frozenset[int] | None  # allowed TLS<=1.2 codes; None = judged by flags
    tls13_suites: frozenset[int] | None
    forbidden_flags: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Policy:
    weak_flags: frozenset[str]
    deprecated: frozenset[str]
    profiles: tuple[Profile, ...]


def _codes(names: Iterable[str], where: str) -> frozenset[int]:
    out = set()
    for name in names:
        suite = suite_by_name(name)
        if suite is None:
            raise ValueError(f"tls_profiles.yaml: {where}: unknown cipher suite {name!r}")
        out.add(suite.code)
    return frozenset(out)


@cache
def _policy() -> _Policy:
    # NOTE: cached read-only package data (same content every call), not mutable state.
    text = resources.files("auditor.knowledge.data").joinpath("tls_profiles.yaml").read_text(
        encoding="utf-8")
    data: dict[str, Any] = safe_load(text)
    items = []
    for pid, spec in data["profiles"].items():
        items.append(Profile(
            id=pid, title=str(spec.get("title", pid)),
            protocols=frozenset(spec["protocols"]),
            required=frozenset(spec.get("required_protocols", ())),
            suites=_codes(spec["suites"], pid) if "suites" in spec else None,
            tls13_suites=_codes(spec["tls13_suites"], pid) if "tls13_suites" in spec else None,
            forbidden_flags=frozenset(spec.get("forbidden_flags", ())),
        ))
    return _Policy(frozenset(data["weak_flags"]), frozenset(data["deprecated_protocols"]),
                   tuple(items))


def profiles() -> tuple[Profile, ...]:
    """The TLS profiles shipped as data."""
    return _policy().profiles


def _gaps(profile: Profile, protocols: Sequence[str], suites: Sequence[CipherSuite],
          tls13: Sequence[CipherSuite]) -> dict[str, JSONValue]:
    bad_protocols: list[JSONValue] = [p for p in protocols if p not in profile.protocols]
    bad_suites: list[JSONValue] = []
    if any(p != "TLSv1.3" for p in protocols):
        for s in suites:
            allowed = (s.code in profile.suites if profile.suites is not None
                       else not (s.flags & profile.forbidden_flags))
            if not allowed:
                bad_suites.append(s.name)
    if "TLSv1.3" in protocols and profile.tls13_suites is not None:
        bad_suites.extend(s.name for s in tls13 if s.code not in profile.tls13_suites)
    missing: list[JSONValue] = [p for p in PROTOCOLS if p in profile.required
                                and p not in protocols]
    return {"protocols": bad_protocols, "missing_protocols": missing, "suites": bad_suites}


def _summary(names: Sequence[JSONValue], shown: int = 4) -> str:
    """``A, B, C, D and 12 more`` — for messages; the full list stays in the attributes."""
    head = ", ".join(str(n) for n in names[:shown])
    return head if len(names) <= shown else f"{head} and {len(names) - shown} more"


def tls_config_facts(protocols: Sequence[str] | None, cipher_string: str | None, *,
                     tls13_suites: Sequence[str] | None = None,
                     default_cipher_string: str = "DEFAULT",
                     openssl3: bool = False) -> dict[str, JSONValue]:
    """``tls.config`` attributes for one server context (see module docstring).

    ``protocols`` None means the library default (TLS 1.2 and 1.3); ``cipher_string``
    None means ``default_cipher_string`` (nginx: ``HIGH:!aNULL:!MD5``). With ``openssl3``
    the suites current OpenSSL builds no longer have (RC4, 3DES, DES, EXPORT, IDEA, SEED,
    static DH) are left out, as a server linked with OpenSSL 3 cannot enable them.
    """
    policy = _policy()
    enabled = [p for p in PROTOCOLS if p in set(protocols if protocols is not None
                                                 else DEFAULT_PROTOCOLS)]
    effective = cipher_string if cipher_string is not None else default_cipher_string
    expansion = expand_openssl_detailed(effective)
    only13 = enabled == ["TLSv1.3"]
    suites = [] if only13 or not enabled else [
        s for s in expansion.suites if not (openssl3 and s.legacy_openssl)]
    tls13: list[CipherSuite] = []
    if "TLSv1.3" in enabled:
        for name in tls13_suites if tls13_suites is not None else DEFAULT_TLS13:
            suite = suite_by_name(name)
            if suite is not None and "TLS13" in suite.flags:
                tls13.append(suite)
    flags = sorted({f for s in suites for f in s.flags})
    weak: list[JSONValue] = [s.name for s in suites if s.flags & policy.weak_flags]
    gaps: dict[str, JSONValue] = {}
    outside: list[JSONValue] = []
    for profile in policy.profiles:
        gap = _gaps(profile, enabled, suites, tls13)
        if gap["protocols"] or gap["suites"] or gap["missing_protocols"]:
            outside.append(profile.id)
            gaps[profile.id] = gap
    return {
        "protocols": list(enabled),
        "protocols_configured": protocols is not None,
        "deprecated_protocols": [p for p in enabled if p in policy.deprecated],
        "cipher_string": cipher_string,
        "cipher_string_effective": effective,
        "openssl3_assumed": openssl3,
        "suites": [s.name for s in suites],
        "tls13_suites": [s.iana for s in tls13],
        "suite_count": len(suites) + len(tls13),
        "suite_flags": list(flags),
        "weak_suites": weak,
        "weak_suites_summary": _summary(weak),
        "outside_profile": outside,
        "profile_gaps": gaps,
        "unknown_cipher_tokens": list(expansion.unknown),
    }

