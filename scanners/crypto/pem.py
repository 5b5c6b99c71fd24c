"""PEM block splitting and a minimal DER walker (no key material ever leaves here).

:func:`pem_blocks` yields each ``-----BEGIN X-----`` ... ``-----END X-----`` block of a
text with its label, 1-based start line, headers (``Proc-Type``, ``DEK-Info``) and the
decoded DER bytes. :func:`der_oids` collects the object identifiers of a DER structure,
descending into OCTET STRINGs that hold DER themselves (how PKCS#12 nests its bags), so
encryption and MAC algorithms can be reported without decrypting anything.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from auditor.errors import TargetError

__all__ = ["PemBlock", "der_oids", "pem_blocks"]

_BEGIN = re.compile(r"^-----BEGIN ([A-Z0-9 #]+)-----\s*$")
_ARMOR_CRC = re.compile(r"^=[A-Za-z0-9+/]{4}$")
_END = re.compile(r"^-----END ([A-Z0-9 #]+)-----\s*$")


@dataclass(frozen=True, slots=True)
class PemBlock:
    label: str
    line: int
    der: bytes = field(repr=False)
    headers: tuple[tuple[str, str], ...] = ()
    text: bytes = field(default=b"", repr=False)  # the block as PEM text (for loaders)
    #: why the block cannot be read (``lenient`` mode only): no END line, not base64;
    #: ``der`` then holds what decodes of its start
    broken: str | None = None


def _decodable_start(body: list[str]) -> bytes:
    """What decodes of a damaged block's body (an OpenPGP armour checksum line dropped)."""
    joined = re.sub(r"[^A-Za-z0-9+/]", "", "".join(ln for ln in body if not ln.startswith("=")))
    joined = joined[: len(joined) // 4 * 4]
    try:
        return base64.b64decode(joined, validate=False)
    except (binascii.Error, ValueError):
        return b""


def pem_blocks(text: str, uri: str, *, lenient: bool = False) -> Iterator[PemBlock]:
    """Every PEM block, in order. A block that never ends or does not decode is a
    :class:`TargetError` naming the line where it starts (never its content); with
    ``lenient``, it is yielded with ``broken`` set instead."""
    label: str | None = None
    start = 0
    body: list[str] = []
    headers: list[tuple[str, str]] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if label is None:
            m = _BEGIN.match(line)
            if m:
                label, start, body, headers = m.group(1), lineno, [], []
            continue
        m = _END.match(line)
        if m:
            if m.group(1) != label:
                raise TargetError(f"{uri}:{lineno}: PEM block '{label}' opened on line "
                                  f"{start} ends with '{m.group(1)}'", line=lineno)
            if label.startswith("PGP ") and body and _ARMOR_CRC.match(body[-1]):
                body = body[:-1]  # NOTE: OpenPGP armour ends with a "=XXXX" CRC-24 line
            try:
                der = base64.b64decode("".join(body), validate=True)
            except (binascii.Error, ValueError):
                if lenient:
                    yield PemBlock(label, start, _decodable_start(body), tuple(headers),
                                   broken="not valid base64")
                    label = None
                    continue
                raise TargetError(f"{uri}:{start}: PEM block '{label}' is not valid base64",
                                  line=start) from None
            pem = "\n".join([f"-----BEGIN {label}-----",
                             *[f"{k}: {v}" for k, v in headers],
                             *([""] if headers else []), *body,
                             f"-----END {label}-----", ""])
            yield PemBlock(label, start, der, tuple(headers), pem.encode("ascii"))
            label = None
            continue
        if ":" in line and not body:
            key, _, value = line.partition(":")
            headers.append((key.strip(), value.strip()))
        elif line:
            body.append(line)
    if label is not None and lenient:
        yield PemBlock(label, start, _decodable_start(body), tuple(headers),
                       broken="no END line (truncated?)")
    elif label is not None:
        raise TargetError(f"{uri}:{start}: PEM block '{label}' has no END line (truncated?)",
                          line=start)


def _read_tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the TLV at ``pos``; ValueError if malformed."""
    if pos + 2 > len(data):
        raise ValueError("truncated")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise ValueError("high tag numbers are not used here")
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        n = length & 0x7F
        if n == 0 or n > 4 or pos + n > len(data):
            raise ValueError("bad length")
        length = int.from_bytes(data[pos:pos + n], "big")
        pos += n
    if pos + length > len(data):
        raise ValueError("truncated")
    return tag, pos, pos + length


def _oid(content: bytes) -> str:
    first = content[0]
    parts = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    value = 0
    for byte in content[1:]:
        value = value << 7 | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return ".".join(str(p) for p in parts)


def der_oids(data: bytes, *, depth: int = 0) -> list[str]:
    """Object identifiers in a DER structure, in order (raises ValueError if not DER)."""
    out: list[str] = []
    pos = 0
    while pos < len(data):
        tag, start, end = _read_tlv(data, pos)
        content = data[start:end]
        if tag == 0x06 and content:
            out.append(_oid(content))
        elif tag & 0x20:  # constructed: SEQUENCE, SET, [n] EXPLICIT
            out.extend(der_oids(content, depth=depth + 1))
        elif tag == 0x04 and depth < 12 and content[:1] == b"\x30":
            # NOTE: PKCS#12 wraps DER in OCTET STRINGs; ciphertext rarely parses as DER
            with contextlib.suppress(ValueError):
                out.extend(der_oids(content, depth=depth + 1))
        pos = end
    return out
