"""Finding identity on captures (DESIGN.md "Finding identity"): one finding per (rule, server
endpoint, fact), never merging servers, client ports never splitting a finding; repeats
collapse with a count and first/last seen; one finding per certificate listing its servers."""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pcap_support import build, observations, report, scan, shared_dir
from pcapgen import CaptureWriter, Tcp, certificate, tls_client_hello, tls_server_flight, udp
from pcaptls import GOOD_LEAF

FAR = dt.datetime(2031, 1, 1, tzinfo=dt.UTC)
SHARED_CERT = certificate("shared.example.vn", key_int=0x5AEED, not_after=FAR)  # self-signed
CANARY = "brute-Canary-"
Findings = list[dict[str, Any]]


def _http(head: str, body: bytes = b"") -> bytes:
    return head.replace("\n", "\r\n").replace("{n}", str(len(body))).encode() + body


def _traffic(cap: CaptureWriter, server: str, client: str, base_port: int) -> None:
    """The same problems on one server: FTP logins (twice), HTTP Basic, TLS 1.0 with RC4
    and a certificate shared by every server, a session cookie."""
    for n in range(2):
        t = Tcp(cap, client, base_port + n, server, 21)
        t.open()
        t.s(b"220 FTP ready\r\n")
        t.c(b"USER admin\r\n")
        t.s(b"331 pw\r\n")
        t.c(b"PASS ftp-secret\r\n")
        t.s(b"230 ok\r\n")
        t.close()
    t = Tcp(cap, client, base_port + 10, server, 443)
    t.open()
    t.c(tls_client_hello(0x0303, [0xC02F, 0x0005], sni="shared.example.vn"))
    t.s(tls_server_flight(0x0301, 0x0005, [SHARED_CERT]))
    t.close()
    t = Tcp(cap, client, base_port + 20, server, 80)
    t.open()
    t.c(_http("GET /admin HTTP/1.1\nHost: x\nAuthorization: Basic " +
              base64.b64encode(b"admin:web-secret").decode() + "\nCookie: PHPSESSID=abc123\n\n"))
    t.s(_http("HTTP/1.1 200 OK\nContent-Length: 0\n\n"))
    t.close()


SERVERS = ["10.20.0.10", "10.20.1.10", "10.20.2.10", "10.20.3.10"]


def _four_servers(path: Path, *, client_base: int = 40000, order: list[int] | None = None
                  ) -> Path:
    def scenario(cap: CaptureWriter) -> None:
        for i in order or range(4):
            _traffic(cap, SERVERS[i], f"10.30.{i}.5", client_base + 100 * i)
    return build(path, scenario)


@pytest.fixture(scope="module")
def four(tmp_path_factory: pytest.TempPathFactory) -> Findings:
    tmp = tmp_path_factory.mktemp("four")
    _code, doc = report([_four_servers(tmp / "four.pcap")], tmp / "out")
    findings: Findings = doc["findings"]  # type: ignore[assignment]
    return findings


def _server(finding: dict[str, Any]) -> str:
    return str(finding["location"]["flow"]).split("->", 1)[1]


@pytest.mark.parametrize(("rule", "port"), [
    ("core.net.cleartext-credentials", 21),
    ("core.net.cleartext-credentials", 80),
    ("core.net.cleartext-service", 21),
    ("core.net.cleartext-service", 80),
    ("core.net.session-token-cleartext", 80),
    ("core.net.tls-deprecated-version", 443),
    ("core.net.tls-weak-cipher", 443),
])
def test_same_traffic_on_four_servers_gives_four_findings(four: Findings, rule: str,
                                                          port: int) -> None:
    hits = [f for f in four if f["rule_id"] == rule and _server(f).endswith(f":{port}")]
    assert sorted(_server(f) for f in hits) == [f"{s}:{port}" for s in SERVERS]
    assert len({f["fingerprint"] for f in hits}) == 4


