"""redis.conf: ``directive args...`` lines with ``include``.

Observations: ``config.setting`` per directive (key ``redis.<directive>``; ``requirepass``
and ``masterauth`` masked), one ``service.listener`` for the plain port (``bind``, default
all interfaces; ``port`` default 6379, ``0`` disables it) with ``auth_required``
(``requirepass`` set) and ``protected_mode``, one for ``tls-port`` when set, and a
``tls.config`` for the TLS port (``tls-protocols`` default TLSv1.2 TLSv1.3,
``tls-ciphers`` / ``tls-ciphersuites``).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from pathlib import Path

from auditor.errors import TargetError
from auditor.knowledge.tlspolicy import canonical_protocol, tls_config_facts
from auditor.models import Location, Observation, Problem, Target

from .common import FileSet, listener, read_text, setting

__all__ = ["observe_redis"]

_Values = dict[str, tuple[list[str], str, int]]


def _read(path: Path, files: FileSet, values: _Values, out: list[Observation],
          hash_key: bytes) -> None:
    uri = files.uri_of(path)
    for lineno, raw in enumerate(read_text(path, uri).splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            words = shlex.split(line, comments=False, posix=True)
        except ValueError:
            raise TargetError(f"{uri}:{lineno}: unbalanced quotes", line=lineno) from None
        name, args = words[0].lower(), words[1:]
        if name == "include":
            for inc in files.expand(args[0] if args else "", relative_to=(path.parent,),
                                    uri=uri, line=lineno):
                files.enter(inc, uri, lineno)
                _read(inc, files, values, out, hash_key)
                files.leave(inc)
            continue
        out.extend(setting("redis", f"redis.{name}", " ".join(args), (uri, lineno),
                           hash_key))
        values[name] = (args, uri, lineno)  # NOTE: the last occurrence wins


def observe_redis(target: Target, hash_key: bytes) -> Iterator[Observation | Problem]:
    files = FileSet(target)
    main = Path(target.locator)
    files.enter(main, target.uri, 0)
    values: _Values = {}
    out: list[Observation] = []
    _read(main, files, values, out, hash_key)
    yield from files.missing
    yield from out
    bind, b_uri, b_line = values.get("bind", (["*"], target.uri, 1))
    port_args, p_uri, p_line = values.get("port", (["6379"], target.uri, 0))
    port = int(port_args[0]) if port_args and port_args[0].isdigit() else 6379
    tls_args = values.get("tls-port")
    tls_port = int(tls_args[0][0]) if tls_args and tls_args[0][:1] and \
        tls_args[0][0].isdigit() else 0
    auth = ("requirepass" in values and bool(values["requirepass"][0])) or \
        "aclfile" in values or "user" in values
    protected = values.get("protected-mode", (["yes"], "", 0))[0][:1] != ["no"]
    extra = {"auth_required": auth, "protected_mode": protected,
             "bind_configured": "bind" in values}
    if port:
        yield listener("redis", bind, port, tls=False, uri=b_uri if "bind" in values
                       else p_uri, line=b_line if "bind" in values else (p_line or 1),
                       key="redis.port", tls_required=False, extra=extra)
    if tls_port:
        _, t_uri, t_line = values["tls-port"]
        yield listener("redis", bind, tls_port, tls=True, uri=t_uri, line=t_line,
                       key="redis.tls-port", tls_required=True, extra=extra)
        protocols = values.get("tls-protocols")
        ciphers = values.get("tls-ciphers")
        suites13 = values.get("tls-ciphersuites")
        facts = tls_config_facts(
            [p for p in (canonical_protocol(x) for x in " ".join(protocols[0]).split()) if p]
            if protocols else None,
            ciphers[0][0] if ciphers and ciphers[0] else None,
            tls13_suites=suites13[0][0].split(":") if suites13 and suites13[0] else None)
        facts["source"] = "redis"
        facts["protocols_at"] = f"{protocols[1]}:{protocols[2]}" if protocols else None
        facts["ciphers_at"] = f"{ciphers[1]}:{ciphers[2]}" if ciphers else None
        yield Observation("tls.config", Location(t_uri, line=t_line, key="redis.tls-port"),
                          facts, {"protocols": facts["protocols"],
                                  "weak_suites": facts["weak_suites"]},
                          identity="redis|tls")
