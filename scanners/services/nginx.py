"""nginx: a real block parser (quotes, comments, ``include`` globs) and per-server facts.

For every ``server`` block of the ``http`` and ``stream`` contexts (directives inherited
from the enclosing context):

- ``tls.config`` when the server listens with ``ssl`` (``ssl_protocols`` default
  ``TLSv1 TLSv1.1 TLSv1.2 TLSv1.3`` as in nginx >= 1.23.4; ``ssl_ciphers`` default
  ``HIGH:!aNULL:!MD5``; TLS 1.3 suites from ``ssl_conf_command Ciphersuites``),
  located at the ``server`` line; ``protocols_at`` / ``ciphers_at`` name the directives;
- ``service.listener`` for plain-HTTP listeners, with ``redirects_to_https`` when the
  server only redirects (``return 301 https://...`` or ``rewrite ... https://``) and
  ``auth_paths`` (login/account locations, ``auth_basic``);
- ``config.setting`` for each directive, key ``http.server.<name>`` (``http.<name>`` at
  ``http`` level), with ``context`` = ``server_name:port``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from auditor.errors import TargetError
from auditor.knowledge.tlspolicy import tls_config_facts
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
from .vocab import NGINX_WORDS

__all__ = ["DEFAULT_CIPHERS", "DEFAULT_PROTOCOLS", "observe_nginx", "parse_nginx"]

DEFAULT_PROTOCOLS = ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
DEFAULT_CIPHERS = "HIGH:!aNULL:!MD5"
_INHERITED = ("ssl_protocols", "ssl_ciphers", "ssl_conf_command", "ssl_certificate",
              "ssl_prefer_server_ciphers")


def _tokens(text: str, uri: str) -> Iterator[tuple[str, int, bool]]:
    """(token, line, quoted) for nginx syntax."""
    i, line, n = 0, 1, len(text)
    while i < n:
        ch = text[i]
        if ch == "\n":
            line += 1
            i += 1
        elif ch.isspace():
            i += 1
        elif ch == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif ch in "{};":
            yield ch, line, False
            i += 1
        elif ch in "\"'":
            start_line, j, buf = line, i + 1, []
            while j < n and text[j] != ch:
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                if text[j] == "\n":
                    line += 1
                buf.append(text[j])
                j += 1
            if j >= n:
                raise TargetError(f"{uri}:{start_line}: unterminated quoted string",
                                  line=start_line)
            yield "".join(buf), start_line, True
            i = j + 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in "{};":
                if text[j] == "$" and text[j + 1:j + 2] == "{":  # ${var} inside a word
                    close = text.find("}", j)
                    j = close + 1 if close > 0 else n
                    continue
                j += 1
            yield text[i:j], line, False
            i = j


def parse_nginx(path: Path, files: FileSet, uri: str | None = None) -> list[Directive]:
    """The directive tree of ``path`` with includes expanded in place."""
    uri = uri or files.uri_of(path)
    text = read_text(path, uri)
    stack: list[tuple[str, tuple[str, ...], int, list[Directive]]] = []
    current: list[Directive] = []
    words: list[str] = []
    word_line = 0
    for tok, line, quoted in _tokens(text, uri):
        if quoted or tok not in "{};":
            if not words:
                word_line = line
            words.append(tok)
            continue
        if tok == ";":
            if not words:
                continue
            name, args = words[0], tuple(words[1:])
            if name == "include" and args:
                current.extend(_include(args[0], path, files, uri, word_line))
            else:
                current.append(Directive(name, args, uri, word_line))
            words = []
        elif tok == "{":
            if not words:
                raise TargetError(f"{uri}:{line}: '{{' without a block name", line=line)
            stack.append((words[0], tuple(words[1:]), word_line, current))
            current, words = [], []
        else:  # "}"
            if words:
                raise TargetError(f"{uri}:{word_line}: directive "
                                  f"{safe_word(words[0], NGINX_WORDS)} is not terminated by ';'",
                                  line=word_line)
            if not stack:
                raise TargetError(f"{uri}:{line}: unexpected '}}'", line=line)
            name, args, start, parent = stack.pop()
            parent.append(Directive(name, args, uri, start, tuple(current), block=True))
            current = parent
    if words:
        raise TargetError(f"{uri}:{word_line}: directive {safe_word(words[0], NGINX_WORDS)} "
                          f"is not terminated by ';' (truncated file?)", line=word_line)
    if stack:
        name, _, start, _ = stack[-1]
        raise TargetError(f"{uri}:{start}: block {safe_word(name, NGINX_WORDS)} is never closed "
                          f"(missing '}}')",
                          line=start)
    return current


def _include(pattern: str, path: Path, files: FileSet, uri: str,
             line: int) -> list[Directive]:
    out: list[Directive] = []
    for inc in files.expand(pattern, relative_to=(path.parent,), uri=uri, line=line):
        files.enter(inc, uri, line)
        out.extend(parse_nginx(inc, files))
        files.leave(inc)
    return out


def _listen(d: Directive) -> tuple[str, int | None, bool]:
    addr = d.args[0] if d.args else "80"
    ssl = "ssl" in d.args[1:] or "quic" in d.args[1:]  # QUIC is always TLS 1.3
    host, port = "*", None
    if addr.startswith("unix:"):
        return addr, None, ssl
    if addr.startswith("["):
        host, _, rest = addr[1:].partition("]")
        port = int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else 80
    elif ":" in addr:
        host, _, p = addr.rpartition(":")
        port = int(p) if p.isdigit() else None
    elif addr.isdigit():
        port = int(addr)
    else:
        host, port = addr, 80
    return host, port, ssl


def _auth_paths(block: Directive) -> list[str]:
    """Locations that serve login/account pages, and ``auth_basic`` when HTTP Basic
    authentication is on anywhere in the server (credentials sent by the browser)."""
    found: list[str] = []
    for d in block.children:
        if d.name == "auth_basic" and d.args[:1] != ("off",):
            found.append("auth_basic")
        if d.name == "location" and d.block:
            path = d.args[-1] if d.args else ""
            if AUTH_PATH.search(path):
                found.append(path)
            found.extend(_auth_paths(d))
    return sorted(set(found))


def _redirects_to_https(server: Directive) -> bool:
    for d in server.children:
        if d.name == "return" and len(d.args) >= 2 and d.args[0] in {
                "301", "302", "307", "308"} and d.args[1].startswith("https://"):
            return True
        if d.name == "rewrite" and len(d.args) >= 2 and d.args[1].startswith("https://"):
            return True
    return False


def observe_nginx(target: Target, hash_key: bytes) -> Iterator[Observation | Problem]:
    files = FileSet(target)
    main = Path(target.locator)
    files.enter(main, target.uri, 0)
    tree = parse_nginx(main, files, target.uri)
    yield from files.missing
    http_blocks = [d for d in tree if d.name in {"http", "stream"} and d.block]
    servers: list[tuple[Directive, dict[str, Directive], str]] = []
    if http_blocks:
        for http in http_blocks:
            inherited = {c.name: c for c in http.children if c.name in _INHERITED}
            for d in http.children:
                if not d.block:
                    yield from setting("nginx", f"{http.name}.{d.name}", " ".join(d.args),
                                  (d.uri, d.line), hash_key)
            servers.extend((s, inherited, http.name) for s in http.children
                           if s.name == "server" and s.block)
    else:  # a fragment (sites-enabled/*.conf) scanned on its own
        servers = [(s, {}, "http") for s in tree if s.name == "server" and s.block]
    for server, inherited, context in servers:
        yield from _server(server, inherited, hash_key, context)


def _server(server: Directive, inherited: dict[str, Directive], hash_key: bytes,
            context: str) -> Iterator[Observation]:
    own = {c.name: c for c in server.children if not c.block}
    eff = {**inherited, **own}
    names = eff.get("server_name")
    server_name = names.args[0] if names and names.args else "_"
    listens = [_listen(d) for d in server.children if d.name == "listen"] or [("*", 80, False)]
    legacy_ssl = "ssl" in own and own["ssl"].args[:1] == ("on",)
    ctx = f"{server_name}:{listens[0][1]}"
    for d in server.children:
        if not d.block:
            yield from setting("nginx", f"{context}.server.{d.name}", " ".join(d.args),
                          (d.uri, d.line), hash_key, identity_extra=ctx)
    tls_ports = [p for _, p, ssl in listens if ssl or legacy_ssl]
    plain: dict[int | None, list[str]] = {}
    for h, p, ssl in listens:
        if not (ssl or legacy_ssl):
            plain.setdefault(p, []).append(h)
    if tls_ports:
        protocols = eff.get("ssl_protocols")
        ciphers = eff.get("ssl_ciphers")
        tls13 = None
        for c in (x for x in server.children if x.name == "ssl_conf_command"):
            if c.args[:1] == ("Ciphersuites",) and len(c.args) > 1:
                tls13 = [s for s in c.args[1].split(":") if s]
        facts = tls_config_facts(
            list(protocols.args) if protocols else list(DEFAULT_PROTOCOLS),
            ciphers.args[0] if ciphers and ciphers.args else None,
            tls13_suites=tls13, default_cipher_string=DEFAULT_CIPHERS)
        facts["protocols_configured"] = protocols is not None
        facts.update({
            "source": "nginx", "server_name": server_name,
            "ports": list[JSONValue](sorted({p for p in tls_ports if p is not None})),
            "protocols_at": f"{protocols.uri}:{protocols.line}" if protocols else None,
            "ciphers_at": f"{ciphers.uri}:{ciphers.line}" if ciphers else None,
        })
        evidence: dict[str, JSONValue] = {"server_name": server_name,
                                          "protocols": facts["protocols"],
                                          "weak_suites": facts["weak_suites"]}
        yield Observation("tls.config", Location(server.uri, line=server.line,
                                                 key=f"{context}.server"), facts, evidence,
                          identity=f"nginx|{ctx}")
    listen_at: dict[int | None, Directive] = {}
    for d in server.children:
        if d.name == "listen":
            listen_at.setdefault(_listen(d)[1], d)
    for port, hosts in plain.items() if context == "http" else ():
        # NOTE: a plain stream server may pass TLS through (ssl_preread): not judged.
        at = listen_at.get(port)
        yield listener("nginx", hosts, port, tls=False, uri=server.uri, line=server.line,
                       key=f"{context}.server", extra={
                           "server_name": server_name,
                           "redirects_to_https": _redirects_to_https(server),
                           "auth_paths": list(_auth_paths(server)),
                           "listen_at": f"{at.uri}:{at.line}" if at else None})
