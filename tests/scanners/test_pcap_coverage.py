"""What captures used to miss: NULL suites, the handshake of short, partial or reversed
flows, legacy servers answering modern clients, POP3 AUTH PLAIN, personal data split over
segments or in less common HTTP encodings."""

from __future__ import annotations

import base64
import gzip
import importlib.util
import json
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pcap_support import build, observations, report, scan
from pcapgen import CaptureWriter, Tcp, tls_client_hello, tls_server_flight
from pcaptls import GOOD_LEAF

HAS_PII = importlib.util.find_spec("auditor.pii") is not None
Scenario = Callable[[CaptureWriter], None]
MODERN = {"versions": [0x0304, 0x0303, 0x0302, 0x0301]}


def _findings(tmp_path: Path, scenario: Scenario) -> list[dict[str, Any]]:
    _code, doc = report([build(tmp_path / "c.pcap", scenario)], tmp_path / "out")
    findings: list[dict[str, Any]] = doc["findings"]  # type: ignore[assignment]
    return findings


def _handshake(version: int, suite: int, *, tls13: bool = False) -> Scenario:
    def scenario(cap: CaptureWriter) -> None:
        t = Tcp(cap, "10.7.0.1", 50000, "10.7.0.2", 443)
        t.open()
        t.c(tls_client_hello(0x0303, [0x1301, 0xC02F, suite], **MODERN))  # type: ignore[arg-type]
        t.s(tls_server_flight(version, suite, [] if tls13 else [GOOD_LEAF], tls13=tls13))
        t.close()
    return scenario


@pytest.mark.parametrize(("suite", "tls13"), [
    (0x0001, False), (0x0002, False), (0x003B, False), (0xC006, False), (0xC010, False),
    (0x002C, False), (0x00B0, False), (0xC0B4, True), (0xC0B5, True),
], ids=lambda v: f"0x{v:04X}" if isinstance(v, int) and not isinstance(v, bool) else "")
def test_null_cipher_suites_are_weak(tmp_path: Path, suite: int, tls13: bool) -> None:
    version = 0x0303
    findings = _findings(tmp_path, _handshake(version, suite, tls13=tls13))
    weak = [f for f in findings if f["rule_id"] == "core.net.tls-weak-cipher"]
    assert [f["location"]["flow"] for f in weak] == ["10.7.0.1:50000->10.7.0.2:443"]
    from auditor.scanners.pcap.suites import suite as suite_info

    assert "NULL" in suite_info(suite).flags
    assert suite_info(suite).name in weak[0]["message"]


@pytest.mark.parametrize("suite", [0xC02F, 0x1301])
def test_strong_suite_is_no_finding(tmp_path: Path, suite: int) -> None:
    assert _findings(tmp_path, _handshake(0x0303, suite, tls13=suite == 0x1301)) == []


@pytest.mark.parametrize(("version", "name"), [(0x0300, "SSLv3"), (0x0301, "TLSv1.0")])
def test_legacy_server_answering_a_modern_client(tmp_path: Path, version: int,
                                                 name: str) -> None:
    findings = _findings(tmp_path, _handshake(version, 0x002F))
    assert [(f["rule_id"], f["message"].split(" ")[0]) for f in findings] == [
        ("core.net.tls-deprecated-version", name)]


_FLIGHT = tls_server_flight(0x0301, 0x002F, [GOOD_LEAF, GOOD_LEAF, GOOD_LEAF])


def _cut(cap: CaptureWriter) -> None:
    """The capture ends inside the server's first record (after the ServerHello)."""
    t = Tcp(cap, "10.7.0.1", 50000, "10.7.0.2", 443)
    t.open()
    t.c(tls_client_hello(0x0303, [0xC02F, 0x002F], **MODERN))  # type: ignore[arg-type]
    cap.add(t.packet(False, "PA", _FLIGHT[:300]))


def _lost_segment(cap: CaptureWriter) -> None:
    """The second segment of the server's record was lost."""
    t = Tcp(cap, "10.7.0.1", 50000, "10.7.0.2", 443)
    t.open()
    t.c(tls_client_hello(0x0303, [0xC02F, 0x002F]))
    cap.add(t.packet(False, "PA", _FLIGHT[:200]))
    t.seq[1] += 400
    cap.add(t.packet(False, "PA", _FLIGHT[400:600]))
    t.close()


