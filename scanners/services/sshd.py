"""sshd_config: effective settings with ``Include`` and ``Match`` blocks.

OpenSSH semantics: keywords are case-insensitive, the *first* value obtained wins, a
``Match`` block runs to the next ``Match`` (or the end of the file) and overrides the
global value for connections it matches. Observations:

- ``config.setting`` per directive, key ``sshd.<Keyword>`` (``sshd.Match.<criteria>.<Keyword>``
  inside a Match block);
- ``ssh.config`` once per effective setting of the global context and once per setting a
  ``Match`` block overrides, located at the directive (a default: line 1, or the Match
  line). Attributes: ``context`` (``global`` or the Match criteria), ``setting``
  (``permit_root_login``, ``password_authentication``, ``permit_empty_passwords``,
  ``kbd_interactive_authentication``, ``pubkey_authentication``, ``x11_forwarding``,
  ``use_pam``, ``ciphers``, ``macs``, ``kex``, ``host_key_algorithms``), ``value``
  (``true``/``false`` for yes/no, else the lower-case word; lists resolved against the
  OpenSSH defaults with ``+``/``-``/``^`` applied), ``explicit``, and for lists ``weak`` /
  ``legacy`` / ``unknown`` graded by ``auditor/knowledge/data/ssh_algorithms.yaml``::

    {"context": "global", "setting": "permit_root_login", "value": true, "explicit": true}
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from auditor.errors import TargetError
from auditor.knowledge.sshpolicy import grade, resolve
from auditor.models import JSONValue, Location, Observation, Problem, Target

from .common import FileSet, read_text, safe_word, setting
from .vocab import SSHD_KEYWORDS

__all__ = ["observe_sshd"]

# keyword (lower) -> (attribute, OpenSSH default)
_BOOL_KEYS = {
    "permitrootlogin": ("permit_root_login", "prohibit-password"),
    "passwordauthentication": ("password_authentication", "yes"),
    "permitemptypasswords": ("permit_empty_passwords", "no"),
    "kbdinteractiveauthentication": ("kbd_interactive_authentication", "yes"),
    "challengeresponseauthentication": ("kbd_interactive_authentication", "yes"),
    "pubkeyauthentication": ("pubkey_authentication", "yes"),
    "x11forwarding": ("x11_forwarding", "no"),
    "usepam": ("use_pam", "no"),
}
_LIST_KEYS = {"ciphers": "ciphers", "macs": "macs", "kexalgorithms": "kex",
              "hostkeyalgorithms": "hostkey"}
_LIST_ATTR = {"ciphers": "ciphers", "macs": "macs", "kex": "kex",
              "hostkey": "host_key_algorithms"}
_LINE = re.compile(r"^\s*(\S+?)(?:\s*=\s*|\s+)(.*?)\s*$")


@dataclass
class _Context:
    criteria: str
    uri: str
    line: int
    values: dict[str, tuple[str, str, int]] = field(default_factory=dict)  # kw -> (v,uri,l)


def _unquote(value: str) -> str:
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value


def _read(path: Path, files: FileSet, contexts: list[_Context], hash_key: bytes,
          out: list[Observation]) -> None:
    uri = files.uri_of(path)
    for lineno, raw in enumerate(read_text(path, uri).splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _LINE.match(line)
        if not m or not m.group(2):
            word = safe_word(line.split()[0], SSHD_KEYWORDS)
            raise TargetError(f"{uri}:{lineno}: directive {word} has no value", line=lineno)
        keyword, value = m.group(1), _unquote(m.group(2).split(" #", 1)[0].strip())
        low = keyword.lower()
        if low == "match":
            contexts.append(_Context(value, uri, lineno))
            continue
        if low == "include":
            for pattern in value.split():
                for inc in files.expand(pattern, relative_to=(path.parent,),
                                        uri=uri, line=lineno):
                    files.enter(inc, uri, lineno)
                    _read(inc, files, contexts, hash_key, out)
                    files.leave(inc)
            continue
        ctx = contexts[-1]
        prefix = "sshd" if ctx.criteria == "global" else f"sshd.Match.{ctx.criteria}"
        out.extend(setting("sshd", f"{prefix}.{keyword}", value, (uri, lineno), hash_key))
        ctx.values.setdefault(low, (value, uri, lineno))  # NOTE: first value wins


def _observations(ctx: _Context, values: dict[str, tuple[str, str, int]], *,
                  only: set[str] | None,
                  base: dict[str, tuple[str, str, int]]) -> Iterator[Observation]:
    """One ``ssh.config`` per effective setting (``only``: the keywords a Match block sets;
    ``base``: the global values, for settings that depend on another one)."""
    use_pam = {**base, **values}.get("usepam", ("no",))[0].lower() == "yes"
    key = "sshd" if ctx.criteria == "global" else f"sshd.Match.{ctx.criteria}"
    done: set[str] = set()
    for kw, (attr, default) in _BOOL_KEYS.items():
        if attr in done or (only is not None and kw not in only):
            continue
        if kw not in values and any(k in values and a == attr
                                    for k, (a, _) in _BOOL_KEYS.items()):
            continue  # the other spelling (ChallengeResponse / KbdInteractive) is set
        done.add(attr)
        raw, uri, line = values.get(kw, (default, ctx.uri, ctx.line))
        low = raw.lower()
        value: JSONValue = True if low == "yes" else False if low == "no" else low
        facts: dict[str, JSONValue] = {
            "context": ctx.criteria, "setting": attr, "value": value, "explicit": kw in values,
            "origin": f"{uri}:{line}" if kw in values else "OpenSSH default"}
        if attr == "kbd_interactive_authentication":
            # NOTE: with UsePAM yes, keyboard-interactive asks PAM for the *password*
            facts["use_pam"] = use_pam
        yield Observation("ssh.config", Location(uri, line=line, key=f"{key}.{attr}"), facts,
                          {"setting": attr, "value": value},
                          identity=f"sshd|{ctx.criteria}|{attr}")
    for kw, kind in _LIST_KEYS.items():
        if only is not None and kw not in only:
            continue
        attr = _LIST_ATTR[kind]
        raw, uri, line = values.get(kw, ("", ctx.uri, ctx.line))
        names = resolve(kind, raw or None)
        grades = grade(kind, names)
        facts = {"context": ctx.criteria, "setting": attr, "value": list(names),
                 "explicit": kw in values,
                 "origin": f"{uri}:{line}" if kw in values else "OpenSSH default",
                 "weak": list(grades.weak),
                 "legacy": list(grades.legacy), "unknown": list(grades.unknown)}
        yield Observation("ssh.config", Location(uri, line=line, key=f"{key}.{attr}"), facts,
                          {"setting": attr, "weak": list(grades.weak)},
                          identity=f"sshd|{ctx.criteria}|{attr}")


def observe_sshd(target: Target, hash_key: bytes) -> Iterator[Observation | Problem]:
    files = FileSet(target)
    main = Path(target.locator)
    files.enter(main, target.uri, 0)
    contexts = [_Context("global", target.uri, 1)]
    settings: list[Observation] = []
    _read(main, files, contexts, hash_key, settings)
    yield from files.missing
    yield from settings
    base = contexts[0].values
    yield from _observations(contexts[0], base, only=None, base=base)
    for ctx in contexts[1:]:
        yield from _observations(ctx, ctx.values, only=set(ctx.values), base=base)
