"""XMPP and IRC: STARTTLS upgrades, XMPP SASL PLAIN logins in cleartext.

Reported to the flow context (see scanners.pcap.events):

- upgrades: once an XMPP server answers ``<starttls/>`` with ``<proceed/>``, or an IRC
  server answers ``STARTTLS`` with numeric 670, the rest of the stream is a TLS handshake
  (its version, suites and certificates are judged) and the session is not cleartext;
- credentials: XMPP SASL ``PLAIN`` (``<auth mechanism='PLAIN'>``) sent without TLS.

Nothing else of the conversation is inspected (chat contents are not read).
"""

from __future__ import annotations

import binascii
import re

from ..events import FlowContext
from .base import Analyser, LineAnalyser, text

__all__ = ["IrcAnalyser", "XmppAnalyser", "looks_like_irc", "looks_like_xmpp"]

MAX_XML = 16 << 10
_STARTTLS = re.compile(rb"<starttls\b[^>]*urn:ietf:params:xml:ns:xmpp-tls", re.IGNORECASE)
_PROCEED = re.compile(rb"<proceed\b[^>]*urn:ietf:params:xml:ns:xmpp-tls", re.IGNORECASE)
_FAILURE = re.compile(rb"<failure\b[^>]*urn:ietf:params:xml:ns:xmpp-tls", re.IGNORECASE)
_AUTH_PLAIN = re.compile(rb"<auth\b[^>]*mechanism=['\"]PLAIN['\"][^>]*>([A-Za-z0-9+/=\s]*)"
                         rb"</auth>", re.IGNORECASE)
_IRC_FIRST = re.compile(rb"(?:CAP LS|CAP REQ|NICK \S|PASS \S|STARTTLS\r?\n)")
_IRC_REPLY = re.compile(rb"^(?::\S+ )?(\d{3}|NOTICE|CAP) ")


def looks_like_xmpp(client: bytes, server: bytes) -> bool:
    """An XMPP stream header from either side (``<?xml ...?><stream:stream``)."""
    for head in (client, server):
        start = head.lstrip()[:400]
        if start.startswith(b"<?xml"):
            start = start[start.find(b"?>") + 2:].lstrip() if b"?>" in start else b""
        if start.startswith(b"<stream:stream"):
            return True
    return False


def looks_like_irc(client: bytes, server: bytes) -> bool:
    """An IRC registration from the client, or IRC replies from the server."""
    if _IRC_FIRST.match(client) and (not server or server.startswith(b":")
                                     or server.startswith(b"NOTICE ")):
        return True
    first = server.split(b"\n", 1)[0]
    return server.startswith(b":") and b"\n" in server and bool(
        re.match(rb":\S+ (?:NOTICE \S+ :|00[1-5] |CAP \S+ )", first))


class XmppAnalyser(Analyser):
    """Client-to-server XMPP (RFC 6120) until STARTTLS or SASL."""

    protocol = "xmpp"

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
        if from_client:
            if _STARTTLS.search(buf):
                self._tls_asked = True
                buf.clear()
                return
            found = _AUTH_PLAIN.search(buf)
            if found:
                self._plain(found.group(1), self._starts[side])
                del buf[:found.end()]
        else:
            if self._tls_asked and _PROCEED.search(buf):
                self._tls_asked = False
                buf.clear()
                self.ctx.start_tls = True
                return
            if self._tls_asked and _FAILURE.search(buf):
                self._tls_asked = False
                buf.clear()
        if len(buf) > MAX_XML:
            # NOTE: keep the tail, where an element may be starting
            del buf[:-1024]
            self._starts[side] = packet

    def _plain(self, payload: bytes, packet: int) -> None:
        try:
            decoded = binascii.a2b_base64(b"".join(payload.split()), strict_mode=True)
        except (binascii.Error, ValueError):
            return
        parts = decoded.split(b"\0")
        if len(parts) == 3 and parts[2]:
            self.ctx.credential(packet, "xmpp", "sasl-plain", text(parts[1]) or
                                text(parts[0]), text(parts[2]), exposed=True)


class IrcAnalyser(LineAnalyser):
    """IRC (RFC 2812 with the IRCv3 STARTTLS extension) until STARTTLS."""

    protocol = "irc"

    def __init__(self, ctx: FlowContext) -> None:
        super().__init__(ctx)
        self._tls_asked = False

    def client_line(self, line: bytes, packet: int) -> None:
        if line.strip().upper() == b"STARTTLS":
            self._tls_asked = True

    def server_line(self, line: bytes, packet: int) -> None:
        if not self._tls_asked:
            return
        reply = _IRC_REPLY.match(line)
        if reply is None:
            return
        code = reply.group(1)
        if code == b"670":
            self._tls_asked = False
            self.ctx.start_tls = True
        elif code == b"691" or (code.isdigit() and code.startswith((b"4", b"5"))):
            self._tls_asked = False  # STARTTLS failed or unknown command
