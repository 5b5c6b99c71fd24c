"""Turn one certificate/key file into observations (used by :class:`CryptoScanner`)."""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from collections.abc import Iterator

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12

from auditor.errors import TargetError
from auditor.knowledge.x509facts import certificate_facts, mask_personal_names, public_key_facts
from auditor.models import JSONValue, Location, Observation, Problem, Target

from .keys import (
    PBE_NAMES,
    dh_params_facts,
    openssh_private_facts,
    parse_ssh_public_line,
    pem_key_facts,
    public_fingerprint,
)
from .pem import PemBlock, der_oids, pem_blocks
from .rawkeys import raw_key_secret

__all__ = ["FileFacts", "observe_der", "observe_pem", "observe_ssh_public"]

_HOST_KEY = re.compile(r"^ssh_host_\w+_key$")
_MIN_KEY_BYTES = 16  # NOTE: "-----BEGIN PRIVATE KEY-----\n...\n" in documentation is no key
_KEY_LABELS = {"PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY",
               "DSA PRIVATE KEY", "PUBLIC KEY", "RSA PUBLIC KEY"}
_MAC_NAMES = {"1.3.14.3.2.26": "sha1", "2.16.840.1.101.3.4.2.1": "sha256",
              "2.16.840.1.101.3.4.2.2": "sha384", "2.16.840.1.101.3.4.2.3": "sha512",
              "1.2.840.113549.2.5": "md5"}


class FileFacts:
    """Per-file context: where, when, and the file's permission bits."""

    def __init__(self, target: Target, as_of: dt.date, password: bytes | None,
                 pkcs12_passwords: tuple[bytes | None, ...], hash_key: bytes = b"") -> None:
        self.target = target
        self.hash_key = hash_key
        self.as_of = as_of
        self.password = password
        self.pkcs12_passwords = pkcs12_passwords
        try:
            mode = os.stat(target.locator).st_mode
        except OSError:
            mode = 0
        self.mode: dict[str, JSONValue] = {
            "file_mode": format(stat.S_IMODE(mode), "04o"),
            "world_readable": bool(mode & stat.S_IROTH),
            "group_readable": bool(mode & stat.S_IRGRP),
        }

    def loc(self, line: int | None) -> Location:
        return Location(self.target.uri, line=line)


def _cert_obs(cert: x509.Certificate, ctx: FileFacts, line: int | None, index: int,
              container: str) -> Observation:
    facts = certificate_facts(cert, ctx.as_of)
    mask_personal_names(cert, facts)
    facts.update({"bundle_index": index, "container": container,
                  "is_leaf": not facts.get("is_ca") and index == 0})
    evidence: dict[str, JSONValue] = {
        "subject_cn": facts["subject_cn"], "issuer_cn": facts["issuer_cn"],
        "not_after": facts["not_after"], "sha256": facts["sha256"]}
    return Observation("crypto.certificate", ctx.loc(line), facts, evidence,
                       identity=str(facts["sha256"]))


def _key_obs(facts: dict[str, JSONValue], ctx: FileFacts, line: int | None) -> Observation:
    if facts.get("private"):
        facts.update(ctx.mode)
        facts["ssh_host_key"] = bool(_HOST_KEY.match(os.path.basename(ctx.target.locator)))
    evidence: dict[str, JSONValue] = {k: facts.get(k) for k in (
        "key_type", "key_bits", "curve", "format", "encrypted", "public_fingerprint")
        if facts.get(k) is not None}
    identity = str(facts.get("public_fingerprint") or "")
    return Observation("crypto.key", ctx.loc(line), facts, evidence, identity=identity)


def _pkcs7_certs(der: bytes) -> list[x509.Certificate]:
    try:
        return list(pkcs7.load_der_pkcs7_certificates(der))
    except ValueError as exc:
        raise ValueError(f"unreadable PKCS#7 structure ({exc.__class__.__name__})") from None


