"""my.cnf (MySQL / MariaDB option files): ``[group]`` sections, ``key = value``, bare
flags, ``!include`` / ``!includedir``. Option names are normalised (``-`` -> ``_``).

Observations for the server groups (``mysqld``, ``server``, ``mariadb``, ``mysqld-*``,
``mariadbd``): ``config.setting`` per option (key ``mysql.<group>.<option>``; passwords
masked), one ``service.listener`` (``bind_address`` default ``*``; ``tls`` when a TLS
option is set and not ``skip_ssl`` / ``ssl = 0`` — MariaDB has no TLS unless configured;
``tls_required`` = ``require_secure_transport``), and a
``tls.config`` (``tls_version`` default TLSv1.2,TLSv1.3; ``ssl_cipher``;
``tls_ciphersuites``). Client groups are reported as settings only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from auditor.errors import TargetError
from auditor.knowledge.tlspolicy import canonical_protocol, tls_config_facts
from auditor.models import Location, Observation, Problem, Target

from .common import FileSet, listener, read_text, setting

__all__ = ["observe_mysql"]

_SERVER_GROUPS = re.compile(r"^(mysqld(-[\w.]+)?|server|mariadb(d)?(-[\w.]+)?|mysqld_safe)$")
_Values = dict[str, tuple[str, str, int]]


def _read(path: Path, files: FileSet, values: _Values, out: list[Observation],
          hash_key: bytes) -> None:
    uri = files.uri_of(path)
    group = ""
    for lineno, raw in enumerate(read_text(path, uri).splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("!include"):
            directive, _, arg = line.partition(" ")
            pattern = arg.strip() + ("/*.cnf" if directive == "!includedir" else "")
            for inc in files.expand(pattern, relative_to=(path.parent,), uri=uri,
                                    line=lineno):
                files.enter(inc, uri, lineno)
                _read(inc, files, values, out, hash_key)
                files.leave(inc)
            continue
        if line.startswith("["):
            if not line.endswith("]"):
                raise TargetError(f"{uri}:{lineno}: unterminated section header",
                                  line=lineno)
            group = line[1:-1].strip().lower()
            continue
        if not group:
            raise TargetError(f"{uri}:{lineno}: option outside of any [group]", line=lineno)
        key, sep, value = line.partition("=")
        key = key.strip().lower().replace("-", "_")
        value = value.split("#", 1)[0].strip().strip("'\"") if sep else "ON"
        out.extend(setting("mysql", f"mysql.{group}.{key}", value, (uri, lineno), hash_key))
        if _SERVER_GROUPS.match(group):
            values[key] = (value, uri, lineno)


def observe_mysql(target: Target, hash_key: bytes) -> Iterator[Observation | Problem]:
    files = FileSet(target)
    main = Path(target.locator)
    files.enter(main, target.uri, 0)
    values: _Values = {}
    out: list[Observation] = []
    _read(main, files, values, out, hash_key)
    yield from files.missing
    yield from out
    if not values:
        return  # a client-only option file
    off = {"0", "off", "false", "no"}
    bind = values.get("bind_address", ("*", "", 0))[0]
    # NOTE: MariaDB (Debian's default server) enables TLS only when it is configured;
    # MySQL 8 generates a self-signed certificate by itself. Without any TLS option the
    # configuration is taken as not providing TLS.
    configured = any(k in values for k in ("ssl", "ssl_cert", "ssl_key", "ssl_ca", "tls_version",
                                           "ssl_cipher", "require_secure_transport"))
    tls = configured and "skip_ssl" not in values and \
        values.get("ssl", ("ON",))[0].lower() not in off
    required = values.get("require_secure_transport", ("OFF",))[0].lower() not in off
    port = values.get("port", ("3306",))[0]
    where = values.get("require_secure_transport") or values.get("bind_address") or \
        ("", target.uri, 1)
    yield listener("mysql", [a.strip() for a in bind.split(",")],
                   int(port) if port.isdigit() else None, tls=tls, uri=where[1],
                   line=where[2], key="mysql.mysqld", tls_required=tls and required,
                   extra={"skip_grant_tables": "skip_grant_tables" in values,
                          "tls_configured": configured})
    if tls:
        versions = values.get("tls_version")
        ciphers = values.get("ssl_cipher")
        suites13 = values.get("tls_ciphersuites")
        facts = tls_config_facts(
            [p for p in (canonical_protocol(v) for v in versions[0].split(",")) if p]
            if versions else None,
            ciphers[0] if ciphers else None,
            tls13_suites=suites13[0].split(":") if suites13 else None)
        facts["source"] = "mysql"
        facts["protocols_at"] = f"{versions[1]}:{versions[2]}" if versions else None
        facts["ciphers_at"] = f"{ciphers[1]}:{ciphers[2]}" if ciphers else None
        at = versions or ciphers or where
        yield Observation("tls.config", Location(at[1], line=at[2], key="mysql.mysqld"),
                          facts, {"protocols": facts["protocols"],
                                  "weak_suites": facts["weak_suites"]},
                          identity="mysql|tls")
