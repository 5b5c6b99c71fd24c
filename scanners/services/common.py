"""Shared pieces of the service-configuration parsers: directives, includes, locations,
address classification and the ``config.setting`` / ``service.listener`` builders."""

from __future__ import annotations

import dataclasses
import difflib
import glob
import os
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from auditor.errors import TargetError
from auditor.knowledge.netaddr import is_loopback
from auditor.knowledge.secrets import Hit, text_secrets, value_secrets
from auditor.knowledge.values import display_value, shannon_entropy
from auditor.masking import keyed_hash, mask, mask_secret
from auditor.models import JSONValue, Location, Observation, Problem, Target
from auditor.reading import read_bounded

__all__ = [
    "AUTH_PATH",
    "SECRET_KEYS",
    "Directive",
    "FileSet",
    "is_loopback",
    "listener",
    "read_text",
    "safe_path",
    "safe_word",
    "setting",
]

MAX_INCLUDES = 256
#: URL paths that serve a login or account page (credentials typed by users)
AUTH_PATH = re.compile(r"(?i)(log-?in|log-?on|sign-?in|auth|account|admin|passw|sso|oauth|"
                       r"saml|session)")
SECRET_KEYS = frozenset({"requirepass", "masterauth", "password", "ssl_passphrase_command",
                         "ssl_key_passphrase", "tls-key-file-pass", "tls-client-key-file-pass",
                         "masteruser", "sslpassphrase"})


_SECRET_LEAF = re.compile(r"(password|passwd|secret|_pass|passphrase)$")


@dataclass(frozen=True, slots=True)
class Directive:
    """One directive: name, arguments, where, and (for blocks) children."""

    name: str
    args: tuple[str, ...]
    uri: str
    line: int
    children: tuple[Directive, ...] = ()
    block: bool = False

    def child(self, name: str) -> Directive | None:
        found = [c for c in self.children if c.name == name]
        return found[-1] if found else None


MAX_BYTES = 16 * 1024 * 1024  # NOTE: service configs are small; a giant is not one


def read_text(path: Path, uri: str) -> str:
    """A config file as text; binary, undecodable or oversized content is a TargetError."""
    data = read_bounded(path, uri, limit=MAX_BYTES, what="service configuration file")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise TargetError(f"{uri}: binary content (NUL byte at offset {nul})", offset=nul)
    try:
        return data.decode("utf-8-sig")  # NOTE: editors on Windows may add a BOM
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise TargetError(f"{uri}:{line}: not UTF-8 text (byte offset {exc.start})",
                          line=line, offset=exc.start) from None


