"""Protocol analysers, one small capture per case: what is reported, what is not."""

from __future__ import annotations

import base64
import gzip
import json
import struct
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pcap_support import conversation, observations, scan
from pcapgen import tls_client_hello, tls_record, tls_server_flight

B64 = base64.b64encode
Turns = list[tuple[str, bytes]]


def _pg(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("!I", 4 + len(body)) + body


def _startup(user: bytes) -> bytes:
    params = b"user\0" + user + b"\0database\0db\0\0"
    return struct.pack("!II", 8 + len(params), 196608) + params


def _mysql(seq: int, payload: bytes) -> bytes:
    return len(payload).to_bytes(3, "little") + bytes((seq,)) + payload


GREETING = _mysql(0, b"\x0a8.0.36\0" + b"\1\0\0\0" + b"saltsalt\0" + b"\xff\xff\x21\x02\0" +
                  b"\xff\xcf\x15" + b"\0" * 10 + b"saltsaltsalt\0caching_sha2_password\0")


def _mysql_login(user: bytes, auth: bytes, plugin: bytes, caps: int = 0x000AA685) -> bytes:
    return _mysql(1, struct.pack("<IIB", caps, 1 << 24, 33) + b"\0" * 23 + user + b"\0" +
                  bytes((len(auth),)) + auth + plugin + b"\0")


def _tlv(tag: int, value: bytes) -> bytes:
    return bytes((tag, len(value))) + value


def _ldap_bind(dn: bytes, password: bytes) -> bytes:
    bind = b"\x02\x01\x03\x04" + bytes((len(dn),)) + dn + b"\x80" + bytes((len(password),)) + \
        password
    msg = b"\x02\x01\x01\x60" + bytes((len(bind),)) + bind
    return b"\x30" + bytes((len(msg),)) + msg


def _http(headers: str, body: bytes = b"") -> bytes:
    """A message; ``{n}`` in the headers becomes the body length."""
    return headers.replace("{n}", str(len(body))).replace("\n", "\r\n").encode() + body


# (id, server port, turns, expected (protocol, mechanism, user mask, secret exposed))
CASES: list[tuple[str, int, Turns, list[tuple[str, str, str | None, bool]]]] = [
    ("smtp-plain-inline", 25, [
        ("s", b"220 mx ESMTP\r\n"), ("c", b"EHLO x\r\n"), ("s", b"250 AUTH PLAIN\r\n"),
        ("c", b"AUTH PLAIN " + B64(b"\0alice.w\0s3cret-pw") + b"\r\n"),
        ("s", b"235 ok\r\n")], [("smtp", "sasl-plain", "a••••.w", True)]),
    ("smtp-plain-continuation", 587, [
        ("s", b"220 mx ESMTP\r\n"), ("c", b"AUTH PLAIN\r\n"), ("s", b"334 \r\n"),
        ("c", B64(b"\0bob.nguyen\0pw-123456") + b"\r\n"), ("s", b"235 ok\r\n")],
     [("smtp", "sasl-plain", "bo•.••••en", True)]),
    ("smtp-starttls-then-auth", 25, [
        ("s", b"220 mx ESMTP\r\n"), ("c", b"STARTTLS\r\n"), ("s", b"220 go ahead\r\n"),
        ("c", tls_client_hello(0x0303, [0xC02F])), ("s", tls_server_flight(0x0303, 0xC02F, [])),
        ("c", b"AUTH PLAIN " + B64(b"\0alice\0secret") + b"\r\n")], []),
    ("smtp-starttls-refused", 25, [
        ("s", b"220 mx ESMTP\r\n"), ("c", b"STARTTLS\r\n"), ("s", b"454 TLS not available\r\n"),
        ("c", b"AUTH LOGIN\r\n"), ("s", b"334 VXNlcm5hbWU6\r\n"), ("c", B64(b"carol") + b"\r\n"),
        ("s", b"334 UGFzc3dvcmQ6\r\n"), ("c", B64(b"pw-carol") + b"\r\n")],
     [("smtp", "sasl-login", "c•••l", True)]),
    ("smtp-cram-md5", 25, [
        ("s", b"220 mx ESMTP\r\n"), ("c", b"AUTH CRAM-MD5\r\n"), ("s", b"334 PDE4OTYuNj4=\r\n"),
        ("c", B64(b"danielle 7f3a9c0e8b1d2f4a6c5e7d9b0a1c3e5f") + b"\r\n")],
     [("smtp", "sasl-cram-md5", "da•••••e", False)]),
    ("imap-literal", 143, [
        ("s", b"* OK ready\r\n"), ("c", b"a1 LOGIN {6}\r\n"), ("s", b"+ go\r\n"),
        ("c", b"hoa.le {9}\r\n"), ("s", b"+ go\r\n"), ("c", b"pw\"quote\r\n"),
        ("s", b"a1 OK\r\n")], [("imap", "login", "h••.•e", True)]),
    ("imap-authenticate-plain", 143, [
        ("s", b"* OK ready\r\n"), ("c", b"a2 AUTHENTICATE PLAIN\r\n"), ("s", b"+ \r\n"),
        ("c", B64(b"\0minh.tran\0pw-minh") + b"\r\n"), ("s", b"a2 OK\r\n")],
     [("imap", "sasl-plain", "mi••.•••n", True)]),
    ("imap-starttls", 143, [
        ("s", b"* OK ready\r\n"), ("c", b"a1 STARTTLS\r\n"), ("s", b"a1 OK begin TLS\r\n"),
        ("c", tls_client_hello(0x0303, [0xC02F])), ("c", b'a2 LOGIN "x" "y"\r\n')], []),
    ("pop3-apop", 110, [
        ("s", b"+OK <1896.697170952@dbc.mtview.ca.us>\r\n"),
        ("c", b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"), ("s", b"+OK\r\n")],
     [("pop3", "apop", "m•••e", False)]),
    ("pop3-stls", 110, [
        ("s", b"+OK ready\r\n"), ("c", b"STLS\r\n"), ("s", b"+OK begin TLS\r\n"),
        ("c", tls_client_hello(0x0303, [0xC02F])), ("c", b"USER a\r\nPASS b\r\n")], []),
    ("ftp-auth-tls-refused", 21, [
        ("s", b"220 FTP\r\n"), ("c", b"AUTH TLS\r\n"), ("s", b"500 not understood\r\n"),
        ("c", b"USER quang\r\n"), ("s", b"331 pw\r\n"), ("c", b"PASS pw-quang\r\n")],
     [("ftp", "user-pass", "q•••g", True)]),
    ("ftp-anonymous", 21, [
        ("s", b"220 FTP\r\n"), ("c", b"USER anonymous\r\n"), ("s", b"331 pw\r\n"),
        ("c", b"PASS guest@example.vn\r\n")], []),
    ("http-digest", 80, [("c", _http(
        'GET / HTTP/1.1\nHost: x\nAuthorization: Digest username="thuy.pham", realm="r", '
        'nonce="abc", uri="/", response="6629fae49393a05397450978507c4ef1"\n\n'))],
     [("http-digest", "digest", "th••.•••m", False)]),
    ("http-json-login", 8000, [("c", _http(
        "POST /api/login HTTP/1.1\nHost: x\nContent-Type: application/json\n"
        "Content-Length: {n}\n\n", b'{"email": "an@example.vn", "password": "pw-json-123"}'))],
     [("http-form", "json", "••@e••••••.vn", True)]),
    ("http-chunked-form", 80, [("c", _http(
        "POST /login HTTP/1.1\nHost: x\nContent-Type: application/x-www-form-urlencoded\n"
        "Transfer-Encoding: chunked\n\n", b"10\r\nlogin=vu&passwd=\r\n6\r\npw-chk\r\n0\r\n\r\n"))],
     [("http-form", "form", "••", True)]),
    ("http-keepalive-two-users", 80, [
        ("c", _http("GET /a HTTP/1.1\nAuthorization: Basic " + B64(b"user1:pw1").decode() +
                    "\n\n")),
        ("s", _http("HTTP/1.1 200 OK\nContent-Length: 3\n\n", b"abc")),
        ("c", _http("GET /b HTTP/1.1\nAuthorization: Basic " + B64(b"user2:pw2").decode() +
                    "\n\n"))],
     # one fact per server and mechanism; both accounts are listed (test_brute_force...)
     [("http-basic", "basic", "u•••1", True)]),
    ("http-response-body-over-segments-then-next", 80, [
        ("c", _http("GET /big HTTP/1.1\n\n")),
        ("s", _http("HTTP/1.1 200 OK\nContent-Length: 3000\n\n", b"x" * 1000)),
        ("s", b"y" * 2000 + _http("HTTP/1.1 200 OK\nSet-Cookie: sid=1\nContent-Length: 0\n\n")),
        ("c", _http("GET /c HTTP/1.1\nAuthorization: Basic " + B64(b"later:pw").decode() +
                    "\n\n"))], [("http-basic", "basic", "l•••r", True)]),
    ("http-head-response-has-no-body", 80, [
        ("c", _http("HEAD /a HTTP/1.1\n\n")),
        ("s", _http("HTTP/1.1 200 OK\nContent-Length: 999\n\n")),
        ("c", _http("GET /b HTTP/1.1\nAuthorization: Basic " + B64(b"after:head").decode() +
                    "\n\n"))], [("http-basic", "basic", "a•••r", True)]),
    ("postgres-md5", 5432, [
        ("c", _startup(b"report")), ("s", _pg(b"R", struct.pack("!I", 5) + b"salt")),
        ("c", _pg(b"p", b"md5" + b"0" * 32 + b"\0"))], [("postgres", "md5", "r••••t", False)]),
    ("postgres-ssl-accepted", 5432, [
        ("c", struct.pack("!II", 8, 80877103)), ("s", b"S"),
        ("c", tls_client_hello(0x0303, [0xC02F]))], []),
    ("postgres-ssl-refused", 5432, [
        ("c", struct.pack("!II", 8, 80877103)), ("s", b"N"), ("c", _startup(b"etl_user")),
        ("s", _pg(b"R", struct.pack("!I", 3))), ("c", _pg(b"p", b"pw-etl\0"))],
     [("postgres", "password", "et•••••r", True)]),
    ("mysql-clear-password", 3306, [
        ("s", GREETING), ("c", _mysql_login(b"webapp", b"pw-clear\0", b"mysql_clear_password"))],
     [("mysql", "mysql_clear_password", "w••••p", True)]),
    ("mysql-ssl-request", 3306, [
        ("s", GREETING), ("c", _mysql(1, struct.pack("<IIB", 0x000AAE85, 1 << 24, 33) +
                                     b"\0" * 23)),
        ("c", tls_client_hello(0x0303, [0xC02F]))], []),
    ("ldap-anonymous-bind", 389, [("c", _ldap_bind(b"", b""))], []),
    ("ldap-simple-bind", 3890, [("c", _ldap_bind(b"uid=ha,ou=people", b"pw-ldap"))],
     [("ldap", "simple-bind", "uid••••••••••ple", True)]),
    ("telnet-backspace", 23, [
        ("s", b"\xff\xfd\x18login: "), ("c", b"roox"), ("c", b"\x7f"), ("c", b"t\r\n"),
        ("s", b"Password: "), ("c", b"pw-telnet\r\n")], [("telnet", "login", "••••", True)]),
    ("opaque-binary", 7777, [("c", bytes(range(256)) * 20), ("s", bytes(range(255, -1, -1)))],
     []),
]


@pytest.mark.parametrize(("port", "turns", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_credentials(tmp_path: Path, port: int, turns: Turns,
                     expected: list[tuple[str, str, str | None, bool]]) -> None:
    found = scan(conversation(tmp_path / "c.pcap", port, turns))
    got = [(o.attributes["protocol"], o.attributes["mechanism"], o.evidence.get("user"),
            o.attributes["secret_exposed"]) for o in observations(found, "net.cleartext_auth")]
    assert got == expected


def _case(name: str) -> tuple[int, Turns]:
    return next((c[1], c[2]) for c in CASES if c[0] == name)


@pytest.mark.parametrize(("case", "service"), [
    ("smtp-starttls-then-auth", None), ("imap-starttls", None),
    ("postgres-ssl-accepted", None), ("smtp-starttls-refused", "smtp"),
    ("postgres-ssl-refused", "postgres"), ("opaque-binary", None),
])
def test_cleartext_service(tmp_path: Path, case: str, service: str | None) -> None:
    port, turns = _case(case)
    found = observations(scan(conversation(tmp_path / "c.pcap", port, turns)),
                         "net.cleartext_service")
    assert [o.attributes["protocol"] for o in found] == ([service] if service else [])


def test_upgraded_stream_reports_its_tls_handshake(tmp_path: Path) -> None:
    found = observations(scan(conversation(tmp_path / "c.pcap", *_case(
        "smtp-starttls-then-auth"))))
    assert [(o.kind, o.attributes.get("via"), o.attributes.get("version")) for o in found] == [
        ("tls.handshake", "smtp", "TLSv1.2")]


@pytest.mark.parametrize(("name", "value", "where"), [
    ("PHPSESSID", "abcdef0123456789", "cookie"), ("connect.sid", "s%3Aabc.def", "cookie"),
    ("authorization:bearer", "eyJhbGciOi.payload.sig", "header"),
    ("x-api-key", "key-0123456789", "header"), ("access_token", "tok-987654321", "url"),
])
def test_session_tokens(tmp_path: Path, name: str, value: str, where: str) -> None:
    headers = {"cookie": f"Cookie: theme=dark; {name}={value}\n",
               "header": f"Authorization: Bearer {value}\n" if name.startswith("auth")
               else f"X-Api-Key: {value}\n", "url": ""}[where]
    target = f"/x?{name}={value}" if where == "url" else "/x"
    found = scan(conversation(tmp_path / "c.pcap", 80, [
        ("c", _http(f"GET {target} HTTP/1.1\nHost: x\n{headers}\n"))]))
    tokens = observations(found, "net.session_token")
    assert [(o.attributes["name"], o.attributes["where"]) for o in tokens] == [(name, where)]
    assert value not in repr(found)


def test_tls_hello_split_in_tiny_segments(tmp_path: Path) -> None:
    hello = tls_client_hello(0x0301, [0x0005, 0x000A], sni="tiny.example.vn")
    turns: Turns = [("c", hello[i:i + 7]) for i in range(0, len(hello), 7)]
    found = observations(scan(conversation(tmp_path / "c.pcap", 443, turns)), "tls.handshake")
    assert [(o.attributes["client_max_version"], o.attributes["server_hello"],
             o.attributes["sni"]) for o in found] == [("TLSv1.0", False, "tiny.example.vn")]


def test_tls_garbage_after_record_header_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    broken = tls_record(b"\x01\x00\x00\x30" + b"\x03\x03" + b"\xff" * 46)
    found = scan(conversation(tmp_path / "c.pcap", 443, [("c", broken)]))
    assert [type(o).__name__ for o in found] == ["Problem"]
    assert "malformed TLS handshake" in found[0].message  # type: ignore[union-attr]


def test_http_gzip_body_reaches_the_pii_engine(tmp_path: Path) -> None:
    seen: list[str] = []
    from auditor.scanners.pcap.dispatch import CaptureSession
    from auditor.scanners.pcap.events import Recorder
    from auditor.scanners.pcap.reader import open_capture, read_frames
    from pcap_support import AS_OF, KEY

    from auditor.models import Target

    body = gzip.compress(b'{"cccd": "001203012345"}')
    path = conversation(tmp_path / "c.pcap", 80, [
        ("c", _http("GET /p HTTP/1.1\n\n")),
        ("s", _http(f"HTTP/1.1 200 OK\nContent-Type: application/json\nContent-Encoding: "
                    f"gzip\nContent-Length: {len(body)}\n\n", body))])
    del Target
    from auditor.scanners.pcap.pii import PiiDetection

    def find(texts: list[str]) -> list[list[tuple[str, str]]]:
        seen.extend(texts)
        return [[("VN_CCCD", "001203012345")] for _ in texts]

    recorder = Recorder("c.pcap", KEY, AS_OF, PiiDetection(find=find))
    session = CaptureSession(recorder)
    with open_capture(str(path)) as stream:
        for frame in read_frames(stream):
            session.frame(frame)
    session.close()
    pii = [o for o in recorder.finish() if getattr(o, "kind", "") == "net.pii"]
    assert any("cccd: 001203012345" in text for text in seen)
    assert [(o.attributes["entities"], o.subjects, o.evidence["VN_CCCD"])  # type: ignore[union-attr]
            for o in pii] == [(["VN_CCCD"], 1, ["001••••••••5"])]


@pytest.mark.parametrize(("port", "turns", "protocol"), [
    (143, [("s", b"* OK\r\n"), ("c", b"a3 FETCH 1 BODY[]\r\n"),
           ("s", b"* 1 FETCH (BODY[] {40}\r\nTo: x\r\n\r\nSo CCCD: 001203012345\r\n)\r\n"),
           ("s", b"a3 OK done\r\n")], "imap"),
    (110, [("s", b"+OK\r\n"), ("c", b"RETR 1\r\n"),
           ("s", b"+OK 40 octets\r\nSubject: x\r\n\r\nCCCD 001203012345\r\n.\r\n")], "pop3"),
    (5432, [("c", _startup(b"u")), ("s", _pg(b"R", struct.pack("!I", 0))),
            ("c", _pg(b"Q", b"SELECT cccd FROM dan_cu\0")),
            ("s", _pg(b"T", b"\0\1cccd\0" + b"\0" * 18)),
            ("s", _pg(b"D", b"\0\1" + struct.pack("!I", 12) + b"001203012345"))], "postgres"),
    (389, [("c", _ldap_bind(b"", b"")), ("s", _tlv(0x30, _tlv(2, b"\2") + _tlv(0x64, _tlv(
        4, b"cn=an") + _tlv(0x30, _tlv(0x30, _tlv(4, b"employeeCCCD") + _tlv(0x31, _tlv(
            4, b"001203012345")))))))], "ldap"),
])
def test_payload_text_reaches_the_pii_engine(tmp_path: Path, port: int, turns: Turns,
                                             protocol: str) -> None:
    found = observations(scan(conversation(tmp_path / "c.pcap", port, turns)), "net.pii")
    assert [(o.attributes["protocol"], o.entities) for o in found] == [(protocol, ("VN_CCCD",))]
    assert "001203012345" not in repr(found)


def test_http_message_after_a_long_body_in_the_same_segment(tmp_path: Path) -> None:
    found = observations(scan(conversation(tmp_path / "c.pcap", *_case(
        "http-response-body-over-segments-then-next"))),
                         "net.session_token")
    assert [(o.attributes["name"], o.attributes["where"]) for o in found] == [
        ("sid", "set-cookie")]


def test_personal_data_in_a_url_and_deprecated_client_through_the_cli(tmp_path: Path) -> None:
    from auditor.scanners.pcap.protocols.tls import version_name
    from pcap_support import report

    assert version_name(0x7F1C) == "TLSv1.3"
    web = conversation(tmp_path / "web.pcap", 80, [
        ("c", _http("GET /tra-cuu?cccd=001203012345&sdt=0912345678 HTTP/1.1\nHost: x\n\n"))])
    hello = conversation(tmp_path / "hello.pcap", 443, [
        ("c", tls_client_hello(0x0301, [0x002F], sni="old-client.example.vn"))])
    code, doc = report([web, hello], tmp_path / "out")
    rules = sorted((f["rule_id"], f["location"]["uri"].rsplit("/", 1)[-1], f["cwe"])
                   for f in doc["findings"])  # type: ignore[attr-defined]
    assert code == 1
    assert rules == [
        ("core.net.cleartext-service", "web.pcap", ["CWE-319"]),
        ("core.net.pii-cleartext", "web.pcap", ["CWE-319"]),
        ("core.net.tls-client-deprecated-only", "hello.pcap", ["CWE-327"]),
    ]
    pii = next(f for f in doc["findings"] if f["rule_id"] == "core.net.pii-cleartext")  # type: ignore[attr-defined]
    assert set(pii["entities"]) >= {"VN_CCCD", "VN_PHONE"}
    assert "001203012345" not in json.dumps(doc) and "0912345678" not in json.dumps(doc)
