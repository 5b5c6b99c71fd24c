"""Rule packs: YAML data validated by a JSON Schema, parsed into frozen rules.

A pack is a directory holding ``pack.yaml`` (the header) and any number of rule files
(``*.yaml``, loaded in name order), or a single YAML file with both a ``pack:`` header and
``rules:``. Every file has ``schema_version: 1`` and is checked against
``rules/schema/rules.schema.json``. Any problem raises :class:`RulePackError` naming the
file, the line and the rule id; nothing in a pack is ever executed.

Example::

    >>> pack = load_pack(builtin_pack_path("core"))
    >>> rule = pack.rule("core.config.debug-enabled")
    >>> rule.matches(observation, pack.parameters)
"""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
import hashlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.errors import RulePackError
from auditor.models import Location, Observation, Severity
from auditor.policy.predicates import (
    Predicate,
    PredicateError,
    compile_predicate,
    is_missing,
    resolve_field,
)
from auditor.policy.validcache import known_valid, remember_valid, valid_key
from auditor.reporting import RuleText
from auditor.yamlsource import YamlDocument, load_yaml

if TYPE_CHECKING:
    import jsonschema

__all__ = [
    "FieldRef",
    "Rule",
    "RulePack",
    "builtin_pack_ids",
    "builtin_pack_path",
    "builtin_rules_dir",
    "glob_match",
    "kind_matches",
    "load_pack",
    "load_translations",
    "resolve_pack",
    "validator_for",
]

_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.\-]+)\}")


def builtin_rules_dir() -> Path:
    """The ``rules/`` directory shipped with the package as ``auditor.rules``."""
    from importlib import resources

    return Path(str(resources.files("auditor.rules")))


@functools.cache
def _schema_bytes(schema_name: str) -> bytes:
    return (builtin_rules_dir() / "schema" / f"{schema_name}.schema.json").read_bytes()


