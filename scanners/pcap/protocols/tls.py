"""TLS and SSL handshakes: versions, cipher suites, key exchange, server certificates.

From the cleartext part of a handshake (everything before ChangeCipherSpec; in TLS 1.3
everything up to the ServerHello) one ``tls.handshake`` fact is reported per connection:

- client: ``client_version`` (legacy hello version), ``client_versions`` (from the
  supported_versions extension, else the legacy version; ``SSLv2`` when an SSLv2-format
  hello lists SSLv2 cipher kinds), ``client_max_version``, ``offered_suites`` (IANA
  names, GREASE removed), ``offered_flags`` (union of the suites' weakness flags),
  ``sni``, ``sslv2_hello``;
- server: ``version`` (negotiated), ``suite``, ``suite_code``, ``suite_flags``, ``kex``,
  ``dh_bits`` (size of the DHE prime), ``ec_curve``;
- ``client_hello`` / ``server_hello`` say which side was seen.

Certificates sent by the server (TLS <= 1.2 and SSLv2) are reported one by one with their
position in the chain (0 = the server's own) and become ``crypto.certificate``
observations. Version names: ``SSLv2 SSLv3 TLSv1.0 TLSv1.1 TLSv1.2 TLSv1.3``.

NOTE: the hello messages are parsed with ``struct`` rather than scapy's TLS layer: their
layout is fixed, and scapy costs 100-170 µs per hello (FIELD-NOTES.md), which would cap
the scanner well below the throughput goal on captures with many short TLS connections.
The test generator builds the handshakes with scapy, so the two implementations check
each other; suites are named from the crypto scanner's table (scanners.pcap.suites).
"""

from __future__ import annotations

import struct

from auditor.models import JSONValue

from ..events import FlowContext
from ..suites import SuiteInfo, sslv2_kind, suite
from .base import Analyser

__all__ = ["TlsAnalyser", "version_name"]

MAX_RECORD = 18_432  # 2^14 + 2048 (TLSCiphertext limit)
MAX_HANDSHAKE = 256 << 10
MAX_OFFERED = 128
_VERSIONS = {0x0002: "SSLv2", 0x0300: "SSLv3", 0x0301: "TLSv1.0", 0x0302: "TLSv1.1",
             0x0303: "TLSv1.2", 0x0304: "TLSv1.3"}
_CURVES = {23: "secp256r1", 24: "secp384r1", 25: "secp521r1", 29: "x25519", 30: "x448",
           21: "secp224r1", 22: "secp256k1", 19: "secp192r1", 256: "ffdhe2048"}
_U16 = struct.Struct("!H").unpack_from


def version_name(code: int) -> str:
    if code in _VERSIONS:
        return _VERSIONS[code]
    if code >> 8 == 0x7F:
        return "TLSv1.3"  # draft versions
    return f"0x{code:04X}"


def _grease(code: int) -> bool:
    return code & 0x0F0F == 0x0A0A and code >> 8 == code & 0xFF


def _u24(data: bytes | bytearray, pos: int) -> int:
    return data[pos] << 16 | data[pos + 1] << 8 | data[pos + 2]


def _extensions(body: bytes, pos: int) -> dict[int, bytes]:
    out: dict[int, bytes] = {}
    if pos + 2 > len(body):
        return out
    end = min(len(body), pos + 2 + _U16(body, pos)[0])
    pos += 2
    while pos + 4 <= end:
        etype, elen = struct.unpack_from("!HH", body, pos)
        out.setdefault(etype, body[pos + 4:pos + 4 + elen])
        pos += 4 + elen
    return out