def _server_side_only(cap: CaptureWriter) -> None:
    """Asymmetric routing: only the server's side, no SYN."""
    Tcp(cap, "10.7.0.1", 50000, "10.7.0.2", 443).s(_FLIGHT)


def _reversed_ports(cap: CaptureWriter) -> None:
    """No SYN and the server on the higher port: the first bytes tell the roles."""
    t = Tcp(cap, "10.7.0.1", 1025, "10.7.0.2", 44333)
    t.s(_FLIGHT)
    t.c(tls_client_hello(0x0303, [0x002F]))


@pytest.mark.parametrize(("scenario", "flow"), [
    (_cut, "10.7.0.1:50000->10.7.0.2:443"),
    (_lost_segment, "10.7.0.1:50000->10.7.0.2:443"),
    (_server_side_only, "10.7.0.1:50000->10.7.0.2:443"),
    (_reversed_ports, "10.7.0.1:1025->10.7.0.2:44333"),
], ids=["capture-cut", "lost-segment", "server-side-only", "reversed-ports"])
def test_server_hello_of_short_and_partial_flows(tmp_path: Path, scenario: Scenario,
                                                 flow: str) -> None:
    found = scan(build(tmp_path / "p.pcap", scenario), params={"pcap.pii": False})
    assert [(o.location.flow, o.attributes["version"], o.attributes["suite"])
            for o in observations(found, "tls.handshake")] == [
        (flow, "TLSv1.0", "TLS_RSA_WITH_AES_128_CBC_SHA")]


def test_reversed_ports_decoy_keeps_a_syn_flow_as_it_is(tmp_path: Path) -> None:
    """With a SYN the roles are known: a ClientHello from the low port stays the client."""
    def scenario(cap: CaptureWriter) -> None:
        t = Tcp(cap, "10.7.0.1", 1025, "10.7.0.2", 44333)
        t.open()
        t.c(tls_client_hello(0x0303, [0x002F]))
        t.s(_FLIGHT)
        t.close()
    found = scan(build(tmp_path / "p.pcap", scenario), params={"pcap.pii": False})
    assert [o.location.flow for o in observations(found, "tls.handshake")] == [
        "10.7.0.1:1025->10.7.0.2:44333"]


_PLAIN = base64.b64encode(b"\0lan.tran\0pop-Canary-1")


@pytest.mark.parametrize("turns", [
    [("s", b"+OK ready\r\n"), ("c", b"AUTH PLAIN\r\n"), ("s", b"+ \r\n"),
     ("c", _PLAIN + b"\r\n"), ("s", b"+OK\r\n")],
    [("s", b"+OK ready\r\n"), ("c", b"AUTH PLAIN " + _PLAIN + b"\r\n"), ("s", b"+OK\r\n")],
    # caught after the greeting
    [("c", b"AUTH PLAIN\r\n"), ("s", b"+ \r\n"), ("c", _PLAIN + b"\r\n"), ("s", b"+OK\r\n")],
    [("s", b"+OK POP3 <1896.697@example.vn>\r\n"), ("c", b"CAPA\r\n"),
     ("s", b"+OK\r\nSASL PLAIN\r\n.\r\n"), ("c", b"AUTH PLAIN\r\n"), ("s", b"+ \r\n"),
     ("c", _PLAIN + b"\r\n"), ("s", b"+OK\r\n")],
], ids=["continuation", "initial-response", "no-greeting", "after-capa"])
def test_pop3_auth_plain(tmp_path: Path, turns: list[tuple[str, bytes]]) -> None:
    def scenario(cap: CaptureWriter) -> None:
        t = Tcp(cap, "10.7.0.1", 50000, "10.7.0.2", 110)
        t.open()
        for who, data in turns:
            t.send(who == "c", data)
        t.close()
    findings = _findings(tmp_path, scenario)
    creds = [f for f in findings if f["rule_id"] == "core.net.cleartext-credentials"]
    assert [(f["evidence"]["mechanism"], f["evidence"]["user"]) for f in creds] == [
        ("sasl-plain", "la•.•••n")]
    assert "pop-Canary-1" not in (tmp_path / "out" / "report.json").read_text()


