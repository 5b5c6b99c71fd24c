"""FTP, SMTP, POP3 and IMAP: logins in cleartext, STARTTLS upgrades, mail contents.

Reported to the flow context (see scanners.pcap.events):

- credentials: FTP ``USER``/``PASS``; SMTP, POP3 and IMAP SASL ``PLAIN`` and ``LOGIN``
  (password exposed) and ``CRAM-MD5`` (user only); POP3 ``USER``/``PASS`` and ``APOP``;
  IMAP ``LOGIN`` (atoms, quoted strings and literals);
- text for personal-data detection: SMTP envelope addresses and message contents, POP3
  retrieved messages, IMAP ``FETCH`` responses;
- upgrades: once the server accepts ``AUTH TLS`` (FTP 234), ``STARTTLS`` (SMTP 220, IMAP
  ``OK``) or ``STLS`` (POP3 ``+OK``) the rest of the stream is a TLS handshake and is no
  longer inspected as text.
"""

from __future__ import annotations

import binascii
import re

from ..events import FlowContext
from .base import LineAnalyser, text

__all__ = ["FtpAnalyser", "ImapAnalyser", "Pop3Analyser", "SmtpAnalyser"]

MAX_MESSAGE = 64 << 10
_ANONYMOUS = frozenset(("anonymous", "ftp"))


def _b64(data: bytes) -> bytes | None:
    try:
        return binascii.a2b_base64(data.strip(), strict_mode=True)
    except (binascii.Error, ValueError):
        return None


class _Sasl:
    """The client side of a SASL exchange (PLAIN, LOGIN, CRAM-MD5) over a line protocol."""

    def __init__(self, owner: LineAnalyser) -> None:
        self.owner = owner
        self.state: str | None = None
        self.user: str | None = None
        self.packet = 0

    def start(self, mechanism: str, initial: bytes | None, packet: int) -> None:
        self.packet = packet
        mech = mechanism.upper()
        if mech == "PLAIN":
            self.state = "plain"
        elif mech == "LOGIN":
            self.state = "login-user"
        elif mech == "CRAM-MD5":
            self.state = "cram"
        else:
            self.state = None
            return
        if initial and initial != b"=":
            self.step(initial, packet)

    def step(self, line: bytes, packet: int) -> None:
        """One client line of the exchange (a base64 response)."""
        state, self.state = self.state, None
        if line.strip() == b"*":
            return  # the client cancelled
        decoded = _b64(line)
        if decoded is None:
            return
        ctx, proto = self.owner.ctx, self.owner.protocol
        if state == "plain":
            parts = decoded.split(b"\0")
            if len(parts) == 3:
                ctx.credential(self.packet, proto, "sasl-plain", text(parts[1]) or
                               text(parts[0]), text(parts[2]), exposed=True)
        elif state == "login-user":
            self.user, self.state, self.packet = text(decoded), "login-pass", packet
        elif state == "login-pass":
            ctx.credential(self.packet, proto, "sasl-login", self.user, text(decoded),
                           exposed=True)
        elif state == "cram":
            user = text(decoded).rsplit(" ", 1)[0]
            ctx.credential(self.packet, proto, "sasl-cram-md5", user, None, exposed=False)


def _split(line: bytes) -> tuple[str, bytes]:
    word, _, rest = line.partition(b" ")
    return word.decode("latin-1").upper(), rest


class FtpAnalyser(LineAnalyser):
    protocol = "ftp"

    def __init__(self, ctx: FlowContext) -> None:
        super().__init__(ctx)
        self._user: str | None = None
        self._user_packet = 0
        self._tls_asked = False

    def client_line(self, line: bytes, packet: int) -> None:
        cmd, arg = _split(line)
        if cmd == "USER":
            self._user, self._user_packet = text(arg), packet
        elif cmd == "PASS":
            user = self._user
            if user is None or user.lower() not in _ANONYMOUS:
                self.ctx.credential(self._user_packet or packet, "ftp", "user-pass", user,
                                    text(arg), exposed=True)
        elif cmd == "AUTH" and arg.strip().upper() in (b"TLS", b"SSL", b"TLS-C", b"TLS-P"):
            self._tls_asked = True

    def server_line(self, line: bytes, packet: int) -> None:
        if self._tls_asked and len(line) >= 4 and line[3:4] == b" ":
            self._tls_asked = False
            if line.startswith(b"234"):
                self.ctx.start_tls = True


class SmtpAnalyser(LineAnalyser):
    protocol = "smtp"

    def __init__(self, ctx: FlowContext) -> None:
        super().__init__(ctx)
        self._sasl = _Sasl(self)
        self._tls_asked = False
        self._data_asked = False
        self._in_data = False
        self._message: list[str] = []
        self._message_size = 0
        self._message_packet = 0

    def client_line(self, line: bytes, packet: int) -> None:
        if self._in_data:
            if line == b".":
                self._in_data = False
                self.ctx.text(self._message_packet, True, "message", "\n".join(self._message))
                self._message, self._message_size = [], 0
            elif self._message_size < MAX_MESSAGE:
                self._message.append(text(line))
                self._message_size += len(line)
            return
        if self._sasl.state:
            self._sasl.step(line, packet)
            return
        cmd, arg = _split(line)
        if cmd == "AUTH":
            mech, _, initial = arg.partition(b" ")
            self._sasl.start(text(mech), initial or None, packet)
        elif cmd == "STARTTLS":
            self._tls_asked = True
        elif cmd == "DATA":
            self._data_asked = True
            self._message_packet = packet
        elif cmd in ("MAIL", "RCPT"):
            self.ctx.text(packet, True, "envelope", text(arg))

    def server_line(self, line: bytes, packet: int) -> None:
        if len(line) < 4 or line[3:4] != b" ":
            return  # continuation line of a multi-line reply
        if self._tls_asked:
            self._tls_asked = False
            if line.startswith(b"220"):
                self.ctx.start_tls = True
        elif self._data_asked:
            self._data_asked = False
            self._in_data = line.startswith(b"354")
        elif self._sasl.state and not line.startswith(b"334"):
            self._sasl.state = None  # the server refused the mechanism


