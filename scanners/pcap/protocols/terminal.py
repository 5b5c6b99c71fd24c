"""Telnet logins and SSH version banners.

Telnet: option negotiation (IAC sequences) is stripped; the client's input after a
``login:``/``username:`` prompt is the user, after a ``password:`` prompt the password
(reported as a telnet credential). Backspace and DEL edit the input as a terminal would.
Input typed after the login is not inspected.

SSH: the ``SSH-protoversion-softwareversion comments`` line of each side is reported
(``protocol_version`` such as ``2.0``, ``1.99`` or ``1.5``; ``software``; ``comments``);
everything after it is encrypted and dropped.
"""

from __future__ import annotations

import re

from auditor.models import JSONValue

from ..events import FlowContext
from .base import Analyser, text

__all__ = ["SshAnalyser", "TelnetAnalyser", "strip_iac"]

IAC, SB, SE = 0xFF, 0xFA, 0xF0
_PROMPT_USER = re.compile(r"(?:login|username|user name|user)\s*:\s*$", re.IGNORECASE)
_PROMPT_PASS = re.compile(r"password\s*:\s*$", re.IGNORECASE)
MAX_INPUT = 256


def strip_iac(data: bytes) -> bytes:
    """Remove telnet commands and option negotiation from a chunk."""
    if IAC not in data:
        return data
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        byte = data[i]
        if byte != IAC:
            out.append(byte)
            i += 1
            continue
        cmd = data[i + 1] if i + 1 < n else -1
        if cmd == IAC:
            out.append(IAC)
            i += 2
        elif cmd == SB:
            end = data.find(bytes((IAC, SE)), i + 2)
            i = n if end < 0 else end + 2
        elif 0xFB <= cmd <= 0xFE:
            i += 3
        else:
            i += 2
    return bytes(out)


class TelnetAnalyser(Analyser):
    protocol = "telnet"

    def __init__(self, ctx: FlowContext) -> None:
        super().__init__(ctx)
        self._prompt = ""  # the last characters the server showed
        self._expect: str | None = None
        self._input = bytearray()
        self._input_packet = 0
        self._user: str | None = None
        self._user_packet = 0

    def feed(self, from_client: bool, data: bytes, packet: int) -> None:
        data = strip_iac(data)
        if not data:
            return
        if not from_client:
            self._prompt = (self._prompt + text(data))[-80:]
            if _PROMPT_PASS.search(self._prompt):
                self._expect = "password"
            elif _PROMPT_USER.search(self._prompt):
                self._expect = "user"
            return
        if self._expect is None:
            return
        for byte in data:
            if byte in (0x0D, 0x0A, 0x00):
                if self._input or byte == 0x0D:
                    self._entered(packet)
                continue
            if byte in (0x08, 0x7F):
                if self._input:
                    self._input.pop()
                continue
            if not self._input:
                self._input_packet = packet
            if len(self._input) < MAX_INPUT:
                self._input.append(byte)

    def _entered(self, packet: int) -> None:
        value = text(bytes(self._input))
        self._input.clear()
        expect, self._expect, self._prompt = self._expect, None, ""
        if expect == "user":
            self._user, self._user_packet = value, self._input_packet or packet
        elif expect == "password":
            self.ctx.credential(self._user_packet or packet, "telnet", "login", self._user,
                                value, exposed=True)
            self.done = self._user is not None  # NOTE: the session itself is not inspected

    def gap(self, from_client: bool) -> None:
        self._input.clear()


_BANNER = re.compile(rb"SSH-([0-9.]+)-([^\s\r\n]*)(?: ([^\r\n]*))?\r?\n")


class SshAnalyser(Analyser):
    protocol = "ssh"
    cleartext = False

    def __init__(self, ctx: FlowContext) -> None:
        super().__init__(ctx)
        self._bufs = (bytearray(), bytearray())
        self._seen = [False, False]
        self._starts = [0, 0]

    def feed(self, from_client: bool, data: bytes, packet: int) -> None:
        side = 0 if from_client else 1
        if self._seen[side]:
            return
        buf = self._bufs[side]
        if not buf:
            self._starts[side] = packet
        buf += data[:512]
        found = _BANNER.search(buf)
        if found is None and len(buf) < 512:
            return
        self._seen[side] = True
        if found is not None:
            attributes: dict[str, JSONValue] = {
                "protocol_version": text(found.group(1)),
                "software": text(found.group(2))[:100],
                "comments": text(found.group(3) or b"")[:100] or None,
            }
            self.ctx.banner(self._starts[side], "client" if from_client else "server",
                            attributes)
        buf.clear()
        self.done = all(self._seen)