@dataclass
class FileSet:
    """Resolves include patterns relative to the main file and names included files the
    way reports show them (relative to the main file's URI)."""

    target: Target
    seen: set[str] = field(default_factory=set)
    #: includes that named a file (no wildcard) that is not there: reported as problems
    missing: list[Problem] = field(default_factory=list)

    @property
    def root(self) -> Path:
        return Path(self.target.locator).parent

    def uri_of(self, path: Path) -> str:
        main = Path(self.target.locator)
        if path.resolve() == main.resolve():
            return self.target.uri
        try:
            rel = path.resolve().relative_to(main.parent.resolve())
        except ValueError:
            return str(path)
        base = os.path.dirname(self.target.uri)
        return f"{base}/{rel.as_posix()}" if base else rel.as_posix()

    def expand(self, pattern: str, *, relative_to: Sequence[Path] = (),
               uri: str = "", line: int = 0, optional: bool = False) -> list[Path]:
        """Files an include pattern names (sorted, like nginx/Apache/OpenSSH glob).

        An absolute pattern (``/etc/nginx/sites-enabled/*``) is rebased onto the scanned
        tree: its trailing parts are tried under the including file's and the main file's
        directories (``sites-enabled/*``, ``nginx/sites-enabled/*``...), so a copied
        configuration is audited as itself and never mixed with the scanning machine's
        own ``/etc``. It is read as given only when it lies inside the main file's
        directory (scanning a live ``/etc/nginx``).
        """
        pattern = pattern.strip("'\"")
        dirs = [*relative_to, self.root]
        if os.path.isabs(pattern):
            parts = Path(pattern).parts[1:]
            # NOTE: longest suffix first; a bare "*" would match the whole directory
            suffixes = [parts[i:] for i in range(len(parts))
                        if len(parts) - i > 1 or not glob.has_magic(parts[-1])]
            bases = [d / Path(*suffix) for suffix in suffixes for d in dirs]
            inside = str(self.root.resolve()) + os.sep
            if pattern.startswith(inside):
                bases.insert(0, Path(pattern))
        else:
            bases = [d / pattern for d in dirs]
        for base in bases:
            files = [m for m in sorted(Path(p) for p in glob.glob(str(base))) if m.is_file()]
            if files:
                if len(self.seen) + len(files) > MAX_INCLUDES:
                    raise TargetError(f"{uri}:{line}: more than {MAX_INCLUDES} included "
                                      f"files (include loop?)", line=line)
                return files
        if not glob.has_magic(pattern) and not optional:
            self.missing.append(Problem(
                f"{uri}:{line}: included file '{pattern}' not found: the settings it holds "
                f"are not audited", Location(uri, line=line)))
        return []

    def enter(self, path: Path, uri: str, line: int) -> None:
        key = str(path.resolve())
        if key in self.seen:
            raise TargetError(f"{uri}:{line}: include loop through {self.uri_of(path)}",
                              line=line)
        self.seen.add(key)

    def leave(self, path: Path) -> None:
        self.seen.discard(str(path.resolve()))


_PATH = re.compile(r"[A-Za-z0-9_./*?~-]{1,200}")
_WORD = re.compile(r"[A-Za-z_<][A-Za-z0-9_.:/-]{0,40}")


def safe_word(token: str, known: Collection[str] = frozenset()) -> str:
    """A token of the file quoted in an error message only when it is one of the ``known``
    directive or section names of the service (lower case, :mod:`.vocab`); anything else
    (a stray password on its own line) is never echoed, only its length."""
    if token.lower() in known and _WORD.fullmatch(token):
        return f"'{token}'"
    near = difflib.get_close_matches(token.lower(), sorted(known), n=1, cutoff=0.75)
    hint = f"; did you mean '{near[0]}'?" if near else ""
    return f"(an unrecognised {len(token)}-character word{hint})"


def safe_path(value: str) -> str:
    """An include path quoted in an error message when it looks like a path (no spaces or
    quotes, bounded), else described by its length."""
    if _PATH.fullmatch(value):
        return f"'{value}'"
    return f"(a {len(value)}-character path)"




def _value(raw: str) -> tuple[JSONValue, str]:
    low = raw.lower()
    if low in {"on", "yes", "true"}:
        return True, "bool"
    if low in {"off", "no", "false"}:
        return False, "bool"
    if re.fullmatch(r"-?\d+", raw):
        return int(raw), "int"
    return raw, "string"


# Directives whose values are policy strings (cipher lists, protocol lists): shown as they
# are even when long, so a reader sees exactly what is configured.
_POLICY_LEAVES = frozenset({
    "ssl_ciphers", "ssl_protocols", "sslciphersuite", "sslprotocol", "ciphers", "macs",
    "kexalgorithms", "hostkeyalgorithms", "pubkeyacceptedalgorithms", "tls-ciphers",
    "tls-ciphersuites", "tls-protocols", "ssl_cipher", "tls_version", "tls_ciphersuites",
    "ssl_conf_command", "sslopensslconfcmd", "ssl_ecdh_curve", "ssl_min_protocol_version",
    "ssl_max_protocol_version", "listen", "server_name", "listen_addresses", "bind",
    "bind_address", "return", "rewrite", "try_files", "root", "alias", "index"})


