"""Streaming reader for pcap and pcapng captures (optionally gzip-compressed).

Frames are read one at a time from a buffered stream: memory never grows with the size of
the capture (no ``rdpcap``). Supported: classic pcap in both byte orders with microsecond
(``a1b2c3d4``) or nanosecond (``a1b23c4d``) timestamps, and pcapng (section header,
interface description, enhanced and simple packet blocks; other blocks are skipped) with
per-interface link types and ``if_tsresol``.

Each frame is a :class:`Frame` ``(number, linktype, timestamp, data)``; ``number`` is the
1-based frame number Wireshark shows. A file that is not a capture, or a capture cut in the
middle of a record, raises :class:`CaptureError` naming the byte offset and frame number;
frames read before are delivered first.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

__all__ = ["CaptureError", "Frame", "is_capture_magic", "open_capture", "read_frames"]

PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 1e-6),
    b"\xa1\xb2\xc3\xd4": (">", 1e-6),
    b"\x4d\x3c\xb2\xa1": ("<", 1e-9),
    b"\xa1\xb2\x3c\x4d": (">", 1e-9),
}
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
GZIP_MAGIC = b"\x1f\x8b"
MAX_RECORD = 256 * 1024  # NOTE: larger than any real snaplen; beyond it the file is corrupt
# NOTE: 256 KiB reads, not 4 MiB: every 4 MiB buffer freed raised glibc's mmap threshold,
# later buffers landed in the heap and left holes, and the peak RSS grew with the capture
# (61.8 -> 70.8 MB from 15 to 150 MB); at 256 KiB it stays flat (docs/captures.md)
_CHUNK = 256 << 10


class CaptureError(Exception):
    """The capture is corrupt, truncated or not a capture; ``offset`` is the byte offset
    in the (decompressed) stream, ``frame`` the number of the frame being read."""

    def __init__(self, message: str, *, offset: int, frame: int) -> None:
        self.offset = offset
        self.frame = frame
        super().__init__(f"{message} at byte offset {offset} (frame {frame})")


class Frame(NamedTuple):
    number: int
    linktype: int
    timestamp: float
    data: bytes
    #: bytes on the wire; more than ``len(data)`` when the capture's snap length cut it
    wire_length: int = 0


def is_capture_magic(head: bytes) -> bool:
    """True when ``head`` starts like a pcap or pcapng file."""
    return head[:4] in PCAP_MAGICS or head[:4] == PCAPNG_MAGIC


def open_capture(path: str) -> BinaryIO:
    """Open a capture file for reading, transparently decompressing gzip."""
    fh = open(path, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    if fh.read(2) == GZIP_MAGIC:
        fh.close()
        return gzip.open(path, "rb")  # type: ignore[return-value]
    fh.seek(0)
    return fh


class _Buffer:
    """A read-ahead buffer over a stream that tracks the absolute offset."""

    __slots__ = ("base", "buf", "eof", "pos", "stream")

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.buf = b""
        self.pos = 0
        self.base = 0  # absolute offset of buf[0]
        self.eof = False

    def ensure(self, n: int) -> bool:
        """Make ``n`` bytes available from ``pos``; False when the stream ends first."""
        if len(self.buf) - self.pos >= n:
            return True
        while len(self.buf) - self.pos < n and not self.eof:
            chunk = self.stream.read(max(_CHUNK, n))
            if not chunk:
                self.eof = True
                break
            self.base += self.pos
            self.buf = self.buf[self.pos:] + chunk
            self.pos = 0
        return len(self.buf) - self.pos >= n

    @property
    def offset(self) -> int:
        return self.base + self.pos


def read_frames(stream: BinaryIO) -> Iterator[Frame]:
    """Yield every frame of a pcap or pcapng stream, in file order."""
    b = _Buffer(stream)
    try:
        ok = b.ensure(4)
    except (OSError, EOFError, zlib.error) as exc:  # gzip errors
        raise CaptureError(f"unreadable stream ({type(exc).__name__})", offset=0, frame=0) \
            from None
    magic = b.buf[:4] if ok else b.buf
    if magic in PCAP_MAGICS:
        yield from _read_pcap(b, *PCAP_MAGICS[magic])
    elif magic == PCAPNG_MAGIC:
        yield from _read_pcapng(b)
    else:
        raise CaptureError("not a pcap/pcapng capture (unknown magic)", offset=0, frame=0)


def _read_pcap(b: _Buffer, order: str, resolution: float) -> Iterator[Frame]:
    if not b.ensure(24):
        raise CaptureError("truncated pcap file header", offset=b.offset, frame=0)
    linktype = struct.unpack_from(order + "I", b.buf, b.pos + 20)[0] & 0x0FFFFFFF
    b.pos += 24
    unpack = struct.Struct(order + "IIII").unpack_from
    number = 0
    buf, pos = b.buf, b.pos
    while True:
        number += 1
        # NOTE: the common case (whole record in the buffer) touches only locals and
        # unpacks the record header once; the buffer object is consulted when a record
        # crosses the end of the chunk.
        if len(buf) - pos >= 16:
            sec, frac, incl, orig = unpack(buf, pos)
            whole = pos + 16 + incl <= len(buf)
        else:
            whole = False
        if not whole:
            b.pos = pos
            if not _more(b, 16, number):
                if b.pos < len(b.buf):
                    raise CaptureError("truncated record header", offset=b.offset, frame=number)
                return
            incl = unpack(b.buf, b.pos)[2]
            if incl > MAX_RECORD:
                raise CaptureError(f"implausible record length {incl}", offset=b.offset,
                                   frame=number)
            if not _more(b, 16 + incl, number):
                raise CaptureError("capture cut in the middle of a packet", offset=b.offset,
                                   frame=number)
            buf, pos = b.buf, b.pos
            sec, frac, incl, orig = unpack(buf, pos)
        if incl > MAX_RECORD:
            b.pos = pos
            raise CaptureError(f"implausible record length {incl}", offset=b.offset,
                               frame=number)
        end = pos + 16 + incl
        data = buf[pos + 16:end]
        pos = b.pos = end
        yield Frame(number, linktype, sec + frac * resolution, data, orig)


def _more(b: _Buffer, n: int, number: int) -> bool:
    try:
        return b.ensure(n)
    except (OSError, EOFError, zlib.error) as exc:
        raise CaptureError(f"unreadable stream ({type(exc).__name__})", offset=b.offset,
                           frame=number) from None


#: pcapng block type -> (name, smallest body: the fixed fields before any data/options)
_MIN_BODY = {1: ("interface description", 8), 6: ("enhanced packet", 20),
             3: ("simple packet", 4)}


def _read_pcapng(b: _Buffer) -> Iterator[Frame]:
    order = "<"
    interfaces: list[tuple[int, float]] = []
    number = 0
    while True:
        try:
            if not b.ensure(12):
                if b.pos < len(b.buf):
                    raise CaptureError("truncated pcapng block header", offset=b.offset,
                                       frame=number + 1)
                return
            btype_raw = b.buf[b.pos:b.pos + 4]
            if btype_raw == PCAPNG_MAGIC:
                bom = b.buf[b.pos + 8:b.pos + 12]
                if bom == b"\x4d\x3c\x2b\x1a":
                    order = "<"
                elif bom == b"\x1a\x2b\x3c\x4d":
                    order = ">"
                else:
                    raise CaptureError("bad pcapng byte-order magic", offset=b.offset,
                                       frame=number + 1)
                interfaces = []
            btype, blen = struct.unpack_from(order + "II", b.buf, b.pos)
            if blen < 12 or blen % 4 or blen > MAX_RECORD + 4096:
                raise CaptureError(f"implausible pcapng block length {blen}", offset=b.offset,
                                   frame=number + 1)
            if not b.ensure(blen):
                raise CaptureError("capture cut in the middle of a block", offset=b.offset,
                                   frame=number + 1)
        except (OSError, EOFError, zlib.error) as exc:
            raise CaptureError(f"unreadable stream ({type(exc).__name__})", offset=b.offset,
                               frame=number + 1) from None
        start = b.pos
        body = b.buf[start + 8:start + blen - 4]
        b.pos = start + blen
        need = _MIN_BODY.get(btype)
        if need is not None and len(body) < need[1]:
            raise CaptureError(f"pcapng {need[0]} block too short ({blen} bytes, at least "
                               f"{need[1] + 12} needed)", offset=b.base + start,
                               frame=number + 1)
        if btype == 1:  # interface description
            linktype = struct.unpack_from(order + "H", body, 0)[0]
            interfaces.append((linktype, _tsresol(body[8:], order)))
        elif btype == 6:  # enhanced packet
            iface, hi, lo, caplen, orig = struct.unpack_from(order + "IIIII", body, 0)
            if iface >= len(interfaces) or 20 + caplen > len(body):
                raise CaptureError("enhanced packet block refers to an unknown interface or "
                                   "overruns its block", offset=b.base + start,
                                   frame=number + 1)
            number += 1
            lt, res = interfaces[iface]
            yield Frame(number, lt, ((hi << 32) | lo) * res, body[20:20 + caplen], orig)
        elif btype == 3:  # simple packet
            if not interfaces:
                raise CaptureError("simple packet block before any interface",
                                   offset=b.base + start, frame=number + 1)
            number += 1
            orig = struct.unpack_from(order + "I", body, 0)[0]
            data = body[4:4 + orig]
            yield Frame(number, interfaces[0][0], 0.0, data, orig)


def _tsresol(options: bytes, order: str) -> float:
    pos = 0
    while pos + 4 <= len(options):
        code, length = struct.unpack_from(order + "HH", options, pos)
        if code == 0:
            break
        if code == 9 and length >= 1:
            value = options[pos + 4]
            return 2.0 ** -(value & 0x7F) if value & 0x80 else 10.0 ** -value
        pos += 4 + ((length + 3) & ~3)
    return 1e-6
