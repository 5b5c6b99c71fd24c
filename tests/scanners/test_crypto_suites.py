"""Cipher-suite table and OpenSSL cipher-string expansion."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

import pytest

from auditor.knowledge.cipherstring import expand_openssl, expand_openssl_detailed
from auditor.knowledge.suites import (
    all_suites,
    suite_by_code,
    suite_by_name,
)

# ---- the table ---------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "iana", "openssl", "kex", "auth", "cipher", "mac", "flags"), [
    (0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "DES-CBC3-SHA", "RSA", "RSA", "3DES_EDE_CBC",
     "SHA1", {"3DES", "CBC", "NO_PFS", "SHA1", "BLOCK64"}),
    (0x0005, "TLS_RSA_WITH_RC4_128_SHA", "RC4-SHA", "RSA", "RSA", "RC4_128", "SHA1",
     {"RC4", "NO_PFS", "SHA1"}),
    (0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5", "EXP-RC4-MD5", "RSA", "RSA", "RC4_40", "MD5",
     {"EXPORT", "RC4", "MD5", "NO_PFS"}),
    (0x0001, "TLS_RSA_WITH_NULL_MD5", "NULL-MD5", "RSA", "RSA", "NULL", "MD5",
     {"NULL", "MD5", "NO_PFS"}),
    (0x0018, "TLS_DH_anon_WITH_RC4_128_MD5", "ADH-RC4-MD5", "DHE", "NULL", "RC4_128", "MD5",
     {"ANON", "RC4", "MD5"}),
    (0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE",
     "RSA", "AES_128_GCM", "AEAD", {"AEAD", "AES"}),
    (0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA", "ECDHE", "RSA",
     "AES_128_CBC", "SHA1", {"AES", "CBC", "SHA1"}),
    (0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305",
     "ECDHE", "RSA", "CHACHA20_POLY1305", "AEAD", {"AEAD", "CHACHA20"}),
    (0x1301, "TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256", "ANY", "ANY", "AES_128_GCM",
     "AEAD", {"AEAD", "AES", "TLS13"}),
    (0x008C, "TLS_PSK_WITH_AES_128_CBC_SHA", "PSK-AES128-CBC-SHA", "PSK", "PSK", "AES_128_CBC",
     "SHA1", {"AES", "CBC", "SHA1", "PSK", "NO_PFS"}),
    (0x5600, "TLS_FALLBACK_SCSV", None, "", "", "", "", {"SCSV"}),
])
def test_table_rows(code: int, iana: str, openssl: str | None, kex: str, auth: str,  # noqa: PLR0917
                    cipher: str, mac: str, flags: set[str]) -> None:
    suite = suite_by_code(code)
    assert suite is not None
    assert (suite.iana, suite.openssl, suite.kex, suite.auth, suite.cipher, suite.mac) == (
        iana, openssl, kex, auth, cipher, mac)
    assert suite.flags == frozenset(flags)


@pytest.mark.parametrize(("name", "code"), [
    ("DES-CBC3-SHA", 0x000A),
    ("des-cbc3-sha", 0x000A),
    ("TLS_RSA_WITH_3DES_EDE_CBC_SHA", 0x000A),
    ("EDH-RSA-DES-CBC3-SHA", 0x0016),  # pre-1.1.0 spelling still accepted by OpenSSL
    ("DHE-RSA-DES-CBC3-SHA", 0x0016),
    ("ECDHE-ECDSA-AES256-GCM-SHA384", 0xC02C),
    ("TLS_CHACHA20_POLY1305_SHA256", 0x1303),
])
def test_suite_by_name(name: str, code: int) -> None:
    suite = suite_by_name(name)
    assert suite is not None and suite.code == code


def test_unknown_lookups_return_none() -> None:
    assert suite_by_name("NOT-A-SUITE") is None
    assert suite_by_code(0xFAFA) is None  # GREASE value, not a suite


def test_table_is_consistent() -> None:
    suites = all_suites()
    assert len({s.code for s in suites}) == len(suites) > 290
    names = [s.openssl for s in suites if s.openssl]
    assert len(set(names)) == len(names)
    for s in suites:
        if "3DES" in s.flags or "DES" in s.flags:
            assert "BLOCK64" in s.flags and "CBC" in s.flags
        if s.mac == "AEAD":
            assert "AEAD" in s.flags and "CBC" not in s.flags
        if "TLS13" in s.flags:
            assert "NO_PFS" not in s.flags
        if s.kex == "RSA":
            assert "NO_PFS" in s.flags


def test_table_agrees_with_python_ssl_module() -> None:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.set_ciphers("ALL:COMPLEMENTOFALL:@SECLEVEL=0")
    seen = 0
    for info in ctx.get_ciphers():
        suite = suite_by_code(info["id"] & 0xFFFF)
        assert suite is not None, info["name"]
        assert suite.openssl == info["name"]
        seen += 1
    assert seen > 30


# ---- expansion: fixed expectations (OpenSSL 1.1.1/3.0 semantics) -------------------------
MOZILLA_INTERMEDIATE_TLS12 = [
    "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384", "DHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305", "DHE-RSA-CHACHA20-POLY1305",
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "DHE-RSA-AES128-GCM-SHA256",
]


@pytest.mark.parametrize(("spec", "expected"), [
    ("ECDHE+AESGCM:!ECDSA", ["ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-AES128-GCM-SHA256"]),
    ("kEDH+aRSA+AESGCM", ["DHE-RSA-AES256-GCM-SHA384", "DHE-RSA-AES128-GCM-SHA256"]),
    ("ECDHE-RSA-AES128-GCM-SHA256:DES-CBC3-SHA:RC4-SHA:BOGUS",
     ["ECDHE-RSA-AES128-GCM-SHA256", "DES-CBC3-SHA", "RC4-SHA"]),
    ("HIGH:!aNULL:!MD5:!kRSA:!PSK:!SRP:!DSS:!CAMELLIA:!ARIA:!AESCCM:!SHA1:!SHA256:!SHA384"
     ":!kDH:!kECDH", MOZILLA_INTERMEDIATE_TLS12),
    ("DEFAULT:!kRSA:!DSS:!PSK:!SRP:!CAMELLIA:!ARIA:!AESCCM:!SHA1:!SHA256:!SHA384",
     MOZILLA_INTERMEDIATE_TLS12),
    ("3DES:!PSK:!SRP", [
        "ECDHE-ECDSA-DES-CBC3-SHA", "ECDHE-RSA-DES-CBC3-SHA", "DHE-RSA-DES-CBC3-SHA",
        "DHE-DSS-DES-CBC3-SHA", "AECDH-DES-CBC3-SHA", "ADH-DES-CBC3-SHA",
        "ECDH-RSA-DES-CBC3-SHA", "ECDH-ECDSA-DES-CBC3-SHA", "DH-RSA-DES-CBC3-SHA",
        "DH-DSS-DES-CBC3-SHA", "DES-CBC3-SHA"]),
    ("EXPORT", [
        "EXP-EDH-RSA-DES-CBC-SHA", "EXP-EDH-DSS-DES-CBC-SHA", "EXP-ADH-DES-CBC-SHA",
        "EXP-ADH-RC4-MD5", "EXP-DH-RSA-DES-CBC-SHA", "EXP-DH-DSS-DES-CBC-SHA",
        "EXP-DES-CBC-SHA", "EXP-RC2-CBC-MD5", "EXP-RC4-MD5"]),
    ("AES128-SHA:AES128-SHA:-AES128-SHA:AES256-SHA", ["AES256-SHA"]),
    ("AES256-SHA:AES128-SHA:-AES256-SHA:AES256-SHA", ["AES128-SHA", "AES256-SHA"]),
    ("AES256-SHA:AES128-SHA:!AES256-SHA:AES256-SHA", ["AES128-SHA"]),
    ("ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA:@STRENGTH",
     ["ECDHE-RSA-AES256-SHA", "ECDHE-RSA-AES128-SHA"]),
    ("AES128-SHA:ECDHE-RSA-AES256-SHA:+AES128-SHA", ["ECDHE-RSA-AES256-SHA", "AES128-SHA"]),
])
def test_expansion_fixed(spec: str, expected: list[str]) -> None:
    assert [s.openssl for s in expand_openssl(spec)] == expected


@pytest.mark.parametrize(("spec", "flag", "present"), [
    ("ALL", "EXPORT", True),            # ALL includes every suite some OpenSSL accepted
    ("ALL", "NULL", False),             # ...but never eNULL
    ("ALL:COMPLEMENTOFALL", "NULL", True),
    ("DEFAULT", "RC4", False),
    ("DEFAULT", "ANON", False),
    ("DEFAULT", "3DES", False),
    ("HIGH:!aNULL:!MD5", "3DES", False),  # nginx's default
    ("HIGH:MEDIUM", "3DES", True),
    ("HIGH:MEDIUM:!3DES", "3DES", False),
    ("RC4+RSA", "RC4", True),
    ("ECDHE:DHE:!aNULL", "ANON", False),
    ("ADH", "ANON", True),
])
def test_expansion_flags(spec: str, flag: str, present: bool) -> None:
    assert any(flag in s.flags for s in expand_openssl(spec)) is present


def test_no_tls13_or_sslv2_in_expansions() -> None:
    suites = expand_openssl("ALL:COMPLEMENTOFALL")
    assert not any({"TLS13", "SSL2", "SCSV"} & s.flags for s in suites)


def test_unknown_keywords_and_seclevel_are_reported() -> None:
    exp = expand_openssl_detailed("HIGH:!NOPE:FOO+BAR:@SECLEVEL=2:@WHAT")
    assert exp.unknown == ("!NOPE", "FOO+BAR", "@WHAT")
    assert exp.seclevel == 2
    assert exp.suites


def test_empty_intersection_is_ignored() -> None:
    # kRSA+kDHE can match nothing: OpenSSL ignores such an element entirely.
    assert expand_openssl("kRSA+kDHE") == ()
    assert expand_openssl("kRSA+kDHE:AES128-SHA")[0].openssl == "AES128-SHA"


def test_deterministic() -> None:
    spec = "ECDHE:DHE:!aNULL:+SHA1:@STRENGTH"
    assert expand_openssl(spec) == expand_openssl(spec)


# ---- expansion vs the machine's OpenSSL (when present) -----------------------------------
OPENSSL_SPECS = [
    "ALL:COMPLEMENTOFALL", "ALL", "DEFAULT", "HIGH:!aNULL:!MD5", "HIGH:MEDIUM:!aNULL",
    "kEDH+aRSA", "EECDH+AESGCM:EDH+AESGCM", "ALL:@STRENGTH", "AES:-SHA1:+AES256",
    "ECDHE:DHE:!aNULL:+SHA1", "PSK", "CAMELLIA:+kRSA", "HIGH:!kRSA:!PSK:!SRP:@STRENGTH",
    "aRSA+AES128:-SHA256", "CHACHA20:AESGCM:AES:!aNULL:!eNULL", "SHA384:SHA256:SHA1:MD5",
    "TLSv1.2:-SSLv3", "NULL:eNULL", "COMPLEMENTOFDEFAULT", "ECDSA:RSA", "ARIA:SRP:aDSS",
]


def _openssl_ciphers(spec: str) -> list[str] | None:
    proc = subprocess.run(["openssl", "ciphers", "-V", spec], capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        return None
    names = []
    for line in proc.stdout.splitlines():
        fields = line.split()
        if fields and not fields[0].startswith("0x13,"):
            names.append(fields[2])
    return names


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl binary")
@pytest.mark.parametrize("spec", OPENSSL_SPECS)
def test_expansion_matches_local_openssl(spec: str) -> None:
    reference = _openssl_ciphers(spec)
    if reference is None:
        pytest.skip(f"local openssl rejects {spec!r}")
    known = set(_openssl_ciphers("ALL:COMPLEMENTOFALL") or ())
    mine = [s.openssl for s in expand_openssl(spec) if s.openssl in known]
    assert mine == reference


def test_table_rows_are_what_the_generator_derives() -> None:
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "fixtures" / "gen_suites.py"
    spec = importlib.util.spec_from_file_location("gen_suites", path)
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    for s in all_suites():
        parsed = gen.parse_iana(s.code, s.iana)
        assert parsed is not None, s.iana
        assert (parsed["kex"], parsed["auth"], parsed["cipher"], parsed["mac"],
                parsed["bits"], frozenset(parsed["flags"])) == (
            s.kex, s.auth, s.cipher, s.mac, s.bits, s.flags), s.iana


def test_table_regenerates_identically_from_the_same_sources(tmp_path: Path) -> None:
    import importlib.util

    if shutil.which("openssl") is None:
        pytest.skip("no openssl binary")
    path = Path(__file__).resolve().parents[2] / "fixtures" / "gen_suites.py"
    spec = importlib.util.spec_from_file_location("gen_suites_regen", path)
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    committed = gen.OUT.read_text(encoding="utf-8")
    if gen.sources() not in committed.splitlines()[0]:
        pytest.skip(f"sources differ from the committed table's ({gen.sources()})")
    out = tmp_path / "suites.csv"
    assert gen.main(["--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == committed