class TlsAnalyser(Analyser):
    protocol = "tls"
    cleartext = False

    def __init__(self, ctx: FlowContext) -> None:
        super().__init__(ctx)
        self._bufs = (bytearray(), bytearray())
        self._hs = (bytearray(), bytearray())
        self._starts = [0, 0]
        self._sealed = [False, False]
        self._facts: dict[str, JSONValue] = {"client_hello": False, "server_hello": False}
        self._packet = 0
        self._suite: SuiteInfo | None = None
        self._certs: list[tuple[bytes, int]] = []
        self._reported = False
        self._salvaged = False
        self._sslv2 = False

    # ---- records ----------------------------------------------------------------------
    def feed(self, from_client: bool, data: bytes, packet: int) -> None:
        side = 0 if from_client else 1
        if self._sealed[side]:
            return
        buf = self._bufs[side]
        if not buf:
            self._starts[side] = packet
        buf += data
        while not self.done and not self._sealed[side] and len(buf) >= 5:
            start = self._starts[side]
            if buf[0] & 0x80 and (self._sslv2 or (from_client and not self._facts["client_hello"])):
                length = (buf[0] & 0x7F) << 8 | buf[1]
                if len(buf) < 2 + length:
                    break
                message = bytes(buf[2:2 + length])
                del buf[:2 + length]
                self._starts[side] = packet
                self._sslv2_message(from_client, message, start)
                continue
            ctype, major, length = buf[0], buf[1], _U16(buf, 3)[0]
            if ctype not in (20, 21, 22, 23, 24) or major != 3 or length > MAX_RECORD:
                self._finish()  # not (or no longer) TLS: stop reading
                return
            if len(buf) < 5 + length:
                break
            record = bytes(buf[5:5 + length])
            del buf[:5 + length]
            self._starts[side] = packet
            if ctype == 22:
                self._handshake(from_client, record, start)
            elif ctype in (20, 23):
                self._sealed[side] = True
                buf.clear()
                if not from_client or ctype == 23:
                    self._finish()
        if self._sealed[0] and self._sealed[1]:
            self._finish()

    def _handshake(self, from_client: bool, record: bytes, packet: int) -> None:
        hs = self._hs[0 if from_client else 1]
        hs += record
        while len(hs) >= 4 and not self.done:
            mtype, length = hs[0], _u24(hs, 1)
            if length > MAX_HANDSHAKE:
                self._finish()
                return
            if len(hs) < 4 + length:
                return
            body = bytes(hs[4:4 + length])
            del hs[:4 + length]
            try:
                self._message(from_client, mtype, body, packet)
            except (IndexError, struct.error):
                self.ctx.problem(packet, f"malformed TLS handshake message (type {mtype})")
                self._finish()

    def _message(self, from_client: bool, mtype: int, body: bytes, packet: int) -> None:
        if from_client and mtype == 1 and not self._facts["client_hello"]:
            self._client_hello(body, packet)
        elif not from_client and mtype == 2 and not self._facts["server_hello"]:
            self._server_hello(body, packet)
        elif not from_client and mtype == 11:
            end = 3 + _u24(body, 0)
            pos = 3
            while pos + 3 <= min(end, len(body)):
                size = _u24(body, pos)
                self._certs.append((body[pos + 3:pos + 3 + size], packet))
                pos += 3 + size
        elif not from_client and mtype == 12:
            self._key_exchange(body)
        elif not from_client and mtype == 14:
            self._finish()

    # ---- messages ---------------------------------------------------------------------
    def _client_hello(self, body: bytes, packet: int) -> None:
        legacy = _U16(body, 0)[0]
        pos = 35 + body[34]
        count = _U16(body, pos)[0]
        codes = [_U16(body, pos + 2 + i)[0] for i in range(0, count - 1, 2)]
        pos += 2 + count
        pos += 1 + body[pos]
        ext = _extensions(body, pos)
        versions = [legacy]
        if ext.get(43):
            raw = ext[43][1:1 + ext[43][0]]
            versions = [_U16(raw, i)[0] for i in range(0, len(raw) - 1, 2)]
        self._offered([suite(c) for c in codes if not _grease(c)])
        self._client_versions([v for v in versions if not _grease(v)], legacy)
        self._facts["sni"] = _sni(ext.get(0, b""))
        self._facts["sslv2_hello"] = False
        self._facts["client_hello"] = True
        self._packet = packet

    def _offered(self, infos: list[SuiteInfo]) -> None:
        names: list[JSONValue] = [i.name for i in infos[:MAX_OFFERED]]
        flags: list[JSONValue] = [*sorted({f for i in infos for f in i.flags})]
        self._facts["offered_suites"] = names
        self._facts["offered_flags"] = flags

    def _client_versions(self, versions: list[int], legacy: int) -> None:
        names: list[JSONValue] = [version_name(v) for v in versions] or [version_name(legacy)]
        self._facts["client_version"] = version_name(legacy)
        self._facts["client_versions"] = names
        best = max(versions or [legacy], key=lambda v: 0x0304 if v >> 8 == 0x7F else v)
        self._facts["client_max_version"] = version_name(best)

    def _server_hello(self, body: bytes, packet: int) -> None:
        version = _U16(body, 0)[0]
        pos = 35 + body[34]
        code = _U16(body, pos)[0]
        ext = _extensions(body, pos + 3)
        if 43 in ext and len(ext[43]) >= 2:
            version = _U16(ext[43], 0)[0]
        self._select(version_name(version), suite(code))
        if not self._packet:
            self._packet = packet
        if self._facts["version"] == "TLSv1.3":
            self._finish()  # NOTE: the rest of a TLS 1.3 handshake is encrypted

    def _select(self, version: str, info: SuiteInfo) -> None:
        self._suite = info
        self._facts.update({
            "server_hello": True, "version": version, "suite": info.name,
            "suite_code": f"0x{info.code:04X}", "suite_flags": list[JSONValue](info.flags),
            "kex": info.kex})

    def _key_exchange(self, body: bytes) -> None:
        kex = self._suite.kex if self._suite else ""
        if kex.startswith("DHE") or kex == "DH":
            size = _U16(body, 0)[0]
            prime = body[2:2 + size].lstrip(b"\0")
            if prime:
                self._facts["dh_bits"] = int.from_bytes(prime, "big").bit_length()
        elif kex.startswith("ECDHE") and body[0] == 3:
            curve = _U16(body, 1)[0]
            self._facts["ec_curve"] = _CURVES.get(curve, f"0x{curve:04X}")

    def _sslv2_message(self, from_client: bool, msg: bytes, packet: int) -> None:
        try:
            if from_client and msg[0] == 1 and not self._facts["client_hello"]:
                self._sslv2 = True
                version = _U16(msg, 1)[0]
                specs_len = _U16(msg, 3)[0]
                specs = msg[9:9 + specs_len]
                kinds = [specs[i:i + 3] for i in range(0, len(specs) - 2, 3)]
                infos = [suite(_U16(k, 1)[0]) if k[0] == 0 else sslv2_kind(int.from_bytes(k))
                         for k in kinds]
                self._offered(infos)
                versions = [version] + ([2] if any(k[0] for k in kinds) and version != 2
                                        else [])
                self._client_versions(versions, version)
                self._facts.update({"sni": None, "sslv2_hello": True, "client_hello": True})
                self._packet = packet
            elif not from_client and msg[0] == 4:
                cert_len, specs_len = _U16(msg, 5)[0], _U16(msg, 7)[0]
                cert = msg[11:11 + cert_len]
                specs = msg[11 + cert_len:11 + cert_len + specs_len]
                self._select("SSLv2", sslv2_kind(int.from_bytes(specs[:3])))
                if cert:
                    self._certs.append((cert, packet))
            elif from_client and msg[0] == 2 and self._facts["server_hello"]:
                self._select("SSLv2", sslv2_kind(int.from_bytes(msg[1:4])))
                self._finish()
            else:
                self._finish()
        except (IndexError, struct.error):
            self.ctx.problem(packet, "malformed SSLv2 handshake message")
            self._finish()

    def _salvage(self) -> None:
        """The complete handshake messages at the start of a record that never arrived
        whole (capture cut, lost segment): a ServerHello is often all a short flow holds."""
        for side, from_client in ((0, True), (1, False)):
            buf = self._bufs[side]
            if (self._sealed[side] or len(buf) < 9 or buf[0] != 22 or buf[1] != 3
                    or _U16(buf, 3)[0] > MAX_RECORD):
                continue
            partial = bytes(buf[5:5 + _U16(buf, 3)[0]])
            buf.clear()
            self._handshake(from_client, partial, self._starts[side])

    # ---- reporting --------------------------------------------------------------------
    def _finish(self) -> None:
        if not self._reported and not self._salvaged:
            self._salvaged = True
            self._salvage()  # NOTE: may finish (and report) through a ServerHelloDone
        self.done = True
        if self._reported:
            return
        self._reported = True
        if self._facts["client_hello"] or self._facts["server_hello"]:
            facts = dict(self._facts)
            for name in ("client_version", "client_max_version", "version", "suite", "sni"):
                facts.setdefault(name, None)
            self.ctx.handshake(self._packet, facts)
        for position, (der, packet) in enumerate(self._certs):
            self.ctx.certificate(packet, der, position)

    def gap(self, from_client: bool) -> None:
        self._finish()

    def close(self) -> None:
        self._finish()


def _sni(data: bytes) -> str | None:
    # server_name_list: u16 length, then (u8 type, u16 length, name)...
    if len(data) < 5 or data[2] != 0:
        return None
    size = _U16(data, 3)[0]
    name = data[5:5 + size]
    try:
        return name.decode("ascii")
    except UnicodeDecodeError:
        return None
