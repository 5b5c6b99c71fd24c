"""Facts of docker-compose files: one ``compose.service`` per service.

Location key ``services.<name>``, line of the service's key::

    {"service": "api", "image": "reg/portal-api:1.4", "privileged": true,
     "network_mode": "host", "pid": "host", "ipc": null, "user": "root",
     "cap_add": ["SYS_ADMIN"], "read_only": null, "docker_socket": true,
     "literal_secret_env": ["POSTGRES_PASSWORD"]}

``docker_socket`` is true when a volume mounts ``/var/run/docker.sock`` (root on the host).
``literal_secret_env`` lists secret-like environment names with a value written in the
file (the values are reported as ``secret`` observations).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from auditor.knowledge.values import is_placeholder, is_secret_key
from auditor.models import JSONValue, Location, Observation, canonical_json

__all__ = ["COMPOSE_NAMES", "compose_observations", "is_compose"]

LineOf = Callable[[Sequence[str | int]], int | None]

#: file names docker compose reads by default (plus ``docker-compose.<env>.yml`` variants)
COMPOSE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")


def is_compose(data: Any, name: str) -> bool:
    """Whether a YAML document is a compose file: a compose file name, or a top-level
    ``services`` mapping whose entries have ``image`` or ``build``."""
    if not isinstance(data, Mapping) or not isinstance(data.get("services"), Mapping):
        return False
    lowered = name.lower()
    if lowered in COMPOSE_NAMES or lowered.startswith(("docker-compose.", "compose.")):
        return True
    return any(isinstance(s, Mapping) and ("image" in s or "build" in s)
               for s in data["services"].values())


def _text(value: Any) -> str | None:
    """A scalar as text, else None: a list or mapping (perhaps an alias shared a billion
    times) is never passed to ``str()``."""
    return str(value) if isinstance(value, str | int | float | bool) else None


def _env_names(env: Any) -> list[JSONValue]:
    names: list[JSONValue] = []
    if isinstance(env, Mapping):
        items = [(str(k), _text(v)) for k, v in env.items()]
    elif isinstance(env, list):
        entries = [text for e in env if (text := _text(e)) is not None]
        items = [(e.partition("=")[0], e.partition("=")[2] or None) for e in entries]
    else:
        return names
    for name, value in items:
        if value and not is_placeholder(value) and is_secret_key(name):
            names.append(name)
    return sorted(names, key=str)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str_or_none(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None


def _lines(line_of: LineOf, name: str, service: Mapping[str, Any],
           sources: list[str]) -> dict[str, JSONValue]:
    """Where each fact of a service is written: ``privileged``, ``cap_add``, the host
    namespace settings that are ``host`` (``host_namespace``: the first), and the volume
    that mounts the Docker socket (``docker_socket``)."""
    out: dict[str, JSONValue] = {}

    def put(fact: str, path: tuple[str | int, ...]) -> None:
        line = line_of(("services", name, *path))
        if line is not None and fact not in out:
            out[fact] = line
    if "privileged" in service:
        put("privileged", ("privileged",))
    if "cap_add" in service:
        put("cap_add", ("cap_add",))
    for key in ("network_mode", "pid", "ipc"):
        if service.get(key) == "host":
            put("host_namespace", (key,))
    for index, source in enumerate(sources):
        if source.endswith("docker.sock"):
            put("docker_socket", ("volumes", index))
    return out


def compose_observations(data: Mapping[str, Any], uri: str,
                         line_of: LineOf) -> Iterator[Observation]:
    """Observations for a compose file (``data`` passed :func:`is_compose`)."""
    for name, service in data["services"].items():
        if not isinstance(service, Mapping):
            continue
        volumes = _list(service.get("volumes"))
        sources = [(_text(v.get("source")) if isinstance(v, Mapping) else
                    (_text(v) or "").split(":")[0]) or "" for v in volumes]
        caps = sorted({text.upper() for c in _list(service.get("cap_add"))
                       if (text := _text(c))})
        attributes: dict[str, JSONValue] = {
            "service": str(name),
            "image": _str_or_none(service.get("image")) or "",
            "privileged": service.get("privileged") is True,
            "network_mode": _str_or_none(service.get("network_mode")),
            "pid": _str_or_none(service.get("pid")),
            "ipc": _str_or_none(service.get("ipc")),
            "user": _str_or_none(service.get("user")),
            "cap_add": list(caps),
            "read_only": service.get("read_only") if isinstance(service.get("read_only"), bool)
            else None,
            "docker_socket": any(s.endswith("docker.sock") for s in sources),
            "literal_secret_env": list(_env_names(service.get("environment"))),
            "lines": _lines(line_of, str(name), service, sources),
        }
        yield Observation(
            kind="compose.service",
            location=Location(uri=uri, line=line_of(("services", str(name))),
                              key=f"services.{name}"),
            attributes=attributes,
            evidence={"service": str(name)},
            # NOTE: lines move with edits; the fingerprint follows the facts only
            identity=hashlib.sha256(canonical_json(
                {k: v for k, v in attributes.items() if k != "lines"}).encode()).hexdigest(),
        )
