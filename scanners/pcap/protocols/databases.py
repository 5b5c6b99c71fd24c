"""PostgreSQL and MySQL/MariaDB wire protocols without TLS.

PostgreSQL (protocol 3.0): the user from the StartupMessage; the password message after
an ``AuthenticationCleartextPassword`` request (password exposed) or an MD5 request (user
only); SCRAM exchanges reveal no password and are not reported. Simple and extended
queries (``Q``, ``P``, ``B``) and result rows (``D``, paired with the column names of the
preceding ``T``) are text for personal-data detection. An accepted ``SSLRequest`` turns
the stream into a TLS handshake.

MySQL: the user and authentication plugin from the HandshakeResponse; with
``mysql_clear_password`` (also after an auth-switch request) the password is exposed,
with the hashing plugins only the user. ``COM_QUERY``/``COM_STMT_PREPARE`` texts and text
result rows (paired with column names) are text for personal-data detection. An SSL
request switches to TLS.

Messages larger than 256 KiB are skipped without being buffered.
"""

from __future__ import annotations

import struct

from ..events import FlowContext
from .base import Analyser, text

__all__ = ["MysqlAnalyser", "PostgresAnalyser"]

MAX_MESSAGE = 256 << 10  # NOTE: larger messages (bulk COPY, blobs) are skipped unread
_I32 = struct.Struct("!i").unpack_from
_PG_SSL, _PG_GSS, _PG_V3, _PG_CANCEL = 80877103, 80877104, 196608, 80877102


class _Framed(Analyser):
    """Shared buffering: subclasses return the size of the next message or None."""

    def __init__(self, ctx: FlowContext) -> None:
        super().__init__(ctx)
        self._bufs = (bytearray(), bytearray())
        self._skip = [0, 0]
        self._starts = [0, 0]

    def feed(self, from_client: bool, data: bytes, packet: int) -> None:
        side = 0 if from_client else 1
        if self._skip[side]:
            cut = min(self._skip[side], len(data))
            self._skip[side] -= cut
            data = data[cut:]
        buf = self._bufs[side]
        if not buf:
            self._starts[side] = packet
        buf += data
        while buf and not self.done and not self.ctx.start_tls:
            size = self._size(from_client, buf)
            if size is None:
                return
            if size > MAX_MESSAGE:
                self._skip[side] = max(0, size - len(buf))
                buf.clear()
                return
            if len(buf) < size:
                return
            message = bytes(buf[:size])
            del buf[:size]
            start, self._starts[side] = self._starts[side], packet
            try:
                self._message(from_client, message, start)
            except (IndexError, struct.error):
                self.ctx.problem(start, f"malformed {self.protocol} message")
                self.done = True

    def _size(self, from_client: bool, buf: bytearray) -> int | None:
        raise NotImplementedError

    def _message(self, from_client: bool, message: bytes, packet: int) -> None:
        raise NotImplementedError


class PostgresAnalyser(_Framed):
    protocol = "postgres"

    def __init__(self, ctx: FlowContext) -> None:
        super().__init__(ctx)
        self._started = False
        self._ssl_asked = False
        self._auth = -1
        self._user: str | None = None
        self._user_packet = 0
        self._columns: list[str] = []

    def _size(self, from_client: bool, buf: bytearray) -> int | None:
        if not from_client and self._ssl_asked:
            return 1
        if from_client and not self._started:
            if len(buf) < 8:
                return None
            length = int(_I32(buf, 0)[0])
        else:
            if len(buf) < 5:
                return None
            length = int(_I32(buf, 1)[0]) + 1
        if length < 4:
            self.done = True
            return None
        return length

    def _message(self, from_client: bool, msg: bytes, packet: int) -> None:
        ctx = self.ctx
        if not from_client and self._ssl_asked:
            self._ssl_asked = False
            if msg == b"S":
                ctx.start_tls = True
            return
        if from_client and not self._started:
            code = _I32(msg, 4)[0]
            if code in (_PG_SSL, _PG_GSS):
                self._ssl_asked = True
            elif code == _PG_V3:
                self._started = True
                parts = msg[8:].split(b"\0")
                params = dict(zip(parts[::2], parts[1::2], strict=False))
                self._user = text(params[b"user"]) if b"user" in params else None
                self._user_packet = packet
            else:
                self.done = True
            return
        kind, body = msg[:1], msg[5:]
        if from_client:
            if kind == b"p":
                if self._auth == 3:
                    ctx.credential(self._user_packet, "postgres", "password", self._user,
                                   text(body.rstrip(b"\0")), exposed=True)
                elif self._auth == 5:
                    ctx.credential(self._user_packet, "postgres", "md5", self._user, None,
                                   exposed=False)
            elif kind == b"Q":
                ctx.text(packet, True, "query", text(body.rstrip(b"\0")))
            elif kind == b"P":
                parts = body.split(b"\0", 2)
                if len(parts) > 1:
                    ctx.text(packet, True, "query", text(parts[1]))
            elif kind == b"B":
                ctx.text(packet, True, "query", "\n".join(_printable(body)))
        elif kind == b"R" and len(body) >= 4:
            self._auth = _I32(body, 0)[0]
        elif kind == b"T":
            self._columns = _pg_columns(body)
        elif kind == b"D":
            ctx.text(packet, False, "result", _pairs(self._columns, _pg_row(body)))


def _pg_columns(body: bytes) -> list[str]:
    count = struct.unpack_from("!H", body, 0)[0]
    names, pos = [], 2
    for _ in range(count):
        end = body.find(b"\0", pos)
        if end < 0:
            break
        names.append(text(body[pos:end]))
        pos = end + 19
    return names


