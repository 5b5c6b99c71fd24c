"""Private-key blocks that cannot be read as keys: truncated or damaged PEM blocks and
OpenPGP secret keys (``-----BEGIN PGP PRIVATE KEY BLOCK-----``).

Such a block is still key material lying in a file, so it is reported as a ``secret``
observation with the same attributes the config scanner gives an embedded key
(``detector: private-key``, ``key_type``, ``encrypted``, ``confidence``, ``length``,
``entropy``) plus ``parsed: false``. ``encrypted`` is read from what the block says about
itself: the label (``ENCRYPTED PRIVATE KEY``), the ``Proc-Type: 4,ENCRYPTED`` header, the
cipher name of an OpenSSH key, or the string-to-key usage octet of an OpenPGP secret-key
packet (RFC 4880 section 5.5.3); ``null`` when the block is too damaged to say.
"""

from __future__ import annotations

import base64
import math
import struct
from collections import Counter

from auditor.masking import keyed_hash, mask_secret
from auditor.models import JSONValue, Location, Observation

from .pem import PemBlock

__all__ = ["raw_key_secret"]

#: OpenPGP public-key algorithm -> number of MPIs in its public key (RSA, Elgamal, DSA)
_PGP_MPIS = {1: 2, 2: 2, 3: 2, 16: 3, 17: 4, 20: 3}
_PGP_CURVES = {18, 19, 22}  # ECDH, ECDSA, EdDSA: an OID, one MPI (ECDH: KDF params)


def _pgp_encrypted(data: bytes) -> bool | None:
    """Whether the first (sub)key packet of an OpenPGP secret key is passphrase-protected;
    None when the packet is not a readable version-4 secret key."""
    try:
        head = data[0]
        if not head & 0x80:
            return None
        if head & 0x40:  # new packet format
            tag, first = head & 0x3F, data[1]
            pos = 2 if first < 192 else 3 if first < 224 else 6 if first == 255 else -1
            if pos < 0:
                return None
        else:
            tag, pos = (head >> 2) & 0x0F, 1 + {0: 1, 1: 2, 2: 4}.get(head & 3, 0)
        if tag not in {5, 7} or data[pos] != 4:
            return None
        algo, pos = data[pos + 5], pos + 6

        def mpi(at: int) -> int:
            bits = int.from_bytes(data[at:at + 2], "big")
            if at + 2 > len(data):
                raise IndexError(at)
            return at + 2 + (bits + 7) // 8
        if algo in _PGP_MPIS:
            for _ in range(_PGP_MPIS[algo]):
                pos = mpi(pos)
        elif algo in _PGP_CURVES:
            pos = mpi(pos + 1 + data[pos])
            if algo == 18:
                pos += 1 + data[pos]
        else:
            return None
        return data[pos] != 0 if pos < len(data) else None
    except (IndexError, struct.error):
        return None


def _openssh_encrypted(data: bytes) -> bool | None:
    magic = b"openssh-key-v1\x00"
    if not data.startswith(magic) or len(data) < len(magic) + 4:
        return None
    size = struct.unpack(">I", data[len(magic):len(magic) + 4])[0]
    cipher = data[len(magic) + 4:len(magic) + 4 + size]
    return None if len(cipher) < size else cipher != b"none"


def _encrypted(block: PemBlock) -> bool | None:
    label = block.label
    if "ENCRYPTED" in label or any(k.lower() == "proc-type" and "ENCRYPTED" in v
                                   for k, v in block.headers):
        return True
    if label.startswith("PGP"):
        return _pgp_encrypted(block.der)
    if label.startswith("OPENSSH"):
        return _openssh_encrypted(block.der)
    return False  # NOTE: PKCS#1/SEC1/PKCS#8 labels say so when they are encrypted


def _entropy(text: str) -> float:
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values()) if n else 0.0


def raw_key_secret(block: PemBlock, uri: str, hash_key: bytes) -> Observation:
    """The ``secret`` observation of a private-key block that could not be read."""
    body = base64.b64encode(block.der).decode("ascii") or block.label
    key_type = block.label.replace("PRIVATE KEY", "").replace("BLOCK", "").strip() or "PKCS8"
    attributes: dict[str, JSONValue] = {
        "detector": "private-key", "key": None, "key_leaf": None, "name": None,
        "entropy": round(_entropy(body), 2), "length": len(body), "confidence": "medium",
        "key_type": key_type, "encrypted": _encrypted(block), "parsed": False,
    }
    return Observation(kind="secret", location=Location(uri, line=block.line),
                       attributes=attributes, evidence={"secret": mask_secret(body)},
                       identity=keyed_hash(body, hash_key))
