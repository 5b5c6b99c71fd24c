"""Loading and checking ``auditor.yaml`` (see the package docstring)."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import jsonschema
import yaml

from auditor.errors import RulePackError
from auditor.yamlsource import YamlDocument, load_yaml

__all__ = [
    "CONFIG_SCHEMA",
    "ConfigFileError",
    "RunConfig",
    "ScanSettings",
    "SystemConfig",
    "TargetSpec",
    "load_config",
    "parse_config",
]

CONFIG_SCHEMA = "auditor-config.schema.json"
Scalar = str | int | float | bool


class ConfigFileError(RulePackError):
    """``auditor.yaml`` is invalid; the message names file, line and key (exit 2)."""


@cache
def _schema() -> dict[str, Any]:
    text = resources.files("auditor.runconfig").joinpath(CONFIG_SCHEMA).read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _is_url(text: str) -> bool:
    return "://" in text


@dataclass(frozen=True, slots=True)
class TargetSpec:
    """One target of a system: a path, or a database URL whose password comes from the
    environment (``password_env``) or a file (``password_file``), never from the config."""

    url: str
    password_env: str | None = None
    password_file: str | None = None

    def locator(self) -> str:
        """What ``auditor scan`` is given: the URL with the password put in, or the path."""
        if self.password_env is None and self.password_file is None:
            return self.url
        if self.password_env is not None:
            secret = os.environ.get(self.password_env)
            if secret is None:
                raise ConfigFileError(self.url, f"environment variable {self.password_env} "
                                                f"(password_env) is not set")
        else:
            try:
                secret = Path(str(self.password_file)).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigFileError(str(self.password_file),
                                      f"cannot read password_file: {exc.strerror}") from None
        parts = urlsplit(self.url)
        user = parts.username or ""
        host = parts.netloc.rpartition("@")[2]
        netloc = f"{quote(user, safe='')}:{quote(secret, safe='')}@{host}"
        return urlunsplit(parts._replace(netloc=netloc))


@dataclass(frozen=True, slots=True)
class ScanSettings:
    """Scan settings of a system (``None`` = not set here: inherit, then the scan default)."""

    packs: tuple[str, ...] | None = None
    default_packs: bool | None = None
    frameworks: tuple[str, ...] | None = None
    framework_params: Mapping[str, Mapping[str, Scalar]] | None = None
    params: Mapping[str, Scalar] | None = None
    options: Mapping[str, Scalar] | None = None
    suppressions: str | None = None
    baseline: str | None = None
    ignore: tuple[str, ...] | None = None
    fail_on: str | None = None
    as_of: str | None = None
    lang: str | None = None
    jobs: int | None = None
    max_size: int | None = None
    time_budget: float | None = None

    def over(self, defaults: ScanSettings) -> ScanSettings:
        """These settings on top of ``defaults``; mappings merge by key."""
        out: dict[str, Any] = {}
        for f in fields(self):
            own, base = getattr(self, f.name), getattr(defaults, f.name)
            if f.name in ("params", "options") and own is not None and base is not None:
                own = {**base, **own}
            elif f.name == "framework_params" and own is not None and base is not None:
                own = {k: {**base.get(k, {}), **own.get(k, {})} for k in {*base, *own}}
            out[f.name] = base if own is None else own
        return ScanSettings(**out)


@dataclass(frozen=True, slots=True)
class SystemConfig:
    """One system: what to scan, who owns it, how to judge it."""

    name: str
    owner: str
    targets: tuple[TargetSpec, ...]
    settings: ScanSettings
    level: int | None = None
    title: str = ""
    description: str = ""
    schedule: str | None = None
    formats: tuple[str, ...] = ()
    document: Mapping[str, str] = field(default_factory=dict)

    def metadata(self) -> dict[str, Any]:
        """What reports record under ``run.system``."""
        out: dict[str, Any] = {"name": self.name, "owner": self.owner}
        if self.title:
            out["title"] = self.title
        if self.level is not None:
            out["level"] = self.level
        return out


@dataclass(frozen=True, slots=True)
class RunConfig:
    path: str
    systems: tuple[SystemConfig, ...] = ()
    store: str | None = None
    store_password_env: str | None = None
    store_password_file: str | None = None
    reports: str = "auditor-reports"
    formats: tuple[str, ...] = ("json", "html")
    schedule: str | None = None
    defaults: ScanSettings = ScanSettings()
    document: Mapping[str, str] = field(default_factory=dict)

    def select(self, names: Sequence[str]) -> tuple[SystemConfig, ...]:
        """The systems named (in config order), all when none are named."""
        if not names:
            return self.systems
        known = {s.name for s in self.systems}
        missing = [n for n in names if n not in known]
        if missing:
            raise ConfigFileError(self.path, f"no system named {missing[0]!r} (systems: "
                                             f"{', '.join(sorted(known)) or 'none'})")
        return tuple(s for s in self.systems if s.name in set(names))


# ---- loading -----------------------------------------------------------------------------
def load_config(path: str | Path) -> RunConfig:
    """Read and check ``auditor.yaml``; relative paths are relative to its folder."""
    try:
        doc = load_yaml(path, error=ConfigFileError)
    except ValueError as exc:  # a YAML timestamp that is not a date (2026-13-45)
        raise ConfigFileError(str(path), f"invalid date: {exc}",
                              line=_bad_timestamp_line(Path(path))) from None
    return parse_config(doc)


def _bad_timestamp_line(path: Path) -> int | None:
    loader = yaml.SafeLoader(path.read_text(encoding="utf-8"))
    try:
        stack = [loader.get_single_node()]
        while stack:
            node = stack.pop()
            if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":timestamp"):
                try:
                    loader.construct_yaml_timestamp(node)
                except ValueError:
                    return node.start_mark.line + 1
            elif isinstance(node, yaml.MappingNode):
                stack.extend(v for pair in node.value for v in pair)
            elif isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)
    finally:
        loader.dispose()
    return None


def _plain(value: Any) -> Any:
    """YAML dates as ISO text (the schema speaks JSON)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _where(path: Sequence[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _schema_error(doc: YamlDocument, data: Any, error: jsonschema.ValidationError) -> None:
    path = list(error.absolute_path)
    if error.validator == "oneOf" and isinstance(error.instance, Mapping) and error.context:
        # a {url: ...} target: say what is wrong inside it, not only "no branch matched"
        inner = [e for e in error.context if e.schema_path and e.schema_path[0] == 1]
        if inner:
            _schema_error(doc, data, jsonschema.exceptions.best_match(inner))
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        allowed = set(schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed and not k.startswith("x-"))
        if extra:
            key_path = [*path, extra[0]]
            raise ConfigFileError(doc.path, f"{_where(key_path)}: unknown key {extra[0]!r} "
                                            f"(known: {', '.join(sorted(allowed))})",
                                  line=doc.line_of(key_path))
    if error.validator == "required":
        message = f"{_where(path)}: {error.message}"
    elif error.validator == "oneOf" and path and path[-2:-1] == ["targets"]:
        message = (f"{_where(path)}: a target is a path or URL, or {{url, password_env | "
                   f"password_file}}")
    else:
        message = f"{_where(path)}: {error.message}"
    raise ConfigFileError(doc.path, message, line=doc.line_of(path))


def _settings(data: Mapping[str, Any], base: Path) -> ScanSettings:
    def tup(name: str) -> tuple[str, ...] | None:
        value = data.get(name)
        return tuple(value) if value is not None else None

    def local(name: str) -> str | None:
        value = data.get(name)
        return str(base / value) if isinstance(value, str) else None

    def pack_like(name: str) -> tuple[str, ...] | None:
        values = tup(name)
        if values is None:
            return None
        return tuple(str(base / v) if (base / v).exists() and ("/" in v or v.endswith(
            (".yaml", ".yml"))) else v for v in values)

    return ScanSettings(
        packs=pack_like("packs"), default_packs=data.get("default_packs"),
        frameworks=pack_like("frameworks"),
        framework_params=data.get("framework_params"), params=data.get("params"),
        options=data.get("options"), suppressions=local("suppressions"),
        baseline=local("baseline"), ignore=tup("ignore"), fail_on=data.get("fail_on"),
        as_of=data.get("as_of"), lang=data.get("lang"), jobs=data.get("jobs"),
        max_size=data.get("max_size"), time_budget=data.get("time_budget"))


def _target(doc: YamlDocument, raw: Any, where: list[str | int], base: Path) -> TargetSpec:
    spec = TargetSpec(raw) if isinstance(raw, str) else TargetSpec(
        raw["url"], raw.get("password_env"), raw.get("password_file"))
    if _is_url(spec.url):
        try:
            password = urlsplit(spec.url).password
        except ValueError:
            password = None
        if password:
            raise ConfigFileError(doc.path, f"{_where(where)}: the URL holds a password: "
                                            f"use password_env or password_file instead",
                                  line=doc.line_of(where))
        if spec.password_file is not None:
            spec = replace(spec, password_file=str(base / spec.password_file))
        return spec
    if spec.password_env is not None or spec.password_file is not None:
        raise ConfigFileError(doc.path, f"{_where(where)}: password_env/password_file are "
                                        f"for database URLs", line=doc.line_of(where))
    return TargetSpec(str(base / spec.url))


def _store(doc: YamlDocument, value: str | None, base: Path) -> str | None:
    if value is None:
        return None
    if not value.startswith(("sqlite://", "postgresql://", "postgresql+psycopg://")):
        raise ConfigFileError(doc.path, "store: expected sqlite:///PATH or postgresql://...",
                              line=doc.line_of(["store"]))
    try:
        password = urlsplit(value).password
    except ValueError:
        password = None
    if password:
        raise ConfigFileError(doc.path, "store: the URL holds a password: use "
                                        "store_password_env or store_password_file instead",
                              line=doc.line_of(["store"]))
    if value.startswith("sqlite:///") and not value.startswith("sqlite:////"):
        rel = value.removeprefix("sqlite:///")
        if rel and rel != ":memory:":
            return "sqlite:///" + str(base / rel)
    return value


def parse_config(doc: YamlDocument) -> RunConfig:
    data = _plain(doc.data)
    if not isinstance(data, Mapping):
        raise ConfigFileError(doc.path, "expected a mapping with schema_version: 1", line=1)
    validator = jsonschema.Draft202012Validator(
        _schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(data),
                    key=lambda e: (doc.line_of(list(e.absolute_path)) or 0, len(e.path)))
    if errors:
        _schema_error(doc, data, errors[0])
    base = Path(doc.path).resolve().parent
    defaults = _settings(data.get("defaults") or {}, base)
    systems: list[SystemConfig] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(data.get("systems") or ()):
        name = raw["name"]
        if name in seen:
            raise ConfigFileError(doc.path, f"systems[{i}].name: system {name!r} is already "
                                            f"defined (systems[{seen[name]}])",
                                  line=doc.line_of(["systems", i, "name"]))
        seen[name] = i
        targets = tuple(_target(doc, t, ["systems", i, "targets", j], base)
                        for j, t in enumerate(raw["targets"]))
        systems.append(SystemConfig(
            name=name, owner=raw["owner"], targets=targets,
            settings=_settings(raw, base).over(defaults), level=raw.get("level"),
            title=raw.get("title") or "", description=raw.get("description") or "",
            schedule=raw.get("schedule") or data.get("schedule"),
            formats=tuple(raw.get("formats") or data.get("formats") or ("json", "html")),
            document={**(data.get("document") or {}), **(raw.get("document") or {})}))
    reports = data.get("reports") or "auditor-reports"
    return RunConfig(
        path=doc.path, systems=tuple(systems), store=_store(doc, data.get("store"), base),
        store_password_env=data.get("store_password_env"),
        store_password_file=str(base / data["store_password_file"])
        if data.get("store_password_file") else None,
        reports=str(base / reports), formats=tuple(data.get("formats") or ("json", "html")),
        schedule=data.get("schedule"), defaults=defaults,
        document=dict(data.get("document") or {}))