@functools.cache
def validator_for(schema_name: str) -> jsonschema.Draft7Validator:
    """A validator for one of the shipped schemas (``rules``, ``framework``, ...)."""
    import jsonschema  # NOTE: here: with remembered verdicts a scan never needs it

    schema = json.loads(_schema_bytes(schema_name).decode("utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())


def kind_matches(pattern: str, kind: str) -> bool:
    """``tls.*`` matches ``tls.handshake``; ``*`` matches everything."""
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return kind.startswith(pattern[:-1])
    return pattern == kind


@dataclass(frozen=True, slots=True)
class FieldRef:
    """A name a rule reads: an observation kind (``what="kind"``), a ``field:`` path of a
    predicate (``"field"``), a message placeholder (``"placeholder"``) or a ``locate``
    path (``"locate"``), and where."""

    what: str
    name: str
    source: str
    line: int | None


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule of a pack: which observations it matches and what it says about them."""

    id: str
    pack: str
    title: str
    severity: Severity
    cwe: tuple[str, ...]
    kinds: tuple[str, ...]
    message: str
    remediation: str
    references: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    description: str = ""
    where: Predicate | None = field(default=None, compare=False)
    where_text: str = ""
    #: attribute paths naming where the offending directive is (``lines.privileged``,
    #: ``protocols_at``): the first one the observation carries gives the finding's line
    locate: tuple[str, ...] = ()
    #: what the rule reads, with where it says so, for the catalogue check
    #: (:func:`auditor.policy.kindcheck.check_packs`)
    refs: tuple[FieldRef, ...] = field(default=(), compare=False, repr=False)

    def matches_kind(self, kind: str) -> bool:
        return any(kind_matches(p, kind) for p in self.kinds)

    def matches(self, obs: Observation, params: Mapping[str, Any]) -> bool:
        if not self.matches_kind(obs.kind):
            return False
        return self.where is None or self.where(obs, params)

    def render_message(self, obs: Observation) -> str:
        """The message with ``{field}`` placeholders filled from the observation.

        Only attributes and location fields can appear; attributes are masked facts.
        """
        def fill(m: re.Match[str]) -> str:
            value = resolve_field(obs, m.group(1))
            if value is None or is_missing(value):
                return "?"
            if isinstance(value, list | tuple):
                return ", ".join(str(v) for v in value)
            if isinstance(value, bool):
                return "true" if value else "false"
            return str(value)

        return _PLACEHOLDER.sub(fill, self.message)

    def locate_in(self, obs: Observation) -> Location:
        """Where the finding points: the observation's location, moved to the line (and
        file, for ``uri:line`` values) of the first ``locate`` attribute it carries.
        The fingerprint never depends on this: it follows the observation."""
        for path in self.locate:
            value = resolve_field(obs, path)
            if isinstance(value, bool) or is_missing(value) or value is None:
                continue
            if isinstance(value, int) and value > 0:
                return dataclasses.replace(obs.location, line=value)
            if isinstance(value, str):
                uri, _, line = value.rpartition(":")
                if uri and line.isdigit() and int(line) > 0:
                    return dataclasses.replace(obs.location, uri=uri, line=int(line))
        return obs.location


@dataclass(frozen=True, slots=True)
class RulePack:
    id: str
    version: str
    title: str
    rules: tuple[Rule, ...]
    sha256: str
    source: str
    description: str = ""
    parameters: Mapping[str, Any] = field(default_factory=dict)
    parameter_help: Mapping[str, str] = field(default_factory=dict)
    #: language -> rule id -> texts, from the pack's ``i18n/`` folder
    translations: Mapping[str, Mapping[str, RuleText]] = field(default_factory=dict)

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def with_parameters(self, overrides: Mapping[str, Any]) -> RulePack:
        """A copy with some parameters overridden (unknown names are ignored here;
        the CLI checks them against every loaded pack)."""
        merged = {**self.parameters, **{k: v for k, v in overrides.items()
                                        if k in self.parameters}}
        return RulePack(self.id, self.version, self.title, self.rules, self.sha256,
                        self.source, self.description, merged, self.parameter_help,
                        self.translations)


def builtin_pack_ids() -> tuple[str, ...]:
    base = builtin_rules_dir()
    return tuple(sorted(p.parent.name for p in base.glob("*/pack.yaml")))


def builtin_pack_path(pack_id: str) -> Path:
    return builtin_rules_dir() / pack_id


def resolve_pack(spec: str) -> Path:
    """``--pack`` value to a path: a built-in pack id, or a directory / YAML file."""
    path = Path(spec)
    if path.exists():
        return path
    builtin = builtin_pack_path(spec)
    if re.fullmatch(r"[a-z0-9][a-z0-9._-]*", spec) and (builtin / "pack.yaml").is_file():
        return builtin
    known = ", ".join(builtin_pack_ids()) or "none"
    raise RulePackError(spec, f"no such rule pack (built-in packs: {known})")


def _schema_errors(doc: YamlDocument, schema: str) -> None:
    """Raise RulePackError for the first schema error of ``doc`` (by line); a verdict
    "valid" is remembered in the user's cache (:mod:`auditor.policy.validcache`)."""
    key = valid_key(schema, _schema_bytes(schema), doc.data)
    if known_valid(key):
        return
    errors = sorted(validator_for(schema).iter_errors(doc.data),
                    key=lambda e: (doc.line_of(list(e.absolute_path)) or 0, str(e.message)))
    if not errors:
        remember_valid(key)
        return
    err = errors[0]
    # NOTE: "not valid under any of the given schemas" says nothing; show the sub-error
    # that went deepest instead.
    while err.context:
        err = max(err.context, key=lambda e: len(e.absolute_path))
    path = list(err.absolute_path)
    rule_id = _rule_id_at(doc.data, path)
    where = "/".join(str(p) for p in path) or "(top level)"
    raise RulePackError(doc.path, f"{where}: {err.message}", line=doc.line_of(path),
                        rule_id=rule_id)


def _rule_id_at(data: Any, path: Sequence[str | int]) -> str | None:
    if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
        rules = data.get("rules") if isinstance(data, Mapping) else None
        if isinstance(rules, list) and path[1] < len(rules) and isinstance(rules[path[1]], Mapping):
            rid = rules[path[1]].get("id")
            return str(rid) if rid is not None else None
    return None


def _compile_where(doc: YamlDocument, index: int, raw: Mapping[str, Any],
                   params: frozenset[str]) -> Predicate | None:
    match = raw.get("match")
    if not isinstance(match, Mapping) or "where" not in match:
        return None
    base: list[str | int] = ["rules", index, "match", "where"]
    try:
        return compile_predicate(match["where"], base, params)
    except PredicateError as exc:
        raise RulePackError(doc.path, str(exc), line=doc.line_of(list(exc.path)),
                            rule_id=str(raw.get("id") or "")) from None


def _where_fields(spec: Any, path: list[str | int]) -> Iterator[tuple[str, list[str | int]]]:
    """(field path, YAML path of its ``field:`` key) of every leaf of a predicate."""
    if not isinstance(spec, Mapping):
        return
    if "field" in spec:
        yield str(spec["field"]), [*path, "field"]
    for op in ("all", "any"):
        items = spec.get(op)
        if isinstance(items, list):
            for i, item in enumerate(items):
                yield from _where_fields(item, [*path, op, i])
    if "not" in spec:
        yield from _where_fields(spec["not"], [*path, "not"])


def _refs(doc: YamlDocument, index: int, raw: Mapping[str, Any],
          kinds: Sequence[str]) -> tuple[FieldRef, ...]:
    base: list[str | int] = ["rules", index]
    out = [FieldRef("kind", k, doc.path, doc.line_of([*base, "match", "kind"])) for k in kinds]
    where = raw["match"].get("where")
    out += [FieldRef("field", name, doc.path, doc.line_of(at))
            for name, at in _where_fields(where, [*base, "match", "where"])]
    message_line = doc.line_of([*base, "message"])
    out += [FieldRef("placeholder", m.group(1), doc.path, message_line)
            for m in _PLACEHOLDER.finditer(str(raw["message"]))]
    locate = raw.get("locate")
    out += [FieldRef("locate", str(name), doc.path, doc.line_of([*base, "locate"]))
            for name in ([locate] if isinstance(locate, str) else locate or ())]
    return tuple(out)


def _parse_rules(doc: YamlDocument, pack_id: str, params: frozenset[str]) -> list[Rule]:
    out = []
    for index, raw in enumerate(doc.data.get("rules") or []):
        where = _compile_where(doc, index, raw, params) if isinstance(raw, Mapping) else None
        out.append((index, raw, where))
    _schema_errors(doc, "rules")  # after predicates: their messages are more precise
    rules = []
    for index, raw, where in out:
        kinds = raw["match"]["kind"]
        rule_id = str(raw["id"])
        if not rule_id.startswith(pack_id + "."):
            raise RulePackError(doc.path, f"rule id must start with the pack id {pack_id!r}.",
                                line=doc.line_of(["rules", index, "id"]), rule_id=rule_id)
        rules.append(Rule(
            id=rule_id, pack=pack_id, title=str(raw["title"]),
            severity=Severity.parse(str(raw["severity"])), cwe=tuple(raw["cwe"]),
            kinds=tuple(kinds if isinstance(kinds, list) else [kinds]),
            message=str(raw["message"]), remediation=str(raw["remediation"]).strip(),
            references=tuple(raw.get("references") or ()), tags=tuple(raw.get("tags") or ()),
            description=str(raw.get("description") or "").strip(), where=where,
            where_text=where.text if where else "",
            locate=tuple([raw["locate"]] if isinstance(raw.get("locate"), str)
                         else raw.get("locate") or ()),
            refs=_refs(doc, index, raw, kinds if isinstance(kinds, list) else [kinds]),
        ))
    return rules


def _pack_files(path: Path) -> tuple[Path, list[Path]]:
    if path.is_dir():
        header = path / "pack.yaml"
        if not header.is_file():
            raise RulePackError(str(path), "a pack directory needs a pack.yaml header")
        others = sorted(p for p in path.iterdir()
                        if p.suffix in {".yaml", ".yml"} and p.name != "pack.yaml")
        return header, others
    return path, []


@functools.lru_cache(maxsize=64)
def _load_pack_cached(path: str, mtimes: tuple[float, ...]) -> RulePack:
    return _load_pack(Path(path))


def load_pack(path: str | Path) -> RulePack:
    """Load and validate one pack (a directory or a single YAML file)."""
    p = Path(path).resolve()
    if not p.exists():
        raise RulePackError(str(path), "no such file or directory")
    header, others = _pack_files(p)
    stamps = tuple(f.stat().st_mtime for f in (header, *others))
    return _load_pack_cached(str(p), stamps)


def _load_pack(path: Path) -> RulePack:
    header_path, rule_paths = _pack_files(path)
    digest = hashlib.sha256()
    header = load_yaml(header_path)
    if not isinstance(header.data, Mapping):
        raise RulePackError(header.path, "a rule pack file must be a YAML mapping", line=1)
    meta = header.data.get("pack")
    if not isinstance(meta, Mapping):
        raise RulePackError(header.path, "missing 'pack:' header (id, version, title)", line=1)
    raw_params = meta.get("parameters")
    names = frozenset(raw_params) if isinstance(raw_params, Mapping) else frozenset()
    pack_id = str(meta.get("id"))
    rules = _parse_rules(header, pack_id, names)  # validates the whole header file too
    params = {k: v["default"] for k, v in (raw_params or {}).items()}
    help_text = {k: str(v["description"]) for k, v in (raw_params or {}).items()}
    digest.update(header_path.name.encode() + b"\0" + header_path.read_bytes())
    for rule_path in rule_paths:
        doc = load_yaml(rule_path)
        if not isinstance(doc.data, Mapping):
            raise RulePackError(doc.path, "a rule file must be a YAML mapping", line=1)
        if "pack" in doc.data:
            raise RulePackError(doc.path, "only pack.yaml may carry the 'pack:' header",
                                line=doc.line_of(["pack"]))
        rules.extend(_parse_rules(doc, pack_id, names))
        digest.update(rule_path.name.encode() + b"\0" + rule_path.read_bytes())
    seen: dict[str, int] = {}
    for i, rule in enumerate(rules):
        if rule.id in seen:
            raise RulePackError(str(path), "duplicate rule id", rule_id=rule.id)
        seen[rule.id] = i
    return RulePack(
        id=pack_id, version=str(meta["version"]), title=str(meta["title"]),
        rules=tuple(rules), sha256=digest.hexdigest(), source=str(path),
        description=str(meta.get("description") or "").strip(),
        parameters=params, parameter_help=help_text,
        translations=load_translations(path, {r.id for r in rules}),
    )


def load_translations(pack: Path, rule_ids: set[str]) -> dict[str, dict[str, RuleText]]:
    """A pack's translations: ``i18n/rules.<lang>.yaml`` (rule id -> title, remediation)
    and ``i18n/messages.<lang>.yaml`` (rule id -> {en: template, <lang>: template}).
    An id that is not a rule of the pack is an error (a stale translation)."""
    folder = pack / "i18n" if pack.is_dir() else None
    out: dict[str, dict[str, RuleText]] = {}
    if folder is None or not folder.is_dir():
        return out
    for path in sorted(folder.glob("*.yaml")):
        kind, _, lang = path.stem.partition(".")
        if kind not in {"rules", "messages"} or not lang:
            raise RulePackError(str(path), "translation files are rules.<lang>.yaml or "
                                           "messages.<lang>.yaml")
        doc = load_yaml(path)
        data = doc.data or {}
        if not isinstance(data, Mapping):
            raise RulePackError(str(path), "a translation file maps rule ids to texts", line=1)
        texts = out.setdefault(lang, {})
        for rule_id, entry in data.items():
            line = doc.line_of([rule_id])
            if str(rule_id) not in rule_ids:
                raise RulePackError(str(path), f"no rule {rule_id!r} in this pack", line=line)
            old = texts.get(str(rule_id), RuleText())
            if kind == "rules":
                if not isinstance(entry, Mapping) or not isinstance(entry.get("title"), str):
                    raise RulePackError(str(path), "expected {title, remediation}", line=line,
                                        rule_id=str(rule_id))
                texts[str(rule_id)] = replace(old, title=entry["title"],
                                              remediation=str(entry.get("remediation") or ""))
            else:
                if not isinstance(entry, Mapping) or not isinstance(entry.get("en"), str) \
                        or not isinstance(entry.get(lang), str):
                    raise RulePackError(str(path), f"expected {{en, {lang}}} message templates",
                                        line=line, rule_id=str(rule_id))
                texts[str(rule_id)] = replace(old, message_en=entry["en"],
                                              message=entry[lang])
    return out


def glob_match(pattern: str, value: str) -> bool:
    """Shell-style glob used by frameworks and suppressions (``core.secret.*``)."""
    return fnmatch.fnmatchcase(value, pattern)
