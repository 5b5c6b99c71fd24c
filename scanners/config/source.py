"""Source code: hard-coded credentials and personal data in the string literals of Python,
JavaScript/TypeScript, Go, Java/Kotlin, shell scripts and Terraform/HCL files.

What is read (never run, never imported):

- the whole text, with the config scanner's text detectors (token formats, private-key
  blocks, ``scheme://user:password@host``), comments included;
- string literals written under a name: ``DB_PASSWORD = "..."``, ``password := "..."``,
  ``String apiKey = "..."``, ``{"client_secret": "..."}``, ``connect(password="...")``,
  shell ``TOKEN=...``, HCL ``password = "..."``. A secret-named name with a literal value is
  a ``password-assignment`` (the same rules as settings: references, placeholders, empty
  values, file paths and names are not secrets); ``password=...`` inside any literal
  (a connection string) is one too. Python is read with :mod:`ast` (names, keyword
  arguments, dictionary keys); other languages with a lexical scan of assignments;
- every string literal through the PII engine for records of people
  (:mod:`scanners.config.personal`).

A source file full of SQL strings is source code, not a broken SQL dump: this module's
claim (50) outranks the dump scanner's guess for files that are not ``.sql`` (45).

Observations: ``secret`` (key: the name the literal is written under) and ``pii.text``
(``file_kind: source``). No ``config.setting``: code is not configuration.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass

from auditor.knowledge.secrets import Hit, text_secrets, value_secrets
from auditor.knowledge.values import shannon_entropy
from auditor.masking import keyed_hash, mask_secret
from auditor.models import JSONValue, Location, Observation

from .personal import Literal, personal_data

__all__ = ["SOURCE_SUFFIXES", "observe_source", "source_literals"]

#: file suffix -> language
SOURCE_SUFFIXES: dict[str, str] = {
    ".py": "python", ".pyw": "python",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "javascript", ".tsx": "javascript", ".mts": "javascript", ".cts": "javascript",
    ".go": "go", ".java": "java", ".kt": "java", ".kts": "java", ".scala": "java",
    ".sh": "shell", ".bash": "shell", ".zsh": "shell", ".ksh": "shell",
    ".tf": "hcl", ".tfvars": "hcl", ".hcl": "hcl",
}

# name (plain, dotted, or a quoted dictionary key), an assignment operator, a literal
_ASSIGN = re.compile(
    r"""(?<![\w$.-])(?!(?:let|const|var|val|final|static|private|public|protected|readonly"""
    r"""|export|local|return)\b)(?P<name>[A-Za-z_$][\w$.-]*|"[^"\n]{1,80}"|'[^'\n]{1,80}')\]?"""
    r"""(?:\s*:\s*[A-Za-z_][\w.\[\]<>]*(?=\s*=))?\s*"""  # a type: `apiKey: string =`
    r"""(?P<op>:=|(?<![=!<>:+\-*/%&|^])=(?![=>~])|=>|:(?!:))\s*"""
    r"""(?:@|[rubfRUBF]{1,2})?(?P<q>"|'|`)(?P<value>(?:\\.|(?!(?P=q))[^\\\n]){0,2000})(?P=q)""")
_SHELL_BARE = re.compile(r"(?m)^\s*(?:export\s+|local\s+|readonly\s+)?(?P<name>[A-Za-z_]\w*)="
                         r"(?P<value>[^\s\"'`;|&$()]+)")
_STRING = re.compile(r""""((?:\\.|[^"\\\n]){0,2000})"|'((?:\\.|[^'\\\n]){0,2000})'"""
                     r"""|`((?:\\.|[^`\\]){0,2000})`""")
_ESCAPES = re.compile(r"\\(.)")
_SHELL_EXPANSION = re.compile(r"\$[{(A-Za-z_]")
_ENV_GETTERS = frozenset({"get", "getenv", "environ_get", "env"})


@dataclass(frozen=True, slots=True)
class _Named:
    line: int
    name: str | None
    value: str
    record: object
    #: an interpolated string (``${…}``, shell ``"$VAR"``): computed at run time, so no
    #: literal secret (a token format inside is still found by the text detectors)
    computed: bool = False


def _interpolated(language: str, quote: str, value: str) -> bool:
    if quote == "'" and language in {"shell", "python"}:
        return False
    if language == "shell":
        return bool(_SHELL_EXPANSION.search(value))
    return "${" in value and (quote == "`" or language in {"hcl", "java", "shell"})

def _unescape(value: str) -> str:
    return _ESCAPES.sub(lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), value)


def _target_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
            and isinstance(node.slice.value, str):
        return node.slice.value
    return None


def _env_fallback(value: ast.expr) -> ast.expr:
    """``os.environ.get("K", "literal")``, ``os.getenv(...)``: the literal fallback."""
    if isinstance(value, ast.Call) and len(value.args) == 2 and isinstance(
            value.func, ast.Attribute | ast.Name) and (
            value.func.attr if isinstance(value.func, ast.Attribute)
            else value.func.id) in _ENV_GETTERS:
        return value.args[1]
    return value


