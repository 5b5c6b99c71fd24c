"""Crypto scanner (issue 16, item 5): a private-key block that does not parse (truncated,
damaged, OpenPGP) is still a secret finding; DSA certificates signed with SHA-1 get the
weak-signature and self-signed findings."""

from __future__ import annotations

import base64
import datetime as dt
import os
import struct
import warnings
from pathlib import Path

import pytest
from auditor.scanners.crypto import CryptoScanner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import NameOID

from auditor.errors import TargetError
from auditor.models import Observation, Problem, Target
from auditor.policy.evaluate import evaluate
from auditor.policy.rules import builtin_pack_path, load_pack
from auditor.scanner import Candidate, ScanOptions

SCANNER = CryptoScanner()
OPTIONS = ScanOptions(as_of=dt.date(2026, 12, 1), hash_key=b"rawkeys")
CORE = load_pack(builtin_pack_path("core"))


def scan(path: Path) -> list[Observation | Problem]:
    head = path.read_bytes()[:8192]
    claim = SCANNER.claim(Candidate(str(path), path.name, path.name, path.stat().st_size, head))
    assert claim is not None
    return list(SCANNER.scan(Target(path.name, str(path), claim.kind, "crypto"), OPTIONS))


def rules(items: list[Observation | Problem]) -> list[tuple[str, int | None]]:
    return sorted((f.rule_id, f.location.line)
                  for f in evaluate([i for i in items if isinstance(i, Observation)], [CORE]))


def _rsa_pem(encrypted: bool = False) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    algorithm: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(b"pw") if encrypted
        else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.TraditionalOpenSSL,
                             algorithm).decode()


