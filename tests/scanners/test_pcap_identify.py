"""Protocol identification by content: ports only break ties."""

from __future__ import annotations

import struct

import pytest
from auditor.scanners.pcap.identify import OPAQUE, identify


@pytest.mark.parametrize(("client", "server", "port", "expected"), [
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", b"", 8443, "tls"),
    (b"", b"\x16\x03\x03\x00\x5d\x02", 9090, "tls"),
    (b"\x80\x2e\x01\x00\x02\x00\x15", b"", 443, "tls"),                # SSLv2 CLIENT-HELLO
    (b"GET /index.html HTTP/1.1\r\n", b"", 8000, "http"),
    (b"", b"HTTP/1.1 200 OK\r\n", 31337, "http"),
    (b"SSH-2.0-OpenSSH_9.6\r\n", b"", 2222, "ssh"),
    (struct.pack("!II", 40, 196608) + b"user\0x\0", b"", 6543, "postgres"),
    (struct.pack("!II", 8, 80877103), b"", 5432, "postgres"),
    (b"", b"\x4a\0\0\0\x0a8.0.36\0" + b"\0" * 60, 3307, "mysql"),
    (b"\x30\x0c\x02\x01\x01\x60\x07\x02\x01\x03\x04\x00\x80\x00", b"", 10389, "ldap"),
    (b"", b"\xff\xfd\x18\xff\xfd\x20", 2323, "telnet"),
    (b"", b"+OK POP3 ready\r\n", 1110, "pop3"),
    (b"", b"* OK [CAPABILITY IMAP4rev1] ready\r\n", 1143, "imap"),
    (b"a1 LOGIN x y\r\n", b"", 1143, "imap"),
    (b"", b"220 mx.example.vn ESMTP Postfix\r\n", 2525, "smtp"),
    (b"", b"220 (vsFTPd 3.0.3)\r\n", 2121, "ftp"),
    (b"", b"220 ready\r\n", 25, "smtp"),                               # port breaks the tie
    (b"", b"220 ready\r\n", 21, "ftp"),
    (b"EHLO me\r\n", b"220 ready\r\n", 10025, "smtp"),                 # client breaks it
    (b"USER bob\r\n", b"220 ready\r\n", 10021, "ftp"),
    (b"", b"220 ready\r\n", 10025, None),                              # wait for the client
    (b"\x17\x03\x03\x40\x00" + b"\x99" * 3000, b"", 443, OPAQUE),      # mid-stream TLS data
    (bytes(range(256)) * 10, b"", 445, OPAQUE),
    (b"\x00\x01", b"", 445, None),
])
def test_identify(client: bytes, server: bytes, port: int, expected: str | None) -> None:
    assert identify(client, server, port) == expected
