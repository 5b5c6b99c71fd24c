"""Crypto scanner: certificates, private and public keys, PKCS#12, OpenSSH keys.

Reads PEM files (any number of blocks: certificate bundles, keys, PKCS#7, DH parameters),
DER certificates/keys/PKCS#7, PKCS#12 (``.p12``/``.pfx``), OpenSSH private keys,
``*.pub`` public keys and ``authorized_keys`` files. Facts only; the ``core`` pack's
``rules/core/crypto.yaml`` decides what is weak.

Observation kinds (attributes; all JSON-safe, no key material, ever):

``crypto.certificate`` — one per certificate, in file order: everything
:func:`auditor.knowledge.x509facts.certificate_facts` returns (``key_type``, ``key_bits``,
``signature_hash``, ``expired``, ``days_to_expiry``, ``lifetime_days``, ``self_signed``,
``has_san``, ``is_ca``...) judged against ``--as-of``, plus ``bundle_index`` (0-based),
``container`` (pem, der, pkcs7, pkcs12) and ``is_leaf``. A subject that is not a host
name (a person in a client certificate) is masked. Identity: the certificate's SHA-256.
The capture scanner emits the same kind with the same attributes::

    {"subject_cn": "portal.example.vn", "key_type": "rsa", "key_bits": 1024,
     "signature_hash": "sha1", "expired": true, "self_signed": true, "bundle_index": 0}

``crypto.key`` — one per key: ``key_type`` (rsa, ec, dsa, dh, ed25519...), ``key_bits``,
``curve``, ``private``, ``encrypted`` (None for public keys), ``format`` (pkcs8,
traditional, openssh, ssh-public, spki, der, pkcs12, dhparam, csr), ``encryption_algorithm``,
``ssh_type`` (``ssh-rsa``, ``ssh-dss``...) and ``options`` / ``restricted`` for
``authorized_keys`` lines (option names only, comments dropped), ``source``, and for
private keys ``file_mode``, ``world_readable``, ``group_readable``. Identity: the public
key's SHA-256 fingerprint.

``crypto.pkcs12`` — one per PKCS#12 file: ``encryption_algorithms`` (e.g.
``pbeWithSHAAnd40BitRC2-CBC``, ``pbeWithSHAAnd3-KeyTripleDES-CBC``, ``aes256-CBC``),
``mac_algorithm``, ``opened`` (a password from ``--option crypto.pkcs12_password=...`` or
the empty password worked), ``empty_password``, ``certificates``, ``has_key``; when opened,
its certificates and key follow as ``crypto.certificate`` / ``crypto.key``.

``secret`` — a private-key block that cannot be read as a key (truncated, damaged, an
OpenPGP secret key): see :mod:`scanners.crypto.rawkeys`. The rest of the file is still
read; a damaged block is also a :class:`~auditor.models.Problem`.

Options: ``crypto.pkcs12_password``, ``crypto.key_password`` (to read encrypted PKCS#8
keys' type and size). Corrupt, truncated or binary-garbage files raise
:class:`~auditor.errors.TargetError` naming the file and line (or byte offset); a bad
line in ``authorized_keys`` is a :class:`~auditor.models.Problem` and the other lines
are still read.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from auditor.errors import TargetError
from auditor.models import Observation, Problem, Target
from auditor.reading import read_bounded
from auditor.scanner import Candidate, Claim, Option, Scanner, ScanOptions

__all__ = ["CryptoScanner"]

MAX_BYTES = 32 * 1024 * 1024  # NOTE: certificate and key files are small; refuse giants
_DER_SUFFIXES = {".der", ".cer", ".crt", ".p7b", ".p7c", ".key", ".pem"}
_P12_SUFFIXES = {".p12", ".pfx"}
_SSH_PREFIXES = (b"ssh-", b"ecdsa-sha2-", b"sk-ssh-", b"sk-ecdsa-")


class CryptoScanner(Scanner):
    name = "crypto"
    description = "certificates, keys, PKCS#12 and OpenSSH keys (PEM, DER, authorized_keys)"
    emits: ClassVar[tuple[str, ...]] = ("crypto.certificate", "crypto.key", "crypto.pkcs12",
                                        "secret")

    options = (
        Option("key_password", "secret", None, "password of encrypted private keys"),
        Option("pkcs12_password", "secret", None, "password of PKCS#12 (.p12/.pfx) files"),
    )

    def claim(self, candidate: Candidate) -> Claim | None:
        head = candidate.head.removeprefix(b"\xef\xbb\xbf")
        suffix = candidate.suffix
        if candidate.name in {"authorized_keys", "authorized_keys2"}:
            return Claim("authorized_keys", 80)
        if suffix == ".pub" and head.lstrip().startswith(_SSH_PREFIXES):
            return Claim("ssh-public-key", 80)
        if suffix in _P12_SUFFIXES:
            return Claim("pkcs12", 100 if head[:1] == b"\x30" else 40)
        if head.lstrip().startswith(b"-----BEGIN "):
            return Claim("pem", 100)
        if suffix in _DER_SUFFIXES and b"-----BEGIN " in head:
            return Claim("pem", 80)
        if suffix in _DER_SUFFIXES and head[:1] == b"\x30":
            return Claim("der", 100)
        return None

    def scan(self, target: Target, options: ScanOptions) -> Iterator[Observation | Problem]:
        # NOTE: cryptography is imported by the first crypto target, not by every start-up
        from cryptography.utils import CryptographyDeprecationWarning

        from .observe import FileFacts, observe_der, observe_pem, observe_ssh_public

        data = read_bounded(Path(target.locator), target.uri, limit=MAX_BYTES,
                            what="certificate or key file")
        password = options.get("crypto.key_password")
        p12 = options.get("crypto.pkcs12_password")
        passwords: tuple[bytes | None, ...] = ((str(p12).encode(),) if p12 is not None
                                               else ()) + (b"", None)
        ctx = FileFacts(target, options.as_of,
                        str(password).encode() if password is not None else None, passwords,
                        options.hash_key)
        observations: list[Observation | Problem] = []
        error: TargetError | None = None
        with warnings.catch_warnings():
            # NOTE: cryptography deprecates DSA/FFDH/SHA-1 use; old material is what we audit.
            # Collected inside the filter, then yielded: the filter must not leak to callers.
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            try:
                if target.kind in {"der", "pkcs12"}:
                    observations.extend(observe_der(data, ctx))
                elif target.kind in {"authorized_keys", "ssh-public-key"}:
                    observations.extend(observe_ssh_public(_text(data, target.uri), ctx))
                else:
                    observations.extend(observe_pem(_text(data, target.uri), ctx))
            except TargetError as exc:
                error = exc  # observations before the bad block are kept
        yield from observations
        if error is not None:
            raise error


def _text(data: bytes, uri: str) -> str:
    nul = data.find(b"\x00")
    if nul >= 0:
        raise TargetError(f"{uri}: binary content (NUL byte at offset {nul}) in a text "
                          f"key/certificate file", offset=nul)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TargetError(f"{uri}: not UTF-8/ASCII text (byte offset {exc.start})",
                          offset=exc.start) from None
