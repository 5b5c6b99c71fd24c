"""Protocol identification by content, with ports only as tie-breakers.

:func:`identify` looks at the first bytes each side sent and names the protocol
(``tls``, ``http``, ``ssh``, ``ftp``, ``smtp``, ``pop3``, ``imap``, ``telnet``,
``postgres``, ``mysql``, ``ldap``, ``xmpp``, ``irc``), says it needs more bytes (``None``),
or gives up (``OPAQUE``): an unknown or binary protocol whose bytes are then dropped unread.
TLS on 8443 and HTTP on 8000 are recognised like on their usual ports.
"""

from __future__ import annotations

import re
import struct

from .protocols.chat import looks_like_irc, looks_like_xmpp

__all__ = ["OPAQUE", "identify", "roles_reversed"]

OPAQUE = "opaque"
ENOUGH = 2048  # NOTE: bytes per side after which an unrecognised stream is opaque

_HTTP_METHOD = re.compile(
    rb"(GET|POST|HEAD|PUT|DELETE|OPTIONS|PATCH|CONNECT|TRACE|PROPFIND|MKCOL|COPY|MOVE"
    rb"|LOCK|UNLOCK|PROPPATCH|REPORT|SEARCH) [\x21-\x7e]")
_IMAP_CMD = re.compile(rb"[A-Za-z0-9.]{1,20} (LOGIN|AUTHENTICATE|CAPABILITY|STARTTLS|ID|NOOP)"
                       rb"[ \r\n]", re.IGNORECASE)
# a POP3 client caught after the greeting (untagged command, then "+"/"-ERR" replies)
_POP3_CMD = re.compile(rb"(?:AUTH|USER|APOP|CAPA|STLS|STAT|UIDL|LIST|RETR|TOP)[ \r\n]",
                       re.IGNORECASE)
_SMTP_WORDS = re.compile(rb"SMTP|MAIL|POSTFIX|EXIM|SENDMAIL", re.IGNORECASE)
_PG_CODES = frozenset((196608, 80877103, 80877104, 80877102))
_SMTP_PORTS = frozenset((25, 465, 587, 2525))
_TELNET_OPTS = frozenset((0xFA, 0xFB, 0xFC, 0xFD, 0xFE))


def _tls(head: bytes) -> bool:
    if len(head) >= 3 and head[0] in (0x16, 0x15) and head[1] == 3 and head[2] <= 4:
        return True
    # SSLv2 record header (2-byte length, high bit set) carrying a CLIENT-HELLO
    return (len(head) >= 5 and head[0] & 0x80 != 0 and head[2] == 1
            and head[3] in (0, 3) and head[4] <= 4)


def _mysql_greeting(head: bytes) -> bool:
    if len(head) < 6 or head[3] != 0:
        return False
    length = head[0] | head[1] << 8 | head[2] << 16
    if not 10 <= length <= 1024:
        return False
    if head[4] == 0xFF:  # an error packet instead of the greeting (host not allowed)
        return True
    end = head.find(b"\0", 5)
    return head[4] == 10 and end > 5 and head[5:end].replace(b".", b"").isascii()


def _ldap(head: bytes) -> bool:
    # LDAPMessage ::= SEQUENCE { messageID INTEGER, protocolOp [APPLICATION n] ... }
    if len(head) < 7 or head[0] != 0x30:
        return False
    pos = 2 if head[1] < 0x80 else 2 + (head[1] & 0x7F)
    if pos + 3 > len(head) or head[pos] != 0x02 or not 1 <= head[pos + 1] <= 4:
        return False
    op = pos + 2 + head[pos + 1]
    return op < len(head) and head[op] in (0x60, 0x63, 0x42, 0x77, 0x66, 0x68, 0x4A)


def _postgres(head: bytes) -> bool:
    if len(head) < 8:
        return False
    length, code = struct.unpack_from("!II", head)
    return code in _PG_CODES and 8 <= length <= 10_000


_GREETINGS = (b"+OK", b"* OK", b"* PREAUTH", b"220 ", b"220-")


def _hello(head: bytes) -> int | None:
    """The handshake type of a TLS record that starts with a hello (1 client, 2 server)."""
    if len(head) >= 6 and head[0] == 0x16 and head[1] == 3 and head[5] in (1, 2):
        return head[5]
    return None


def roles_reversed(client: bytes, server: bytes) -> bool:
    """Whether the first bytes say the side taken for the client is the server (a flow
    caught without its SYN, the server on the higher port): a ServerHello, a server
    greeting or an HTTP response from the "client", a ClientHello or an HTTP request from
    the "server"."""
    if _hello(client) == 2 or _hello(server) == 1:
        return True
    if client.startswith(b"HTTP/1.") or _HTTP_METHOD.match(server):
        return True
    return client.startswith(_GREETINGS) and not server.startswith(_GREETINGS)


def identify(client: bytes, server: bytes, server_port: int) -> str | None:
    """Name the protocol from the first bytes of each side, ``None`` to wait for more."""
    if _tls(client) or _tls(server):
        return "tls"
    if client.startswith(b"SSH-") or server.startswith(b"SSH-"):
        return "ssh"
    if _HTTP_METHOD.match(client) or server.startswith(b"HTTP/1."):
        return "http"
    if _postgres(client):
        return "postgres"
    if _mysql_greeting(server):
        return "mysql"
    if _ldap(client):
        return "ldap"
    if (len(client) >= 2 and client[0] == 0xFF and client[1] in _TELNET_OPTS) or \
            (len(server) >= 2 and server[0] == 0xFF and server[1] in _TELNET_OPTS):
        return "telnet"
    if server.startswith(b"+OK") or (_POP3_CMD.match(client)
                                      and server.startswith((b"+ ", b"+\r", b"-ERR"))):
        return "pop3"
    if server.startswith((b"* OK", b"* PREAUTH")) or _IMAP_CMD.match(client):
        return "imap"
    if server.startswith(b"220"):
        first = server.split(b"\n", 1)[0]
        if _SMTP_WORDS.search(first):
            return "smtp"
        if b"FTP" in first.upper():
            return "ftp"
        word = client[:4].upper()
        if word in (b"EHLO", b"HELO"):
            return "smtp"
        if word in (b"USER", b"AUTH", b"FEAT", b"SYST", b"OPTS"):
            return "ftp"
        if b"\n" in server:
            if server_port in _SMTP_PORTS:
                return "smtp"
            if server_port == 21:
                return "ftp"
    if not server:
        word = client[:5].upper()
        if word.startswith((b"EHLO ", b"HELO ")):
            return "smtp"
        if word == b"USER " and server_port in (21, 110):
            return "ftp" if server_port == 21 else "pop3"
    if looks_like_xmpp(client, server):
        return "xmpp"
    if looks_like_irc(client, server):
        return "irc"
    if server_port == 23 and (client or server) and b"\0" not in client + server:
        return "telnet"
    if len(client) >= ENOUGH or len(server) >= ENOUGH or (len(client) >= 64 and len(server)
                                                           >= 64):
        return OPAQUE
    return None
