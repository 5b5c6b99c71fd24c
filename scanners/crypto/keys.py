"""Facts about private keys, public keys, DH parameters and OpenSSH keys.

Every function returns JSON-safe attribute dicts for ``crypto.key`` observations and never
returns key material: only type, size, curve, format, whether it is encrypted (and how),
and the SHA-256 fingerprint of the *public* key (public by definition, used as the
observation identity).
"""

from __future__ import annotations

import base64
import hashlib
import struct
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from auditor.knowledge.x509facts import public_key_facts
from auditor.models import JSONValue

from .pem import PemBlock, der_oids

__all__ = [
    "PBE_NAMES",
    "SSH_KEY_TYPES",
    "dh_params_facts",
    "openssh_private_facts",
    "parse_ssh_public_line",
    "pem_key_facts",
    "public_fingerprint",
    "ssh_public_facts",
]

# Password-based encryption algorithms of PKCS#8 / PKCS#12, by OID.
PBE_NAMES: dict[str, str] = {
    "1.2.840.113549.1.12.1.1": "pbeWithSHAAnd128BitRC4",
    "1.2.840.113549.1.12.1.2": "pbeWithSHAAnd40BitRC4",
    "1.2.840.113549.1.12.1.3": "pbeWithSHAAnd3-KeyTripleDES-CBC",
    "1.2.840.113549.1.12.1.4": "pbeWithSHAAnd2-KeyTripleDES-CBC",
    "1.2.840.113549.1.12.1.5": "pbeWithSHAAnd128BitRC2-CBC",
    "1.2.840.113549.1.12.1.6": "pbeWithSHAAnd40BitRC2-CBC",
    "1.2.840.113549.1.5.3": "pbeWithMD5AndDES-CBC",
    "1.2.840.113549.1.5.10": "pbeWithSHA1AndDES-CBC",
    "2.16.840.1.101.3.4.1.2": "aes128-CBC",
    "2.16.840.1.101.3.4.1.22": "aes192-CBC",
    "2.16.840.1.101.3.4.1.42": "aes256-CBC",
    "1.2.840.113549.3.7": "des-ede3-cbc",
    "1.3.14.3.2.7": "desCBC",
}
_PRF_NAMES = {"1.2.840.113549.2.7": "hmacWithSHA1", "1.2.840.113549.2.9": "hmacWithSHA256",
              "1.2.840.113549.2.10": "hmacWithSHA384", "1.2.840.113549.2.11": "hmacWithSHA512"}

SSH_KEY_TYPES = frozenset({
    "ssh-rsa", "ssh-dss", "ssh-ed25519", "ssh-ed448", "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
})
_SSH_TYPE_FACTS: dict[str, dict[str, JSONValue]] = {
    "ssh-ed25519": {"key_type": "ed25519", "key_bits": 256, "curve": "ed25519"},
    "sk-ssh-ed25519@openssh.com": {"key_type": "ed25519", "key_bits": 256, "curve": "ed25519"},
    "sk-ecdsa-sha2-nistp256@openssh.com": {"key_type": "ec", "key_bits": 256,
                                           "curve": "secp256r1"},
}
_TRADITIONAL = {"RSA PRIVATE KEY": "rsa", "EC PRIVATE KEY": "ec", "DSA PRIVATE KEY": "dsa"}


def public_fingerprint(key: Any) -> str:
    """``SHA256:<base64>`` of the public key in OpenSSH style when possible, else of its
    SubjectPublicKeyInfo DER."""
    public = key.public_key() if hasattr(key, "public_key") else key
    try:
        blob = public.public_bytes(serialization.Encoding.OpenSSH,
                                   serialization.PublicFormat.OpenSSH).split()[1]
        data = base64.b64decode(blob)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        data = public.public_bytes(serialization.Encoding.DER,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)
    return "SHA256:" + base64.b64encode(hashlib.sha256(data).digest()).decode().rstrip("=")


def _pbe_facts(der: bytes) -> dict[str, JSONValue]:
    try:
        oids = der_oids(der)
    except ValueError:
        oids = []
    algos = [PBE_NAMES[o] for o in oids if o in PBE_NAMES]
    prfs = [_PRF_NAMES[o] for o in oids if o in _PRF_NAMES]
    return {"encryption_algorithm": algos[0] if algos else None,
            "kdf_prf": prfs[0] if prfs else None}


def pem_key_facts(block: PemBlock, password: bytes | None) -> dict[str, JSONValue]:
    """Facts of a PEM private or public key block (raises ValueError when unreadable)."""
    label = block.label
    if label == "ENCRYPTED PRIVATE KEY":
        facts: dict[str, JSONValue] = {"private": True, "encrypted": True, "format": "pkcs8",
                                       "key_type": None, "key_bits": None, "curve": None,
                                       **_pbe_facts(block.der)}
        if password is not None:
            try:
                key = serialization.load_der_private_key(block.der, password)
            except (ValueError, TypeError, UnsupportedAlgorithm):
                return facts
            facts.update(public_key_facts(key))
            facts["public_fingerprint"] = public_fingerprint(key)
        return facts
    if label in _TRADITIONAL:
        encrypted = any(k == "Proc-Type" and "ENCRYPTED" in v for k, v in block.headers)
        if encrypted:
            dek = next((v.split(",")[0] for k, v in block.headers if k == "DEK-Info"), None)
            return {"private": True, "encrypted": True, "format": "traditional",
                    "key_type": _TRADITIONAL[label], "key_bits": None, "curve": None,
                    "encryption_algorithm": dek}
        key = serialization.load_pem_private_key(block.text, None)
        return {"private": True, "encrypted": False, "format": "traditional",
                **public_key_facts(key), "public_fingerprint": public_fingerprint(key)}
    if label == "PRIVATE KEY":
        key = serialization.load_der_private_key(block.der, None)
        return {"private": True, "encrypted": False, "format": "pkcs8",
                **public_key_facts(key), "public_fingerprint": public_fingerprint(key)}
    if label in {"PUBLIC KEY", "RSA PUBLIC KEY"}:
        pub = (serialization.load_der_public_key(block.der) if label == "PUBLIC KEY"
               else serialization.load_pem_public_key(block.text))
        return {"private": False, "encrypted": None, "format": "spki",
                **public_key_facts(pub), "public_fingerprint": public_fingerprint(pub)}
    raise ValueError(f"unsupported PEM label {label!r}")


