"""Streaming capture reader and link/IP decoding: formats, link types, corrupt input."""

from __future__ import annotations

import gzip
import io
import struct
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from auditor.scanners.pcap import PcapScanner
from auditor.scanners.pcap.packets import Defragmenter, decode
from auditor.scanners.pcap.reader import CaptureError, read_frames
from pcap_support import ROOT, observations, scan

from auditor.errors import TargetError
from auditor.models import Observation
from auditor.scanner import Candidate

DEMO = ROOT / "fixtures" / "demo" / "capture" / "network.pcap"
FRAME = bytes(range(60))


def pcap(order: str = "<", nano: bool = False, frames: tuple[bytes, ...] = (FRAME,),
         linktype: int = 1) -> bytes:
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, 65535, linktype)
    for i, data in enumerate(frames):
        out += struct.pack(order + "IIII", 1_700_000_000 + i, 500, len(data), len(data)) + data
    return out


def _block(btype: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) % 4)
    return struct.pack("<II", btype, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))


def pcapng(frames: tuple[bytes, ...] = (FRAME,), tsresol: int = 9) -> bytes:
    shb = _block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    options = struct.pack("<HHB3x", 9, 1, tsresol) + struct.pack("<HH", 0, 0)
    idb = _block(1, struct.pack("<HHI", 1, 0, 65535) + options)
    out = shb + idb
    for i, data in enumerate(frames):
        ts = (1_700_000_000 + i) * 10**9 + 500
        out += _block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(data),
                                     len(data)) + data)
    return out


@pytest.mark.parametrize(("name", "blob", "timestamp"), [
    ("pcap-le-usec", pcap("<"), 1_700_000_000.0005),
    ("pcap-be-usec", pcap(">"), 1_700_000_000.0005),
    ("pcap-le-nsec", pcap("<", nano=True), 1_700_000_000.0000005),
    ("pcapng-nsec", pcapng(), 1_700_000_000.0000005),
    ("pcapng-usec", pcapng(tsresol=6), 1_700_000_000_000.0005),
])
def test_formats(name: str, blob: bytes, timestamp: float) -> None:
    frames = list(read_frames(io.BytesIO(blob)))
    assert [(f.number, f.linktype, f.data) for f in frames] == [(1, 1, FRAME)]
    assert frames[0].timestamp == pytest.approx(timestamp, abs=1e-6)


@pytest.mark.parametrize(("blob", "message", "offset", "frame"), [
    (b"", "not a pcap/pcapng capture", 0, 0),
    (b"hello world, this is text\n", "not a pcap/pcapng capture", 0, 0),
    (pcap()[:20], "truncated pcap file header", 0, 0),
    (pcap(frames=(FRAME, FRAME))[:24 + 76 + 10], "truncated record header", 100, 2),
    (pcap(frames=(FRAME, FRAME))[:24 + 76 + 30], "cut in the middle of a packet", 100, 2),
    (pcap()[:24] + struct.pack("<IIII", 0, 0, 10**7, 10**7), "implausible record length",
     24, 1),
    (pcapng()[:60] + b"\x06\0\0\0\x07\0\0\0\0\0\0\0", "implausible pcapng block length", 60, 1),
    (pcapng()[:-8], "cut in the middle of a block", 60, 1),
    # blocks shorter than their fixed fields (issue 17): named, not a struct.error
    (pcapng()[:60] + _block(6, b"\0" * 8), "enhanced packet block too short (20 bytes", 60, 1),
    (pcapng()[:28] + _block(1, b""), "interface description block too short", 28, 1),
    (pcapng()[:60] + _block(3, b""), "simple packet block too short", 60, 1),
])
def test_corrupt_input_names_offset_and_frame(blob: bytes, message: str, offset: int,
                                              frame: int) -> None:
    with pytest.raises(CaptureError) as info:
        list(read_frames(io.BytesIO(blob)))
    assert message in str(info.value)
    assert (info.value.offset, info.value.frame) == (offset, frame)
    assert f"byte offset {offset}" in str(info.value)


def test_gzip_capture_is_read_and_claimed(tmp_path: Path) -> None:
    path = tmp_path / "demo.pcap.gz"
    path.write_bytes(gzip.compress(DEMO.read_bytes()))
    assert scan(path) == scan(DEMO, uri="demo.pcap.gz")


