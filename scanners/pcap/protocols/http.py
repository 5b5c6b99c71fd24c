"""HTTP/1.x requests and responses in cleartext.

Reported to the flow context (see scanners.pcap.events):

- credentials: ``Authorization``/``Proxy-Authorization`` Basic (password exposed) and
  Digest (user only); password fields in URL query strings, ``x-www-form-urlencoded``,
  JSON and ``multipart/form-data`` bodies (protocol ``http-form``, mechanism ``query``,
  ``form``, ``json``, ``multipart``), with the user from a user/login/email field;
- session tokens: session-like cookies (``Cookie``, ``Set-Cookie``), bearer and other
  ``Authorization`` schemes, API-key headers, token parameters in URLs;
- text for personal-data detection: the decoded URL, form and JSON values (as
  ``name: value`` lines so field names give context), textual bodies of requests and
  responses (``gzip``/``deflate`` decoded), at most 64 KiB per message.

Messages are framed by ``Content-Length``, chunked transfer coding or the end of the
connection; bodies past 64 KiB are skipped without being buffered. ``101 Switching
Protocols`` and ``CONNECT`` tunnels end the inspection.
"""

from __future__ import annotations

import binascii
import json
import re
import zlib
from collections import deque
from urllib.parse import parse_qsl, unquote_plus, urlsplit

from ..events import FlowContext
from .base import Analyser, text

__all__ = ["HttpAnalyser", "is_password_field", "is_session_name"]

MAX_HEAD = 64 << 10
MAX_BODY = 64 << 10
MAX_FIELDS = 500
_PASSWORD = re.compile(
    r"(?:^|[_.\-\[])(?:password|passwd|passwort|pass|pwd|pswd|matkhau|mat_khau|mật_khẩu)"
    r"(?:$|[_.\-\]])", re.IGNORECASE)
_USER = re.compile(r"(?:^|[_.\-\[])(?:user|username|user_name|login|email|uname|account|"
                   r"userid|ten_dang_nhap)(?:$|[_.\-\]])", re.IGNORECASE)
_SESSION = re.compile(r"sess|(?:^|[._-])sid$|token|auth|jwt|login|remember", re.IGNORECASE)
_TOKEN_HEADERS = frozenset(("x-api-key", "api-key", "x-auth-token", "x-access-token",
                            "x-session-token", "x-session-id"))
_TOKEN_PARAMS = re.compile(r"^(?:access_?token|token|api_?key|apikey|session_?id|sid|"
                           r"jsessionid|phpsessid|auth|auth_?token)$", re.IGNORECASE)
_DIGEST_USER = re.compile(r'username="([^"]*)"', re.IGNORECASE)
_MULTIPART = re.compile(rb'name="([^"]{1,100})"[^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n(.*?)\r\n--',
                        re.DOTALL)
_TEXTUAL = ("text/", "json", "xml", "form", "javascript")
# an untyped body of name=value pairs (forms posted without a Content-Type)
_URLENCODED = re.compile(rb"[A-Za-z0-9_.\-\[\]%]{1,100}=[^\s&=]*(?:&[A-Za-z0-9_.\-\[\]%]{1,100}="
                         rb"[^\s&=]*)*\s*$")


def is_password_field(name: str) -> bool:
    return bool(_PASSWORD.search(name))


def is_session_name(name: str) -> bool:
    return bool(_SESSION.search(name))


class _Message:
    __slots__ = ("headers", "method", "packet", "start", "status", "target")

    def __init__(self, start: bytes, headers: list[tuple[str, str]], packet: int) -> None:
        self.start = text(start)
        self.headers = headers
        self.packet = packet
        parts = self.start.split(" ", 2)
        self.method = parts[0].upper()
        self.target = parts[1] if len(parts) > 1 else ""
        self.status = int(parts[1]) if self.method.startswith("HTTP/") and len(parts) > 1 \
            and parts[1].isdigit() else 0

    def header(self, name: str) -> str:
        for key, value in self.headers:
            if key == name:
                return value
        return ""


class _Side:
    __slots__ = ("body", "buf", "message", "packet", "remaining", "skipped", "state")

    def __init__(self) -> None:
        self.buf = bytearray()
        self.body = bytearray()
        self.state = "head"
        self.remaining = 0
        self.packet = 0
        self.message: _Message | None = None
        self.skipped = False