def dh_params_facts(block: PemBlock) -> dict[str, JSONValue]:
    params = serialization.load_pem_parameters(block.text)
    size = getattr(params, "parameter_numbers", None)
    bits = params.parameter_numbers().p.bit_length() if size is not None else None
    return {"private": False, "encrypted": None, "format": "dhparam", "key_type": "dh",
            "key_bits": bits, "curve": None}


# ---- OpenSSH ------------------------------------------------------------------------------
def _ssh_string(data: bytes, pos: int) -> tuple[bytes, int]:
    if pos + 4 > len(data):
        raise ValueError("truncated OpenSSH key")
    (n,) = struct.unpack(">I", data[pos:pos + 4])
    if pos + 4 + n > len(data):
        raise ValueError("truncated OpenSSH key")
    return data[pos + 4:pos + 4 + n], pos + 4 + n


def ssh_public_facts(key_type: str, blob: bytes) -> dict[str, JSONValue]:
    """Facts of an OpenSSH public key given its type name and wire blob."""
    facts: dict[str, JSONValue] = {"ssh_type": key_type}
    line = key_type.encode() + b" " + base64.b64encode(blob)
    try:
        pub = serialization.load_ssh_public_key(line)
    except (ValueError, UnsupportedAlgorithm):
        base = _SSH_TYPE_FACTS.get(key_type, {"key_type": "unknown", "key_bits": None,
                                              "curve": None})
        facts.update(base)
        fp = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
        facts["public_fingerprint"] = "SHA256:" + fp
        return facts
    facts.update(public_key_facts(pub))
    facts["public_fingerprint"] = public_fingerprint(pub)
    return facts


def openssh_private_facts(der: bytes) -> dict[str, JSONValue]:
    """Facts of an ``OPENSSH PRIVATE KEY`` (the public part is stored in the clear)."""
    magic = b"openssh-key-v1\x00"
    if not der.startswith(magic):
        raise ValueError("not an openssh-key-v1 structure")
    pos = len(magic)
    cipher, pos = _ssh_string(der, pos)
    kdf, pos = _ssh_string(der, pos)
    _, pos = _ssh_string(der, pos)  # kdf options (salt, rounds)
    if pos + 4 > len(der):
        raise ValueError("truncated OpenSSH key")
    pos += 4  # number of keys
    pub_blob, pos = _ssh_string(der, pos)
    key_type, _ = _ssh_string(pub_blob, 0)
    cipher_name = cipher.decode("ascii", "replace")
    facts: dict[str, JSONValue] = {
        "private": True, "encrypted": cipher_name != "none", "format": "openssh",
        "encryption_algorithm": None if cipher_name == "none" else cipher_name,
        "kdf": None if kdf == b"none" else kdf.decode("ascii", "replace"),
    }
    facts.update(ssh_public_facts(key_type.decode("ascii", "replace"), pub_blob))
    return facts


def _split_options(text: str) -> tuple[str, str]:
    """Split ``options rest`` of an authorized_keys line honouring double quotes."""
    quoted = False
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif ch in " \t" and not quoted:
            return text[:i], text[i:].strip()
    return text, ""


def parse_ssh_public_line(line: str) -> dict[str, JSONValue]:
    """Facts of one ``authorized_keys`` / ``.pub`` line (raises ValueError if malformed).

    Options are reported by name only (``from``, ``command``, ``no-pty``...); comments are
    dropped (they often hold a user name or e-mail address).
    """
    text = line.strip()
    options: list[JSONValue] = []
    first = text.split(None, 1)[0]
    if first not in SSH_KEY_TYPES and not first.endswith("-cert-v01@openssh.com"):
        opts, text = _split_options(text)
        options = [o.split("=", 1)[0].lower() for o in _option_items(opts)]
    parts = text.split()
    if len(parts) < 2:
        raise ValueError("expected '<key type> <base64 key>'")
    key_type, b64 = parts[0], parts[1]
    try:
        blob = base64.b64decode(b64, validate=True)
    except (ValueError, TypeError):
        raise ValueError("key data is not valid base64") from None
    inner, _ = _ssh_string(blob, 0)
    if inner.decode("ascii", "replace") != key_type:
        raise ValueError("key type does not match the encoded key")
    facts = ssh_public_facts(key_type, blob)
    facts.update({"private": False, "encrypted": None, "format": "ssh-public",
                  "options": options,
                  "restricted": any(o in {"command", "restrict", "from"} for o in options)})
    return facts


def _option_items(opts: str) -> list[str]:
    items: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in opts:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
    if current:
        items.append("".join(current))
    return [i for i in items if i]
