"""postgresql.conf and pg_hba.conf.

postgresql.conf (``name = value``, ``include``/``include_if_exists``/``include_dir``; the
last value wins): ``config.setting`` per line (key ``postgresql.<name>``), one
``service.listener`` (``listen_addresses``, default ``localhost``; ``tls`` = ``ssl``,
default off) located at the ``ssl`` line (else ``listen_addresses``, else line 1), and a
``tls.config`` when ``ssl = on`` (``ssl_min_protocol_version`` default TLSv1.2,
``ssl_max_protocol_version``, ``ssl_ciphers`` default ``HIGH:MEDIUM:+3DES:!aNULL``).

pg_hba.conf: one ``db.hba_rule`` per rule line, with the same attributes the database
scanner reports from the live ``pg_hba_file_rules`` view: ``type`` (local, host, hostssl,
hostnossl, hostgssenc, hostnogssenc), ``database`` and ``user`` (lists), ``address``
(CIDR, host name, ``all``, ``samehost``... or None for local), ``method``, ``options``
(names only), plus ``address_any`` (matches every address) and ``address_loopback``::

    {"type": "host", "database": ["all"], "user": ["all"], "address": "0.0.0.0/0",
     "method": "trust", "options": [], "address_any": true, "address_loopback": false}
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

from auditor.errors import TargetError
from auditor.knowledge.netaddr import hba_address_facts
from auditor.knowledge.tlspolicy import canonical_protocol, protocol_range, tls_config_facts
from auditor.models import JSONValue, Location, Observation, Problem, Target

from .common import FileSet, listener, read_text, safe_path, safe_word, setting

__all__ = ["hba_address_facts", "observe_pg_hba", "observe_postgresql_conf"]

_CONF_LINE = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(?:=\s*|\s+)(.*?)\s*$")
_HBA_TYPES = {"local", "host", "hostssl", "hostnossl", "hostgssenc", "hostnogssenc"}
_METHODS = {"trust", "reject", "scram-sha-256", "md5", "password", "gss", "sspi", "ident",
            "peer", "ldap", "radius", "cert", "pam", "bsd"}
PG_DEFAULT_CIPHERS = "HIGH:MEDIUM:+3DES:!aNULL"


def _conf_value(raw: str, uri: str, line: int) -> str:
    raw = raw.strip()
    if raw.startswith("'"):
        end = raw.find("'", 1)
        while end > 0 and raw[end + 1:end + 2] == "'":  # '' escapes a quote
            end = raw.find("'", end + 2)
        if end < 0:
            raise TargetError(f"{uri}:{line}: unterminated quoted value", line=line)
        return raw[1:end].replace("''", "'")
    return raw.split("#", 1)[0].strip()


def _read_conf(path: Path, files: FileSet, values: dict[str, tuple[str, str, int]],
               out: list[Observation], hash_key: bytes) -> None:
    uri = files.uri_of(path)
    for lineno, raw in enumerate(read_text(path, uri).splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _CONF_LINE.match(line)
        if not m:
            raise TargetError(f"{uri}:{lineno}: expected 'name = value'", line=lineno)
        name, value = m.group(1).lower(), _conf_value(m.group(2), uri, lineno)
        if name in {"include", "include_if_exists", "include_dir"}:
            pattern = value + "/*.conf" if name == "include_dir" else value
            found = files.expand(pattern, relative_to=(path.parent,), uri=uri, line=lineno,
                                 optional=name != "include")
            if not found and name == "include":
                raise TargetError(f"{uri}:{lineno}: included file {safe_path(value)} not found",
                                  line=lineno)
            for inc in found:
                files.enter(inc, uri, lineno)
                _read_conf(inc, files, values, out, hash_key)
                files.leave(inc)
            continue
        out.extend(setting("postgresql", f"postgresql.{name}", value, (uri, lineno),
                           hash_key))
        values[name] = (value, uri, lineno)  # NOTE: the last value wins in PostgreSQL


def observe_postgresql_conf(target: Target, hash_key: bytes) -> Iterator[Observation | Problem]:
    files = FileSet(target)
    main = Path(target.locator)
    files.enter(main, target.uri, 0)
    values: dict[str, tuple[str, str, int]] = {}
    out: list[Observation] = []
    _read_conf(main, files, values, out, hash_key)
    yield from files.missing
    yield from out
    ssl_value, ssl_uri, ssl_line = values.get("ssl", ("off", target.uri, 0))
    ssl = ssl_value.lower() in {"on", "true", "yes", "1"}
    listen, l_uri, l_line = values.get("listen_addresses", ("localhost", target.uri, 0))
    addresses = [a.strip() for a in listen.split(",") if a.strip()]
    where_uri, where_line = (ssl_uri, ssl_line) if ssl_line else (l_uri, l_line or 1)
    port = values.get("port", ("5432", "", 0))[0]
    yield listener("postgresql", addresses, int(port) if port.isdigit() else None, tls=ssl,
                   uri=where_uri, line=where_line, key="postgresql.ssl", tls_required=None,
                   extra={"ssl_configured": "ssl" in values})
    if ssl:
        low = canonical_protocol(values.get("ssl_min_protocol_version", ("TLSv1.2",))[0])
        high_raw = values.get("ssl_max_protocol_version", ("",))[0]
        high = canonical_protocol(high_raw) if high_raw else None
        ciphers = values.get("ssl_ciphers")
        facts = tls_config_facts(list(protocol_range(low or "TLSv1.2", high)),
                                 ciphers[0] if ciphers else None,
                                 default_cipher_string=PG_DEFAULT_CIPHERS)
        p_at = values.get("ssl_min_protocol_version")
        facts.update({"source": "postgresql",
                      "protocols_at": f"{p_at[1]}:{p_at[2]}" if p_at else None,
                      "ciphers_at": f"{ciphers[1]}:{ciphers[2]}" if ciphers else None})
        yield Observation("tls.config", Location(ssl_uri, line=ssl_line, key="postgresql.ssl"),
                          facts, {"protocols": facts["protocols"],
                                  "weak_suites": facts["weak_suites"]},
                          identity="postgresql|ssl")




def observe_pg_hba(target: Target) -> Iterator[Observation]:
    uri = target.uri
    text = read_text(Path(target.locator), uri)
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            fields = shlex.split(line, posix=True)
        except ValueError:
            raise TargetError(f"{uri}:{lineno}: unbalanced quotes", line=lineno) from None
        kind = fields[0].lower()
        if kind in {"include", "include_if_exists", "include_dir"}:
            continue  # NOTE: included hba files are scanned as their own targets
        if kind not in _HBA_TYPES:
            raise TargetError(f"{uri}:{lineno}: unknown connection type "
                              f"{safe_word(fields[0], _HBA_TYPES)}",
                              line=lineno)
        need = 4 if kind == "local" else 5
        if len(fields) < need:
            raise TargetError(f"{uri}:{lineno}: a '{kind}' rule needs at least {need} "
                              f"fields, found {len(fields)}", line=lineno)
        address: str | None = None
        rest = fields[3:]
        if kind != "local":
            address, rest = fields[3], fields[4:]
            if rest and re.fullmatch(r"\d+\.\d+\.\d+\.\d+", rest[0]) and "/" not in address:
                mask_ = ipaddress.ip_address(rest[0])
                bits = bin(int(mask_)).count("1")
                address, rest = f"{address}/{bits}", rest[1:]
        if not rest:
            raise TargetError(f"{uri}:{lineno}: no authentication method", line=lineno)
        method, options = rest[0].lower(), rest[1:]
        if method not in _METHODS:
            raise TargetError(f"{uri}:{lineno}: unknown authentication method "
                              f"{safe_word(rest[0], _METHODS)}",
                              line=lineno)
        any_addr, loop = hba_address_facts(address)
        attrs: dict[str, JSONValue] = {
            "type": kind, "database": list(fields[1].split(",")),
            "user": list(fields[2].split(",")), "address": address, "method": method,
            "options": [o.split("=", 1)[0] for o in options], "address_any": any_addr,
            "address_loopback": loop, "line_number": lineno, "source": "file",
        }
        yield Observation("db.hba_rule", Location(uri, line=lineno), attrs,
                          {"rule": f"{kind} {fields[1]} {fields[2]} {address or ''} {method}"
                           .replace("  ", " ")},
                          identity=f"{kind}|{fields[1]}|{fields[2]}|{address}|{method}")