def test_repeats_on_one_server_collapse_with_count_and_first_last_seen(four: Findings) -> None:
    ftp = [f for f in four if f["rule_id"] == "core.net.cleartext-credentials"
           and _server(f) == "10.20.0.10:21"]
    assert len(ftp) == 1
    evidence = ftp[0]["evidence"]
    assert evidence["occurrences"] == 2
    assert ftp[0]["location"]["packet"] == evidence["first_packet"]
    assert evidence["first_packet"] < evidence["last_packet"]
    assert evidence["first_seen"] < evidence["last_seen"]
    assert evidence["first_seen"].startswith("2025-12-01T00:00:00.")
    assert "2 time(s)" in ftp[0]["message"]


def test_one_finding_per_certificate_listing_its_servers(four: Findings) -> None:
    certs = [f for f in four if f["rule_id"] == "core.cert.self-signed"]
    assert len(certs) == 1
    assert certs[0]["evidence"]["servers"] == [f"{s}:443" for s in SERVERS]
    assert certs[0]["evidence"]["servers_count"] == 4
    assert certs[0]["evidence"]["occurrences"] == 4


def test_fingerprints_ignore_client_ports_and_capture_order(
        tmp_path: Path, four: Findings, monkeypatch: pytest.MonkeyPatch) -> None:
    prints = []
    for name, kwargs in (("a", {}), ("b", {"client_base": 51000, "order": [3, 1, 0, 2]})):
        (tmp_path / name).mkdir()
        monkeypatch.chdir(tmp_path / name)
        _four_servers(Path("four.pcap"), **kwargs)  # type: ignore[arg-type]
        _code, doc = report([Path("four.pcap")], tmp_path / name / "out")
        findings: Findings = doc["findings"]  # type: ignore[assignment]
        prints.append(Counter(f["fingerprint"] for f in findings))
    assert prints[0] == prints[1]
    assert sum(prints[0].values()) == len(four)


def test_brute_force_is_one_finding_with_the_accounts_tried(tmp_path: Path) -> None:
    def scenario(cap: CaptureWriter) -> None:
        for n in range(30):
            t = Tcp(cap, "10.40.0.7", 30000 + n, "10.40.0.1", 110)
            t.open()
            t.s(b"+OK ready\r\n")
            t.c(f"USER user{n:02d}\r\n".encode())
            t.s(b"+OK\r\n")
            t.c(f"PASS {CANARY}{n}\r\n".encode())
            t.s(b"-ERR denied\r\n")
            t.close()
    path = build(tmp_path / "brute.pcap", scenario)
    _code, doc = report([path], tmp_path / "out")
    findings: Findings = doc["findings"]  # type: ignore[assignment]
    creds = [f for f in findings if f["rule_id"] == "core.net.cleartext-credentials"]
    assert len(creds) == 1
    evidence = creds[0]["evidence"]
    assert (evidence["occurrences"], evidence["accounts_count"], len(evidence["accounts"])) == \
        (30, 30, 20)
    assert "30 time(s), 30 account(s)" in creds[0]["message"]
    text = (tmp_path / "out" / "report.json").read_text()
    assert CANARY not in text and "user07" not in text


def _plain_http(cap: CaptureWriter, server: str, flows: int, extra: str = "") -> None:
    for n in range(flows):
        t = Tcp(cap, "10.50.0.9", 20000 + n, server, 80)
        t.open()
        t.c(_http(f"GET /page{n} HTTP/1.1\nHost: portal.example.vn\n{extra}\n"))
        t.s(_http("HTTP/1.1 200 OK\nContent-Type: text/html\nContent-Length: {n}\n\n",
                  b"<html><body>Public notice board</body></html>"))
        t.close()


