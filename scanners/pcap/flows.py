"""Bounded TCP reassembly of both directions of every connection.

Each connection is a :class:`Flow` with two :class:`Stream` directions. Segments are put
in sequence order and handed to the flow's :class:`Handler` as contiguous bytes, tagged
with the frame number where they start:

- retransmissions and overlapping segments are trimmed to the bytes not yet delivered;
- out-of-order segments are held, at most ``Limits.max_pending_segments`` segments /
  ``Limits.max_pending_bytes`` bytes per direction and ``Limits.max_held_bytes`` over all
  flows; past that the hole is declared lost (``Handler.gap``) and delivery resumes at the
  next held segment;
- at most ``Limits.max_stream_bytes`` bytes per direction are delivered (the rest is counted
  and dropped), and once the handler is ``done`` (encrypted or opaque stream) nothing more
  is buffered or delivered for the flow;
- flows end on RST, on FIN from both sides, after ``Limits.idle_timeout`` seconds of capture
  time without packets, or when more than ``Limits.max_flows`` flows are open (oldest
  first); :meth:`FlowTable.close_all` ends the rest at the end of the capture.

The client is the side that sent the SYN; without a SYN in the capture, the side with the
higher port number (ties: the sender of the first packet).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from .packets import Segment

__all__ = ["Flow", "FlowTable", "Handler", "Limits", "Stream"]

FIN, SYN, RST, ACK = 0x01, 0x02, 0x04, 0x10
_MASK = 0xFFFFFFFF
_HALF = 0x80000000


@dataclass(frozen=True, slots=True)
class Limits:
    """Memory bounds of the reassembly (per scan)."""

    max_flows: int = 65_536
    idle_timeout: float = 300.0
    max_stream_bytes: int = 4 << 20
    max_pending_bytes: int = 256 << 10
    max_held_bytes: int = 64 << 20  # out-of-order bytes held over all flows
    max_pending_segments: int = 64


class Handler(Protocol):
    """What a flow delivers its bytes to (see scanners.pcap.dispatch.FlowHandler)."""

    done: bool

    def data(self, from_client: bool, data: bytes, packet: int) -> None: ...

    def gap(self, from_client: bool) -> None: ...

    def close(self) -> None: ...


class Stream:
    """One direction of a connection."""

    __slots__ = ("capped", "delivered", "fin", "next_seq", "pending", "pending_bytes")

    def __init__(self) -> None:
        self.next_seq: int | None = None
        self.pending: dict[int, tuple[bytes, int]] = {}
        self.pending_bytes = 0
        self.delivered = 0
        self.fin = False
        self.capped = False


class Flow:
    """A TCP connection; ``client`` and ``server`` are ``(packed address, port)``."""

    __slots__ = ("c2s", "client", "handler", "key", "last_seen", "s2c", "server", "syn")

    def __init__(self, key: tuple[tuple[bytes, int], tuple[bytes, int]],
                 client: tuple[bytes, int], server: tuple[bytes, int], ts: float,
                 syn: bool = True) -> None:
        self.key = key
        self.syn = syn  # whether the roles come from a SYN (else from the port numbers)
        self.client = client
        self.server = server
        self.c2s = Stream()
        self.s2c = Stream()
        self.last_seen = ts
        self.handler: Handler | None = None


HandlerFactory = Callable[[Flow, int], Handler]


class FlowTable:
    """Open TCP flows, in creation order. ``factory(flow, packet)`` makes each handler."""

    def __init__(self, factory: HandlerFactory, limits: Limits | None = None) -> None:
        self._factory = factory
        self._limits = limits or Limits()
        self._flows: dict[tuple[tuple[bytes, int], tuple[bytes, int]], Flow] = {}
        self._last_sweep = 0.0
        self._held = 0  # out-of-order bytes held by all streams
        self._sweep_every = self._limits.idle_timeout / 4

    def __len__(self) -> int:
        return len(self._flows)

    @property
    def held_bytes(self) -> int:
        """Out-of-order bytes currently held over all flows."""
        return self._held

    def add(self, seg: Segment, packet: int, ts: float) -> None:
        """Account one TCP segment (frame number ``packet``, capture time ``ts``)."""
        # NOTE: runs for every TCP frame: the segment is unpacked once
        _, src, dst, sport, dport, seq, _, flags, payload = seg
        a = (src, sport)
        b = (dst, dport)
        key = (a, b) if a <= b else (b, a)
        flow = self._flows.get(key)
        if flow is None:
            if not payload and not flags & SYN:
                return  # a bare ACK/FIN/RST of a connection we never saw carry data
            flow = self._open(key, seg, packet, ts)
        elif ts - flow.last_seen > self._limits.idle_timeout:
            # NOTE: the same 4-tuple reused after a long silence is a new connection.
            self._finish(flow)
            flow = self._open(key, seg, packet, ts)
        flow.last_seen = ts
        from_client = a == flow.client
        stream = flow.c2s if from_client else flow.s2c
        if flags & SYN:
            stream.next_seq = (seq + 1) & _MASK
        handler = flow.handler
        if payload and handler is not None and not handler.done:
            if flags & SYN:
                seq = (seq + 1) & _MASK  # data after a SYN
            self._segment(handler, stream, from_client, seq, payload, packet=packet)
        if flags & RST:
            self._finish(flow)
        elif flags & FIN:
            stream.fin = True
            if flow.c2s.fin and flow.s2c.fin:
                self._finish(flow)
        if ts - self._last_sweep > self._sweep_every:
            self._sweep(ts)

    def close_all(self) -> None:
        """End every open flow (end of capture), in creation order."""
        for flow in list(self._flows.values()):
            self._finish(flow)

    # ---- internals --------------------------------------------------------------------
    def _open(self, key: tuple[tuple[bytes, int], tuple[bytes, int]], seg: Segment,
              packet: int, ts: float) -> Flow:
        flags = seg.flags
        sender_is_client = not flags & ACK if flags & SYN else seg.sport >= seg.dport
        a, b = (seg.src, seg.sport), (seg.dst, seg.dport)
        client, server = (a, b) if sender_is_client else (b, a)
        if len(self._flows) >= self._limits.max_flows:
            self._finish(next(iter(self._flows.values())))
        flow = Flow(key, client, server, ts, syn=bool(flags & SYN))
        self._flows[key] = flow
        flow.handler = self._factory(flow, packet)
        return flow

    def _finish(self, flow: Flow) -> None:
        if self._flows.get(flow.key) is not flow:
            return
        del self._flows[flow.key]
        handler = flow.handler
        if handler is None:
            return
        for from_client, stream in ((True, flow.c2s), (False, flow.s2c)):
            if stream.pending and not handler.done:
                handler.gap(from_client)
                self._resync(handler, stream, from_client)
            self._release(stream)
        handler.close()

    def _sweep(self, ts: float) -> None:
        self._last_sweep = ts
        timeout = self._limits.idle_timeout
        for flow in [f for f in self._flows.values() if ts - f.last_seen > timeout]:
            self._finish(flow)

    def _segment(self, handler: Handler, stream: Stream, from_client: bool, seq: int,
                 payload: bytes, *, packet: int) -> None:
        if stream.capped:
            return
        if stream.next_seq is None:
            stream.next_seq = seq  # NOTE: connection picked up mid-stream
        delta = (seq - stream.next_seq) & _MASK
        if delta >= _HALF:  # starts before what was delivered: retransmission or overlap
            behind = (_MASK + 1) - delta
            if behind >= len(payload):
                return
            payload = payload[behind:]
            delta = 0
        if delta == 0:
            self._deliver(handler, stream, from_client, payload, packet)
            if stream.pending:
                self._drain(handler, stream, from_client)
            return
        held = stream.pending.get(seq)
        if held is not None and len(held[0]) >= len(payload):
            return
        if held is not None:
            stream.pending_bytes -= len(held[0])
            self._held -= len(held[0])
        stream.pending[seq] = (payload, packet)
        stream.pending_bytes += len(payload)
        self._held += len(payload)
        limits = self._limits
        if (len(stream.pending) > limits.max_pending_segments
                or stream.pending_bytes > limits.max_pending_bytes
                or self._held > limits.max_held_bytes):
            handler.gap(from_client)
            self._resync(handler, stream, from_client)

    def _deliver(self, handler: Handler, stream: Stream, from_client: bool, payload: bytes,
                 packet: int) -> None:
        assert stream.next_seq is not None
        stream.next_seq = (stream.next_seq + len(payload)) & _MASK
        room = self._limits.max_stream_bytes - stream.delivered
        if room <= 0:
            stream.capped = True
            self._release(stream)
            return
        if len(payload) > room:
            payload = payload[:room]
        stream.delivered += len(payload)
        if not handler.done:
            handler.data(from_client, payload, packet)

    def _drain(self, handler: Handler, stream: Stream, from_client: bool) -> None:
        """Deliver held segments that now continue the stream."""
        while stream.pending and not handler.done and not stream.capped:
            assert stream.next_seq is not None
            nxt = stream.next_seq
            best_seq, best_off = -1, _HALF
            for s in stream.pending:
                rel = (s - nxt) & _MASK
                off = rel - (_MASK + 1) if rel >= _HALF else rel
                if off < best_off:
                    best_seq, best_off = s, off
            if best_off > 0:
                return
            payload, packet = stream.pending.pop(best_seq)
            stream.pending_bytes -= len(payload)
            self._held -= len(payload)
            if -best_off < len(payload):
                self._deliver(handler, stream, from_client, payload[-best_off:], packet)
        if handler.done or stream.capped:
            self._release(stream)

    def _resync(self, handler: Handler, stream: Stream, from_client: bool) -> None:
        """Skip the hole: continue at the earliest held segment, then drain."""
        assert stream.next_seq is not None
        while stream.pending and not handler.done:
            nxt = stream.next_seq
            stream.next_seq = min(stream.pending, key=lambda s: (s - nxt) & _MASK)
            self._drain(handler, stream, from_client)
            if stream.pending and not handler.done:
                handler.gap(from_client)  # another hole
        self._release(stream)

    def _release(self, stream: Stream) -> None:
        """Drop what a stream still holds."""
        self._held -= stream.pending_bytes
        stream.pending.clear()
        stream.pending_bytes = 0
