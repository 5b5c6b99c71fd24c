"""Crypto scanner: certificates, keys, PKCS#12, OpenSSH keys — generated weak/strong material."""

from __future__ import annotations

import base64
import datetime as dt
import importlib.util
import os
import shutil
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from auditor.scanners.crypto import CryptoScanner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.utils import CryptographyDeprecationWarning

from auditor.errors import TargetError
from auditor.models import Observation, Problem, Target
from auditor.scanner import Candidate, ScanOptions

REPO = Path(__file__).resolve().parents[2]
AS_OF = dt.date(2026, 11, 25)


def _load_gen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_crypto", REPO / "fixtures" /
                                                  "gen_crypto.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("gen_crypto", module)
    spec.loader.exec_module(module)
    return module


GEN = _load_gen()
SCANNER = CryptoScanner()


def at(days: int) -> dt.datetime:
    return dt.datetime.combine(AS_OF, dt.time(12), tzinfo=dt.UTC) + dt.timedelta(days=days)


def scan(path: Path, **params: Any) -> list[Observation | Problem]:
    head = path.read_bytes()[:8192]
    claim = SCANNER.claim(Candidate(str(path), path.name, path.name, path.stat().st_size,
                                    head))
    assert claim is not None, f"{path.name} not claimed"
    target = Target(uri=path.name, locator=str(path), kind=claim.kind, scanner="crypto")
    options = ScanOptions(as_of=AS_OF, hash_key=b"test-key", params=params)
    return list(SCANNER.scan(target, options))


def only(obs: list[Observation | Problem], kind: str) -> list[Observation]:
    return [o for o in obs if isinstance(o, Observation) and o.kind == kind]


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def leaf(key: Any, **kw: Any) -> x509.Certificate:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "Test CA")])
    defaults: dict[str, Any] = {"not_before": at(-10), "not_after": at(80),
                                "san": ["www.example.vn"]}
    defaults.update(kw)
    return GEN.make_cert("www.example.vn", key, issuer=(ca_name, ca_key), **defaults)


EC256 = ec.generate_private_key(ec.SECP256R1())


# ---- certificates: one weak and one strong example per check ------------------------------
CERT_CASES: list[tuple[str, Callable[[], x509.Certificate], dict[str, Any]]] = [
    ("strong", lambda: leaf(EC256),
     {"expired": False, "self_signed": False, "has_san": True, "key_bits": 256,
      "signature_hash": "sha256", "lifetime_days": 90, "not_before_yyyymmdd": 20261115}),
    ("ed25519", lambda: GEN.make_cert("e.example.vn", ed25519.Ed25519PrivateKey.generate(),
                                      not_before=at(-1), not_after=at(30)),
     {"key_type": "ed25519", "signature_hash": None, "self_signed": True}),
    ("expired", lambda: leaf(EC256, not_before=at(-400), not_after=at(-1)),
     {"expired": True, "days_to_expiry": -1}),
    ("not-yet-valid", lambda: leaf(EC256, not_before=at(5), not_after=at(90)),
     {"not_yet_valid": True, "expired": False}),
    ("expiring", lambda: leaf(EC256, not_after=at(7)), {"days_to_expiry": 7}),
    ("long", lambda: leaf(EC256, not_before=at(-1), not_after=at(500)),
     {"lifetime_days": 501}),
    ("no-san", lambda: leaf(EC256, san=None), {"has_san": False}),
    ("self-signed", lambda: GEN.make_cert("www.example.vn", EC256, not_before=at(-1),
                                          not_after=at(30)),
     {"self_signed": True, "is_ca": False}),
    ("rsa1024", lambda: leaf(rsa.generate_private_key(public_exponent=65537, key_size=1024)),
     {"key_type": "rsa", "key_bits": 1024}),
    ("sha1", lambda: GEN.resign_sha1(
        GEN.make_cert("www.example.vn", EC256, issuer=(
            x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "Old CA")]),
            OLD_CA), not_before=at(-1), not_after=at(30)), OLD_CA),
     {"signature_hash": "sha1", "signature_algorithm": "sha1WithRSAEncryption"}),
    ("ec192", lambda: leaf(ec.generate_private_key(ec.SECP192R1())),
     {"key_type": "ec", "key_bits": 192}),
    ("sha1-self-signed", lambda: GEN.resign_sha1(
        GEN.make_cert("old.example.vn", OLD_CA, not_before=at(-1), not_after=at(30)), OLD_CA),
     {"signature_hash": "sha1", "self_signed": True, "self_issued": True}),
]
OLD_CA = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.mark.parametrize(("name", "make", "expected"), CERT_CASES,
                         ids=[c[0] for c in CERT_CASES])
