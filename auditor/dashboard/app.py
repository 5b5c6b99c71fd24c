"""The read-only dashboard server: a Starlette ASGI app over a results store.

Pages (``/``, ``/system``, ``/requirement``, ``/finding``) and their JSON twins under
``/api/`` come from :mod:`auditor.dashboard.data`. Only GET and HEAD are answered. Every
response carries a strict Content-Security-Policy (scripts and styles from this server
only, nothing inline, no framing). With a token or users configured (:class:`Auth`),
every request but ``/healthz`` needs them (HTTP Bearer or Basic), else 401.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from auditor.dashboard import data
from auditor.dashboard.charts import overview_charts, system_charts
from auditor.dashboard.i18n import LANGS, Translator
from auditor.dashboard.render import CSP, LinkMaker, Renderer
from auditor.history import Store
from auditor.models import Severity

__all__ = ["Auth", "create_app", "hash_password", "verify_password"]


_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str, salt: bytes) -> str:
    """``scrypt$N$r$p$SALT$HASH`` (hex), the format of ``users`` in the dashboard config."""
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_SCRYPT["n"], r=_SCRYPT["r"],
                            p=_SCRYPT["p"], dklen=32)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                             p=int(p), dklen=len(bytes.fromhex(digest)))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


@dataclass(frozen=True, slots=True)
class Auth:
    """A shared token (``Authorization: Bearer TOKEN``, or Basic with the token as the
    password) and/or users with scrypt password hashes (Basic)."""

    token: str | None = None
    users: Mapping[str, str] = field(default_factory=dict)

    @property
    def configured(self) -> bool:
        return bool(self.token) or bool(self.users)

    def allows(self, header: str | None) -> bool:
        if not self.configured:
            return True
        if not header:
            return False
        scheme, _, value = header.partition(" ")
        scheme = scheme.lower()
        value = value.strip()
        if scheme == "bearer" and self.token:
            return hmac.compare_digest(value.encode(), self.token.encode())
        if scheme == "basic":
            try:
                user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return False
            if self.token and hmac.compare_digest(password.encode(), self.token.encode()):
                return True
            stored = self.users.get(user)
            return stored is not None and verify_password(password, stored)
        return False


class _Guard:
    """Security headers on every response; authentication; GET/HEAD only."""

    def __init__(self, app: ASGIApp, auth: Auth) -> None:
        self.app = app
        self.auth = auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", [])
                           if h[0].lower() not in {k for k, _ in _HEADERS}]
                message["headers"] = headers + _HEADERS + [(b"cache-control", b"no-store")]
            await send(message)

        if scope["method"] not in ("GET", "HEAD"):
            response: Response = PlainTextResponse("read-only", status_code=405,
                                                   headers={"Allow": "GET, HEAD"})
            await response(scope, receive, send_with_headers)
            return
        if scope["path"] != "/healthz":
            header = next((v.decode("latin-1") for k, v in scope["headers"]
                           if k == b"authorization"), None)
            if not self.auth.allows(header):
                response = PlainTextResponse("authentication required", status_code=401,
                                             headers={"WWW-Authenticate":
                                                      'Basic realm="auditor", charset="UTF-8"'})
                await response(scope, receive, send_with_headers)
                return
        await self.app(scope, receive, send_with_headers)


def _int(value: str | None, default: int | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


def filters_from(params: Mapping[str, str]) -> data.Filters:
    severity = params.get("severity") or None
    if severity is not None:
        try:
            Severity.parse(severity)
        except ValueError:
            severity = None
    period = _int(params.get("period"), 90)
    return data.Filters(owner=params.get("owner") or None, system=params.get("system") or None,
                        framework=params.get("framework") or None, severity=severity,
                        period=period if period and period > 0 else None)


def _api_routes(read: Callable[..., Any]) -> list[Route]:
    """``/api/...``: the data of each page as JSON (docs/dashboard.md)."""

    def api(fn: Callable[[Request], Any]) -> Callable[[Request], Response]:
        def endpoint(request: Request) -> Response:
            try:
                return JSONResponse(fn(request))
            except data.NotFoundError as exc:
                return JSONResponse({"error": str(exc)}, status_code=404)
        return endpoint

    def q(request: Request, name: str) -> str:
        return request.query_params.get(name, "")

    return [
        Route("/api/overview", api(lambda r: read(data.overview_data,
                                                  filters_from(r.query_params)))),
        Route("/api/system", api(lambda r: read(data.system_data, q(r, "name"),
                                                filters_from(r.query_params)))),
        Route("/api/requirement", api(lambda r: read(data.requirement_data,
                                                     q(r, "framework"), q(r, "id")))),
        Route("/api/finding", api(lambda r: read(data.finding_data, q(r, "system"),
                                                 q(r, "fp")))),
    ]


def create_app(store: Store, auth: Auth | None = None) -> ASGIApp:
    renderer = Renderer()

    def read(fn: Callable[..., Any], *args: Any) -> Any:
        with store.db.engine.connect() as conn:
            return fn(conn, *args)

    def lang_of(request: Request) -> str:
        lang = request.query_params.get("lang", "vi")
        return lang if lang in LANGS else "vi"

    def page(request: Request, template: str, d: dict[str, Any],
             charts: Callable[[Translator, dict[str, Any]], dict[str, Any]] | None = None
             ) -> HTMLResponse:
        lang = lang_of(request)
        links = LinkMaker(lang, filters=d.get("filters"))
        toggle = links.toggle(request.url.path, dict(request.query_params))
        html = renderer.page(template, d, lang=lang, links=links, toggle=toggle,
                             charts=charts(Translator(lang), d) if charts else None)
        return HTMLResponse(html)

    def not_found(exc: Exception) -> PlainTextResponse:
        return PlainTextResponse(str(exc), status_code=404)

    def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    def overview(request: Request) -> Response:
        d = read(data.overview_data, filters_from(request.query_params))
        return page(request, "overview.html", d, overview_charts)

    def system(request: Request) -> Response:
        try:
            d = read(data.system_data, request.query_params.get("name", ""),
                     filters_from(request.query_params))
        except data.NotFoundError as exc:
            return not_found(exc)
        return page(request, "system.html", d, system_charts)

    def requirement(request: Request) -> Response:
        try:
            d = read(data.requirement_data, request.query_params.get("framework", ""),
                     request.query_params.get("id", ""))
        except data.NotFoundError as exc:
            return not_found(exc)
        return page(request, "requirement.html", d)

    def finding(request: Request) -> Response:
        try:
            d = read(data.finding_data, request.query_params.get("system", ""),
                     request.query_params.get("fp", ""))
        except data.NotFoundError as exc:
            return not_found(exc)
        return page(request, "finding.html", d)

    def download(request: Request) -> Response:
        run = _int(request.query_params.get("run"), None)
        name = request.query_params.get("file", "")
        if run is None:
            return PlainTextResponse("run?", status_code=400)
        try:
            path = read(data.report_file, run, name)
        except data.NotFoundError as exc:
            return not_found(exc)
        return FileResponse(path, filename=path.name,
                            content_disposition_type="attachment")

    routes = [
        Route("/healthz", healthz),
        Route("/", overview),
        Route("/system", system),
        Route("/requirement", requirement),
        Route("/finding", finding),
        Route("/download", download),
        *_api_routes(read),
        Mount("/static", app=StaticFiles(directory=str(
            resources.files("auditor.dashboard").joinpath("static")))),
    ]
    return _Guard(Starlette(routes=routes), auth or Auth())
