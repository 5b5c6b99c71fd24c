"""Sessions upgraded with STARTTLS / AUTH TLS are not cleartext; what TLS carries after the
upgrade (version, suite, certificate) is still judged, in every protocol."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pcap_support import build, observations, report, scan
from pcapgen import CaptureWriter, Tcp, certificate, tls_client_hello, tls_record, tls_server_flight
from pcaptls import GOOD_LEAF

FAR = dt.datetime(2031, 1, 1, tzinfo=dt.UTC)
SELF_SIGNED = certificate("mail.example.vn", key_int=0x5E1F5E1F, not_after=FAR)
Turns = list[tuple[str, bytes]]


def _ldap(op: bytes) -> bytes:
    msg = b"\x02\x01\x01" + op
    return b"\x30" + bytes((len(msg),)) + msg


_LDAP_STARTTLS = _ldap(b"\x77\x18\x80\x16" + b"1.3.6.1.4.1.1466.20037")
_LDAP_STARTTLS_OK = _ldap(b"\x78\x07\x0a\x01\x00\x04\x00\x04\x00")
_XMPP_OPEN = (b"<?xml version='1.0'?><stream:stream to='example.vn' xmlns='jabber:client' "
              b"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")
_XMPP_FEATURES = (b"<?xml version='1.0'?><stream:stream from='example.vn' id='x1' "
                  b"xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
                  b"version='1.0'><stream:features><starttls "
                  b"xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
                  b"</stream:features>")

# (protocol, port, the cleartext part up to the server's acceptance of the upgrade)
UPGRADES: list[tuple[str, int, Turns]] = [
    ("smtp", 25, [("s", b"220 mx.example.vn ESMTP\r\n"), ("c", b"EHLO client.example.vn\r\n"),
                  ("s", b"250-mx.example.vn\r\n250-STARTTLS\r\n250 8BITMIME\r\n"),
                  ("c", b"STARTTLS\r\n"), ("s", b"220 2.0.0 Ready to start TLS\r\n")]),
    ("smtp-submission", 587, [("s", b"220 mail.example.vn ready\r\n"),
                              ("c", b"EHLO laptop\r\n"), ("s", b"250 STARTTLS\r\n"),
                              ("c", b"STARTTLS\r\n"), ("s", b"220 go ahead\r\n")]),
    ("imap", 143, [("s", b"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n"),
                   ("c", b"a1 STARTTLS\r\n"), ("s", b"a1 OK Begin TLS negotiation now\r\n")]),
    ("pop3", 110, [("s", b"+OK POP3 ready\r\n"), ("c", b"CAPA\r\n"),
                   ("s", b"+OK\r\nSTLS\r\nUSER\r\n.\r\n"), ("c", b"STLS\r\n"),
                   ("s", b"+OK Begin TLS\r\n")]),
    ("ftp", 21, [("s", b"220 FTP server ready\r\n"), ("c", b"AUTH TLS\r\n"),
                 ("s", b"234 AUTH TLS successful\r\n")]),
    ("ldap", 389, [("c", _LDAP_STARTTLS), ("s", _LDAP_STARTTLS_OK)]),
    ("xmpp", 5222, [("c", _XMPP_OPEN), ("s", _XMPP_FEATURES),
                    ("c", b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
                    ("s", b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")]),
    ("irc", 6667, [("c", b"CAP LS 302\r\n"), ("c", b"NICK an\r\nUSER an 0 * :An\r\n"),
                   ("s", b":irc.example.vn CAP * LS :tls multi-prefix\r\n"),
                   ("c", b"STARTTLS\r\n"),
                   ("s", b":irc.example.vn 670 an :STARTTLS successful, go ahead\r\n")]),
]


def _session(path: Path, port: int, turns: Turns, cert: bytes, *, server: str = "10.5.0.2",
             copies: int = 1) -> Path:
    def scenario(cap: CaptureWriter) -> None:
        for n in range(copies):
            t = Tcp(cap, "10.5.0.1", 40100 + n, server, port)
            t.open()
            for who, data in turns:
                t.send(who == "c", data)
            t.c(tls_client_hello(0x0303, [0xC02F, 0xC030], sni="mail.example.vn",
                                 versions=[0x0304, 0x0303]))
            t.s(tls_server_flight(0x0303, 0xC02F, [cert]))
            t.c(tls_record(b"\x01", 20, 0x0303) + tls_record(b"\x33" * 40, 22, 0x0303))
            t.s(tls_record(b"\x01", 20, 0x0303) + tls_record(b"\x44" * 40, 22, 0x0303))
            t.c(tls_record(b"\x55" * 120, 23, 0x0303))
            t.close()
    return build(path, scenario)


@pytest.mark.parametrize(("name", "port", "turns"), UPGRADES, ids=[u[0] for u in UPGRADES])
def test_upgraded_session_gives_no_finding(tmp_path: Path, name: str, port: int,
                                           turns: Turns) -> None:
    path = _session(tmp_path / "s.pcap", port, turns, GOOD_LEAF, copies=2)
    found = scan(path)
    handshakes = observations(found, "tls.handshake")
    # the TLS handshake after the upgrade is read, and says where it came from
    assert [(h.attributes["version"], h.attributes["via"], h.attributes["occurrences"])
            for h in handshakes] == [("TLSv1.2", name.split("-", maxsplit=1)[0], 2)]
    assert observations(found, "net.cleartext_service") == []
    assert observations(found, "net.cleartext_auth") == []
    _code, doc = report([path], tmp_path / "out")
    assert doc["findings"] == []


@pytest.mark.parametrize(("name", "port", "turns"), UPGRADES, ids=[u[0] for u in UPGRADES])
def test_self_signed_certificate_after_the_upgrade_is_found(tmp_path: Path, name: str,
                                                            port: int, turns: Turns) -> None:
    path = _session(tmp_path / "s.pcap", port, turns, SELF_SIGNED)
    _code, doc = report([path], tmp_path / "out")
    findings: list[dict[str, Any]] = doc["findings"]  # type: ignore[assignment]
    assert [(f["rule_id"], f["evidence"]["servers"]) for f in findings] == [
        ("core.cert.self-signed", [f"10.5.0.2:{port}"])]


@pytest.mark.parametrize(("name", "port", "turns", "refusal"), [
    ("smtp", 25, UPGRADES[0][2][:-1], b"454 TLS not available\r\n"),
    ("imap", 143, UPGRADES[2][2][:-1], b"a1 NO not now\r\n"),
    ("pop3", 110, UPGRADES[3][2][:-1], b"-ERR no\r\n"),
    ("ftp", 21, UPGRADES[4][2][:-1], b"500 not understood\r\n"),
    ("irc", 6667, UPGRADES[7][2][:-1], b":irc.example.vn 691 an :STARTTLS failure\r\n"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_refused_upgrade_stays_cleartext(tmp_path: Path, name: str, port: int, turns: Turns,
                                         refusal: bytes) -> None:
    def scenario(cap: CaptureWriter) -> None:
        t = Tcp(cap, "10.5.0.1", 40100, "10.5.0.2", port)
        t.open()
        for who, data in [*turns, ("s", refusal)]:
            t.send(who == "c", data)
        t.close()
    found = scan(build(tmp_path / "r.pcap", scenario))
    assert [(o.attributes["protocol"], o.attributes["server"])
            for o in observations(found, "net.cleartext_service")] == [(name, f"10.5.0.2:{port}")]


def test_xmpp_plain_login_without_starttls_is_a_cleartext_credential(tmp_path: Path) -> None:
    import base64

    auth = base64.b64encode(b"\0an.nguyen\0xmppCanary-9").decode()
    turns: Turns = [("c", _XMPP_OPEN), ("s", _XMPP_FEATURES.replace(b"<required/>", b"")),
                    ("c", f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
                          f"{auth}</auth>".encode()),
                    ("s", b"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>")]

    def scenario(cap: CaptureWriter) -> None:
        t = Tcp(cap, "10.5.0.1", 40100, "10.5.0.2", 5222)
        t.open()
        for who, data in turns:
            t.send(who == "c", data)
        t.close()
    path = build(tmp_path / "x.pcap", scenario)
    _code, doc = report([path], tmp_path / "out")
    findings: list[dict[str, Any]] = doc["findings"]  # type: ignore[assignment]
    assert sorted(f["rule_id"] for f in findings) == [
        "core.net.cleartext-credentials", "core.net.cleartext-service"]
    assert "xmppCanary-9" not in (tmp_path / "out" / "report.json").read_text()