class HttpAnalyser(Analyser):
    protocol = "http"

    def __init__(self, ctx: FlowContext) -> None:
        super().__init__(ctx)
        self._sides = (_Side(), _Side())
        self._methods: deque[str] = deque(maxlen=64)

    def feed(self, from_client: bool, data: bytes, packet: int) -> None:
        side = self._sides[0 if from_client else 1]
        if side.state == "dead":
            return
        if not side.buf and side.state == "head":
            side.packet = packet
        if side.state in ("body", "close") and not side.buf:
            take = self._body(side, data)  # NOTE: fast path, no copy into the buffer
            if side.state == "close" or side.remaining:
                return
            self._complete(side, from_client, packet)
            data = data[take:]  # the next message may start in the same segment
            if not data:
                return
        side.buf += data
        self._run(side, from_client, packet)

    def _body(self, side: _Side, data: bytes | bytearray) -> int:
        take = len(data) if side.state == "close" else min(side.remaining, len(data))
        room = MAX_BODY - len(side.body)
        if room > 0:
            side.body += data[:min(take, room)]
        if take > room:
            side.skipped = True
        if side.state != "close":
            side.remaining -= take
        return take

    def _run(self, side: _Side, from_client: bool, packet: int) -> None:
        buf = side.buf
        while buf and not self.done and side.state != "dead":
            state = side.state
            if state == "head":
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(buf) > MAX_HEAD:
                        side.state = "dead"
                    return
                head = bytes(buf[:end])
                del buf[:end + 4]
                self._head(side, from_client, head)
                if side.state == "head" and side.message is not None:
                    self._complete(side, from_client, packet)
            elif state in ("body", "chunk-data", "close"):
                del buf[:self._body(side, buf)]
                if side.remaining == 0 and state != "close":
                    if state == "body":
                        self._complete(side, from_client, packet)
                    else:
                        side.state = "chunk-crlf"
            elif state == "chunk-crlf":
                if len(buf) < 2:
                    return
                del buf[:2]
                side.state = "chunk-size"
            else:  # chunk-size or trailer
                nl = buf.find(b"\n")
                if nl < 0:
                    if len(buf) > 4096:
                        side.state = "dead"
                    return
                line = bytes(buf[:nl]).strip()
                del buf[:nl + 1]
                if state == "trailer":
                    if not line:
                        self._complete(side, from_client, packet)
                    continue
                try:
                    size = int(line.split(b";", 1)[0], 16)
                except ValueError:
                    side.state = "dead"
                    return
                side.state, side.remaining = ("trailer", 0) if size == 0 else ("chunk-data",
                                                                              size)

    def _head(self, side: _Side, from_client: bool, head: bytes) -> None:
        lines = head.split(b"\r\n")
        headers = []
        for raw in lines[1:]:
            name, sep, value = raw.partition(b":")
            if sep:
                headers.append((text(name).strip().lower(), text(value).strip()))
        msg = _Message(lines[0], headers, side.packet)
        side.message, side.body, side.skipped = msg, bytearray(), False
        chunked = "chunked" in msg.header("transfer-encoding").lower()
        length = msg.header("content-length")
        if from_client:
            self._methods.append(msg.method)
            if msg.method == "CONNECT":
                self.done = True
                return
        else:
            request = self._methods.popleft() if self._methods and msg.status >= 200 else ""
            if msg.status == 101 or (request == "CONNECT" and 200 <= msg.status < 300):
                self.done = True
                return
            if msg.status < 200 or msg.status in (204, 304) or request == "HEAD":
                side.state = "head"
                return
        if chunked:
            side.state = "chunk-size"
        elif length.isdigit() and int(length) > 0:
            side.state, side.remaining = "body", int(length)
        elif length.isdigit() or from_client:
            side.state = "head"
        else:
            side.state = "close"

    def _complete(self, side: _Side, from_client: bool, packet: int) -> None:
        msg, body = side.message, bytes(side.body)
        side.state, side.message, side.body, side.packet = "head", None, bytearray(), packet
        if msg is None:
            return
        body = _decode(body, msg.header("content-encoding").lower())
        if from_client:
            self._request(msg, body)
        else:
            self._response(msg, body)

    def close(self) -> None:
        server = self._sides[1]
        if server.state == "close" and server.message is not None:
            self._complete(server, False, server.packet)

    # ---- inspection -------------------------------------------------------------------
    def _request(self, msg: _Message, body: bytes) -> None:
        ctx, packet = self.ctx, msg.packet
        for name, value in msg.headers:
            if name in ("authorization", "proxy-authorization"):
                self._authorization(packet, value)
            elif name == "cookie":
                for cookie in value.split(";"):
                    key, _, val = cookie.strip().partition("=")
                    if key and is_session_name(key):
                        ctx.token(packet, "http", key, val, "cookie")
            elif name in _TOKEN_HEADERS:
                ctx.token(packet, "http", name, value, "header")
        query = urlsplit(msg.target).query
        fields = parse_qsl(query, keep_blank_values=True)[:MAX_FIELDS]
        for key, value in fields:
            if _TOKEN_PARAMS.match(key) and value:
                ctx.token(packet, "http", key, value, "url")
        self._fields(packet, fields, "query")
        ctx.text(packet, True, "url", unquote_plus(msg.target))
        if body:
            self._body_fields(msg, body, True)

    def _response(self, msg: _Message, body: bytes) -> None:
        for name, value in msg.headers:
            if name == "set-cookie":
                key, _, rest = value.partition("=")
                key = key.strip()
                if key and is_session_name(key):
                    self.ctx.token(msg.packet, "http", key, rest.split(";", 1)[0],
                                   "set-cookie")
        if body:
            self._body_fields(msg, body, False)

    def _authorization(self, packet: int, value: str) -> None:
        scheme, _, rest = value.strip().partition(" ")
        scheme = scheme.lower()
        if scheme == "basic":
            try:
                decoded = text(binascii.a2b_base64(rest.strip().encode("ascii")))
            except (binascii.Error, ValueError, UnicodeEncodeError):
                decoded = ""
            user, sep, password = decoded.partition(":")
            if sep:
                self.ctx.credential(packet, "http-basic", "basic", user, password, exposed=True)
        elif scheme == "digest":
            found = _DIGEST_USER.search(rest)
            self.ctx.credential(packet, "http-digest", "digest", found.group(1) if found else
                                None, None, exposed=False)
        elif rest:
            self.ctx.token(packet, "http", f"authorization:{scheme}", rest.strip(), "header")

    def _fields(self, packet: int, fields: list[tuple[str, str]], mechanism: str) -> None:
        password = next((v for k, v in fields if v and is_password_field(k)), None)
        if password is None:
            return
        user = next((v for k, v in fields if v and _USER.search(k)), None)
        self.ctx.credential(packet, "http-form", mechanism, user, password, exposed=True)

    def _body_fields(self, msg: _Message, body: bytes, from_client: bool) -> None:
        ctype = msg.header("content-type").lower()
        where = "body" if from_client else "response"
        fields: list[tuple[str, str]] | None = None
        mechanism = "form"
        if "x-www-form-urlencoded" in ctype or (not ctype and _URLENCODED.match(body)):
            fields = parse_qsl(text(body), keep_blank_values=True)[:MAX_FIELDS]
        elif "json" in ctype or (not ctype and body[:1] in (b"{", b"[")):
            try:
                fields = _json_fields(json.loads(body))
                mechanism = "json"
            except (ValueError, RecursionError):
                fields = None
        elif "multipart/form-data" in ctype:
            fields = [(text(k), text(v)) for k, v in _MULTIPART.findall(body)[:MAX_FIELDS]]
            mechanism = "multipart"
        if fields is not None:
            if from_client:
                self._fields(msg.packet, fields, mechanism)
            lines = [f"{k}: {v}" for k, v in fields if v and not is_password_field(k)]
            self.ctx.text(msg.packet, from_client, where, "\n".join(lines))
        elif any(t in ctype for t in _TEXTUAL) or (not ctype and _plain_text(body)):
            self.ctx.text(msg.packet, from_client, where, text(body))


