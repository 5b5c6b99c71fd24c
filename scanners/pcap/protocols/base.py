"""Base classes of the protocol analysers: byte streams and line-oriented streams."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from ..events import FlowContext

__all__ = ["MAX_LINE", "Analyser", "LineAnalyser", "text"]

MAX_LINE = 8192


def text(data: bytes) -> str:
    """Decode wire bytes for inspection (UTF-8, falling back to Latin-1)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


class Analyser(ABC):
    """One connection's protocol analyser.

    ``done`` tells the reassembly that no more bytes are wanted (encrypted, opaque, or
    out of sync); ``ctx.start_tls`` that the next bytes are a TLS handshake (STARTTLS).
    """

    protocol: ClassVar[str]
    #: whether the protocol itself is cleartext (net.cleartext_service)
    cleartext: ClassVar[bool] = True

    def __init__(self, ctx: FlowContext) -> None:
        self.ctx = ctx
        self.done = False

    @abstractmethod
    def feed(self, from_client: bool, data: bytes, packet: int) -> None:
        """Take the next bytes of one direction; ``packet`` is where they start."""

    def gap(self, from_client: bool) -> None:
        """Bytes were lost in one direction. By default the analyser gives up."""
        self.done = True

    def close(self) -> None:  # noqa: B027 - an optional hook
        """The connection ended."""


class LineAnalyser(Analyser):
    """A protocol of CRLF-terminated command and reply lines (FTP, SMTP, POP3, IMAP)."""

    def __init__(self, ctx: FlowContext) -> None:
        super().__init__(ctx)
        self._bufs = (bytearray(), bytearray())
        self._starts = [0, 0]

    def feed(self, from_client: bool, data: bytes, packet: int) -> None:
        side = 0 if from_client else 1
        buf = self._bufs[side]
        if not buf:
            self._starts[side] = packet
        buf += data
        while not self.done and not self.ctx.start_tls:
            nl = buf.find(b"\n")
            if nl < 0:
                if len(buf) > MAX_LINE:  # NOTE: not a line protocol after all, or garbage
                    buf.clear()
                break
            line = bytes(buf[:nl]).rstrip(b"\r")
            del buf[:nl + 1]
            start, self._starts[side] = self._starts[side], packet
            if from_client:
                self.client_line(line, start)
            else:
                self.server_line(line, start)

    def gap(self, from_client: bool) -> None:
        # NOTE: resynchronise at the next line instead of giving up
        self._bufs[0 if from_client else 1].clear()

    @abstractmethod
    def client_line(self, line: bytes, packet: int) -> None: ...

    @abstractmethod
    def server_line(self, line: bytes, packet: int) -> None: ...