def _named_values(node: ast.AST) -> Iterator[tuple[ast.expr | None, str | None]]:
    """(value, the name it is written under) for the constructs that name a value:
    assignments, keyword arguments, dictionary entries, parameter defaults."""
    if isinstance(node, ast.Assign):
        for target in node.targets:
            yield _env_fallback(node.value), _target_name(target)
    elif isinstance(node, ast.AnnAssign):
        yield node.value, _target_name(node.target)
    elif isinstance(node, ast.Call):
        for keyword in node.keywords:
            yield keyword.value, keyword.arg
    elif isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                yield value, key.value
    elif isinstance(node, ast.arguments):
        positional = [*node.posonlyargs, *node.args]
        for arg, default in zip(positional[len(positional) - len(node.defaults):],
                                node.defaults, strict=True):
            yield default, arg.arg
        for arg, kw_default in zip(node.kwonlyargs, node.kw_defaults, strict=True):
            yield kw_default, arg.arg


def _python_literals(text: str) -> list[_Named] | None:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    named: dict[int, _Named] = {}  # id of the Constant node -> literal
    for node in ast.walk(tree):
        for value, name in _named_values(node):
            # NOTE: only plain literals; an f-string is computed at run time
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                named.setdefault(id(value), _Named(value.lineno, name, value.value, id(node)))
    for node in ast.walk(tree):  # every other string: for personal data and DSNs
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in named:
            named[id(node)] = _Named(node.lineno, None, node.value, ("line", node.lineno))
    return sorted(named.values(), key=lambda n: (n.line, n.name or ""))


def _lexical_literals(text: str, language: str) -> list[_Named]:
    newlines = [m.start() for m in re.finditer("\n", text)]

    def line_at(offset: int) -> int:
        return bisect.bisect_left(newlines, offset) + 1
    out: list[_Named] = []
    taken: set[int] = set()
    for m in _ASSIGN.finditer(text):
        name = m.group("name").strip("\"'")
        line = line_at(m.start("value"))
        # NOTE: literals of one statement or object literal block form a record; lines
        # are close enough for the PII grouping
        value = _unescape(m.group("value"))
        out.append(_Named(line, name, value, ("block", line // 8),
                          _interpolated(language, m.group("q"), value)))
        taken.add(m.start("q"))
    if language == "shell":
        for m in _SHELL_BARE.finditer(text):
            out.append(_Named(line_at(m.start("value")), m.group("name"), m.group("value"),
                              ("block", line_at(m.start()) // 8)))
    for m in _STRING.finditer(text):
        if m.start() in taken:
            continue
        value = next(g for g in m.groups() if g is not None) if any(
            g is not None for g in m.groups()) else ""
        line = line_at(m.start())
        out.append(_Named(line, None, _unescape(value), ("line", line),
                          _interpolated(language, m.group()[0], value)))
    return sorted(out, key=lambda n: (n.line, n.name or ""))


def source_literals(text: str, language: str) -> list[_Named]:
    """The string literals of a source file, with the name each is written under."""
    if language == "python":
        found = _python_literals(text)
        if found is not None:
            return found
    return _lexical_literals(text, language)


def _secret_observation(uri: str, hit: Hit, key: str | None, hash_key: bytes
                        ) -> Observation:
    attributes: dict[str, JSONValue] = {
        "detector": hit.detector, "key": key, "key_leaf": key.lower() if key else None,
        "name": key, "entropy": round(shannon_entropy(hit.secret), 2),
        "length": len(hit.secret), "confidence": hit.confidence, "source_code": True,
    }
    attributes.update(dict(hit.extra))
    return Observation(kind="secret", location=Location(uri=uri, line=hit.line, key=key),
                       attributes=attributes,
                       evidence={"secret": mask_secret(hit.secret, prefix=hit.prefix)},
                       identity=keyed_hash(hit.secret, hash_key))


def observe_source(uri: str, text: str, language: str, hash_key: bytes
                   ) -> Iterator[Observation]:
    """``secret`` and ``pii.text`` observations of one source file."""
    literals = source_literals(text, language)
    by_line: dict[int, list[_Named]] = {}
    for lit in literals:
        by_line.setdefault(lit.line, []).append(lit)
    found: list[tuple[Hit, str | None]] = []
    seen: set[tuple[int, str]] = set()
    for hit in text_secrets(text):
        owner = next((lit.name for lit in by_line.get(hit.line, [])
                      if lit.name and hit.secret[:16] in lit.value), None)
        found.append((hit, owner))
        seen.add((hit.line, hit.secret))
    for lit in (lit for lit in literals if not lit.computed):
        for hit in value_secrets(lit.name or "value", lit.value, lit.line, entropy=False):
            if (hit.line, hit.secret) in seen or any(
                    hit.secret in other.secret or other.secret in hit.secret
                    for other, _ in found if other.line == hit.line):
                continue
            seen.add((hit.line, hit.secret))
            found.append((hit, hit.name or lit.name))
    found.sort(key=lambda item: (item[0].line, item[1] or "", item[0].detector))
    for hit, key in found:
        yield _secret_observation(uri, hit, key, hash_key)
    secret_values = {hit.secret for hit, _ in found}
    yield from personal_data(uri, [
        Literal(lit.line, lit.name, lit.value, lit.record) for lit in literals
        if lit.value not in secret_values], hash_key, "source")
