"""Facts of Kubernetes manifests: one ``k8s.container`` per container of a workload and one
``k8s.secret`` per ``kind: Secret`` carrying data.

``k8s.container`` (location key: the container's path, e.g.
``spec.template.spec.containers.0``; line: its first line)::

    {"workload_kind": "Deployment", "workload_name": "portal-api", "namespace": "dvc",
     "container": "api", "container_type": "containers", "image": "reg/portal-api:1.4",
     "image_tag": "1.4", "privileged": true, "allow_privilege_escalation": null,
     "run_as_non_root": false, "run_as_user": 0, "read_only_root_filesystem": null,
     "capabilities_added": ["NET_ADMIN"], "host_network": true, "host_pid": false,
     "host_ipc": false, "literal_secret_env": ["DB_PASSWORD"], "document": 0}

Security-context fields that the manifest leaves unset are ``null`` (the container's
setting wins over the pod's, as in Kubernetes). ``literal_secret_env`` lists the names of
environment variables with secret-like names whose value is written in the manifest
(the values themselves are reported as ``secret`` observations).

``k8s.secret`` (location key ``data`` or ``stringData``)::

    {"name": "portal-db", "namespace": "dvc", "type": "Opaque",
     "data_keys": ["password", "username"], "value_count": 2, "string_data": false,
     "document": 1}
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from auditor.knowledge.values import is_secret_key
from auditor.models import JSONValue, Location, Observation, canonical_json

__all__ = ["is_manifest", "literal_secret_env", "manifest_observations"]

LineOf = Callable[[Sequence[str | int]], int | None]

#: where the pod spec lives, per workload kind
_POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "PodTemplate": ("template", "spec"),
    "DeploymentConfig": ("spec", "template", "spec"),  # OpenShift (apps.openshift.io/v1)
}
#: container runtime sockets: whoever mounts one controls every container on the node
_RUNTIME_SOCKETS = ("docker.sock", "containerd.sock", "crio.sock", "podman.sock")
_CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
_UNSTABLE = frozenset({"lines", "host_path_mounts", "docker_socket"})


def is_manifest(data: Any) -> bool:
    """Whether a YAML document is a Kubernetes object (has ``apiVersion`` and ``kind``)."""
    return isinstance(data, Mapping) and isinstance(data.get("apiVersion"), str) \
        and isinstance(data.get("kind"), str)


def _get(data: Any, path: Sequence[str]) -> Any:
    for part in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(part)
    return data


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any, default: str = "") -> str:
    """A scalar as text; anything else (a list or mapping, perhaps an alias shared a
    billion times) is ``default`` — never ``str()`` of a structure."""
    if isinstance(value, str | int | float | bool):
        return str(value)
    return default


def _names(values: list[Any]) -> list[JSONValue]:
    return list(sorted({_text(v).upper() for v in values if _text(v)}))


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _image_tag(image: str) -> str:
    name = image.rsplit("/", 1)[-1]
    if "@" in name:
        return "digest"
    return name.split(":", 1)[1] if ":" in name else "latest"


def literal_secret_env(env: Any) -> list[JSONValue]:
    """Names of ``env`` entries with a secret-like name and a literal ``value``."""
    names: list[JSONValue] = []
    if isinstance(env, list):
        for item in env:
            if isinstance(item, Mapping) and isinstance(item.get("name"), str) \
                    and isinstance(item.get("value"), str | int) and str(item["value"]) \
                    and is_secret_key(item["name"]):
                names.append(item["name"])
    return sorted(names, key=str)


def _containers(data: Mapping[str, Any], uri: str, line_of: LineOf,
                document: int, prefix: tuple[str | int, ...]) -> Iterator[Observation]:
    kind = data["kind"]
    spec_path = _POD_SPEC_PATHS.get(kind)
    if spec_path is None:
        return
    pod = _get(data, spec_path)
    if not isinstance(pod, Mapping):
        return
    pod_ctx = _map(pod.get("securityContext"))
    meta = _map(data.get("metadata"))
    for list_name in _CONTAINER_LISTS:
        containers = pod.get(list_name)
        if not isinstance(containers, list):
            continue
        for index, container in enumerate(containers):
            if not isinstance(container, Mapping):
                continue
            ctx = _map(container.get("securityContext"))
            caps = _map(ctx.get("capabilities"))

            def effective(name: str, ctx: Mapping[str, Any] = ctx) -> Any:
                return ctx[name] if name in ctx else pod_ctx.get(name)

            image = container.get("image") if isinstance(container.get("image"), str) else ""
            run_as_user = effective("runAsUser")
            path: tuple[str | int, ...] = (*spec_path, list_name, index)
            mounts = _host_path_mounts(pod, container)
            lines = _field_lines(line_of, spec_path, pod, path, ctx, mounts=mounts)
            attributes: dict[str, JSONValue] = {
                "api_version": data["apiVersion"],
                "workload_kind": kind,
                "workload_name": _text(meta.get("name")),
                "namespace": _text(meta.get("namespace"), "default"),
                "container": _text(container.get("name")),
                "container_type": list_name,
                "image": image,
                "image_tag": _image_tag(image) if image else "",
                "privileged": _flag(ctx.get("privileged")),
                "allow_privilege_escalation": _flag(ctx.get("allowPrivilegeEscalation")),
                "run_as_non_root": _flag(effective("runAsNonRoot")),
                "run_as_user": run_as_user if isinstance(run_as_user, int)
                and not isinstance(run_as_user, bool) else None,
                "read_only_root_filesystem": _flag(ctx.get("readOnlyRootFilesystem")),
                "capabilities_added": _names(_list(caps.get("add"))),
                "capabilities_dropped": _names(_list(caps.get("drop"))),
                "host_network": pod.get("hostNetwork") is True,
                "host_pid": pod.get("hostPID") is True,
                "host_ipc": pod.get("hostIPC") is True,
                "host_path_mounts": [p for p, _ in mounts],
                "docker_socket": any(p.rstrip("/").endswith(_RUNTIME_SOCKETS) for p, _ in mounts),
                "literal_secret_env": list(literal_secret_env(container.get("env"))),
                "lines": lines,
                "document": document,
            }
            key = ".".join(str(p) for p in (*prefix, *path))
            # NOTE: lines move with edits; the identity (hence the fingerprint) must not,
            # and stays what it was before the line and mount facts were added
            stable = {k: v for k, v in attributes.items() if k not in _UNSTABLE}
            yield Observation(
                kind="k8s.container",
                location=Location(uri=uri, line=line_of(path), key=key),
                attributes=attributes,
                identity=hashlib.sha256(canonical_json(stable).encode()).hexdigest(),
                evidence={"workload": f"{kind}/{attributes['workload_name']}",
                          "container": attributes["container"]},
            )


def _host_path_mounts(pod: Mapping[str, Any], container: Mapping[str, Any]
                      ) -> list[tuple[str, tuple[str | int, ...]]]:
    """(host path, its path inside the pod spec) of each ``hostPath`` volume the container
    mounts."""
    volumes: dict[str, tuple[str, tuple[str | int, ...]]] = {}
    for i, volume in enumerate(_list(pod.get("volumes"))):
        host = _map(volume).get("hostPath") if isinstance(volume, Mapping) else None
        if isinstance(host, Mapping) and isinstance(host.get("path"), str):
            volumes[str(volume.get("name", ""))] = (host["path"],
                                                    ("volumes", i, "hostPath", "path"))
    found = []
    for mount in _list(container.get("volumeMounts")):
        name = _map(mount).get("name")
        if isinstance(name, str) and name in volumes and volumes[name] not in found:
            found.append(volumes[name])
    return found


def _field_lines(line_of: LineOf, spec_path: tuple[str, ...], pod: Mapping[str, Any],
                 path: tuple[str | int, ...], ctx: Mapping[str, Any], *,
                 mounts: list[tuple[str, tuple[str | int, ...]]]) -> dict[str, JSONValue]:
    """Where each security fact of a container is written: the line of the key itself
    (the container's ``securityContext`` wins over the pod's, as in Kubernetes). Host
    namespaces get a line only when turned on; ``run_as_root`` is the line that makes
    the container run as root (``runAsUser: 0`` or ``runAsNonRoot: false``);
    ``docker_socket`` the ``hostPath`` of a mounted runtime socket."""
    out: dict[str, JSONValue] = {}
    sc = (*path, "securityContext")
    pod_sc = (*spec_path, "securityContext")

    def put(name: str, where: tuple[str | int, ...]) -> None:
        line = line_of(where)
        if line is not None:
            out[name] = line

    def effective(key: str) -> tuple[str | int, ...] | None:
        if key in ctx:
            return (*sc, key)
        return (*pod_sc, key) if key in _map(pod.get("securityContext")) else None

    for name, key in (("privileged", "privileged"),
                      ("allow_privilege_escalation", "allowPrivilegeEscalation"),
                      ("read_only_root_filesystem", "readOnlyRootFilesystem")):
        if key in ctx:
            put(name, (*sc, key))
    if "add" in _map(_map(ctx).get("capabilities")):
        put("capabilities_added", (*sc, "capabilities", "add"))
    for name, key in (("run_as_user", "runAsUser"), ("run_as_non_root", "runAsNonRoot")):
        where = effective(key)
        if where is not None:
            put(name, where)
    pod_ctx = _map(pod.get("securityContext"))
    user = ctx["runAsUser"] if "runAsUser" in ctx else pod_ctx.get("runAsUser")
    non_root = ctx["runAsNonRoot"] if "runAsNonRoot" in ctx else pod_ctx.get("runAsNonRoot")
    if user == 0 and not isinstance(user, bool):
        put("run_as_root", effective("runAsUser") or path)
    elif non_root is False:
        put("run_as_root", effective("runAsNonRoot") or path)
    for name, key in (("host_network", "hostNetwork"), ("host_pid", "hostPID"),
                      ("host_ipc", "hostIPC")):
        if pod.get(key) is True:
            put(name, (*spec_path, key))
    for host, where in mounts:
        if host.rstrip("/").endswith(_RUNTIME_SOCKETS):
            put("docker_socket", (*spec_path, *where))
            break
    return out


def _secret(data: Mapping[str, Any], uri: str, line_of: LineOf,
            document: int, prefix: tuple[str | int, ...]) -> Iterator[Observation]:
    meta = _map(data.get("metadata"))
    for field in ("data", "stringData"):
        values = data.get(field)
        if not isinstance(values, Mapping) or not values:
            continue
        filled: list[JSONValue] = [str(k) for k in sorted(values, key=str)
                                   if isinstance(k, str | int) and values[k] not in (None, "")]
        if not filled:
            continue
        yield Observation(
            kind="k8s.secret",
            location=Location(uri=uri, line=line_of((field,)),
                              key=".".join(str(p) for p in (*prefix, field))),
            attributes={
                "name": _text(meta.get("name")),
                "namespace": _text(meta.get("namespace"), "default"),
                "type": _text(data.get("type"), "Opaque"),
                "data_keys": list(filled),
                "value_count": len(filled),
                "string_data": field == "stringData",
                "document": document,
            },
            evidence={"secret": f"Secret/{_text(meta.get('name'))}", "keys": list(filled)},
        )


def manifest_observations(data: Mapping[str, Any], uri: str, line_of: LineOf,
                          document: int, prefix: tuple[str | int, ...] = (),
                          _seen: set[int] | None = None) -> Iterator[Observation]:
    """Observations for one Kubernetes object (``data`` passed :func:`is_manifest`);
    ``prefix`` is its key path inside a ``kind: List`` (``items.0``). An object shared
    through YAML aliases is observed once, at its first place (nested Lists of aliases
    would otherwise multiply without bound)."""
    seen = set() if _seen is None else _seen
    if id(data) in seen:
        return
    seen.add(id(data))
    if data["kind"] == "Secret":
        yield from _secret(data, uri, line_of, document, prefix)
    elif data["kind"] == "List" and isinstance(data.get("items"), list):
        for index, item in enumerate(data["items"]):
            if is_manifest(item):
                def item_line(path: Sequence[str | int], index: int = index) -> int | None:
                    return line_of(("items", index, *path))
                yield from manifest_observations(item, uri, item_line, document,
                                                 (*prefix, "items", index), seen)
    else:
        yield from _containers(data, uri, line_of, document, prefix)