def observe_pem(text: str, ctx: FileFacts) -> Iterator[Observation | Problem]:
    """Observations for every PEM block of a file (certificates numbered in order)."""
    index = 0
    uri = ctx.target.uri
    for block in pem_blocks(text, uri, lenient=True):
        if "PRIVATE KEY" in block.label and (block.broken or block.label.startswith("PGP")):
            secret = _raw_secret(block, ctx)
            if secret is not None:
                # NOTE: a damaged or OpenPGP private key is still key material in a file
                yield secret
                if block.broken:
                    yield Problem(f"{uri}:{block.line}: PEM block '{block.label}' cannot be "
                                  f"read ({block.broken}); reported as a secret")
                continue
        if block.broken:
            raise TargetError(f"{uri}:{block.line}: PEM block '{block.label}' "
                              f"{'has ' if block.broken.startswith('no END') else 'is '}"
                              f"{block.broken}", line=block.line)
        try:
            if block.label in {"CERTIFICATE", "X509 CERTIFICATE"}:
                cert = x509.load_der_x509_certificate(block.der)
                yield _cert_obs(cert, ctx, block.line, index, "pem")
                index += 1
            elif block.label == "PKCS7":
                for cert in _pkcs7_certs(block.der):
                    yield _cert_obs(cert, ctx, block.line, index, "pkcs7")
                    index += 1
            elif block.label == "OPENSSH PRIVATE KEY":
                yield _key_obs(openssh_private_facts(block.der), ctx, block.line)
            elif block.label in _KEY_LABELS:
                yield _key_obs(pem_key_facts(block, ctx.password), ctx, block.line)
            elif block.label == "DH PARAMETERS":
                yield _key_obs(dh_params_facts(block), ctx, block.line)
            elif block.label in {"CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"}:
                csr = x509.load_der_x509_csr(block.der)
                yield _key_obs({"private": False, "encrypted": None, "format": "csr",
                                **public_key_facts(csr.public_key()),
                                "public_fingerprint": public_fingerprint(csr.public_key())},
                               ctx, block.line)
            else:
                continue  # CRLs, EC parameters and other blocks we do not judge
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            secret = _raw_secret(block, ctx) if "PRIVATE KEY" in block.label else None
            if secret is not None:
                yield secret
                yield Problem(_unreadable(uri, block, exc) + "; reported as a secret")
                continue
            raise TargetError(_unreadable(uri, block, exc), line=block.line) from None


def _raw_secret(block: PemBlock, ctx: FileFacts) -> Observation | None:
    """A private-key block that cannot be read, as a ``secret``; None for a block too
    short to be a key and for one that says it is passphrase-protected (a key file's
    normal state: the key rules judge readable keys, a damaged one stays an error)."""
    if len(block.der) < _MIN_KEY_BYTES:
        return None
    secret = raw_key_secret(block, ctx.target.uri, ctx.hash_key)
    return None if secret.attributes["encrypted"] is True else secret


def _unreadable(uri: str, block: PemBlock, exc: Exception) -> str:
    # NOTE: library messages may quote bytes of the input; name only the exception class.
    return (f"{uri}:{block.line}: PEM block '{block.label}' cannot be parsed "
            f"({exc.__class__.__name__})")


def observe_ssh_public(text: str, ctx: FileFacts) -> Iterator[Observation | Problem]:
    """One ``crypto.key`` per key line of an authorized_keys or ``.pub`` file; a malformed
    line is a :class:`Problem` and the remaining lines are still read."""
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            facts = parse_ssh_public_line(line)
        except ValueError as exc:
            yield Problem(f"{ctx.target.uri}:{lineno}: not an SSH public key line ({exc})",
                          ctx.loc(lineno))
            continue
        facts["source"] = ("authorized_keys" if ctx.target.kind == "authorized_keys"
                           else "public_key_file")
        yield _key_obs(facts, ctx, lineno)


