"""Config scanner: settings and secrets in YAML, JSON, TOML, INI/cfg, .env and Java
.properties files, Python settings modules (Django ``settings.py``, read with ``ast``,
never run) and Dockerfile ``ENV``/``ARG`` values, plus Kubernetes manifests and
docker-compose files.

Observation kinds:

``config.setting`` - one per scalar leaf (none for dependency lock files). Attributes:
``format`` (yaml, json, toml, ini, env, properties, python, dockerfile), ``key`` (dotted
path, list indexes as numbers: ``spec.template.spec.containers.0.image``), ``key_leaf``
(the last key segment that is not a list index, lower-case, cut at its last dot),
``value``, ``value_masked``, ``value_type`` (bool, int, float, null, datetime, string),
``document`` (YAML document index, when not 0), and for URL values ``url_scheme``,
``url_host``, ``url_local``, ``url_has_password``, ``url_params`` (query parameters,
masked where sensitive). The ``value`` is the value itself when it is a boolean, a number
or a short plain token; otherwise a mask (``value_masked: true``). The value of a
secret-named key or of a value holding a detected secret is always masked::

    {"format": "yaml", "key": "app.debug", "key_leaf": "debug", "value": true,
     "value_masked": false, "value_type": "bool"}

``secret`` - one per detected secret (see :mod:`auditor.knowledge.secrets` for the
detectors). Attributes ``detector``, ``key`` (null for text outside any value, e.g. a
comment), ``key_leaf``, ``entropy``, ``length``, ``confidence`` (high, medium, low) and, for
private keys, ``key_type`` and ``encrypted``. Evidence is a mask (a well-known prefix such
as ``AKIA`` or ``ghp_`` may show); the identity is a keyed hash of the secret, so a
finding's fingerprint follows the secret, not its line::

    {"detector": "aws-access-key", "key": "storage.s3.access_key_id",
     "key_leaf": "access_key_id", "entropy": 3.68, "length": 20, "confidence": "high"}

``k8s.container``, ``k8s.secret`` - see :mod:`auditor.scanners.config.kubernetes`;
``compose.service`` - see :mod:`auditor.scanners.config.compose`; ``pii.text`` (records of
people in values, ``file_kind: config``) - see :mod:`auditor.scanners.config.personal`.

Source code (``.py``, ``.js``/``.ts``, ``.go``, ``.java``/``.kt``, ``.sh``, ``.tf``/HCL; kind
``source``): ``secret`` and ``pii.text`` (``file_kind: source``) from string literals - see
:mod:`auditor.scanners.config.source`.

Option: ``--option config.max_bytes=N`` (default 64 MiB): larger files are a target error.

A file that cannot be read as its format (bad syntax, binary content, bytes that are not
UTF-8) is a :class:`~auditor.errors.TargetError` naming the line or byte offset, never the
content. Files are read whole: config files are small and discovery bounds their size.

Not claimed here: nginx, Apache, sshd, postgresql.conf, pg_hba.conf, my.cnf, redis.conf
(the ``services`` scanner) and certificates or keys (the ``crypto`` scanner).
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from auditor.errors import TargetError
from auditor.models import Observation, Problem, Target
from auditor.scanner import Candidate, Claim, Option, Scanner, ScanOptions

from .compose import COMPOSE_NAMES
from .observe import LOCK_FILES, FileContext, observe
from .source import SOURCE_SUFFIXES, observe_source

__all__ = ["MAX_BYTES", "ConfigScanner"]

_EXTENSIONS = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".jsonc": "json",
               ".toml": "toml",
               ".ini": "ini", ".cfg": "ini", ".properties": "properties", ".env": "env"}
#: dot files that hold registry credentials (INI-like key = value lines)
_CREDENTIAL_FILES = {".npmrc": "ini", ".pypirc": "ini", ".git-credentials": "ini"}
_LOCK_KINDS = {"poetry.lock": "toml", "cargo.lock": "toml", "uv.lock": "toml",
               "pdm.lock": "toml", "composer.lock": "json", "pipfile.lock": "json",
               "flake.lock": "json"}
_NOT_OURS = frozenset({"nginx.conf", "sshd_config", "ssh_config", "postgresql.conf",
                       "pg_hba.conf", "pg_ident.conf", "my.cnf", "mysqld.cnf", "redis.conf",
                       "httpd.conf", "apache2.conf", "ssl.conf"})
_WELL_KNOWN = re.compile(
    r"^(?:\.env(?:\..+)?|.+\.env|application(?:-[\w.-]+)?\.(?:properties|ya?ml)"
    r"|bootstrap(?:-[\w.-]+)?\.(?:properties|ya?ml)|appsettings(?:\.[\w-]+)?\.json"
    r"|settings\.toml|\.secrets\.toml|config\.toml|(?:docker-)?compose(?:\.[\w-]+)?\.ya?ml)$",
    re.IGNORECASE)
_K8S_HEAD = re.compile(r"^apiVersion:\s*\S+", re.MULTILINE)
_K8S_KIND = re.compile(r"^kind:\s*[A-Z]\w*", re.MULTILINE)
_PY_SETTINGS = re.compile(r"^(?:settings|local_settings|\w+_settings|settings_\w+)\.py$",
                          re.IGNORECASE)
_DOCKERFILE = re.compile(r"^(?:Dockerfile|Containerfile)(?:\.[\w.-]+)?$|^[\w.-]+\.dockerfile$",
                         re.IGNORECASE)
_DOC_SUFFIXES = (".md", ".txt", ".rst", ".adoc", ".html")
_INI_HEAD = re.compile(r"\A(?:\s*(?:[#;].*)?\n)*\s*\[[^\]\n]+\]\s*\n")


def _kind_by_name(name: str) -> str | None:
    lowered = name.lower()
    if lowered in _LOCK_KINDS:
        return _LOCK_KINDS[lowered]
    if lowered in _CREDENTIAL_FILES:
        return _CREDENTIAL_FILES[lowered]
    if lowered == ".env" or lowered.startswith(".env.") or lowered.endswith(".env"):
        return "env"
    dot = lowered.rfind(".")
    return _EXTENSIONS.get(lowered[dot:]) if dot >= 0 else None


class ConfigScanner(Scanner):
    """Settings, secrets, Kubernetes and compose facts of configuration files."""

    name: ClassVar[str] = "config"
    description: ClassVar[str] = (
        "YAML/JSON/TOML/INI/.env/.properties, Python settings and Dockerfile ENV/ARG: "
        "settings and secrets; Kubernetes manifests and docker-compose files")
    emits: ClassVar[tuple[str, ...]] = (
        "config.setting", "secret", "k8s.container", "k8s.secret", "compose.service",
        "pii.text")

    options = (
        Option("max_bytes", "int", 64 * 1024 * 1024, "files larger than this are not parsed", 1),
    )

    def claim(self, candidate: Candidate) -> Claim | None:
        name = candidate.name[:-3] if candidate.compression == "gzip" \
            and candidate.name.endswith(".gz") else candidate.name
        lowered = name.lower()
        if lowered in _NOT_OURS:
            return None
        if _DOCKERFILE.match(name) and not lowered.endswith(_DOC_SUFFIXES):
            return Claim("dockerfile", 80)
        if lowered.endswith(".py"):
            in_settings_dir = Path(candidate.path).parent.name == "settings" \
                and lowered != "__init__.py"
            if _PY_SETTINGS.match(name) or in_settings_dir:
                return Claim("python", 80)
        suffix = lowered[lowered.rfind("."):] if "." in lowered else ""
        if suffix in SOURCE_SUFFIXES:
            # NOTE: 50 outranks the SQL dump scanner's guess (45) for a source file full of
            # SQL strings, and stays below any scanner that recognises a real format.
            return Claim("source", 50)
        kind = _kind_by_name(name)
        head = candidate.text_head()
        if kind is None:
            if lowered.endswith(".conf") and head is not None and _INI_HEAD.match(head):
                return Claim("ini", 10)
            return None
        if kind == "yaml":
            if lowered in COMPOSE_NAMES or re.match(r"^(?:docker-)?compose\.", lowered):
                return Claim("compose", 80)
            if head is not None and _K8S_HEAD.search(head) and _K8S_KIND.search(head):
                return Claim("kubernetes", 60)
        if _WELL_KNOWN.match(name) or lowered in LOCK_FILES or lowered in _CREDENTIAL_FILES:
            return Claim(kind, 80)
        return Claim(kind, 40)

    def scan(self, target: Target, options: ScanOptions) -> Iterator[Observation | Problem]:
        limit = options.get("config.max_bytes", MAX_BYTES)
        if not isinstance(limit, int) or isinstance(limit, bool) or limit <= 0:
            raise TargetError("option config.max_bytes must be a positive integer")
        text = _read_text(Path(target.locator), target.kind, limit)
        if target.kind == "source":
            name = Path(target.locator).name.lower()
            language = SOURCE_SUFFIXES.get(name[name.rfind("."):], "")
            yield from observe_source(target.uri, text, language, options.hash_key)
            return
        ctx = FileContext(uri=target.uri, name=Path(target.uri).name, kind=target.kind,
                          hash_key=options.hash_key)
        yield from observe(ctx, text)


#: larger files are refused, as read (decompressed, for ``.gz``): config files are read
#: whole. Override with ``--option config.max_bytes=N``.
MAX_BYTES = 64 * 1024 * 1024


def _read_text(path: Path, kind: str, limit: int = MAX_BYTES) -> str:
    """The file as text, or a TargetError saying where it stops being text."""
    try:
        with path.open("rb") as raw:
            if path.name.endswith(".gz"):
                with gzip.GzipFile(fileobj=raw) as unzipped:
                    data = unzipped.read(limit + 1)
            else:
                data = raw.read(limit + 1)
    except (EOFError, gzip.BadGzipFile, zlib.error):
        raise TargetError("corrupt gzip data") from None
    except OSError as exc:
        raise TargetError(f"cannot read file: {exc.strerror or type(exc).__name__}") from None
    if len(data) > limit:
        raise TargetError(f"larger than {limit} bytes (option config.max_bytes): not read; "
                          "config files are read whole")
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise TargetError(f"binary content: NUL byte at offset {nul} (line {line}); "
                          "not a text config file", line=line, offset=nul)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if kind == "properties":
            return data.decode("latin-1")  # NOTE: the historical encoding of .properties
        line = data.count(b"\n", 0, exc.start) + 1
        raise TargetError(f"not UTF-8 text: invalid byte at offset {exc.start} "
                          f"(line {line})", line=line, offset=exc.start) from None
