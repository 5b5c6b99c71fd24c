"""Protocol analysers of the capture scanner, one module per protocol family.

Each analyser is fed the reassembled bytes of one connection (both directions, in capture
order) and reports what it sees to its :class:`~scanners.pcap.events.FlowContext`.
"""

from __future__ import annotations

__all__: list[str] = []