class Pop3Analyser(LineAnalyser):
    protocol = "pop3"

    def __init__(self, ctx: FlowContext) -> None:
        super().__init__(ctx)
        self._sasl = _Sasl(self)
        self._user: str | None = None
        self._user_packet = 0
        self._tls_asked = False
        self._retr_asked = False
        self._in_message = False
        self._message: list[str] = []
        self._message_packet = 0

    def client_line(self, line: bytes, packet: int) -> None:
        if self._sasl.state:
            self._sasl.step(line, packet)
            return
        cmd, arg = _split(line)
        if cmd == "USER":
            self._user, self._user_packet = text(arg), packet
        elif cmd == "PASS":
            self.ctx.credential(self._user_packet or packet, "pop3", "user-pass", self._user,
                                text(arg), exposed=True)
        elif cmd == "APOP":
            user = text(arg).rsplit(" ", 1)[0]
            self.ctx.credential(packet, "pop3", "apop", user, None, exposed=False)
        elif cmd == "AUTH" and arg:
            mech, _, initial = arg.partition(b" ")
            self._sasl.start(text(mech), initial or None, packet)
        elif cmd == "STLS":
            self._tls_asked = True
        elif cmd in ("RETR", "TOP"):
            self._retr_asked = True

    def server_line(self, line: bytes, packet: int) -> None:
        if self._in_message:
            if line == b".":
                self._in_message = False
                self.ctx.text(self._message_packet, False, "message", "\n".join(self._message))
                self._message = []
            elif len(self._message) < 2000:
                self._message.append(text(line))
            return
        if self._tls_asked:
            self._tls_asked = False
            if line.startswith(b"+OK"):
                self.ctx.start_tls = True
        elif self._retr_asked:
            self._retr_asked = False
            if line.startswith(b"+OK"):
                self._in_message, self._message_packet = True, packet
        elif self._sasl.state and line.startswith(b"-ERR"):
            self._sasl.state = None


_LITERAL = re.compile(rb"\{(\d{1,5})\+?\}$")
_IMAP_ARG = re.compile(rb'"((?:[^"\\]|\\.)*)"|(\S+)')


def _imap_args(data: bytes) -> list[str]:
    out = []
    for quoted, atom in _IMAP_ARG.findall(data):
        if atom:
            out.append(text(atom))
        else:
            out.append(text(re.sub(rb"\\(.)", rb"\1", quoted)))
    return out


class ImapAnalyser(LineAnalyser):
    protocol = "imap"

    def __init__(self, ctx: FlowContext) -> None:
        super().__init__(ctx)
        self._sasl = _Sasl(self)
        self._tls_tag: bytes | None = None
        self._pending = b""  # a command line waiting for its literal
        self._literal = 0
        self._pending_packet = 0
        self._fetch_tag: bytes | None = None
        self._fetched: list[str] = []
        self._fetch_packet = 0

    def client_line(self, line: bytes, packet: int) -> None:
        if self._literal:
            value, rest = line[:self._literal], line[self._literal:]
            escaped = value.replace(b"\\", b"\\\\").replace(b'"', b'\\"')
            line = self._pending + b'"' + escaped + b'"' + rest
            packet, self._literal, self._pending = self._pending_packet, 0, b""
        literal = _LITERAL.search(line)
        if literal:
            self._pending, self._literal = line[:literal.start()], int(literal.group(1))
            self._pending_packet = packet
            return
        if self._sasl.state:
            self._sasl.step(line, packet)
            return
        tag, _, rest = line.partition(b" ")
        cmd, arg = _split(rest)
        if cmd == "LOGIN":
            args = _imap_args(arg)
            if len(args) >= 2:
                self.ctx.credential(packet, "imap", "login", args[0], args[1], exposed=True)
        elif cmd == "AUTHENTICATE" and arg:
            mech, _, initial = arg.partition(b" ")
            self._sasl.start(text(mech), initial or None, packet)
        elif cmd == "STARTTLS":
            self._tls_tag = tag
        elif cmd == "FETCH" or (cmd == "UID" and arg.upper().startswith(b"FETCH")):
            self._fetch_tag, self._fetched, self._fetch_packet = tag, [], 0

    def server_line(self, line: bytes, packet: int) -> None:
        if self._fetch_tag is not None:
            if line.startswith(self._fetch_tag + b" "):
                self.ctx.text(self._fetch_packet or packet, False, "message",
                              "\n".join(self._fetched))
                self._fetch_tag = None
            elif len(self._fetched) < 2000:
                self._fetch_packet = self._fetch_packet or packet
                self._fetched.append(text(line))
            return
        if self._tls_tag is not None and line.startswith(self._tls_tag + b" "):
            if line[len(self._tls_tag) + 1:].upper().startswith(b"OK"):
                self.ctx.start_tls = True
            self._tls_tag = None
        elif self._sasl.state and not line.startswith(b"+"):
            self._sasl.state = None
