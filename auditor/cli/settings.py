"""Option defaults from ``AUDITOR_*`` environment variables and ``auditor.yaml`` (issue 20).

Precedence, highest first: the command line, ``AUDITOR_<OPTION>`` environment variables,
the ``defaults:`` section of the repository's ``auditor.yaml``, built-in defaults.

- **Environment**: every option of every command can be set as ``AUDITOR_`` + its long
  name in capitals with ``-`` as ``_`` (``--fail-on`` -> ``AUDITOR_FAIL_ON``, ``--jobs`` ->
  ``AUDITOR_JOBS``); switches take ``1/true/yes/on`` or ``0/false/no/off``; repeatable
  options take a comma-separated list. An invalid value is a usage error naming the
  variable (exit 2).
- **auditor.yaml** at the root of the git work tree holding the first scanned path (else
  the current directory's), or ``--config FILE`` / ``AUDITOR_CONFIG``: its top-level
  ``defaults:`` mapping sets ``auditor scan`` defaults for that repository. It is the
  ``defaults:`` section of the scheduled-scan configuration (same keys and meaning:
  packs, frameworks, framework_params, params, options, suppressions, baseline, ignore,
  fail_on, as_of, lang, jobs, max_size, time_budget, ``x-*``), plus four keys for
  ``auditor scan`` alone: ``formats``, ``output``, ``evidence``, ``gitignore``. Other
  top-level keys (``systems:``, ``store:`` ...) are not read here. Paths
  (``suppressions``, ``baseline``, ``output``, ``evidence``, pack files) are relative to
  the file's folder. Repeatable options given on the command line add to the file's lists.

::

    defaults:
      fail_on: high
      ignore: [fixtures/*, "*.min.js"]
      packs: [core, ./packs/our-rules.yaml]
      suppressions: .auditor-suppressions.yaml
      baseline: .auditor/baseline.json
      formats: [sarif, json]
      gitignore: true
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from auditor.errors import ConfigError

__all__ = ["CONFIG_NAME", "ENV_PREFIX", "config_defaults", "env_defaults", "env_name",
           "find_config", "layered_defaults"]

ENV_PREFIX = "AUDITOR_"
CONFIG_NAME = "auditor.yaml"
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})
_STRINGS = {"type": "array", "items": {"type": "string", "minLength": 1}}

#: the ``defaults:`` section: key -> (JSON Schema, scan option dest)
DEFAULT_KEYS: Mapping[str, tuple[dict[str, Any], str]] = {
    "ignore": (_STRINGS, "ignore"),
    "packs": (_STRINGS, "pack"),
    "frameworks": (_STRINGS, "framework"),
    "formats": (_STRINGS, "format"),
    "fail_on": ({"type": "string",
                 "enum": ["critical", "high", "medium", "low", "info", "never"]}, "fail_on"),
    "suppressions": ({"type": "string", "minLength": 1}, "suppressions"),
    "baseline": ({"type": "string", "minLength": 1}, "baseline"),
    "output": ({"type": "string", "minLength": 1}, "output"),
    "evidence": ({"type": "string", "minLength": 1}, "evidence"),
    "gitignore": ({"type": "boolean"}, "no_gitignore"),
    "max_size": ({"type": "integer", "minimum": 0}, "max_size"),
    "jobs": ({"type": "integer", "minimum": 0}, "jobs"),
    "time_budget": ({"type": "number", "exclusiveMinimum": 0}, "time_budget"),
    "lang": ({"type": "string", "enum": ["en", "vi"]}, "lang"),
    "params": ({"type": "object", "additionalProperties": {
        "type": ["string", "number", "boolean"]}}, "param"),
    "options": ({"type": "object", "additionalProperties": {
        "type": ["string", "number", "boolean"]}}, "option"),
    "framework_params": ({"type": "object", "additionalProperties": {
        "type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}}},
        "param"),
    "as_of": ({"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}, "as_of"),
}
_PATH_KEYS = frozenset({"suppressions", "baseline", "output", "evidence"})
_SCHEMA = {"type": "object", "additionalProperties": False,
           "patternProperties": {"^x-": {}},  # NOTE: free for local use, as in scheduled scans
           "properties": {k: v[0] for k, v in DEFAULT_KEYS.items()}}


def env_name(action: argparse.Action) -> str | None:
    longs = [o for o in action.option_strings if o.startswith("--")]
    if not longs or action.dest in {"help", "version"}:
        return None
    return ENV_PREFIX + longs[0][2:].upper().replace("-", "_")


def _convert(action: argparse.Action, var: str, raw: str) -> Any:
    if isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
        word = raw.strip().lower()
        if word not in _TRUE | _FALSE:
            raise ConfigError(f"{var}={raw!r}: expected 1/true/yes/on or 0/false/no/off")
        on = word in _TRUE
        return on if isinstance(action, argparse._StoreTrueAction) else not on
    if isinstance(action, argparse._CountAction):
        try:
            return max(int(raw), 0)
        except ValueError:
            raise ConfigError(f"{var}={raw!r}: expected a number") from None
    items = [p.strip() for p in raw.split(",")] if isinstance(
        action, argparse._AppendAction) else [raw]
    out: list[Any] = []
    for item in items:
        if not item:
            continue
        try:
            value: Any = action.type(item) if callable(action.type) else item
        except (TypeError, ValueError, argparse.ArgumentTypeError):
            longs = [o for o in action.option_strings if o.startswith("--")]
            raise ConfigError(f"{var}={raw!r}: not a valid value for "
                              f"{(longs or action.option_strings)[0]}") from None
        if action.choices is not None and value not in action.choices:
            raise ConfigError(f"{var}={raw!r}: choose from "
                              f"{', '.join(map(str, action.choices))}")
        out.append(value)
    if isinstance(action, argparse._AppendAction):
        return out
    return out[0] if out else None


def env_defaults(parser: argparse.ArgumentParser, environ: Mapping[str, str]
                 ) -> dict[str, Any]:
    """Defaults for ``parser``'s options from ``AUDITOR_*`` variables that are set."""
    out: dict[str, Any] = {}
    for action in parser._actions:
        var = env_name(action)
        if var is None or var not in environ:
            continue
        value = _convert(action, var, environ[var])
        if value is not None:
            out[action.dest] = value
    return out


