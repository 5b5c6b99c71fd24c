"""From frames to analysers: decoding, flow table, protocol identification, UDP.

A :class:`CaptureSession` takes the frames of one capture in order. TCP segments go
through the bounded reassembly (scanners.pcap.flows); each connection gets a
:class:`FlowHandler` that holds its first bytes until :func:`identify` names the
protocol, then replays them into that protocol's analyser. An analyser that sets
``ctx.start_tls`` (STARTTLS, AUTH TLS, SSLRequest...) is replaced by the TLS analyser for
the rest of the stream; an unidentified (opaque) or finished stream is dropped early.
UDP datagrams are looked at one by one (SNMP).
"""

from __future__ import annotations

import ipaddress
import struct
from types import MappingProxyType

from .events import FlowContext, Recorder
from .flows import Flow, FlowTable, Limits
from .identify import ENOUGH, OPAQUE, identify, roles_reversed
from .packets import TCP, Defragmenter, Segment, decode
from .protocols.base import Analyser
from .protocols.ber import LdapAnalyser, snmp_community
from .protocols.chat import IrcAnalyser, XmppAnalyser
from .protocols.databases import MysqlAnalyser, PostgresAnalyser
from .protocols.http import HttpAnalyser
from .protocols.terminal import SshAnalyser, TelnetAnalyser
from .protocols.text import FtpAnalyser, ImapAnalyser, Pop3Analyser, SmtpAnalyser
from .protocols.tls import TlsAnalyser
from .reader import Frame

__all__ = ["ANALYSERS", "CaptureSession", "FlowHandler", "endpoint"]

ANALYSERS: MappingProxyType[str, type[Analyser]] = MappingProxyType({
    cls.protocol: cls for cls in (
        TlsAnalyser, HttpAnalyser, SshAnalyser, FtpAnalyser, SmtpAnalyser, Pop3Analyser,
        ImapAnalyser, TelnetAnalyser, PostgresAnalyser, MysqlAnalyser, LdapAnalyser,
        XmppAnalyser, IrcAnalyser)})
_SNMP_PORTS = frozenset((161, 162))
MAX_UDP_FLOWS = 10_000


def endpoint(address: bytes, port: int) -> str:
    """``IP:PORT``, IPv6 addresses in brackets (``[2001:db8::1]:443``)."""
    ip = ipaddress.ip_address(address)
    return f"[{ip}]:{port}" if ip.version == 6 else f"{ip}:{port}"


class FlowHandler:
    """Identifies one connection's protocol and feeds its analyser."""

    __slots__ = ("_analyser", "_cleartext", "_head", "_port", "_swap", "_syn", "ctx", "done")

    def __init__(self, ctx: FlowContext, server_port: int, client_port: int = 0, *,
                 syn: bool = True) -> None:
        self.ctx = ctx
        self.done = False
        self._port = server_port
        self._analyser: Analyser | None = None
        self._head: list[tuple[bool, bytes, int]] = []
        self._cleartext = False
        self._syn = syn  # NOTE: without a SYN the roles were guessed from the ports
        self._swap = client_port if not syn else 0

    def _reverse(self) -> None:
        """The first bytes showed the guessed client is the server: swap the roles."""
        ctx = self.ctx
        client, _, server = ctx.flow.partition("->")
        ctx.flow, ctx.server = f"{server}->{client}", client
        ctx.client_bytes, ctx.server_bytes = ctx.server_bytes, ctx.client_bytes
        self._port, self._swap = self._swap, -1
        self._head = [(not c, d, p) for c, d, p in self._head]

    def data(self, from_client: bool, data: bytes, packet: int) -> None:
        if self._swap < 0:
            from_client = not from_client
        ctx = self.ctx
        if from_client:
            ctx.client_bytes += len(data)
        else:
            ctx.server_bytes += len(data)
        if self._analyser is not None:
            self._feed(from_client, data, packet)
            return
        self._head.append((from_client, data, packet))
        client = b"".join(d for c, d, _ in self._head if c)[:ENOUGH]
        server = b"".join(d for c, d, _ in self._head if not c)[:ENOUGH]
        if self._swap > 0 and roles_reversed(client, server):
            self._reverse()
            client, server = server, client
        protocol = identify(client, server, self._port)
        if protocol is None:
            return
        head, self._head = self._head, []
        if protocol == OPAQUE:
            self.done = True
            return
        cls = ANALYSERS[protocol]
        ctx.protocol = protocol
        self._cleartext = cls.cleartext
        self._analyser = cls(ctx)
        for chunk_from_client, chunk, chunk_packet in head:
            self._feed(chunk_from_client, chunk, chunk_packet)
            if self.done:
                break

    def _feed(self, from_client: bool, data: bytes, packet: int) -> None:
        analyser = self._analyser
        assert analyser is not None
        try:
            analyser.feed(from_client, data, packet)
        except (ValueError, IndexError, KeyError, TypeError, struct.error,
                UnicodeError) as exc:
            # NOTE: one connection the analyser cannot follow must not sink the capture;
            # it is recorded (protocol, frame, error type, never the bytes) and dropped.
            ctx = self.ctx
            ctx.problem(packet, f"{analyser.protocol} analyser stopped on malformed data "
                                f"({type(exc).__name__})")
            self.done = analyser.done = True
            return
        ctx = self.ctx
        if ctx.start_tls:
            # NOTE: from here on the stream is a TLS handshake, then ciphertext; the
            # cleartext protocol is no longer inspected.
            ctx.start_tls = False
            ctx.tls_upgraded = True
            ctx.via = analyser.protocol
            self._analyser = TlsAnalyser(ctx)
        elif analyser.done:
            self.done = True

    def gap(self, from_client: bool) -> None:
        if self._swap < 0:
            from_client = not from_client
        if self._analyser is not None:
            self._analyser.gap(from_client)
            self.done = self._analyser.done
        else:
            self.done = True  # NOTE: cannot identify a protocol across a hole

    def close(self) -> None:
        if self._analyser is not None:
            self._analyser.close()
        self.ctx.recorder.flow_closed(self.ctx, self._cleartext)


