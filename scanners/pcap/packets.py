"""Link-layer and IP decoding with struct, fast enough for captures of gigabytes.

Link types: Ethernet (1) with 802.1Q/802.1ad VLAN tags, BSD loopback (0, 108), raw IP
(12, 14, 101, 228, 229), Linux cooked SLL (113) and SLL2 (276). IPv4 with fragment
reassembly; IPv6 with hop-by-hop, routing, destination-options, AH and fragment headers.
Only TCP and UDP segments are returned; everything else is ignored.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

__all__ = ["Defragmenter", "Segment", "decode"]

TCP, UDP = 6, 17
_ETH_IPV4, _ETH_IPV6 = 0x0800, 0x86DD
_VLAN = (0x8100, 0x88A8, 0x9100)
_IPV6_EXT = (0, 43, 60, 51)  # hop-by-hop, routing, destination options, AH
_H = struct.Struct("!H").unpack_from
_TCP = struct.Struct("!HHIIBB").unpack_from
_UDP = struct.Struct("!HH").unpack_from
# version/IHL, total length, identification, flags/fragment offset, protocol, src, dst
_IPV4 = struct.Struct("!BxHHHxB2x4s4s").unpack_from
MAX_FRAGMENT_SETS = 1024
MAX_FRAGMENT_BYTES = 65535


class Segment(NamedTuple):
    """A TCP segment or UDP datagram. ``src``/``dst`` are packed addresses."""

    proto: int
    src: bytes
    dst: bytes
    sport: int
    dport: int
    seq: int
    ack: int
    flags: int
    payload: bytes


class Defragmenter:
    """Bounded IPv4/IPv6 fragment reassembly (oldest sets dropped past the limits)."""

    def __init__(self) -> None:
        self._sets: dict[tuple[bytes, bytes, int, int], dict[int, bytes]] = {}
        self._last: dict[tuple[bytes, bytes, int, int], int] = {}

    def add(self, key: tuple[bytes, bytes, int, int], offset: int, more: bool,
            data: bytes) -> bytes | None:
        parts = self._sets.get(key)
        if parts is None:
            if len(self._sets) >= MAX_FRAGMENT_SETS:
                oldest = next(iter(self._sets))
                del self._sets[oldest]
                self._last.pop(oldest, None)
            parts = self._sets[key] = {}
        parts[offset] = data
        if not more:
            self._last[key] = offset + len(data)
        total = self._last.get(key)
        if total is None:
            if sum(len(p) for p in parts.values()) > MAX_FRAGMENT_BYTES:
                del self._sets[key]
            return None
        out = bytearray()
        for off in sorted(parts):
            if off > len(out):
                return None  # a hole: wait for more fragments
            piece = parts[off]
            out[off:off + len(piece)] = piece
        if len(out) < total:
            return None
        del self._sets[key]
        del self._last[key]
        return bytes(out[:total])


def decode(linktype: int, data: bytes, defrag: Defragmenter) -> Segment | None:
    """Decode one frame down to its TCP/UDP segment, or None when it carries neither."""
    if linktype == 1:
        if len(data) < 14:
            return None
        etype = _H(data, 12)[0]
        off = 14
        while etype in _VLAN and len(data) >= off + 4:
            etype = _H(data, off + 2)[0]
            off += 4
    elif linktype in (101, 12, 14, 228, 229):
        if not data:
            return None
        etype = _ETH_IPV4 if data[0] >> 4 == 4 else _ETH_IPV6
        off = 0
    elif linktype == 113:
        if len(data) < 16:
            return None
        etype, off = _H(data, 14)[0], 16
    elif linktype == 276:
        if len(data) < 20:
            return None
        etype, off = _H(data, 0)[0], 20
    elif linktype in (0, 108):
        if len(data) < 4:
            return None
        etype = _ETH_IPV4 if data[4:5] and data[4] >> 4 == 4 else _ETH_IPV6
        off = 4
    else:
        return None
    if etype == _ETH_IPV4:
        return _ipv4(data, off, defrag)
    if etype == _ETH_IPV6:
        return _ipv6(data, off, defrag)
    return None


def _ipv4(data: bytes, off: int, defrag: Defragmenter) -> Segment | None:
    if len(data) < off + 20:
        return None
    # NOTE: one unpack for the whole fixed header (this runs for every frame)
    vihl, total, ident, frag, proto, src, dst = _IPV4(data, off)
    ihl = (vihl & 0x0F) * 4
    if proto not in (TCP, UDP) or ihl < 20:
        return None
    end = off + total if total >= ihl and off + total <= len(data) else len(data)
    body = data[off + ihl:end]
    if frag & 0x3FFF:  # more-fragments flag or non-zero offset
        whole = defrag.add((src, dst, ident, proto), (frag & 0x1FFF) * 8,
                           bool(frag & 0x2000), body)
        if whole is None:
            return None
        body = whole
    return _transport(proto, src, dst, body)


def _ipv6(data: bytes, off: int, defrag: Defragmenter) -> Segment | None:
    if len(data) < off + 40:
        return None
    nxt = data[off + 6]
    plen = _H(data, off + 4)[0]
    src = data[off + 8:off + 24]
    dst = data[off + 24:off + 40]
    end = off + 40 + plen if plen and off + 40 + plen <= len(data) else len(data)
    pos = off + 40
    frag: tuple[int, bool, int] | None = None
    while nxt in _IPV6_EXT or nxt == 44:
        if pos + 8 > end:
            return None
        if nxt == 44:
            fo = _H(data, pos + 2)[0]
            frag = (fo & 0xFFF8, bool(fo & 1), struct.unpack_from("!I", data, pos + 4)[0])
            nxt, pos = data[pos], pos + 8
        elif nxt == 51:
            nxt, pos = data[pos], pos + (data[pos + 1] + 2) * 4
        else:
            nxt, pos = data[pos], pos + (data[pos + 1] + 1) * 8
    if nxt not in (TCP, UDP):
        return None
    body = data[pos:end]
    if frag is not None:
        whole = defrag.add((src, dst, frag[2], nxt), frag[0], frag[1], body)
        if whole is None:
            return None
        body = whole
    return _transport(nxt, src, dst, body)


def _transport(proto: int, src: bytes, dst: bytes, body: bytes) -> Segment | None:
    if proto == TCP:
        if len(body) < 20:
            return None
        sport, dport, seq, ack, doff, flags = _TCP(body, 0)
        return Segment(TCP, src, dst, sport, dport, seq, ack, flags, body[(doff >> 4) * 4:])
    if len(body) < 8:
        return None
    sport, dport = _UDP(body, 0)
    return Segment(UDP, src, dst, sport, dport, 0, 0, 0, body[8:])