def setting(fmt: str, key: str, raw: str, at: tuple[str, int], hash_key: bytes,
            *, identity_extra: str = "") -> tuple[Observation, ...]:
    """A ``config.setting`` observation with the same attributes as the config scanner
    (``format``, ``key``, ``key_leaf``, ``value``, ``value_masked``, ``value_type``),
    followed by a ``secret`` observation for each hard-coded secret in the value (the
    config scanner's detectors: secret-named directives such as ``requirepass``, URL
    passwords, well-known token formats). A secret value is masked and identified by a
    keyed hash; other values are shown only when safe (no e-mail address, long digit run
    or random-looking token), except policy strings such as cipher lists."""
    uri, line = at
    leaf = key.rsplit(".", 1)[-1].lower()
    named_secret = leaf in SECRET_KEYS or bool(_SECRET_LEAF.search(leaf))
    # NOTE: only this module decides which directives name secrets; a neutral key keeps
    # the config detectors to "name=secret" pairs and known formats inside other values.
    hits = [] if not raw else [
        *value_secrets("password" if named_secret else "value", raw, line, entropy=False),
        *(dataclasses.replace(h, line=line + h.line - 1) for h in text_secrets(raw))]
    unique = list({h.secret: h for h in reversed(hits)}.values())[::-1]  # one per value
    secrets = tuple(_secret(h, uri, key, leaf, hash_key) for h in unique)
    value, vtype = _value(raw)
    attrs: dict[str, JSONValue] = {"format": fmt, "key": key, "key_leaf": leaf,
                                   "value": value, "value_masked": False, "value_type": vtype}
    identity = ""
    if hits or (named_secret and raw):
        attrs.update({"value": mask_secret(raw), "value_masked": True,
                      "value_type": "string", "length": len(raw)})
        identity = keyed_hash(raw, hash_key)
    elif vtype == "string" and leaf not in _POLICY_LEAVES and display_value(raw) is None:
        attrs.update({"value": mask(raw), "value_masked": True})
    if identity_extra:
        attrs["context"] = identity_extra
    obs = Observation("config.setting", Location(uri, line=line, key=key), attrs,
                      {"value": attrs["value"]}, identity=identity)
    return (obs, *secrets)


def _secret(hit: Hit, uri: str, key: str, leaf: str, hash_key: bytes) -> Observation:
    # NOTE: the config scanner's ``secret`` attributes, so its rules judge these too.
    attrs: dict[str, JSONValue] = {
        "detector": hit.detector, "key": key, "key_leaf": leaf, "name": hit.name or leaf,
        "entropy": round(shannon_entropy(hit.secret), 2), "length": len(hit.secret),
        "confidence": hit.confidence, **dict(hit.extra)}
    return Observation("secret", Location(uri, line=hit.line, key=key), attrs,
                       {"secret": mask_secret(hit.secret, prefix=hit.prefix)},
                       identity=keyed_hash(hit.secret, hash_key))


def listener(service: str, addresses: Iterable[str], port: int | None, *, tls: bool,
             uri: str, line: int, key: str, tls_required: bool | None = None,
             extra: Mapping[str, JSONValue] | None = None) -> Observation:
    """A ``service.listener`` observation: where a service accepts connections and whether
    TLS is offered (``tls``) and enforced (``tls_required``)."""
    addrs = sorted(set(addresses))
    loop = [is_loopback(a) for a in addrs]
    attrs: dict[str, JSONValue] = {
        "service": service, "addresses": list(addrs), "port": port, "tls": tls,
        "tls_required": tls_required if tls_required is not None else tls,
        "non_loopback": any(x is not True for x in loop) if addrs else True,
        **(extra or {}),
    }
    evidence: dict[str, JSONValue] = {"addresses": list(addrs), "port": port, "tls": tls}
    return Observation("service.listener", Location(uri, line=line, key=key), attrs,
                       evidence, identity=f"{service}|{','.join(addrs)}|{port}")
