"""HTML pages from the dashboard data (:mod:`auditor.dashboard.data`), for the live server
and the static snapshot alike. Jinja2 autoescapes every value; chart data travels in
``<script type="application/json">`` blocks (``tojson`` escapes ``<``, ``>`` and ``&``) read
by ``static/dashboard.js``, so pages carry no inline script and no inline style."""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, select_autoescape

from auditor.dashboard.data import PERIODS, SEVERITIES
from auditor.dashboard.i18n import Translator

__all__ = ["CSP", "LinkMaker", "Renderer", "static_name"]

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")

#: in a <meta> element (pages also work from files): frame-ancestors is header-only
META_CSP = CSP.replace("; frame-ancestors 'none'", "")
#: a static snapshot has no forms
STATIC_CSP = META_CSP.replace("form-action 'self'", "form-action 'none'")


def static_name(prefix: str, *parts: str) -> str:
    """A file name for a page of the static snapshot: readable, and unique (hashed)."""
    key = "\0".join(parts)
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", "-".join(parts))[:40].strip("-") or "x"
    return f"{prefix}-{slug}-{hashlib.sha256(key.encode()).hexdigest()[:8]}.html"


class LinkMaker:
    """Links between pages: query URLs on the live server, file names in a snapshot."""

    def __init__(self, lang: str, static: bool = False,
                 filters: dict[str, Any] | None = None) -> None:
        self.lang = lang
        self.static = static
        self.filters = {k: v for k, v in (filters or {}).items() if v not in (None, "")}

    def _q(self, params: dict[str, Any], keep: bool = True) -> str:
        merged = {**(self.filters if keep else {}), **params}
        if self.lang != "vi":
            merged["lang"] = self.lang
        merged = {k: v for k, v in merged.items() if v not in (None, "")}
        return ("?" + urlencode(merged)) if merged else ""

    def asset(self, name: str) -> str:
        return f"static/{name}" if self.static else f"/static/{name}"

    def overview(self) -> str:
        return "index.html" if self.static else "/" + self._q({})

    def system(self, name: str) -> str:
        if self.static:
            return static_name("system", name)
        return "/system" + self._q({"name": name, "system": None})

    def requirement(self, framework: str, requirement: str) -> str:
        if self.static:
            return static_name("requirement", framework, requirement)
        return "/requirement" + self._q({"framework": framework, "id": requirement},
                                        keep=False)

    def finding(self, system: str, fingerprint: str) -> str | None:
        if self.static:
            return None  # NOTE: the snapshot holds overview, system and requirement pages
        return "/finding" + self._q({"system": system, "fp": fingerprint}, keep=False)

    def download(self, run_id: int, name: str) -> str | None:
        if self.static:
            return None
        return "/download" + "?" + urlencode({"run": run_id, "file": name})

    def toggle(self, path: str, params: dict[str, str]) -> str:
        other = "en" if self.lang == "vi" else "vi"
        rest = {k: v for k, v in params.items() if k != "lang"}
        if other != "vi":
            rest["lang"] = other
        return path + (("?" + urlencode(rest)) if rest else "")


class Renderer:
    def __init__(self) -> None:
        self.env = Environment(loader=PackageLoader("auditor.dashboard", "templates"),
                               autoescape=select_autoescape(default=True,
                                                            default_for_string=True),
                               trim_blocks=True, lstrip_blocks=True)

    def page(self, template: str, data: dict[str, Any], *, lang: str, links: LinkMaker,
             toggle: str | None = None, generated: str | None = None,
             charts: dict[str, Any] | None = None) -> str:
        t = Translator(lang)
        return self.env.get_template(template).render(
            d=data, t=t, lang=t.lang, link=links, toggle=toggle, generated=generated,
            severities=SEVERITIES, periods=PERIODS, static=links.static,
            csp=STATIC_CSP if links.static else META_CSP, charts=charts or {})