def test_plain_http_without_secrets_is_one_low_finding_per_server(tmp_path: Path) -> None:
    def scenario(cap: CaptureWriter) -> None:
        _plain_http(cap, "10.50.0.1", 5)
        _plain_http(cap, "10.50.0.2", 3)
        _plain_http(cap, "10.50.0.3", 2, "Cookie: JSESSIONID=abcdef0123\n")
    _code, doc = report([build(tmp_path / "http.pcap", scenario)], tmp_path / "out")
    findings: Findings = doc["findings"]  # type: ignore[assignment]
    got = sorted((f["rule_id"], f["severity"], _server(f)) for f in findings)
    assert got == [
        ("core.net.cleartext-http", "low", "10.50.0.1:80"),
        ("core.net.cleartext-http", "low", "10.50.0.2:80"),
        # a session cookie crossed this one: the cleartext service is medium
        ("core.net.cleartext-service", "medium", "10.50.0.3:80"),
        ("core.net.session-token-cleartext", "high", "10.50.0.3:80"),
    ]


def test_clean_decoy_capture_gives_no_finding(tmp_path: Path) -> None:
    def scenario(cap: CaptureWriter) -> None:
        for n, server in enumerate(("10.60.0.1", "10.60.0.2")):
            t = Tcp(cap, "10.60.1.1", 41000 + n, server, 443)
            t.open()
            t.c(tls_client_hello(0x0303, [0x1301, 0xC02F], sni="portal.example.vn",
                                 versions=[0x0304, 0x0303]))
            t.s(tls_server_flight(0x0303, 0xC02F, [GOOD_LEAF]))
            t.close()
        t = Tcp(cap, "10.60.1.1", 41010, "10.60.0.3", 8443)
        t.open()
        t.c(tls_client_hello(0x0303, [0x1301], versions=[0x0304]))
        t.s(tls_server_flight(0x0303, 0x1301, [], tls13=True))
        t.close()
        t = Tcp(cap, "10.60.1.1", 41020, "10.60.0.4", 22)
        t.open()
        t.s(b"SSH-2.0-OpenSSH_9.6\r\n")
        t.c(b"SSH-2.0-OpenSSH_9.6\r\n")
        t.close()
        # an old client offering 1.99 to an SSH-2-only server: no weakness of the server
        t = Tcp(cap, "10.60.1.1", 41021, "10.60.0.4", 22)
        t.open()
        t.s(b"SSH-2.0-OpenSSH_9.6\r\n")
        t.c(b"SSH-1.99-OpenSSH_3.9p1\r\n")
        t.close()
        t = Tcp(cap, "10.60.1.1", 41030, "10.60.0.5", 25)
        t.open()
        for who, data in [("s", b"220 mx.example.vn ESMTP\r\n"), ("c", b"EHLO a.example.vn\r\n"),
                          ("s", b"250 STARTTLS\r\n"), ("c", b"STARTTLS\r\n"),
                          ("s", b"220 go ahead\r\n")]:
            t.send(who == "c", data)
        t.c(tls_client_hello(0x0303, [0xC02F], versions=[0x0304, 0x0303]))
        t.s(tls_server_flight(0x0303, 0xC02F, [GOOD_LEAF]))
        t.close()
        udp(cap, ("10.60.1.1", 5353), ("10.60.0.53", 53), b"\x12\x34\x01\x00\x00\x01" + bytes(6))
        t = Tcp(cap, "10.60.1.1", 41040, "10.60.0.6", 7777)
        t.open()
        t.c(bytes(range(256)) * 10)
        t.close()
    path = build(tmp_path / "clean.pcap", scenario)
    found = scan(path)
    assert len(observations(found, "tls.handshake")) == 4
    _code, doc = report([path], tmp_path / "out")
    assert doc["findings"] == []


# ---- a public trace, address-shifted four times (scapy) --------------------------------
SHARED = shared_dir()
CORPUS = SHARED / "corpus" / "pcap" if SHARED else None