def test_certificate_facts(tmp_path: Path, name: str, make: Callable[[], x509.Certificate],
                           expected: dict[str, Any]) -> None:
    path = tmp_path / f"{name}.pem"
    path.write_bytes(pem(make()))
    (obs,) = scan(path)
    assert isinstance(obs, Observation) and obs.kind == "crypto.certificate"
    assert obs.location.line == 1
    assert {k: obs.attributes[k] for k in expected} == expected


def test_public_trust_store_parses_completely() -> None:
    certifi = pytest.importorskip("certifi")
    bundle = Path(certifi.where())
    found = scan(bundle)
    text = bundle.read_text(encoding="utf-8")
    assert len(found) == text.count("-----BEGIN CERTIFICATE-----") > 50
    roots = [o for o in found if isinstance(o, Observation) and o.attributes["self_issued"]]
    # every self-issued root verifies against itself, SHA-1 roots included
    assert all(o.attributes["self_signed"] for o in roots)


def test_bundle_lines_and_indexes(tmp_path: Path) -> None:
    certs = [leaf(EC256), leaf(EC256, not_after=at(-3)), leaf(EC256, san=None)]
    path = tmp_path / "chain.crt"
    path.write_bytes(b"# chain\n" + b"".join(pem(c) for c in certs))
    found = only(scan(path), "crypto.certificate")
    assert [o.attributes["bundle_index"] for o in found] == [0, 1, 2]
    lines = [o.location.line for o in found]
    assert lines[0] == 2 and lines[1] > lines[0] and lines[2] > lines[1]
    assert [o.attributes["expired"] for o in found] == [False, True, False]


def test_crlf_and_bom_pem(tmp_path: Path) -> None:
    path = tmp_path / "win.crt"
    path.write_bytes(b"\xef\xbb\xbf" + pem(leaf(EC256)).replace(b"\n", b"\r\n"))
    (o,) = scan(path)
    assert isinstance(o, Observation) and o.kind == "crypto.certificate"


def test_der_and_pkcs7(tmp_path: Path) -> None:
    cert = leaf(EC256)
    der = tmp_path / "cert.der"
    der.write_bytes(cert.public_bytes(serialization.Encoding.DER))
    (o,) = scan(der)
    assert isinstance(o, Observation) and o.attributes["container"] == "der"
    p7 = tmp_path / "bundle.p7b"
    p7.write_bytes(pkcs7.serialize_certificates([cert, leaf(EC256)], serialization.Encoding.DER))
    found = only(scan(p7), "crypto.certificate")
    assert [x.attributes["container"] for x in found] == ["pkcs7", "pkcs7"]
    p7pem = tmp_path / "bundle.pem"
    p7pem.write_bytes(pkcs7.serialize_certificates([cert], serialization.Encoding.PEM))
    assert only(scan(p7pem), "crypto.certificate")[0].attributes["container"] == "pkcs7"


def test_client_certificate_subject_is_masked(tmp_path: Path) -> None:
    person = "Nguyen Van Canary"
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, person),
                      x509.NameAttribute(x509.NameOID.EMAIL_ADDRESS, "canary@example.vn")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(9).not_valid_before(at(-1))
            .not_valid_after(at(30)).sign(key, hashes.SHA256()))
    path = tmp_path / "client.pem"
    path.write_bytes(pem(cert))
    (o,) = scan(path)
    text = repr(o)
    assert "Canary" not in text and "canary@" not in text


# ---- keys --------------------------------------------------------------------------------
def _key_file(tmp_path: Path, name: str, data: bytes, mode: int = 0o600) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    os.chmod(path, mode)
    return path


def _pkcs8(key: Any, password: bytes | None = None) -> bytes:
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password
        else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             enc)


@pytest.mark.parametrize(("label", "make", "mode", "expected"), [
    ("unencrypted-world", lambda: _pkcs8(EC256), 0o644,
     {"private": True, "encrypted": False, "world_readable": True, "file_mode": "0644",
      "key_type": "ec"}),
    ("unencrypted-owner", lambda: _pkcs8(EC256), 0o600,
     {"encrypted": False, "world_readable": False, "group_readable": False}),
    ("encrypted-pkcs8", lambda: _pkcs8(EC256, b"pw"), 0o644,
     {"encrypted": True, "format": "pkcs8", "encryption_algorithm": "aes256-CBC"}),
    ("traditional-encrypted", lambda: EC256.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.BestAvailableEncryption(b"pw")), 0o600,
     {"encrypted": True, "format": "traditional", "key_type": "ec"}),
    ("rsa1024", lambda: _pkcs8(rsa.generate_private_key(public_exponent=65537,
                                                        key_size=1024)), 0o600,
     {"key_type": "rsa", "key_bits": 1024}),
    ("public", lambda: EC256.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo), 0o644,
     {"private": False, "encrypted": None, "format": "spki"}),
])
def test_key_facts(tmp_path: Path, label: str, make: Callable[[], bytes], mode: int,
                   expected: dict[str, Any]) -> None:
    (o,) = scan(_key_file(tmp_path, f"{label}.key", make(), mode))
    assert isinstance(o, Observation) and o.kind == "crypto.key"
    assert {k: o.attributes.get(k) for k in expected} == expected


