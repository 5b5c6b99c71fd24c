"""Apache httpd: directives with ``\\`` continuations, ``<Section>`` nesting,
``Include`` / ``IncludeOptional``, and per-``<VirtualHost>`` TLS facts.

``<IfModule>`` / ``<IfDefine>`` / ``<IfVersion>`` are treated as transparent (the audit
assumes the module is loaded). For each ``<VirtualHost>`` (server-level ``SSL*``
directives inherited): a ``tls.config`` when ``SSLEngine on`` (``SSLProtocol`` with
``all``/``+``/``-`` syntax, default ``all -SSLv3``; ``SSLCipherSuite``, default
OpenSSL ``DEFAULT``), else a ``service.listener`` with ``redirects_to_https``
(``Redirect``/``RedirectPermanent``/``RewriteRule`` to ``https://``). Every directive is a
``config.setting`` with key ``apache.<Directive>`` or ``apache.VirtualHost.<Directive>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from auditor.errors import TargetError
from auditor.knowledge.tlspolicy import PROTOCOLS, canonical_protocol, tls_config_facts
from auditor.models import JSONValue, Location, Observation, Problem, Target

from .common import (
    AUTH_PATH,
    Directive,
    FileSet,
    listener,
    read_text,
    safe_word,
    setting,
)
from .vocab import APACHE_SECTIONS

__all__ = ["observe_apache", "parse_apache", "ssl_protocols"]

_TRANSPARENT = {"ifmodule", "ifdefine", "ifversion", "ifdirective", "iffile"}
_INHERITED = {"sslprotocol", "sslciphersuite", "sslengine", "sslopensslconfcmd"}
_ALL = ("SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")


def ssl_protocols(args: tuple[str, ...]) -> list[str]:
    """Evaluate ``SSLProtocol`` arguments (``all -SSLv3 +TLSv1.2``...)."""
    enabled: set[str] = set()
    for word in args:
        sign, name = (word[0], word[1:]) if word[:1] in "+-" else ("=", word)
        names = set(_ALL) if name.lower() == "all" else {canonical_protocol(name) or name}
        if sign == "-":
            enabled -= names
        elif sign == "+":
            enabled |= names
        else:
            enabled = names if not enabled or name.lower() == "all" else enabled | names
    return [p for p in PROTOCOLS if p in enabled]


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    buf, start = "", 0
    for lineno, raw in enumerate(text.splitlines(), 1):
        if not buf:
            start = lineno
        if raw.endswith("\\"):
            buf += raw[:-1] + " "
            continue
        yield start, buf + raw
        buf = ""
    if buf:
        yield start, buf


def parse_apache(path: Path, files: FileSet) -> list[Directive]:
    uri = files.uri_of(path)
    stack: list[tuple[str, tuple[str, ...], int, list[Directive]]] = []
    current: list[Directive] = []
    for lineno, raw in _logical_lines(read_text(path, uri)):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("</"):
            name = line[2:].rstrip(">").strip().lower()
            if not stack or stack[-1][0].lower() != name:
                raise TargetError(f"{uri}:{lineno}: closing tag {safe_word(name, APACHE_SECTIONS)} "
                                  f"does not close an open section", line=lineno)
            sname, sargs, sline, parent = stack.pop()
            if sname.lower() in _TRANSPARENT:
                parent.extend(current)
            else:
                parent.append(Directive(sname, sargs, uri, sline, tuple(current), block=True))
            current = parent
            continue
        if line.startswith("<"):
            if not line.endswith(">"):
                raise TargetError(f"{uri}:{lineno}: section tag is not closed by '>'",
                                  line=lineno)
            words = line[1:-1].split()
            stack.append((words[0], tuple(words[1:]), lineno, current))
            current = []
            continue
        words = re.findall(r'"[^"]*"|\S+', line)
        name, args = words[0], tuple(w.strip('"') for w in words[1:])
        if name.lower() in {"include", "includeoptional"} and args:
            for inc in files.expand(args[0], relative_to=(path.parent,), uri=uri,
                                    line=lineno, optional=name.lower() == "includeoptional"):
                files.enter(inc, uri, lineno)
                current.extend(parse_apache(inc, files))
                files.leave(inc)
            continue
        current.append(Directive(name, args, uri, lineno))
    if stack:
        name, _, start, _ = stack[-1]
        raise TargetError(f"{uri}:{start}: section {safe_word(name, APACHE_SECTIONS)} is never "
                          "closed", line=start)
    return current


def _cipher_suites(tree: list[Directive], vhost: Directive
                   ) -> tuple[str | None, list[str] | None, Directive | None]:
    """(TLS <= 1.2 cipher string, TLS 1.3 suites, directive) from ``SSLCipherSuite
    [SSL|TLSv1.3] spec`` at server level, overridden in the virtual host."""
    spec: str | None = None
    tls13: list[str] | None = None
    where: Directive | None = None
    found = [d for d in tree if not d.block] + [c for c in vhost.children if not c.block]
    for d in found:
        if d.name.lower() != "sslciphersuite" or not d.args:
            continue
        if d.args[0].upper() == "TLSV1.3" and len(d.args) > 1:
            tls13 = [x for x in d.args[1].split(":") if x]
        else:
            spec = d.args[1] if d.args[0].upper() == "SSL" and len(d.args) > 1 else d.args[0]
            where = d
    return spec, tls13, where


def _auth_paths(block: Directive) -> list[str]:
    found: list[str] = []
    for d in block.children:
        low = d.name.lower()
        if low == "authtype" and d.args and d.args[0].lower() in {"basic", "digest", "form"}:
            found.append(f"AuthType {d.args[0]}")
        if d.block and low in {"location", "locationmatch", "directory", "directorymatch",
                               "files", "filesmatch"}:
            path = d.args[-1].strip('"') if d.args else ""
            if low.startswith("location") and AUTH_PATH.search(path):
                found.append(path)
            found.extend(_auth_paths(d))
    return sorted(set(found))


def _redirects(vhost: Directive) -> bool:
    for d in vhost.children:
        low = d.name.lower()
        if low in {"redirect", "redirectpermanent", "redirectmatch"} and \
                any(a.startswith("https://") for a in d.args):
            return True
        if low == "rewriterule" and len(d.args) >= 2 and d.args[1].startswith("https://"):
            return True
    return False


def observe_apache(target: Target, hash_key: bytes) -> Iterator[Observation | Problem]:
    files = FileSet(target)
    main = Path(target.locator)
    files.enter(main, target.uri, 0)
    tree = parse_apache(main, files)
    yield from files.missing
    server = {d.name.lower(): d for d in tree if not d.block and d.name.lower() in _INHERITED}
    for d in tree:
        if not d.block:
            yield from setting("apache", f"apache.{d.name}", " ".join(d.args), (d.uri, d.line),
                          hash_key)
    for vhost in (d for d in tree if d.block and d.name.lower() == "virtualhost"):
        own = {c.name.lower(): c for c in vhost.children if not c.block}
        eff = {**server, **own}
        name_d = own.get("servername")
        name = name_d.args[0] if name_d and name_d.args else "_"
        addr = vhost.args[0] if vhost.args else "*:80"
        host, _, port = addr.rpartition(":")
        ctx = f"{name}:{port}"
        for c in vhost.children:
            if not c.block:
                yield from setting("apache", f"apache.VirtualHost.{c.name}", " ".join(c.args),
                              (c.uri, c.line), hash_key, identity_extra=ctx)
        engine = eff.get("sslengine")
        if engine is not None and engine.args[:1] and engine.args[0].lower() == "on":
            proto = eff.get("sslprotocol")
            spec, tls13, ciphers = _cipher_suites(tree, vhost)
            facts = tls_config_facts(
                ssl_protocols(proto.args) if proto else ssl_protocols(("all", "-SSLv3")),
                spec, tls13_suites=tls13)
            facts["protocols_configured"] = proto is not None
            facts.update({"source": "apache", "server_name": name,
                          "protocols_at": f"{proto.uri}:{proto.line}" if proto else None,
                          "ciphers_at": f"{ciphers.uri}:{ciphers.line}" if ciphers else None})
            evidence: dict[str, JSONValue] = {"server_name": name,
                                              "protocols": facts["protocols"],
                                              "weak_suites": facts["weak_suites"]}
            yield Observation("tls.config", Location(vhost.uri, line=vhost.line,
                                                     key="apache.VirtualHost"),
                              facts, evidence, identity=f"apache|{ctx}")
        else:
            yield listener("apache", [host or "*"], int(port) if port.isdigit() else 80,
                           tls=False, uri=vhost.uri, line=vhost.line, key="apache.VirtualHost",
                           extra={"server_name": name, "redirects_to_https": _redirects(vhost),
                                  "auth_paths": list(_auth_paths(vhost))})