def test_corrupt_gzip_is_a_target_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.pcap.gz"
    blob = gzip.compress(DEMO.read_bytes())
    path.write_bytes(blob[:len(blob) // 2] + b"\0" * 64 + blob[len(blob) // 2 + 64:])
    with pytest.raises(TargetError, match="byte offset"):
        scan(path)


def test_capture_cut_mid_packet_keeps_what_came_before(tmp_path: Path) -> None:
    whole = observations(scan(DEMO))
    blob = DEMO.read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(blob[:len(blob) * 2 // 3 + 7])
    kept: list[object] = []
    with pytest.raises(TargetError) as info:
        for item in PcapScanner().scan(*_target(cut)):
            kept.append(item)
    assert "frame" in str(info.value) and info.value.offset is not None
    assert info.value.offset > 0
    auth = [o for o in observations(kept) if o.kind == "net.cleartext_auth"]  # type: ignore[arg-type]
    assert {o.attributes["protocol"] for o in auth} >= {"http-basic", "ftp", "smtp"}
    assert len(observations(kept)) < len(whole)  # type: ignore[arg-type]


def _target(path: Path) -> tuple[object, object]:
    from pcap_support import AS_OF, KEY

    from auditor.models import Target
    from auditor.scanner import ScanOptions
    return (Target(uri=path.name, locator=str(path), kind="pcap", scanner="pcap"),
            ScanOptions(as_of=AS_OF, hash_key=KEY))


def test_unreadable_file_is_a_target_error(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match="cannot open capture"):
        scan(tmp_path / "missing.pcap")


@pytest.mark.parametrize(("head", "kind"), [
    (pcap()[:64], "pcap"), (pcap(">")[:64], "pcap"), (pcap(nano=True)[:64], "pcap"),
    (pcapng()[:64], "pcapng"), (b"SQLite format 3\0", None), (b"GET / HTTP/1.1\r\n", None),
])
def test_claim_by_magic(head: bytes, kind: str | None) -> None:
    claim = PcapScanner().claim(Candidate(path="x", uri="x", name="x.bin", size=64, head=head))
    assert (claim.kind if claim else None) == kind
    if claim:
        assert claim.confidence == 100


IP_TCP = bytes.fromhex("4500002c000100004006" "0000" "0a000001" "0a000002") + \
    struct.pack("!HHIIBBHHH", 1234, 80, 7, 0, 0x50, 0x18, 8192, 0, 0) + b"GET "
IP6_TCP = bytes.fromhex("6000000000180640" + "20010db8" + "0" * 22 + "01" + "20010db8" +
                        "0" * 22 + "02") + struct.pack("!HHIIBBHHH", 1234, 80, 7, 0, 0x50,
                                                       0x18, 8192, 0, 0) + b"GET "


IP6_HOP_TCP = IP6_TCP[:6] + b"\x00" + IP6_TCP[7:40] + b"\x06\x00" + b"\x01\x04\x00\x00\x00\x00" + \
    IP6_TCP[40:]
IP6_HOP_TCP = IP6_HOP_TCP[:4] + struct.pack("!H", len(IP6_HOP_TCP) - 40) + IP6_HOP_TCP[6:]


@pytest.mark.parametrize(("linktype", "frame"), [
    (229, IP6_HOP_TCP),                                                # IPv6 hop-by-hop
    (1, b"\x02" * 12 + b"\x08\x00" + IP_TCP),                          # Ethernet
    (1, b"\x02" * 12 + b"\x81\x00\x00\x2a\x08\x00" + IP_TCP),          # 802.1Q
    (1, b"\x02" * 12 + b"\x88\xa8\x00\x01\x81\x00\x00\x2a\x08\x00" + IP_TCP),  # QinQ
    (101, IP_TCP), (228, IP_TCP), (229, IP6_TCP),                      # raw IP
    (113, b"\0\0\0\1\0\6" + b"\2" * 8 + b"\x08\x00" + IP_TCP),         # Linux SLL
    (276, b"\x08\x00\0\0" + b"\0" * 16 + IP_TCP),                      # Linux SLL2
    (0, b"\2\0\0\0" + IP_TCP),                                         # BSD loopback
    (1, b"\x02" * 12 + b"\x86\xdd" + IP6_TCP),                         # IPv6
])
def test_link_types(linktype: int, frame: bytes) -> None:
    seg = decode(linktype, frame, Defragmenter())
    assert seg is not None
    assert (seg.sport, seg.dport, seg.seq, seg.payload) == (1234, 80, 7, b"GET ")


def test_ipv4_fragments_out_of_order_are_reassembled() -> None:
    body = struct.pack("!HHIIBBHHH", 1234, 80, 7, 0, 0x50, 0x18, 8192, 0, 0) + b"x" * 100
    def frag(off: int, more: bool, data: bytes) -> bytes:
        flags = (0x2000 if more else 0) | (off // 8)
        return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(data), 9, flags, 64, 6, 0,
                           b"\x0a\0\0\1", b"\x0a\0\0\2") + data
    defrag = Defragmenter()
    assert decode(101, frag(64, False, body[64:]), defrag) is None
    seg = decode(101, frag(0, True, body[:64]), defrag)
    assert seg is not None and seg.payload == b"x" * 100


@pytest.mark.parametrize(("params", "message"), [
    ({"pcap.max_flows": 0}, "pcap.max_flows must be a positive number"),
    ({"pcap.idle_timeout": "soon"}, "pcap.idle_timeout must be a positive number"),
    ({"pcap.max_stream_bytes": True}, "pcap.max_stream_bytes must be a positive number"),
    ({"pcap.pii": "maybe"}, "pcap.pii must be true or false"),
    ({"pcap.max_flow": 10}, r"unknown option pcap.max_flow \(known: pcap.idle_timeout"),
])
def test_bad_options_are_a_clear_error(params: dict[str, object], message: str,
                                       tmp_path: Path) -> None:
    with pytest.raises(TargetError, match=message):
        scan(DEMO, params=params)
    from pcap_support import AS_OF, KEY

    from auditor.errors import ConfigError
    from auditor.scanner import ScanOptions
    with pytest.raises(ConfigError, match=message):
        PcapScanner().check_options(ScanOptions(as_of=AS_OF, hash_key=KEY, params=params))  # type: ignore[arg-type]
    from auditor.cli import main
    key, value = next(iter(params.items()))
    assert main(["scan", str(DEMO), "--option", f"{key}={str(value).lower()}", "-o",
                 str(tmp_path), "--quiet"]) == 2


def test_small_stream_cap_still_finds_the_logins() -> None:
    found = observations(scan(DEMO, params={"pcap.max_stream_bytes": 2048,
                                            "pcap.pii": False}))
    assert {o.attributes["protocol"] for o in found if o.kind == "net.cleartext_auth"} >= {
        "ftp", "http-basic", "imap", "pop3", "ldap", "snmp", "postgres", "telnet"}
    assert [o for o in found if o.kind == "net.pii"] == []


def test_corrupted_captures_never_crash(tmp_path: Path) -> None:
    """Random byte damage: the scan finishes, or stops with a TargetError; problems name
    the frame and never carry data."""
    import random

    from auditor.models import Problem

    blob = DEMO.read_bytes()
    rng = random.Random(5)
    path = tmp_path / "damaged.pcap"
    for _ in range(40):
        data = bytearray(blob)
        for _ in range(rng.randrange(1, 40)):
            data[rng.randrange(24, len(data))] = rng.randrange(256)
        path.write_bytes(bytes(data))
        try:
            found = scan(path, params={"pcap.pii": False})
        except TargetError as exc:
            assert "byte offset" in str(exc)
            continue
        for problem in (p for p in found if isinstance(p, Problem)):
            assert problem.location is not None and problem.location.packet


def test_pcapng_and_nanosecond_pcap_give_the_same_observations(tmp_path: Path) -> None:
    frames = tuple(f.data for f in read_frames(io.BytesIO(DEMO.read_bytes())))
    as_pcapng = tmp_path / "demo.pcapng"
    as_pcapng.write_bytes(pcapng(frames))
    as_nano = tmp_path / "demo-ns.pcap"
    as_nano.write_bytes(pcap(">", nano=True, frames=frames))
    def timeless(path: Path) -> list[object]:
        # NOTE: the re-encoded files carry their own frame times (first_seen, last_seen)
        return [(o.kind, o.location, o.attributes, o.identity,
                 {k: v for k, v in o.evidence.items() if not k.endswith("_seen")})
                if isinstance(o, Observation) else o
                for o in scan(path, uri="same", params={"pcap.pii": False})]

    expected = timeless(DEMO)
    assert timeless(as_pcapng) == expected
    assert timeless(as_nano) == expected


def test_discovery_claims_a_gzip_capture_whatever_its_name(tmp_path: Path) -> None:
    from pcap_support import report

    path = tmp_path / "evidence.bin"
    path.write_bytes(gzip.compress(DEMO.read_bytes()))
    (tmp_path / "notes.txt").write_text("not a capture\n")
    code, doc = report([tmp_path], tmp_path / "out", "--option", "pcap.pii=false")
    targets = {t["uri"].rsplit("/", 1)[-1]: t for t in doc["targets"]}  # type: ignore[attr-defined]
    assert (targets["evidence.bin"]["scanner"], targets["evidence.bin"]["status"]) == (
        "pcap", "ok")
    assert code == 1
    rules = {f["rule_id"] for f in doc["findings"]}  # type: ignore[attr-defined]
    assert "core.net.cleartext-credentials" in rules


def test_snap_length_cuts_are_reported(tmp_path: Path) -> None:
    """A header-only capture must not look clean: a problem says payloads were cut."""
    from auditor.models import Problem

    out = bytearray(DEMO.read_bytes()[:24])
    frames = list(read_frames(io.BytesIO(DEMO.read_bytes())))
    for f in frames:
        kept = f.data[:96]
        out += struct.pack("<IIII", int(f.timestamp), 0, len(kept), len(f.data)) + kept
    path = tmp_path / "headers.pcap"
    path.write_bytes(bytes(out))
    problems = [p for p in scan(path, params={"pcap.pii": False}) if isinstance(p, Problem)]
    cut = sum(len(f.data) > 96 for f in frames)
    first = next(f.number for f in frames if len(f.data) > 96)
    assert [p.message for p in problems] == [
        f"{cut} frames were cut short by the capture's snapshot length (first: frame {first});"
        " their payloads could not be fully inspected"]
    assert problems[0].location is not None and problems[0].location.packet == first