def find_config(paths: Sequence[str], cwd: Path) -> Path | None:
    """``auditor.yaml`` at the root of the work tree of the first local path (or cwd)."""
    from auditor.pipeline.gitignore import find_worktree  # NOTE: only `scan` needs it

    local = [Path(p) for p in paths if "://" not in p and Path(p).exists()]
    start = local[0] if local else cwd
    start = start if start.is_dir() else start.parent
    root = find_worktree(start) or (cwd if not local else None)
    if root is None:
        return None
    candidate = root / CONFIG_NAME
    return candidate if candidate.is_file() else None


def config_defaults(path: Path) -> dict[str, Any]:
    """``auditor scan`` defaults from the ``defaults:`` section of ``path``."""
    from auditor.yamlsource import load_yaml  # NOTE: YAML only when there is a file to read

    doc = load_yaml(path)
    data = doc.data
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: expected a mapping at the top level")
    section = data.get("defaults")
    if section is None:
        return {}
    import jsonschema  # NOTE: here, not at the top: every command start-up pays for it

    validator = jsonschema.Draft202012Validator(_SCHEMA)
    errors = sorted(validator.iter_errors(section), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        where = ["defaults", *err.absolute_path]
        if err.validator == "additionalProperties":
            extra = sorted(k for k in set(section) - set(DEFAULT_KEYS) if not k.startswith("x-"))
            where = ["defaults", *(extra[:1])]
            problem = (f"unknown key {extra[0]!r} (known: {', '.join(DEFAULT_KEYS)})"
                       if extra else err.message)
        else:
            problem = f"{'.'.join(map(str, where))}: {err.message}"
        line = doc.line_of(where)
        raise ConfigError(f"{path}:{line}: {problem}" if line else f"{path}: {problem}")
    base = path.parent
    out: dict[str, Any] = {}
    for key, value in section.items():
        if key.startswith("x-"):
            continue
        dest = DEFAULT_KEYS[key][1]
        if key in _PATH_KEYS:
            out[dest] = str(base / value)
        elif key == "gitignore":
            out[dest] = not value
        elif key == "packs":
            out[dest] = [str(base / v) if ("/" in v or v.endswith((".yaml", ".yml")))
                         else v for v in value]
        elif key in {"params", "options"}:
            out.setdefault(dest, []).extend(f"{k}={_scalar(v)}" for k, v in value.items())
        elif key == "framework_params":
            out.setdefault(dest, []).extend(f"{fw}.{k}={_scalar(v)}"
                                            for fw, values in value.items()
                                            for k, v in values.items())
        else:
            out[dest] = list(value) if isinstance(value, list) else value
    return out


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def layered_defaults(parser: argparse.ArgumentParser, config: Path | None,
                     environ: Mapping[str, str]) -> dict[str, Any]:
    """Config-file defaults overlaid with environment defaults (CLI comes on top)."""
    out = config_defaults(config) if config is not None else {}
    out.update(env_defaults(parser, environ))
    return out