def _shifted(source: Path, out: Path, copies: int) -> Path:
    """``copies`` copies of a capture, the k-th with every IPv4 address moved by k*256."""
    from scapy.layers.inet import IP, TCP
    from scapy.utils import rdpcap, wrpcap

    packets = rdpcap(str(source))
    shifted = []
    for k in range(copies):
        for pkt in packets:
            copy = pkt.copy()
            if IP in copy:
                ip = copy[IP]
                ip.src = str(ipaddress.ip_address(ip.src) + 256 * k)
                ip.dst = str(ipaddress.ip_address(ip.dst) + 256 * k)
                del ip.chksum
                if TCP in copy:
                    del copy[TCP].chksum
            copy.time = pkt.time + 10 * k
            shifted.append(copy)
    wrpcap(str(out), shifted)
    return out


@pytest.mark.skipif(CORPUS is None, reason="shared corpus not present")
@pytest.mark.parametrize("trace", [
    "tls__tls-expired-cert.pcap", "ftp__ftp-password-pass-command.pcap",
                                   "tls__tls1_1.pcap"])
def test_public_trace_on_four_shifted_servers(tmp_path: Path, trace: str) -> None:
    assert CORPUS is not None
    source = CORPUS / trace
    if not source.exists():
        pytest.skip(f"{trace} not in the corpus")
    _code, one = report([source], tmp_path / "one")
    _code, many = report([_shifted(source, tmp_path / "x4.pcap", 4)], tmp_path / "four")
    single: Findings = one["findings"]  # type: ignore[assignment]
    shifted: Findings = many["findings"]  # type: ignore[assignment]
    assert single

    def per_rule(findings: Findings, certs: bool) -> Counter[str]:
        return Counter(f["rule_id"] for f in findings
                       if f["rule_id"].startswith("core.cert.") == certs)

    # every server-bound finding once per copy, every certificate once with 4x the servers
    assert per_rule(shifted, False) == Counter({r: 4 * n for r, n in
                                                per_rule(single, False).items()})
    assert per_rule(shifted, True) == per_rule(single, True)
    for finding in (f for f in shifted if f["rule_id"].startswith("core.cert.")):
        original = next(f for f in single if f["rule_id"] == finding["rule_id"]
                        and f["evidence"]["sha256"] == finding["evidence"]["sha256"])
        assert finding["evidence"]["servers_count"] == 4 * original["evidence"]["servers_count"]
    servers = {_server(f) for f in shifted if not f["rule_id"].startswith("core.cert.")}
    assert len(servers) == 4 * len({_server(f) for f in single
                                    if not f["rule_id"].startswith("core.cert.")})
    assert json.dumps(shifted)  # the report is plain JSON


def test_location_is_the_earliest_occurrence_even_when_reported_later(tmp_path: Path) -> None:
    """A handshake is reported when it completes: the connection that started first but
    finished last still gives the finding its location."""
    firsts: list[int] = []

    def scenario(cap: CaptureWriter) -> None:
        slow = Tcp(cap, "10.70.0.1", 40001, "10.70.0.2", 443)
        slow.open()
        firsts.append(slow.c(tls_client_hello(0x0303, [0x0005])))
        fast = Tcp(cap, "10.70.0.1", 40002, "10.70.0.2", 443)
        fast.open()
        firsts.append(fast.c(tls_client_hello(0x0303, [0x0005])))
        fast.s(tls_server_flight(0x0301, 0x0005, [GOOD_LEAF]))
        fast.close()
        slow.s(tls_server_flight(0x0301, 0x0005, [GOOD_LEAF]))
        slow.close()
    found = scan(build(tmp_path / "late.pcap", scenario), params={"pcap.pii": False})
    [handshake] = observations(found, "tls.handshake")
    assert (handshake.location.flow, handshake.location.packet) == (
        "10.70.0.1:40001->10.70.0.2:443", firsts[0])
    assert (handshake.evidence["occurrences"], handshake.evidence["last_packet"]) == (
        2, firsts[1])
