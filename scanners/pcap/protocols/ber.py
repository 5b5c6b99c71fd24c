"""LDAP (simple binds, StartTLS, search results) and SNMP v1/v2c communities.

Both are BER-encoded. LDAP: a ``BindRequest`` with simple authentication and a non-empty
password is a credential (the bind DN is the user); an empty password is an anonymous
bind and is not reported. ``SearchResultEntry`` attribute values are text for
personal-data detection (as ``attribute: value`` lines). After a successful StartTLS
extended operation the stream is a TLS handshake.

SNMP (UDP, one message per datagram): the community string of v1 and v2c messages is a
credential sent in cleartext (protocol ``snmp``, mechanism ``community-v1`` or
``community-v2c``); v3 messages carry none.
"""

from __future__ import annotations

from ..events import FlowContext
from .base import Analyser, text

__all__ = ["LdapAnalyser", "read_tlv", "snmp_community"]

MAX_MESSAGE = 1 << 20
_STARTTLS_OID = b"1.3.6.1.4.1.1466.20037"


def read_tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """``(tag, value start, value end)`` of the BER element at ``pos``; IndexError when
    the element is malformed or incomplete."""
    tag = data[pos]
    first = data[pos + 1]
    if first < 0x80:
        start, length = pos + 2, first
    else:
        width = first & 0x7F
        if not 1 <= width <= 4:
            raise IndexError("unsupported BER length")
        start = pos + 2 + width
        if start > len(data):
            raise IndexError("truncated BER length")
        length = int.from_bytes(data[pos + 2:start], "big")
    if start + length > len(data):
        raise IndexError("truncated BER element")
    return tag, start, start + length


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    out = []
    pos = start
    while pos < end:
        tlv = read_tlv(data, pos)
        out.append(tlv)
        pos = tlv[2]
    return out


def snmp_community(datagram: bytes) -> tuple[int, bytes] | None:
    """``(version, community)`` of an SNMP v1/v2c message, else None."""
    try:
        tag, start, end = read_tlv(datagram, 0)
        if tag != 0x30:
            return None
        parts = _children(datagram, start, end)
    except IndexError:
        return None
    if len(parts) < 3 or parts[0][0] != 0x02 or parts[1][0] != 0x04:
        return None
    version = int.from_bytes(datagram[parts[0][1]:parts[0][2]], "big")
    if version not in (0, 1) or not 0xA0 <= parts[2][0] <= 0xA8:
        return None
    return version, datagram[parts[1][1]:parts[1][2]]


class LdapAnalyser(Analyser):
    protocol = "ldap"

    def __init__(self, ctx: FlowContext) -> None:
        super().__init__(ctx)
        self._bufs = (bytearray(), bytearray())
        self._starts = [0, 0]
        self._tls_asked = False

    def feed(self, from_client: bool, data: bytes, packet: int) -> None:
        side = 0 if from_client else 1
        buf = self._bufs[side]
        if not buf:
            self._starts[side] = packet
        buf += data
        while len(buf) >= 2 and not self.done and not self.ctx.start_tls:
            first = buf[1]
            if first < 0x80:
                size = 2 + first
            else:
                width = first & 0x7F
                if not 1 <= width <= 4:
                    self.done = True
                    return
                if len(buf) < 2 + width:
                    return
                size = 2 + width + int.from_bytes(buf[2:2 + width], "big")
            if size > MAX_MESSAGE:
                self.done = True
                return
            if len(buf) < size:
                return
            message = bytes(buf[:size])
            del buf[:size]
            start_packet, self._starts[side] = self._starts[side], packet
            try:
                self._message(from_client, message, start_packet)
            except IndexError:
                self.ctx.problem(start_packet, "malformed LDAP message")
                self.done = True

    def _message(self, from_client: bool, msg: bytes, packet: int) -> None:
        tag, start, end = read_tlv(msg, 0)
        parts = _children(msg, start, end)
        if tag != 0x30 or len(parts) < 2:
            self.done = True
            return
        op, op_start, op_end = parts[1]
        fields = _children(msg, op_start, op_end)
        if from_client and op == 0x60 and len(fields) >= 3:  # BindRequest
            name = text(msg[fields[1][1]:fields[1][2]])
            auth_tag, auth_start, auth_end = fields[2]
            if auth_tag == 0x80 and auth_end > auth_start:
                self.ctx.credential(packet, "ldap", "simple-bind", name or None,
                                    text(msg[auth_start:auth_end]), exposed=True)
        elif from_client and op == 0x77 and fields and fields[0][0] == 0x80:
            self._tls_asked = msg[fields[0][1]:fields[0][2]] == _STARTTLS_OID
        elif not from_client and op == 0x78 and self._tls_asked and fields:
            self._tls_asked = False
            if msg[fields[0][1]:fields[0][2]] == b"\0":
                self.ctx.start_tls = True
        elif not from_client and op == 0x64 and len(fields) >= 2:  # SearchResultEntry
            lines = []
            for _t, a_start, a_end in _children(msg, fields[1][1], fields[1][2]):
                attr = _children(msg, a_start, a_end)
                if len(attr) < 2:
                    continue
                name = text(msg[attr[0][1]:attr[0][2]])
                for _v, v_start, v_end in _children(msg, attr[1][1], attr[1][2]):
                    lines.append(f"{name}: {text(msg[v_start:v_end])}")
            self.ctx.text(packet, False, "result", "\n".join(lines))