def test_ssh_host_key_is_marked(tmp_path: Path) -> None:
    data = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption())
    (o,) = scan(_key_file(tmp_path, "ssh_host_ed25519_key", data))
    assert isinstance(o, Observation) and o.attributes["ssh_host_key"] is True
    (p,) = scan(_key_file(tmp_path, "id_ed25519", data))
    assert isinstance(p, Observation) and p.attributes["ssh_host_key"] is False


def test_encrypted_key_read_with_password_option(tmp_path: Path) -> None:
    path = _key_file(tmp_path, "enc.key", _pkcs8(EC256, b"s3cret"))
    (o,) = scan(path, **{"crypto.key_password": "s3cret"})
    assert isinstance(o, Observation)
    assert (o.attributes["key_type"], o.attributes["key_bits"]) == ("ec", 256)
    assert "s3cret" not in repr(o)


def test_no_key_material_in_observations(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    data = _pkcs8(key)
    body = b"".join(data.splitlines()[1:-1]).decode()
    (o,) = scan(_key_file(tmp_path, "server.key", data, 0o644))
    text = repr(o)
    for chunk in (body[10:40], body[200:230], body[-40:-10]):
        assert chunk not in text
    d = key.private_numbers().d
    assert str(d)[:20] not in text and format(d, "x")[:20] not in text


def test_certificate_request_key(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "a.vn")]))
           .sign(key, hashes.SHA256()))
    path = tmp_path / "a.csr"
    path.write_bytes(csr.public_bytes(serialization.Encoding.PEM))
    (o,) = scan(path)
    assert isinstance(o, Observation) and o.kind == "crypto.key"
    assert (o.attributes["format"], o.attributes["key_bits"]) == ("csr", 1024)


def test_dh_parameters(tmp_path: Path) -> None:
    path = REPO / "fixtures" / "demo" / "certs" / "weak" / "dhparam.pem"
    (o,) = scan(path)
    assert isinstance(o, Observation)
    assert (o.attributes["key_type"], o.attributes["key_bits"]) == ("dh", 1024)


# ---- PKCS#12 -----------------------------------------------------------------------------
def _p12(algorithm: pkcs12.PBES, password: bytes) -> bytes:
    cert = leaf(EC256)
    return pkcs12.serialize_key_and_certificates(
        b"x", EC256, cert, None,
        serialization.PrivateFormat.PKCS12.encryption_builder().key_cert_algorithm(algorithm)
        .build(password))


@pytest.mark.parametrize(("algorithm", "expected"), [
    (pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC, ["pbeWithSHAAnd3-KeyTripleDES-CBC"]),
    (pkcs12.PBES.PBESv2SHA256AndAES256CBC, ["aes256-CBC"]),
])
def test_pkcs12_algorithms_without_password(tmp_path: Path, algorithm: pkcs12.PBES,
                                            expected: list[str]) -> None:
    path = _key_file(tmp_path, "a.p12", _p12(algorithm, b"unknown-pw"))
    o, problem = scan(path)
    assert isinstance(o, Observation) and o.kind == "crypto.pkcs12"
    assert o.attributes["encryption_algorithms"] == expected
    assert o.attributes["opened"] is False
    assert isinstance(problem, Problem) and "no password was given" in problem.message