class CaptureSession:
    """Everything needed to analyse one capture, fed frame by frame."""

    def __init__(self, recorder: Recorder, limits: Limits | None = None) -> None:
        self.recorder = recorder
        self._defrag = Defragmenter()
        self._flows = FlowTable(self._handler, limits)
        self._udp: dict[tuple[str, str], FlowContext] = {}
        self._cut = 0  # frames shortened by the capture's snap length
        self._first_cut = 0
        self._tick = recorder.clock.tick

    def _handler(self, flow: Flow, packet: int) -> FlowHandler:
        server = endpoint(*flow.server)
        ctx = FlowContext(self.recorder, f"{endpoint(*flow.client)}->{server}", server, packet,
                          self.recorder.clock.now)
        return FlowHandler(ctx, flow.server[1], flow.client[1], syn=flow.syn)

    def frame(self, frame: Frame) -> None:
        # NOTE: called for every frame: the tuple is unpacked once (attribute look-ups
        # of a NamedTuple cost more than the unpacking)
        number, linktype, timestamp, data, wire_length = frame
        self._tick(number, timestamp)
        if wire_length > len(data):
            self._cut += 1
            self._first_cut = self._first_cut or number
        seg = decode(linktype, data, self._defrag)
        if seg is None:
            return
        if seg.proto == TCP:
            self._flows.add(seg, number, timestamp)
        elif seg.sport in _SNMP_PORTS or seg.dport in _SNMP_PORTS:
            self._snmp(seg, frame.number)

    def _snmp(self, seg: Segment, packet: int) -> None:
        found = snmp_community(seg.payload)
        if found is None:
            return
        # NOTE: the agent (161) or trap receiver (162) is the server
        to_server = seg.dport in _SNMP_PORTS
        client = endpoint(seg.src, seg.sport) if to_server else endpoint(seg.dst, seg.dport)
        server = endpoint(seg.dst, seg.dport) if to_server else endpoint(seg.src, seg.sport)
        ctx = self._udp.get((client, server))
        if ctx is None:
            ctx = FlowContext(self.recorder, f"{client}->{server}", server, packet,
                              self.recorder.clock.now, protocol="snmp")
            if len(self._udp) < MAX_UDP_FLOWS:
                self._udp[(client, server)] = ctx
            else:
                self.recorder.flow_closed(ctx, True)
        version, community = found
        ctx.client_bytes += len(seg.payload)
        ctx.credential(packet, "snmp", "community-v1" if version == 0 else "community-v2c",
                       None, community.decode("latin-1"), exposed=True)

    def close(self) -> None:
        """End of capture: finish every open flow."""
        self._flows.close_all()
        for ctx in self._udp.values():
            self.recorder.flow_closed(ctx, True)
        self._udp.clear()
        if self._cut:
            # NOTE: a header-only capture (tcpdump -s 96) must not read as "clean"
            self.recorder.problem(None, self._first_cut, (
                f"{self._cut} frames were cut short by the capture's snapshot length (first:"
                f" frame {self._first_cut}); their payloads could not be fully inspected"))