def _pkcs12_obs(data: bytes, ctx: FileFacts) -> Iterator[Observation | Problem]:
    try:
        oids = der_oids(data)
    except ValueError:
        raise TargetError(f"{ctx.target.uri}: not a DER PKCS#12 file (corrupt or truncated)",
                          offset=0) from None
    algorithms = sorted({PBE_NAMES[o] for o in oids if o in PBE_NAMES})
    mac = next((_MAC_NAMES[o] for o in oids if o in _MAC_NAMES), None)
    opened: pkcs12.PKCS12KeyAndCertificates | None = None
    used: bytes | None = None
    for password in ctx.pkcs12_passwords:
        try:
            opened = pkcs12.load_pkcs12(data, password)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            continue
        used = password
        break
    empty = opened is not None and not used
    yield Observation("crypto.pkcs12", ctx.loc(None), {
        "encryption_algorithms": list(algorithms), "mac_algorithm": mac,
        "opened": opened is not None, "empty_password": empty,
        "certificates": (len(opened.additional_certs) + (1 if opened.cert else 0))
        if opened is not None else None,
        "has_key": opened.key is not None if opened is not None else None,
        **ctx.mode,
    }, {"encryption_algorithms": list(algorithms), "mac_algorithm": mac})
    if opened is None:
        # NOTE: what could not be opened was not audited: the certificates and key inside
        # are unknown, and a wrong password given by the user must not pass silently.
        given = len(ctx.pkcs12_passwords) > 2
        why = ("the password given (crypto.pkcs12_password) does not open it" if given else
               "it is password-protected and no password was given "
               "(--option crypto.pkcs12_password=...)")
        yield Problem(f"PKCS#12 contents not audited: {why}", ctx.loc(None))
        return
    items = ([opened.cert] if opened.cert else []) + list(opened.additional_certs)
    for index, item in enumerate(items):
        yield _cert_obs(item.certificate, ctx, None, index, "pkcs12")
    if opened.key is not None:
        key = opened.key
        facts: dict[str, JSONValue] = {
            "private": True, "encrypted": not empty, "format": "pkcs12",
            **public_key_facts(key), "public_fingerprint": public_fingerprint(key),
            "encryption_algorithm": algorithms[0] if algorithms else None}
        yield _key_obs(facts, ctx, None)


def observe_der(data: bytes, ctx: FileFacts) -> Iterator[Observation | Problem]:
    """A binary file: X.509 certificate, PKCS#7 bundle, PKCS#12 or DER key, by content."""
    uri = ctx.target.uri
    if ctx.target.kind == "pkcs12":
        yield from _pkcs12_obs(data, ctx)
        return
    try:
        cert = x509.load_der_x509_certificate(data)
    except ValueError:
        pass
    else:
        yield _cert_obs(cert, ctx, None, 0, "der")
        return
    try:
        certs = _pkcs7_certs(data)
    except ValueError:
        pass
    else:
        for i, c in enumerate(certs):
            yield _cert_obs(c, ctx, None, i, "pkcs7")
        return
    try:
        key = serialization.load_der_private_key(data, None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        pass
    else:
        yield _key_obs({"private": True, "encrypted": False, "format": "der",
                        **public_key_facts(key), "public_fingerprint": public_fingerprint(key)},
                       ctx, None)
        return
    try:
        pub = serialization.load_der_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        pass
    else:
        yield _key_obs({"private": False, "encrypted": None, "format": "der",
                        **public_key_facts(pub), "public_fingerprint": public_fingerprint(pub)},
                       ctx, None)
        return
    if data[:1] == b"\x30" and _looks_pkcs12(data):
        yield from _pkcs12_obs(data, ctx)
        return
    raise TargetError(f"{uri}: binary file is not a readable DER certificate, PKCS#7, "
                      f"PKCS#12 or key (corrupt or truncated; {len(data)} bytes)", offset=0)


def _looks_pkcs12(data: bytes) -> bool:
    try:
        oids = der_oids(data)
    except ValueError:
        return False
    return "1.2.840.113549.1.7.1" in oids and any(o in PBE_NAMES or o == "1.2.840.113549.1.5.13"
                                                  for o in oids)