def test_pkcs12_wrong_password_is_a_problem_not_silence(tmp_path: Path) -> None:
    """Issue 17: a wrong --option crypto.pkcs12_password left the contents unaudited and
    said nothing; the password itself never appears in the message."""
    path = _key_file(tmp_path, "c.p12", _p12(pkcs12.PBES.PBESv2SHA256AndAES256CBC, b"right"))
    found = scan(path, **{"crypto.pkcs12_password": "WRONG-pw-canary"})
    problems = [p for p in found if isinstance(p, Problem)]
    assert len(problems) == 1
    assert "does not open it" in problems[0].message
    assert "WRONG-pw-canary" not in problems[0].message
    assert only(found, "crypto.pkcs12")[0].attributes["opened"] is False
    assert not only(found, "crypto.certificate") and not only(found, "crypto.key")


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl binary")
def test_pkcs12_legacy_rc2_export_by_openssl(tmp_path: Path) -> None:
    key, cert = tmp_path / "k.pem", tmp_path / "c.pem"
    key.write_bytes(_pkcs8(rsa.generate_private_key(public_exponent=65537, key_size=2048)))
    cert.write_bytes(pem(GEN.make_cert("x.example.vn", serialization.load_pem_private_key(
        key.read_bytes(), None), not_before=at(-1), not_after=at(30))))
    out = tmp_path / "windows-style.p12"
    proc = subprocess.run(["openssl", "pkcs12", "-export", "-legacy", "-in", str(cert),
                           "-inkey", str(key), "-out", str(out), "-passout", "pass:pw"],
                          capture_output=True, check=False)
    if proc.returncode != 0:
        pytest.skip("this openssl cannot write legacy (RC2) PKCS#12 files")
    found = scan(out, **{"crypto.pkcs12_password": "pw"})
    p12 = only(found, "crypto.pkcs12")[0]
    assert "pbeWithSHAAnd40BitRC2-CBC" in p12.attributes["encryption_algorithms"]
    assert p12.attributes["opened"] is True and p12.attributes["mac_algorithm"] == "sha1"


def test_pkcs12_opened_with_password_lists_contents(tmp_path: Path) -> None:
    path = _key_file(tmp_path, "b.pfx", _p12(pkcs12.PBES.PBESv2SHA256AndAES256CBC, b"pw"))
    found = scan(path, **{"crypto.pkcs12_password": "pw"})
    kinds = [o.kind for o in found if isinstance(o, Observation)]
    assert kinds == ["crypto.pkcs12", "crypto.certificate", "crypto.key"]
    key = only(found, "crypto.key")[0]
    assert key.attributes["encrypted"] is True and key.attributes["format"] == "pkcs12"


def test_pkcs12_empty_password_counts_as_unencrypted(tmp_path: Path) -> None:
    data = pkcs12.serialize_key_and_certificates(b"x", EC256, leaf(EC256), None,
                                                 serialization.NoEncryption())
    found = scan(_key_file(tmp_path, "c.p12", data))
    p12 = only(found, "crypto.pkcs12")[0]
    assert p12.attributes["opened"] is True and p12.attributes["empty_password"] is True
    assert only(found, "crypto.key")[0].attributes["encrypted"] is False


# ---- OpenSSH -----------------------------------------------------------------------------
def _ssh_line(key: Any, comment: str = "user@host") -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        data: bytes = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                                    serialization.PublicFormat.OpenSSH)
    return data.decode() + " " + comment


def test_authorized_keys_entries_and_bad_line(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        dss = dsa.generate_private_key(key_size=1024)
    ed = ed25519.Ed25519PrivateKey.generate()
    text = "\n".join([
        "# team keys",
        _ssh_line(dss, "ops@canary-host"),
        'command="/usr/bin/backup",no-pty ' + _ssh_line(ed, "backup@canary-host"),
        "ssh-rsa not-base64!!",
        _ssh_line(EC256),
    ]) + "\n"
    path = tmp_path / "authorized_keys"
    path.write_text(text)
    found = scan(path)
    keys = only(found, "crypto.key")
    problems = [p for p in found if isinstance(p, Problem)]
    assert [k.location.line for k in keys] == [2, 3, 5]
    assert [k.attributes["ssh_type"] for k in keys] == ["ssh-dss", "ssh-ed25519",
                                                        "ecdsa-sha2-nistp256"]
    assert keys[1].attributes["options"] == ["command", "no-pty"]
    assert keys[1].attributes["restricted"] is True
    assert len(problems) == 1 and problems[0].location is not None
    assert problems[0].location.line == 4
    assert "canary-host" not in repr(found)  # comments are dropped


def test_openssh_private_key_unencrypted(tmp_path: Path) -> None:
    data = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption())
    (o,) = scan(_key_file(tmp_path, "id_ed25519", data))
    assert isinstance(o, Observation)
    assert o.attributes["format"] == "openssh" and o.attributes["encrypted"] is False
    assert o.attributes["key_type"] == "ed25519"


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen not installed")
def test_openssh_private_key_encrypted_by_ssh_keygen(tmp_path: Path) -> None:
    path = tmp_path / "id_rsa"
    subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "1024", "-N", "pw", "-f",
                    str(path)], check=True)
    (o,) = scan(path)
    assert isinstance(o, Observation)
    assert o.attributes["encrypted"] is True and o.attributes["kdf"] == "bcrypt"
    assert (o.attributes["key_type"], o.attributes["key_bits"]) == ("rsa", 1024)


