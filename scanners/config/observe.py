"""From one decoded config file to observations: ``config.setting`` per scalar leaf
(none for dependency lock files), ``secret`` per detected secret, and the Kubernetes /
compose facts.

Order of the output (deterministic): settings in file order, then secrets by line, then
``k8s.*`` / ``compose.service`` observations by document.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import yaml

from auditor.errors import TargetError
from auditor.knowledge.secrets import Hit, text_secrets, value_secrets
from auditor.knowledge.values import (
    display_value,
    is_secret_key,
    shannon_entropy,
    shown_placeholder,
    url_facts,
)
from auditor.masking import keyed_hash, mask, mask_secret
from auditor.models import JSONValue, Location, Observation, Problem
from auditor.yamlsource import YamlDocument

from .compose import compose_observations, is_compose
from .formats import parse
from .kubernetes import is_manifest, manifest_observations
from .personal import Literal, personal_data
from .settings import Setting
from .structured import yaml_data, yaml_documents, yaml_settings

__all__ = ["LOCK_FILES", "FileContext", "observe"]

#: dependency lock files: full of digests, never of secrets worth an entropy guess
LOCK_FILES = frozenset({"package-lock.json", "npm-shrinkwrap.json", "composer.lock",
                        "pipfile.lock", "poetry.lock", "cargo.lock", "pnpm-lock.yaml",
                        "uv.lock", "pdm.lock", "gemfile.lock", "flake.lock"})


_YAML_KINDS = frozenset({"yaml", "kubernetes", "compose"})
_TEMPLATE = re.compile(r"\{\{-?\s|\{%-?\s")


@dataclass(frozen=True, slots=True)
class FileContext:
    uri: str
    name: str
    kind: str
    hash_key: bytes


def _effective_keys(settings: Sequence[Setting]) -> dict[int, str]:
    """For ``{name: X, value: Y}`` pairs (k8s env, CloudFormation parameters), the key that
    names the value: index of the ``value`` setting -> X."""
    names = {(s.document, s.path[:-1]): s.value for s in settings
             if s.path and s.path[-1] == "name" and isinstance(s.value, str)}
    out: dict[int, str] = {}
    for i, s in enumerate(settings):
        if s.path and s.path[-1] == "value":
            name = names.get((s.document, s.path[:-1]))
            if isinstance(name, str):
                out[i] = name
    return out


def _setting_observation(ctx: FileContext, s: Setting, secret: bool,
                         url_only: bool = False) -> Observation:
    attributes: dict[str, JSONValue] = {
        "format": "yaml" if ctx.kind in {"kubernetes", "compose"} else ctx.kind,
        "key": s.key,
        "key_leaf": s.leaf,
        "value_type": s.value_type,
    }
    value = s.value
    shown: JSONValue
    masked = False
    facts = url_facts(value) if isinstance(value, str) and (url_only or not secret) else None
    if facts is not None and isinstance(value, str):
        shown, masked = facts.masked, facts.masked != value
        attributes.update({"url_scheme": facts.scheme, "url_host": facts.host,
                           "url_local": facts.is_local,
                           "url_has_password": facts.has_password,
                           "url_params": dict(facts.params)})
    elif isinstance(value, str) and secret:
        reference = shown_placeholder(value)
        shown, masked = (reference, False) if reference is not None \
            else (mask_secret(value), True)
    elif isinstance(value, str):
        plain = display_value(value) or shown_placeholder(value)
        shown, masked = (plain, False) if plain is not None else (mask(value), True)
    elif secret and value is not None and not isinstance(value, bool):
        shown, masked = mask_secret(str(value)), True
    else:
        shown = value
    attributes["value"] = shown
    attributes["value_masked"] = masked
    if s.document:
        attributes["document"] = s.document
    return Observation(kind="config.setting",
                       location=Location(uri=ctx.uri, line=s.line, key=s.key),
                       attributes=attributes, evidence={"value": shown})


def _secret_observation(ctx: FileContext, hit: Hit, key: str | None,
                        name: str | None) -> Observation:
    # NOTE: attributes describe the secret (detector, size, entropy), never its value.
    # ``name`` is the key's last segment, or the ``name`` of a {name, value} pair.
    attributes: dict[str, JSONValue] = {
        "detector": hit.detector,
        "key": key,
        "key_leaf": name.lower() if name else None,
        "name": name,
        "entropy": round(shannon_entropy(hit.secret), 2),
        "length": len(hit.secret),
        "confidence": hit.confidence,
    }
    attributes.update(dict(hit.extra))
    return Observation(
        kind="secret",
        location=Location(uri=ctx.uri, line=hit.line, key=key),
        attributes=attributes,
        evidence={"secret": mask_secret(hit.secret, prefix=hit.prefix)},
        identity=keyed_hash(hit.secret, ctx.hash_key),
    )


def _k8s_secret_value(s: Setting, docs: dict[int, Any]) -> bool:
    """Whether a setting is a value under ``data``/``stringData`` of a Kubernetes Secret
    (the top-level object or one inside a ``kind: List``)."""
    node = docs.get(s.document)
    for part in s.path:
        if isinstance(node, dict):
            if part in {"data", "stringData"} and node.get("kind") == "Secret":
                return True
            node = node.get(str(part))
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return False
    return False


def _settings(ctx: FileContext, text: str, docs: dict[int, Any],
              nodes: dict[int, yaml.Node]) -> Iterator[Setting | Problem]:
    if ctx.kind not in _YAML_KINDS:
        yield from parse(ctx.kind, text)
        return
    for index, node in enumerate(yaml_documents(text)):
        if isinstance(node, yaml.MappingNode):
            keys = {k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
            if {"apiVersion", "kind"} <= keys or "services" in keys:
                docs[index] = yaml_data(node)
                nodes[index] = node
        yield from yaml_settings(node, index)


def _json_manifest_data(ctx: FileContext, text: str) -> dict[int, Any]:
    """A Kubernetes manifest written in JSON (``kubectl get -o json``, generated
    manifests), as document 0; empty for any other file."""
    if ctx.kind != "json" or '"apiVersion"' not in text or '"kind"' not in text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {}  # NOTE: commented JSON; its settings and secrets are still reported
    return {0: data} if is_manifest(data) else {}


def _json_manifest(ctx: FileContext, data: Any,
                   settings: Sequence[Setting]) -> Iterator[Observation]:
    """Kubernetes facts of a JSON manifest. A key's line is its own; a mapping's is the
    line of its first value."""
    first: dict[tuple[str | int, ...], int] = {}
    for s in settings:
        for depth in range(len(s.path) + 1):
            first.setdefault(s.path[:depth], s.line)

    def line_of(path: Sequence[str | int]) -> int | None:
        return first.get(tuple(path))
    yield from manifest_observations(data, ctx.uri, line_of, 0)


def observe(ctx: FileContext, text: str) -> Iterator[Observation | Problem]:
    """Every observation of one config file (see module docstring for the order)."""
    docs: dict[int, Any] = {}
    nodes: dict[int, yaml.Node] = {}
    settings: list[Setting] = []
    failure: TargetError | None = None
    try:
        for item in _settings(ctx, text, docs, nodes):
            if isinstance(item, Problem):
                yield item
            else:
                settings.append(item)
    except TargetError as error:
        # NOTE: the text detectors need no parse: report what they (and the settings read
        # before the error) found, then the error.
        failure = error
        docs.clear()

    text_hits = list(text_secrets(text))
    by_line: dict[int, list[int]] = {}  # NOTE: only needed to place text hits
    for i, s in enumerate(settings if text_hits else ()):
        for line in range(s.line, min(s.end_line, s.line + 500) + 1):
            by_line.setdefault(line, []).append(i)

    def holder(hit: Hit) -> int | None:
        """The setting whose value holds the secret (None: a comment, other text)."""
        for i in by_line.get(hit.line, []):
            value = settings[i].value
            if isinstance(value, str) and hit.secret[:16] in value.replace("\n", ""):
                return i
        return None

    def setting_of(hit: Hit) -> Setting | None:
        i = holder(hit)
        if i is None:
            candidates = by_line.get(hit.line, [])
            return settings[candidates[0]] if candidates else None
        return settings[i]

    hit_detectors: dict[int, set[str]] = {}
    for hit in text_hits:
        owner = holder(hit)
        if owner is not None:
            hit_detectors.setdefault(owner, set()).add(hit.detector)
    secret_settings = set(hit_detectors)
    effective = _effective_keys(settings)
    json_docs = _json_manifest_data(ctx, text) if failure is None else {}
    manifests = docs or json_docs
    lock_file = ctx.name.lower() in LOCK_FILES
    value_hits: list[tuple[Hit, str | None, str | None]] = []
    flagged: set[int] = set()
    for i, s in enumerate(settings):
        if manifests and _k8s_secret_value(s, manifests):
            flagged.add(i)
            continue
        key = effective.get(i, s.name)
        if isinstance(s.value, bool) or s.value is None or i in secret_settings:
            continue
        if not isinstance(s.value, str) and not is_secret_key(key):
            continue
        for hit in value_secrets(key, str(s.value), s.line, entropy=not lock_file):
            value_hits.append((hit, s.key, hit.name or key))
            flagged.add(i)

    # NOTE: a lock file is a dependency manifest, not configuration: thousands of
    # versions and digests that no setting rule is about. Its secrets (a registry token in
    # a "resolved" URL) are still reported.
    for i, s in enumerate(settings if not lock_file else ()):
        secret = i in flagged or i in secret_settings or is_secret_key(effective.get(i, s.name))
        url_only = i not in flagged and hit_detectors.get(i, set()) <= {"url-password"}
        yield _setting_observation(ctx, s, secret, url_only)

    if not lock_file:
        yield from personal_data(ctx.uri, [
            Literal(s.line, s.key, str(s.value), (s.document, s.path[:-1]))
            for i, s in enumerate(settings)
            if i not in flagged and i not in secret_settings and not isinstance(s.value, bool)
            and (isinstance(s.value, str) or (isinstance(s.value, int) and s.value >= 10**8))
            and not is_secret_key(effective.get(i, s.name))], ctx.hash_key, "config")

    secrets = list(value_hits)
    for hit in text_hits:
        found = setting_of(hit)
        secrets.append((hit, found.key if found else None, found.name if found else None))
    secrets.sort(key=lambda item: (item[0].line, item[1] or "", item[0].detector))
    for hit, secret_key, name in secrets:
        yield _secret_observation(ctx, hit, secret_key, name)

    if failure is not None and ctx.kind in _YAML_KINDS and _TEMPLATE.search(text):
        # NOTE: a Helm/Jinja template is not YAML until rendered; an error per chart file
        # would drown the report. The text detectors did run on it.
        yield Problem(f"line {failure.line or '?'}: templated YAML (Helm/Jinja) cannot be "
                      "parsed before rendering; only the text secret detectors ran")
        return
    if failure is not None:
        raise failure
    if json_docs:
        yield from _json_manifest(ctx, json_docs[0], settings)
    for index in sorted(docs):
        source = YamlDocument(ctx.uri, docs[index], nodes[index])

        def line_of(path: Sequence[str | int], source: YamlDocument = source) -> int | None:
            return source.line_of(path)
        if is_manifest(docs[index]):
            yield from manifest_observations(docs[index], ctx.uri, line_of, index)
        elif is_compose(docs[index], PurePath(ctx.name).name):
            yield from compose_observations(docs[index], ctx.uri, line_of)