def _json_fields(value: object, key: str = "", out: list[tuple[str, str]] | None = None,
                 depth: int = 0) -> list[tuple[str, str]]:
    out = [] if out is None else out
    if len(out) >= MAX_FIELDS or depth > 32:
        return out
    if isinstance(value, dict):
        for k, v in value.items():
            _json_fields(v, str(k), out, depth + 1)
    elif isinstance(value, list):
        for v in value:
            _json_fields(v, key, out, depth + 1)
    elif isinstance(value, str | int | float) and not isinstance(value, bool):
        out.append((key, str(value)))
    return out


def _plain_text(body: bytes) -> bool:
    """An untyped body that is text (ASCII, or UTF-8 without control characters)."""
    if body.isascii():
        return True
    try:
        decoded = body[:4096].decode("utf-8")
    except UnicodeDecodeError:
        # NOTE: the sample may end inside a multi-byte character
        try:
            decoded = body[:4093].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return not any(ord(c) < 32 and c not in "\t\r\n" for c in decoded)


def _decode(body: bytes, encoding: str) -> bytes:
    if not body or encoding not in ("gzip", "x-gzip", "deflate"):
        return body
    # NOTE: "deflate" is zlib-wrapped by the RFC, raw deflate by many servers
    attempts = (16 + zlib.MAX_WBITS,) if "gzip" in encoding else (zlib.MAX_WBITS,
                                                                  -zlib.MAX_WBITS)
    for wbits in attempts:
        try:
            return zlib.decompressobj(wbits).decompress(body, MAX_BODY)
        except zlib.error:
            continue
    return b""