# ---- malformed input ---------------------------------------------------------------------
def test_truncated_pem_keeps_earlier_certificates(tmp_path: Path) -> None:
    good = pem(leaf(EC256))
    broken = pem(leaf(EC256))[:200]
    path = tmp_path / "truncated.pem"
    path.write_bytes(good + broken)
    target = Target(uri="truncated.pem", locator=str(path), kind="pem", scanner="crypto")
    gen = SCANNER.scan(target, ScanOptions(as_of=AS_OF, hash_key=b"k"))
    first = next(gen)
    assert isinstance(first, Observation) and first.kind == "crypto.certificate"
    with pytest.raises(TargetError) as err:
        next(gen)
    start = good.count(b"\n") + 1
    assert err.value.line == start
    assert f"truncated.pem:{start}" in str(err.value) and "no END line" in str(err.value)


@pytest.mark.parametrize(("name", "data", "message"), [
    ("bad64.pem", b"-----BEGIN CERTIFICATE-----\n@@@@\n-----END CERTIFICATE-----\n",
     "bad64.pem:1: PEM block 'CERTIFICATE' is not valid base64"),
    ("mismatch.pem", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END PRIVATE KEY-----\n",
     "mismatch.pem:3: PEM block 'CERTIFICATE' opened on line 1 ends with 'PRIVATE KEY'"),
    ("junk.pem", b"-----BEGIN CERTIFICATE-----\nAAAAAAAA\n-----END CERTIFICATE-----\n",
     "junk.pem:1: PEM block 'CERTIFICATE' cannot be parsed"),
    ("garbage.der", b"\x30\x82\x01\x00" + os.urandom(64),
     "garbage.der: binary file is not a readable DER certificate"),
    ("nul.pem", b"-----BEGIN CERTIFICATE-----\n\x00\x01\n", "binary content (NUL byte at "),
    ("broken.p12", b"\x30\x82\xff\xff\x02\x01\x03", "not a DER PKCS#12 file"),
])
def test_malformed_files_raise_target_error(tmp_path: Path, name: str, data: bytes,
                                            message: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(TargetError) as err:
        scan(path)
    assert message in str(err.value)


def test_canary_not_in_error_messages(tmp_path: Path) -> None:
    canary = base64.b64encode(b"CANARY-SECRET-BYTES-0123456789").decode()
    path = tmp_path / "x.pem"
    path.write_text(f"-----BEGIN PRIVATE KEY-----\n{canary}\n-----END PRIVATE KEY-----\n")
    # NOTE: an unreadable private key is still reported, as a secret plus a problem
    items = scan(path)
    assert [i.kind if isinstance(i, Observation) else "problem" for i in items] == [
        "secret", "problem"]
    text = repr([i.attributes if isinstance(i, Observation) else i.message for i in items]) \
        + repr([i.evidence for i in items if isinstance(i, Observation)])
    assert canary not in text and "CANARY" not in text
    path.write_text(f"-----BEGIN CERTIFICATE-----\n{canary}\n-----END CERTIFICATE-----\n")
    with pytest.raises(TargetError) as err:
        scan(path)
    assert canary not in str(err.value) and "CANARY" not in str(err.value)


@pytest.mark.parametrize(("name", "head", "kind"), [
    ("authorized_keys", b"ssh-ed25519 AAAA", "authorized_keys"),
    ("id_rsa.pub", b"ssh-rsa AAAA", "ssh-public-key"),
    ("site.crt", b"-----BEGIN CERTIFICATE-----", "pem"),
    ("anything", b"\n-----BEGIN PRIVATE KEY-----", "pem"),
    ("site.cer", b"\x30\x82\x03\x00", "der"),
    ("store.pfx", b"\x30\x82\x03\x00", "pkcs12"),
    ("config.yaml", b"key: value", None),
    ("notes.pub", b"just text", None),
])
def test_claims(name: str, head: bytes, kind: str | None) -> None:
    claim = SCANNER.claim(Candidate(name, name, name, len(head), head))
    assert (claim.kind if claim else None) == kind


def test_deterministic(tmp_path: Path) -> None:
    path = tmp_path / "b.pem"
    path.write_bytes(pem(leaf(EC256)) + pem(leaf(EC256, san=None)))
    assert scan(path) == scan(path)