def _pg_row(body: bytes) -> list[str | None]:
    count = struct.unpack_from("!H", body, 0)[0]
    values: list[str | None] = []
    pos = 2
    for _ in range(count):
        size = _I32(body, pos)[0]
        pos += 4
        if size < 0:
            values.append(None)
            continue
        values.append(text(body[pos:pos + size]))
        pos += size
    return values


def _pairs(names: list[str], values: list[str | None]) -> str:
    lines = []
    for i, value in enumerate(values):
        if value:
            name = names[i] if i < len(names) else f"column{i + 1}"
            lines.append(f"{name}: {value}")
    return "\n".join(lines)


def _printable(data: bytes) -> list[str]:
    out, run = [], bytearray()
    for byte in data:
        if 0x20 <= byte < 0x7F or byte >= 0x80:
            run.append(byte)
        else:
            if len(run) >= 4:
                out.append(text(bytes(run)))
            run.clear()
    if len(run) >= 4:
        out.append(text(bytes(run)))
    return out


# ---- MySQL ----------------------------------------------------------------------------
_CLIENT_CONNECT_WITH_DB, _CLIENT_SSL, _CLIENT_SECURE = 0x8, 0x800, 0x8000
_CLIENT_PLUGIN_AUTH, _CLIENT_LENENC_DATA = 0x80000, 0x200000


def _lenenc(data: bytes, pos: int) -> tuple[int | None, int]:
    first = data[pos]
    if first < 0xFB:
        return first, pos + 1
    if first == 0xFB:
        return None, pos + 1
    width = {0xFC: 2, 0xFD: 3, 0xFE: 8}.get(first)
    if width is None or pos + 1 + width > len(data):
        raise IndexError("bad length-encoded integer")
    return int.from_bytes(data[pos + 1:pos + 1 + width], "little"), pos + 1 + width


def _lenenc_strings(data: bytes) -> list[str | None] | None:
    out: list[str | None] = []
    pos = 0
    try:
        while pos < len(data):
            size, pos = _lenenc(data, pos)
            if size is None:
                out.append(None)
                continue
            if pos + size > len(data):
                return None
            out.append(text(data[pos:pos + size]))
            pos += size
    except IndexError:
        return None
    return out


class MysqlAnalyser(_Framed):
    protocol = "mysql"

    def __init__(self, ctx: FlowContext) -> None:
        super().__init__(ctx)
        self._responded = False
        self._user: str | None = None
        self._user_packet = 0
        self._clear_switch = False
        self._columns: list[str] = []

    def _size(self, from_client: bool, buf: bytearray) -> int | None:
        if len(buf) < 4:
            return None
        return 4 + (buf[0] | buf[1] << 8 | buf[2] << 16)

    def _message(self, from_client: bool, msg: bytes, packet: int) -> None:
        payload = msg[4:]
        if not payload:
            return
        if from_client:
            if not self._responded:
                self._responded = True
                self._handshake_response(payload, packet)
            elif self._clear_switch:
                self._clear_switch = False
                self.ctx.credential(self._user_packet, "mysql", "mysql_clear_password",
                                    self._user, text(payload.rstrip(b"\0")), exposed=True)
            elif msg[3] == 0 and payload[0] in (0x03, 0x16):
                self.ctx.text(packet, True, "query", text(payload[1:]))
            return
        head = payload[0]
        if head == 0xFE and self._responded and len(payload) > 1 and not self._columns:
            plugin = payload[1:].split(b"\0", 1)[0]
            self._clear_switch = plugin == b"mysql_clear_password"
        elif payload.startswith(b"\x03def"):
            fields = _lenenc_strings(payload[:_column_name_end(payload)])
            if fields and len(fields) >= 5:
                self._columns.append(fields[4] or "")
        elif head in (0x00, 0xFF) or (head == 0xFE and len(payload) < 9):
            if head != 0xFE:
                self._columns = []
        elif len(payload) <= 9 and head < 0xFB and msg[3] == 1:
            self._columns = []  # column count of a new result set
        elif self._columns:
            row = _lenenc_strings(payload)
            if row is not None:
                self.ctx.text(packet, False, "result", _pairs(self._columns, row))

    def _handshake_response(self, payload: bytes, packet: int) -> None:
        caps = int.from_bytes(payload[:4], "little")
        if caps & _CLIENT_SSL and len(payload) == 32:
            self.ctx.start_tls = True
            return
        end = payload.find(b"\0", 32)
        if end < 0:
            return
        self._user, self._user_packet = text(payload[32:end]), packet
        pos = end + 1
        try:
            if caps & _CLIENT_LENENC_DATA:
                size, pos = _lenenc(payload, pos)
                size = size or 0
            elif caps & _CLIENT_SECURE:
                size, pos = payload[pos], pos + 1
            else:
                size = payload.find(b"\0", pos) - pos
        except IndexError:
            return
        auth = payload[pos:pos + size]
        pos += size
        if caps & _CLIENT_CONNECT_WITH_DB:
            nul = payload.find(b"\0", pos)
            pos = len(payload) if nul < 0 else nul + 1
        plugin = payload[pos:].split(b"\0", 1)[0] if caps & _CLIENT_PLUGIN_AUTH else b""
        if plugin == b"mysql_clear_password":
            self.ctx.credential(packet, "mysql", "mysql_clear_password", self._user,
                                text(auth.rstrip(b"\0")), exposed=True)
        elif auth:
            self.ctx.credential(packet, "mysql", text(plugin) or "mysql_native_password",
                                self._user, None, exposed=False)


def _column_name_end(payload: bytes) -> int:
    """Length of the six length-encoded strings that start a column definition."""
    pos = 0
    for _ in range(6):
        size, pos = _lenenc(payload, pos)
        pos += size or 0
    return pos
