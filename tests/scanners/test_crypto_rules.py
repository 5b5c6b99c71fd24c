"""The core pack's crypto and services rules on scanner observations: a weak and a strong
example per rule, and the pack parameters that move the thresholds."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from auditor.knowledge.tlspolicy import tls_config_facts
from auditor.models import Location, Observation
from auditor.policy.evaluate import evaluate
from auditor.policy.rules import builtin_pack_path, load_pack

CORE = load_pack(builtin_pack_path("core"))


def fired(observations: Iterable[Observation], **params: Any) -> list[str]:
    return sorted({f.rule_id for f in evaluate(list(observations), [CORE], params or None)})


def cert(**attrs: Any) -> Observation:
    base: dict[str, Any] = {
        "subject_cn": "www.example.vn", "key_type": "ec", "key_bits": 256,
        "signature_hash": "sha256", "signature_algorithm": "ecdsa-with-SHA256",
        "not_before": "2026-10-01T00:00:00Z", "not_before_yyyymmdd": 20261001,
        "not_after": "2027-01-01T00:00:00Z", "expired": False, "not_yet_valid": False,
        "days_to_expiry": 90, "lifetime_days": 92, "self_signed": False, "is_ca": False,
        "has_san": True}
    base.update(attrs)
    return Observation("crypto.certificate", Location("c.pem", line=1), base)


@pytest.mark.parametrize(("attrs", "expected"), [
    ({}, []),
    ({"expired": True, "days_to_expiry": -3}, ["core.cert.expired"]),
    ({"not_yet_valid": True}, ["core.cert.not-yet-valid"]),
    ({"days_to_expiry": 30}, ["core.cert.expiring-soon"]),
    ({"days_to_expiry": 31}, []),
    ({"lifetime_days": 399, "cabf_policy": "DV"}, ["core.cert.lifetime-too-long"]),
    ({"lifetime_days": 398, "cabf_policy": "OV"}, []),
    ({"lifetime_days": 825, "not_before_yyyymmdd": 20200831, "cabf_policy": "DV"}, []),
    ({"lifetime_days": 826, "not_before_yyyymmdd": 20200831, "cabf_policy": "EV"},
     ["core.cert.lifetime-too-long"]),  # the 825-day limit of 2018-2020
    ({"lifetime_days": 3650, "not_before_yyyymmdd": 20180228, "cabf_policy": "DV"}, []),
    ({"lifetime_days": 3650, "is_ca": True, "cabf_policy": "DV"}, []),
    # the CA/B Forum limits bind publicly trusted TLS server certificates only: not a
    # private CA's (no CA/B policy) nor a self-signed one
    ({"lifetime_days": 3650}, []),
    ({"lifetime_days": 3650, "cabf_policy": None}, []),
    ({"lifetime_days": 3650, "cabf_policy": "DV", "self_issued": True}, []),
    ({"self_signed": True}, ["core.cert.self-signed"]),
    ({"self_signed": True, "is_ca": True, "trust_anchor": True}, []),  # a root CA
    # openssl req -x509: CA:TRUE but naming its host, so a self-signed server certificate
    ({"self_signed": True, "is_ca": True, "trust_anchor": False}, ["core.cert.self-signed"]),
    ({"has_san": False}, ["core.cert.missing-san"]),
    ({"signature_hash": "sha1"}, ["core.cert.weak-signature"]),
    ({"signature_hash": "md5"}, ["core.cert.weak-signature"]),
    ({"signature_hash": "sha1", "self_issued": True, "self_signed": True, "is_ca": True,
      "trust_anchor": True}, []),
    ({"signature_hash": "sha1", "self_issued": True, "is_ca": True, "trust_anchor": True}, []),
    ({"signature_hash": "sha1", "self_issued": True, "self_signed": True, "is_ca": True,
      "trust_anchor": False}, ["core.cert.self-signed", "core.cert.weak-signature"]),
    ({"key_type": "rsa", "key_bits": 1024}, ["core.cert.short-key"]),
    ({"key_type": "rsa", "key_bits": 2048}, []),
    ({"key_type": "ec", "key_bits": 192}, ["core.cert.short-key"]),
    ({"key_type": "ec", "key_bits": 224}, []),
    ({"key_type": "ed25519", "key_bits": 256}, []),
])
def test_certificate_rules(attrs: dict[str, Any], expected: list[str]) -> None:
    assert fired([cert(**attrs)]) == expected


def test_expiry_warning_parameter() -> None:
    assert fired([cert(days_to_expiry=60)], cert_expiry_warning_days=90) == [
        "core.cert.expiring-soon"]


def key(**attrs: Any) -> Observation:
    base: dict[str, Any] = {"key_type": "ed25519", "key_bits": 256, "private": True,
                            "encrypted": True, "format": "openssh", "world_readable": False,
                            "file_mode": "0600"}
    base.update(attrs)
    return Observation("crypto.key", Location("k", line=1), base)


@pytest.mark.parametrize(("attrs", "expected"), [
    ({}, []),
    ({"encrypted": False}, ["core.key.unencrypted-private-key"]),
    ({"encrypted": False, "world_readable": True, "file_mode": "0644"},
     ["core.key.private-key-world-readable", "core.key.unencrypted-private-key"]),
    ({"world_readable": True}, []),  # encrypted: readable ciphertext only
    ({"encrypted": False, "ssh_host_key": True}, []),  # sshd host keys cannot be encrypted
    ({"encrypted": False, "ssh_host_key": True, "world_readable": True},
     ["core.key.private-key-world-readable"]),
    ({"private": False, "encrypted": None}, []),
    ({"key_type": "rsa", "key_bits": 1024}, ["core.key.short-key"]),
    ({"key_type": "dh", "key_bits": 1024, "private": False}, ["core.key.short-key"]),
    ({"key_type": "dsa", "key_bits": 1024, "ssh_type": "ssh-dss", "private": False},
     ["core.ssh.dss-key"]),
])
def test_key_rules(attrs: dict[str, Any], expected: list[str]) -> None:
    assert fired([key(**attrs)]) == expected


@pytest.mark.parametrize(("algorithms", "expected"), [
    (["aes256-CBC"], []),
    (["pbeWithSHAAnd40BitRC2-CBC", "pbeWithSHAAnd3-KeyTripleDES-CBC"],
     ["core.pkcs12.weak-encryption"]),
])
def test_pkcs12_rule(algorithms: list[str], expected: list[str]) -> None:
    obs = Observation("crypto.pkcs12", Location("a.p12"), {"encryption_algorithms": algorithms,
                                                           "mac_algorithm": "sha256"})
    assert fired([obs]) == expected


def tls(protocols: list[str] | None, ciphers: str | None) -> Observation:
    facts = tls_config_facts(protocols, ciphers)
    facts["source"] = "nginx"
    return Observation("tls.config", Location("nginx.conf", line=3), facts)


INTERMEDIATE = ("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
                "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305")


@pytest.mark.parametrize(("protocols", "ciphers", "params", "expected"), [
    (["TLSv1.2", "TLSv1.3"], INTERMEDIATE, {}, []),
    (["TLSv1", "TLSv1.2"], INTERMEDIATE, {}, ["core.tls.deprecated-protocol"]),
    (["SSLv3"], INTERMEDIATE, {}, ["core.tls.deprecated-protocol"]),
    (["TLSv1.2"], "HIGH:MEDIUM", {}, ["core.tls.weak-cipher"]),
    (["TLSv1.2"], "ECDHE+AESGCM:RC4-SHA", {}, ["core.tls.weak-cipher"]),
    (["TLSv1.2"], "ALL:!aNULL:!eNULL:!EXPORT:!DES:!RC4:!3DES:!MD5:!IDEA:!RC2", {},
     ["core.tls.outside-profile"]),  # CBC and kRSA suites: outside intermediate
    (["TLSv1.2", "TLSv1.3"], INTERMEDIATE, {"tls_profile": "mozilla-modern"},
     ["core.tls.outside-profile"]),
    (["TLSv1.2", "TLSv1.3"], INTERMEDIATE, {"tls_profile": "nist-800-52r2"},
     ["core.tls.outside-profile"]),  # ChaCha20 is not in SP 800-52r2
    (["TLSv1.2", "TLSv1.3"], "ECDHE+AESGCM", {"tls_profile": "pci-dss-4.0.1"}, []),
    (["TLSv1.2"], "ECDHE+AESGCM", {"tls_profile": "nist-800-52r2"},
     ["core.tls.outside-profile"]),  # TLS 1.3 support is required
    (["TLSv1.2", "TLSv1.3"], "ECDHE+AESGCM", {"tls_profile": "nist-800-52r2"},
     ["core.tls.outside-profile"]),  # OpenSSL's default TLS 1.3 suites include ChaCha20
    (["TLSv1.3"], None, {"tls_profile": "mozilla-modern"}, []),
])
def test_tls_rules(protocols: list[str], ciphers: str, params: dict[str, Any],
                   expected: list[str]) -> None:
    assert fired([tls(protocols, ciphers)], **params) == expected


def test_nist_profile_met_with_approved_tls13_suites() -> None:
    facts = tls_config_facts(["TLSv1.2", "TLSv1.3"], "ECDHE+AESGCM",
                             tls13_suites=["TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256"])
    assert "nist-800-52r2" not in facts["outside_profile"]
    gaps = tls_config_facts(["TLSv1.2"], "ECDHE+AESGCM")["profile_gaps"]
    assert isinstance(gaps, dict)
    assert gaps["nist-800-52r2"] == {"protocols": [], "missing_protocols": ["TLSv1.3"],
                                     "suites": []}


def ssh(setting: str, value: Any, **extra: Any) -> Observation:
    return Observation("ssh.config", Location("sshd_config", line=4),
                       {"context": "global", "setting": setting, "value": value,
                        "explicit": True, **extra})


@pytest.mark.parametrize(("obs", "params", "expected"), [
    (ssh("permit_root_login", True), {}, ["core.sshd.root-login"]),
    (ssh("permit_root_login", "prohibit-password"), {}, []),
    (ssh("permit_root_login", False), {}, []),
    (ssh("permit_empty_passwords", True), {}, ["core.sshd.empty-passwords"]),
    (ssh("permit_empty_passwords", False), {}, []),
    (ssh("password_authentication", True), {}, ["core.sshd.password-authentication"]),
    (ssh("password_authentication", True), {"ssh_allow_password_authentication": True}, []),
    (ssh("password_authentication", False), {}, []),
    (ssh("kbd_interactive_authentication", True, use_pam=True), {},
     ["core.sshd.keyboard-interactive-password"]),
    (ssh("kbd_interactive_authentication", True, use_pam=False), {}, []),
    (ssh("kbd_interactive_authentication", False, use_pam=True), {}, []),
    (ssh("ciphers", ["aes128-cbc"], weak=["aes128-cbc"]), {}, ["core.ssh.weak-algorithm"]),
    (ssh("macs", ["hmac-sha2-256"], weak=[]), {}, []),
])
def test_sshd_rules(obs: Observation, params: dict[str, Any], expected: list[str]) -> None:
    assert fired([obs], **params) == expected


def hba(kind: str, address: str | None, method: str, *, loopback: bool = False) -> Observation:
    return Observation("db.hba_rule", Location("pg_hba.conf", line=2), {
        "type": kind, "database": ["all"], "user": ["all"], "address": address,
        "method": method, "options": [], "address_any": address == "0.0.0.0/0",
        "address_loopback": loopback})


@pytest.mark.parametrize(("obs", "expected"), [
    (hba("host", "0.0.0.0/0", "trust"), ["core.pg-hba.host-without-ssl", "core.pg-hba.trust"]),
    (hba("hostssl", "10.0.0.0/8", "trust"), ["core.pg-hba.trust"]),
    (hba("local", None, "trust", loopback=True), ["core.pg-hba.trust-local"]),
    (hba("host", "127.0.0.1/32", "trust", loopback=True), ["core.pg-hba.trust-local"]),
    (hba("local", None, "peer", loopback=True), []),
    (hba("hostssl", "10.0.0.0/8", "md5"), ["core.pg-hba.md5"]),
    (hba("host", "10.0.0.0/8", "password"), ["core.pg-hba.cleartext-password",
                                             "core.pg-hba.host-without-ssl"]),
    (hba("hostssl", "10.0.0.0/8", "password"), []),
    (hba("hostssl", "10.0.0.0/8", "scram-sha-256"), []),
    (hba("host", "0.0.0.0/0", "reject"), []),
])
def test_pg_hba_rules(obs: Observation, expected: list[str]) -> None:
    assert fired([obs]) == expected


def listener(service: str, **attrs: Any) -> Observation:
    base: dict[str, Any] = {"service": service, "addresses": ["0.0.0.0"], "port": 1,
                            "tls": False, "tls_required": False, "non_loopback": True}
    base.update(attrs)
    return Observation("service.listener", Location("x.conf", line=1), base)


@pytest.mark.parametrize(("obs", "expected"), [
    (listener("nginx", redirects_to_https=False, auth_paths=[]), ["core.http.cleartext"]),
    (listener("apache", redirects_to_https=False, auth_paths=["/login"]),
     ["core.http.cleartext-login"]),
    (listener("nginx", redirects_to_https=True, auth_paths=["auth_basic"]), []),
    (listener("nginx", non_loopback=False), []),
    (listener("postgresql", tls=False, tls_required=None), ["core.service.cleartext"]),
    (listener("postgresql", tls=True, tls_required=None), []),
    (listener("mysql", tls=True, tls_required=False), ["core.service.tls-not-required"]),
    (listener("mysql", tls=True, tls_required=True), []),
    (listener("redis", auth_required=False), ["core.redis.no-auth", "core.service.cleartext"]),
    (listener("redis", auth_required=True, tls=True, tls_required=True), []),
])
def test_listener_rules(obs: Observation, expected: list[str]) -> None:
    assert fired([obs]) == expected


@pytest.mark.parametrize(("fmt", "key", "value", "expected"), [
    ("mysql", "mysql.mysqld.skip_grant_tables", "ON", ["core.mysql.skip-grant-tables"]),
    ("postgresql", "postgresql.password_encryption", "md5",
     ["core.postgres.md5-password-encryption"]),
    ("postgresql", "postgresql.password_encryption", "scram-sha-256", []),
])
def test_setting_rules(fmt: str, key: str, value: str, expected: list[str]) -> None:
    obs = Observation("config.setting", Location("f", line=1, key=key), {
        "format": fmt, "key": key, "key_leaf": key.rsplit(".", 1)[-1], "value": value,
        "value_masked": False, "value_type": "string"})
    assert [r for r in fired([obs]) if r.startswith(("core.mysql", "core.postgres"))] == \
        expected


def test_rules_carry_the_taxonomy_cwes() -> None:
    expected = {
        "core.cert.expired": "CWE-324", "core.cert.self-signed": "CWE-295",
        "core.cert.weak-signature": "CWE-328", "core.cert.short-key": "CWE-326",
        "core.key.short-key": "CWE-326", "core.key.unencrypted-private-key": "CWE-522",
        "core.tls.deprecated-protocol": "CWE-327", "core.tls.weak-cipher": "CWE-327",
        "core.sshd.root-login": "CWE-287", "core.sshd.empty-passwords": "CWE-287",
        "core.service.cleartext": "CWE-319", "core.pg-hba.trust": "CWE-287",
    }
    for rule_id, cwe in expected.items():
        assert CORE.rule(rule_id).cwe[0] == cwe