def test_truncated_private_key_is_a_secret(tmp_path: Path) -> None:
    lines = _rsa_pem().splitlines()
    path = tmp_path / "server.key"
    path.write_text("\n".join(lines[: len(lines) // 2]) + "\n")  # no END line
    items = scan(path)
    (secret,) = [i for i in items if isinstance(i, Observation)]
    assert (secret.kind, secret.attributes["key_type"], secret.attributes["encrypted"],
            secret.attributes["parsed"]) == ("secret", "RSA", False, False)
    assert [i.message for i in items if isinstance(i, Problem)] == [
        "server.key:1: PEM block 'RSA PRIVATE KEY' cannot be read (no END line (truncated?)); "
        "reported as a secret"]
    assert rules(items) == [("core.secret.private-key", 1)]
    body = "".join(lines[1:4])
    assert body[:20] not in repr((secret.attributes, secret.evidence))


def test_damaged_key_body_is_a_secret_and_the_next_block_is_read(tmp_path: Path) -> None:
    lines = _rsa_pem().splitlines()
    damaged = [lines[0], *lines[1:6], "@@@@ damaged @@@@", *lines[6:]]
    cert = _dsa_sha1_certificate()[1]
    path = tmp_path / "bundle.pem"
    path.write_text("\n".join(damaged) + "\n" + cert)
    kinds = [i.kind if isinstance(i, Observation) else "problem" for i in scan(path)]
    assert kinds == ["secret", "problem", "crypto.certificate"]


def test_truncated_encrypted_key_stays_an_error(tmp_path: Path) -> None:
    lines = _rsa_pem(encrypted=True).splitlines()
    path = tmp_path / "enc.key"
    path.write_text("\n".join(lines[:8]) + "\n")
    with pytest.raises(TargetError, match="no END line"):
        scan(path)


def _mpi(value: int) -> bytes:
    return struct.pack(">H", value.bit_length()) + value.to_bytes((value.bit_length() + 7) // 8,
                                                                  "big")


def _pgp_armor(s2k_usage: int) -> str:
    """A version-4 OpenPGP RSA secret-key packet (RFC 4880 5.5.3), armoured."""
    numbers = rsa.generate_private_key(public_exponent=65537, key_size=1024).private_numbers()
    public = bytes([4]) + struct.pack(">I", 1764547200) + bytes([1]) \
        + _mpi(numbers.public_numbers.n) + _mpi(numbers.public_numbers.e)
    secret = bytes([s2k_usage]) + (os.urandom(40) if s2k_usage else
                                   _mpi(numbers.d) + _mpi(numbers.p) + _mpi(numbers.q))
    body = public + secret
    packet = bytes([0xC5, 0xFF]) + struct.pack(">I", len(body)) + body  # new format, tag 5
    b64 = base64.b64encode(packet).decode()
    wrapped = "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64))
    return ("-----BEGIN PGP PRIVATE KEY BLOCK-----\nComment: test key\n\n" + wrapped
            + "\n=Zq8v\n-----END PGP PRIVATE KEY BLOCK-----\n")


@pytest.mark.parametrize(("usage", "expected"), [
    (0, [("core.secret.private-key", 1)]),
    (254, []),  # passphrase-protected: a key file's normal state
], ids=["unprotected", "protected"])
def test_pgp_private_key_block(tmp_path: Path, usage: int,
                               expected: list[tuple[str, int]]) -> None:
    path = tmp_path / "backup.asc"
    path.write_text(_pgp_armor(usage))
    items = scan(path)
    assert not [i for i in items if isinstance(i, Problem)]
    assert rules(items) == expected
    if expected:
        (secret,) = [i for i in items if isinstance(i, Observation)]
        assert (secret.attributes["key_type"], secret.attributes["encrypted"]) == ("PGP", False)


def test_pgp_block_too_damaged_to_tell_is_unreadable_finding(tmp_path: Path) -> None:
    path = tmp_path / "half.asc"
    armor = _pgp_armor(0).splitlines()
    path.write_text("\n".join(armor[:4]) + "\n")  # header and one body line, no END
    items = scan(path)
    assert rules(items) == [("core.secret.private-key-unreadable", 1)]


# ---- DSA certificates signed with SHA-1 ----------------------------------------------------------
def _tlv(tag: int, body: bytes) -> bytes:
    size = len(body)
    length = bytes([size]) if size < 128 else bytes([0x80 | ((size.bit_length() + 7) // 8)]) \
        + size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag]) + length + body


def _children(der: bytes) -> list[bytes]:
    def read(pos: int) -> tuple[int, int]:
        size, pos = der[pos + 1], pos + 2
        if size & 0x80:
            count = size & 0x7F
            size, pos = int.from_bytes(der[pos:pos + count], "big"), pos + count
        return pos, pos + size
    start, end = read(0)
    out, pos = [], start
    while pos < end:
        _, body_end = read(pos)
        out.append(der[pos:body_end])
        pos = body_end
    return out


def _dsa_sha1_certificate() -> tuple[x509.Certificate, str]:
    """A self-signed DSA certificate with a dsa-with-SHA1 signature (cryptography refuses
    to sign one, so the TBS is re-signed by hand with the OID swapped)."""
    key = dsa.generate_private_key(key_size=1024)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "legacy.example.vn")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(7)
            .not_valid_before(dt.datetime(2020, 1, 1)).not_valid_after(dt.datetime(2030, 1, 1))
            .sign(key, hashes.SHA256()))
    sha1_dsa = _tlv(0x30, _tlv(0x06, bytes.fromhex("2a8648ce380403")))  # 1.2.840.10040.4.3
    parts = _children(cert.tbs_certificate_bytes)
    parts[2] = sha1_dsa
    tbs = _tlv(0x30, b"".join(parts))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        signature = key.sign(tbs, hashes.SHA1())
    der = _tlv(0x30, tbs + sha1_dsa + _tlv(0x03, b"\x00" + signature))
    loaded = x509.load_der_x509_certificate(der)
    pem = "-----BEGIN CERTIFICATE-----\n" + "\n".join(
        base64.b64encode(der).decode()[i:i + 64] for i in range(0, len(base64.b64encode(der)), 64)
    ) + "\n-----END CERTIFICATE-----\n"
    return loaded, pem


def test_dsa_sha1_self_signed_certificate(tmp_path: Path) -> None:
    path = tmp_path / "legacy.pem"
    path.write_text(_dsa_sha1_certificate()[1])
    items = scan(path)
    (cert,) = [i for i in items if isinstance(i, Observation)]
    assert (cert.attributes["key_type"], cert.attributes["signature_hash"],
            cert.attributes["self_signed"]) == ("dsa", "sha1", True)
    found = {rule for rule, _ in rules(items)}
    assert {"core.cert.weak-signature", "core.cert.self-signed", "core.cert.short-key"} <= found
