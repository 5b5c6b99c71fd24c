"""Bounded TCP reassembly: ordering, retransmissions, overlaps, holes, caps, expiry."""

from __future__ import annotations

import pytest
from auditor.scanners.pcap.flows import ACK, FIN, RST, SYN, Flow, FlowTable, Limits
from auditor.scanners.pcap.packets import TCP, Segment

C, S = (b"\x0a\0\0\1", 40000), (b"\x0a\0\0\2", 80)
ISN = 1000


class Handler:
    """Records what the reassembly delivers."""

    def __init__(self, flow: Flow, packet: int, done_after: int | None = None) -> None:
        self.flow, self.first = flow, packet
        self.received: dict[bool, bytearray] = {True: bytearray(), False: bytearray()}
        self.packets: list[int] = []
        self.gaps: list[bool] = []
        self.closed = False
        self.done = False
        self._done_after = done_after

    def data(self, from_client: bool, data: bytes, packet: int) -> None:
        self.received[from_client] += data
        self.packets.append(packet)
        if self._done_after is not None and len(self.received[from_client]) >= \
                self._done_after:
            self.done = True

    def gap(self, from_client: bool) -> None:
        self.gaps.append(from_client)

    def close(self) -> None:
        self.closed = True


def table(limits: Limits | None = None, done_after: int | None = None,
          ) -> tuple[FlowTable, list[Handler]]:
    made: list[Handler] = []

    def factory(flow: Flow, packet: int) -> Handler:
        made.append(Handler(flow, packet, done_after))
        return made[-1]
    return FlowTable(factory, limits), made


def seg(offset: int, payload: bytes, flags: int = ACK | 0x08, from_client: bool = True,
        isn: int = ISN) -> Segment:
    src, dst = (C, S) if from_client else (S, C)
    return Segment(TCP, src[0], dst[0], src[1], dst[1], (isn + 1 + offset) & 0xFFFFFFFF, 0,
                   flags, payload)


def run(segments: list[Segment], **kw: object) -> Handler:
    flows, made = table(**kw)  # type: ignore[arg-type]
    flows.add(seg(-1, b"", SYN), 1, 0.0)
    for i, s in enumerate(segments, start=2):
        flows.add(s, i, float(i))
    flows.close_all()
    assert len(made) == 1
    return made[0]


@pytest.mark.parametrize(("segments", "expected", "gaps"), [
    ([seg(0, b"hello "), seg(6, b"world")], b"hello world", 0),
    ([seg(6, b"world"), seg(0, b"hello ")], b"hello world", 0),               # out of order
    ([seg(0, b"hello "), seg(0, b"hello "), seg(6, b"world")], b"hello world", 0),  # dup
    ([seg(0, b"hel"), seg(0, b"hello "), seg(6, b"world")], b"hello world", 0),  # overlap
    ([seg(0, b"hello "), seg(3, b"lo wor"), seg(8, b"rld")], b"hello world", 0),  # overlaps
    ([seg(0, b"ab"), seg(10, b"XY")], b"abXY", 1),                            # hole at close
], ids=["in-order", "reordered", "retransmitted", "overlap", "overlaps", "hole"])
def test_reassembly(segments: list[Segment], expected: bytes, gaps: int) -> None:
    h = run(segments)
    assert bytes(h.received[True]) == expected
    assert len(h.gaps) == gaps
    assert h.closed


def test_sequence_wraparound() -> None:
    isn = 0xFFFFFFF0
    flows, made = table()
    flows.add(seg(-1, b"", SYN, isn=isn), 1, 0.0)
    flows.add(seg(20, b"second", isn=isn), 2, 0.0)
    flows.add(seg(0, b"x" * 20, isn=isn), 3, 0.0)
    flows.close_all()
    assert bytes(made[0].received[True]) == b"x" * 20 + b"second"
    assert made[0].packets == [3, 2]


def test_pending_limit_skips_the_hole_and_goes_on() -> None:
    segments = [seg(0, b"a")] + [seg(100 + i, b"b") for i in range(5)]
    h = run(segments, limits=Limits(max_pending_segments=3))
    assert bytes(h.received[True]) == b"abbbbb"
    assert h.gaps == [True]


def test_stream_byte_cap() -> None:
    h = run([seg(0, b"0123456789"), seg(10, b"abcdef")], limits=Limits(max_stream_bytes=12))
    assert bytes(h.received[True]) == b"0123456789ab"


def test_done_handler_gets_nothing_more() -> None:
    h = run([seg(0, b"12345"), seg(5, b"67890")], done_after=3)
    assert bytes(h.received[True]) == b"12345"


def test_both_directions_and_client_by_syn() -> None:
    flows, made = table()
    flows.add(seg(-1, b"", SYN), 1, 0.0)
    flows.add(seg(-1, b"", SYN | ACK, from_client=False, isn=5000), 2, 0.0)
    flows.add(seg(0, b"220 hi\r\n", from_client=False, isn=5000), 3, 0.0)
    flows.add(seg(0, b"USER x\r\n"), 4, 0.0)
    flows.add(seg(8, b"", FIN | ACK), 5, 0.0)
    assert not made[0].closed
    flows.add(seg(8, b"", FIN | ACK, from_client=False, isn=5000), 6, 0.0)
    assert made[0].closed and len(flows) == 0
    assert made[0].flow.client == C
    assert bytes(made[0].received[False]) == b"220 hi\r\n"


def test_client_without_syn_is_the_higher_port() -> None:
    flows, made = table()
    flows.add(seg(0, b"HTTP/1.1 200 OK\r\n", from_client=False), 1, 0.0)
    assert made[0].flow.client == C


def test_rst_closes() -> None:
    flows, made = table()
    flows.add(seg(0, b"data"), 1, 0.0)
    flows.add(seg(4, b"", RST), 2, 0.0)
    assert made[0].closed and len(flows) == 0


def test_idle_flows_expire_and_a_reused_tuple_is_a_new_flow() -> None:
    flows, made = table(limits=Limits(idle_timeout=60))
    flows.add(seg(0, b"one"), 1, 0.0)
    flows.add(seg(3, b"two"), 2, 1000.0)
    assert made[0].closed and len(made) == 2
    assert bytes(made[1].received[True]) == b"two"


def test_flow_table_is_bounded() -> None:
    flows, made = table(limits=Limits(max_flows=10))
    for port in range(50):
        flows.add(Segment(TCP, C[0], S[0], 20000 + port, 80, 1, 0, ACK, b"x"), port, 0.0)
    assert len(flows) == 10
    assert sum(h.closed for h in made) == 40


def test_held_bytes_are_bounded_over_all_flows_and_released() -> None:
    flows, made = table(limits=Limits(max_held_bytes=1000))
    for port in range(20):
        client = (C[0], 30000 + port)
        flows.add(Segment(TCP, client[0], S[0], client[1], 80, 1, 0, SYN, b""), 1, 0.0)
        # a hole at the start: everything is held
        flows.add(Segment(TCP, client[0], S[0], client[1], 80, 500, 0, ACK, b"z" * 200), 2,
                  0.0)
        assert flows.held_bytes <= 1000
    assert sum(len(h.gaps) for h in made) >= 15
    flows.close_all()
    assert flows.held_bytes == 0