# ---- personal data in less common encodings ---------------------------------------------
PII = "Họ tên: Nguyễn Văn An, CCCD 001203012345, điện thoại 0912345678"
_FORM = b"ho_ten=Nguy%E1%BB%85n+V%C4%83n+An&cccd=001203012345&dien_thoai=0912345678"
_JSON = json.dumps({"hoTen": "Nguyễn Văn An", "soCccd": "001203012345",
                    "soDienThoai": "0912345678"}).encode()
_MULTIPART = (b"--XyZ\r\nContent-Disposition: form-data; name=\"cccd\"\r\n\r\n001203012345\r\n"
              b"--XyZ\r\nContent-Disposition: form-data; name=\"phone\"\r\n\r\n0912345678\r\n"
              b"--XyZ--\r\n")


def _http(head: str, body: bytes = b"") -> bytes:
    return head.replace("\n", "\r\n").replace("{n}", str(len(body))).encode() + body


def _chunks(body: bytes, size: int) -> bytes:
    return b"".join(f"{len(body[i:i + size]):x}\r\n".encode() + body[i:i + size] + b"\r\n"
                    for i in range(0, len(body), size)) + b"0\r\n\r\n"


def _raw_deflate(data: bytes) -> bytes:
    raw = zlib.compressobj(wbits=-15)
    return raw.compress(data) + raw.flush()


def _request(ctype: str, body: bytes) -> list[tuple[str, bytes]]:
    return [("c", _http(f"POST /dang-ky HTTP/1.1\nHost: x\n{ctype}Content-Length: {{n}}\n\n",
                        body))]


def _response(headers: str, body: bytes) -> list[tuple[str, bytes]]:
    return [("c", _http("GET /ho-so HTTP/1.1\nHost: x\n\n")),
            ("s", _http(f"HTTP/1.1 200 OK\n{headers}\n", body))]


ENCODINGS: list[tuple[str, list[tuple[str, bytes]], int]] = [
    ("urlencoded-form", _request("Content-Type: application/x-www-form-urlencoded\n", _FORM),
     1400),
    ("untyped-form", _request("", _FORM), 1400),
    ("json", _request("Content-Type: application/json\n", _JSON), 1400),
    ("multipart", _request("Content-Type: multipart/form-data; boundary=XyZ\n", _MULTIPART),
     1400),
    ("chunked", _response("Content-Type: text/html; charset=utf-8\nTransfer-Encoding: "
                          "chunked\n", _chunks(PII.encode(), 7)), 1400),
    ("gzip-chunked", _response("Content-Type: text/html\nContent-Encoding: gzip\n"
                               "Transfer-Encoding: chunked\n",
                               _chunks(gzip.compress(PII.encode(), mtime=0), 20)), 1400),
    ("raw-deflate", _response("Content-Type: text/plain\nContent-Encoding: deflate\n"
                              "Content-Length: {n}\n", _raw_deflate(PII.encode())), 1400),
    ("untyped-utf8", _response("Content-Length: {n}\n", PII.encode()), 1400),
    ("split-over-5-byte-segments", _request("Content-Type: text/plain\n", PII.encode()), 5),
]


@pytest.mark.skipif(not HAS_PII, reason="PII engine not installed")
@pytest.mark.parametrize(("turns", "mss"), [e[1:] for e in ENCODINGS],
                         ids=[e[0] for e in ENCODINGS])
def test_personal_data_in_less_common_encodings(tmp_path: Path,
                                                turns: list[tuple[str, bytes]],
                                                mss: int) -> None:
    def scenario(cap: CaptureWriter) -> None:
        t = Tcp(cap, "10.7.0.1", 50000, "10.7.0.2", 80)
        t.open()
        for who, data in turns:
            t.send(who == "c", data, mss=mss)
        t.close()
    found = scan(build(tmp_path / "e.pcap", scenario))
    pii = observations(found, "net.pii")
    assert len(pii) == 1
    assert {"VN_CCCD", "VN_PHONE"} <= set(pii[0].entities)
    assert "001203012345" not in repr(found)
