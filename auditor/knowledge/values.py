"""What a configuration value is, without revealing it.

Helpers shared by the config scanner's observation builders: whether a key names a
secret, whether a value is a placeholder (``${VAR}``, ``changeme``...), whether a string is
safe to show as-is, Shannon entropy, and the facts of a URL (scheme, host, credentials,
query parameters) with any password masked.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections import Counter
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

from auditor.masking import mask, mask_secret

__all__ = [
    "UrlFacts",
    "display_value",
    "is_placeholder",
    "is_prose",
    "is_secret_key",
    "key_words",
    "shannon_entropy",
    "shown_placeholder",
    "url_facts",
]

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[^A-Za-z0-9]+")

#: a key containing one of these words names a secret ...
_SECRET_WORDS = frozenset({
    "password", "passwd", "pwd", "pass", "passphrase", "secret", "secrets", "token",
    "apikey", "credential", "credentials", "privatekey", "secretkey", "accesskey",
    "authkey", "sas", "pat",
})
_SECRET_SUFFIXES = ("password", "passwd", "passphrase", "secret", "token")
#: ... or one of these word pairs
_SECRET_PAIRS = frozenset({
    ("api", "key"), ("access", "key"), ("private", "key"), ("secret", "key"),
    ("signing", "key"), ("encryption", "key"), ("master", "key"), ("auth", "key"),
    ("client", "secret"), ("app", "key"), ("license", "key"), ("session", "key"),
    ("hmac", "key"), ("jwt", "key"),
})
#: ... unless it also contains one of these: then it names something *about* a secret
_NOT_SECRET_WORDS = frozenset({
    "file", "path", "dir", "directory", "env", "name", "names", "length", "min", "max",
    "expiry", "expires", "expiration", "ttl", "timeout", "lifetime", "age", "policy",
    "type", "algorithm", "algo", "hash", "hashed", "digest", "field", "header", "prompt",
    "enabled", "enable", "disabled", "required", "rotation", "url", "uri", "endpoint",
    "ref", "key_ref", "mount", "provider", "store", "storage", "format", "id", "count",
    "size", "reset", "recovery", "strength", "complexity", "validator", "location",
    "encoder", "mode", "regex", "pattern", "label", "description", "help", "hint", "bypass",
    "host", "port", "user", "username", "issuer", "audience", "scope", "scopes", "version",
    "arn", "kms", "vault", "manager", "keyring", "alias", "command", "cmd", "helper",
    "require", "requires", "use", "allow", "allowed", "check", "verify", "show", "ask",
    "change", "forgot", "forgotten", "strategy", "method", "grant", "flow", "auth_method",
    "spec", "usage", "state", "status", "origin", "source",
})

_DEFAULTED = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*(?::?[-=])(.*)\}$")
_PLACEHOLDER_RES = tuple(re.compile(p) for p in (
    r"^\$\{[^}]*\}$",            # ${VAR} (a default value is judged on its own)
    r"^\$[A-Za-z_][A-Za-z0-9_]*$",  # $VAR
    r"^\$\([^)]*\)$",            # $(VAR)
    r"\{\{.*\}\}",               # {{ .Values.x }}, {{ secret }}
    r"^\$\{\{.*\}\}$",           # ${{ secrets.X }}
    r"^%\([^)]*\)[sdr]$",        # %(x)s
    r"^%[A-Za-z_][A-Za-z0-9_]*%$",  # %VAR%
    r"^<[^<>]*>$",               # <changeme>
    r"^\[[^\[\]]*\]$",           # [REDACTED]
    r"^@[A-Za-z_][A-Za-z0-9_.]*@$",  # @VAR@
    r"^#\{[^}]*\}$",             # #{var}
    r"^ENC\(.*\)$",              # jasypt-encrypted
    r"^\$ANSIBLE_VAULT;",         # ansible-vault encrypted
    r"^(?:vault|env|file|ssm|awssm|secretsmanager|keyvault|op|sops|kms|gcpsm):",
    r"^[xX*.•#_-]+$",            # xxx, ****, ...
    r"^\{[A-Za-z_][\w.-]*\}$",   # {Name} (str.format, Serilog, Azure templates)
    r"^(.{1,3})\1{2,}$",         # aaaa, 1111, abcabcabc: repeated filler
    r"^[^\w\s]+$",               # !!!!, $$$: symbols only
    r"^(?i:your[-_ ]?\S*|insert[-_ ]?\S*|enter[-_ ]?\S*|put[-_ ]\S*)$",
))
_PLACEHOLDER_WORDS = frozenset({
    "", "changeme", "change_me", "change-me", "changemeplease", "replaceme", "replace_me",
    "replace-me", "example", "sample", "placeholder", "dummy", "redacted", "none", "null",
    "nil", "undefined", "todo", "tbd", "fixme", "notset", "not_set", "not-set", "unset",
    "empty", "blank", "secret_here", "password_here", "token_here", "your_token",
    "your_secret", "your_password", "yourpassword", "yoursecret", "yourtoken", "mask",
    "masked", "hidden", "omitted", "removed", "n/a", "na", "-", "false", "true",
})


@functools.lru_cache(maxsize=4096)
def key_words(key: str) -> tuple[str, ...]:
    """The lower-case words of a key: ``spring.datasource.dbPassword`` -> (..., db, password)."""
    return tuple(w.lower() for w in _SPLIT.split(_CAMEL.sub("_", key)) if w)


@functools.lru_cache(maxsize=4096)  # NOTE: pure function of the key; keys repeat a lot
def is_secret_key(leaf: str) -> bool:
    """Whether a key's last segment names a secret value (``DB_PASSWORD``, ``apiKey``,
    ``client_secret``) rather than something about one (``password_file``,
    ``token_ttl``, ``secret_name``)."""
    words = key_words(leaf)
    if not words or any(w in _NOT_SECRET_WORDS for w in words):
        return False
    if any(w in _SECRET_WORDS for w in words):
        return True
    # NOTE: names written as one word: PGPASSWORD, DBPASSWORD, APITOKEN, CLIENTSECRET
    if any(len(w) > 8 and w.endswith(_SECRET_SUFFIXES) for w in words):
        return True
    return any(pair in _SECRET_PAIRS for pair in itertools.pairwise(words))


def is_placeholder(value: str) -> bool:
    """Whether a value is a reference or template rather than a literal secret."""
    text = value.strip().strip("'\"").strip()
    defaulted = _DEFAULTED.match(text)
    if defaulted:  # ${VAR:-default}: a literal default is a hard-coded value
        return not defaulted.group(1) or is_placeholder(defaulted.group(1))
    if text.casefold() in _PLACEHOLDER_WORDS:
        return True
    return any(p.search(text) for p in _PLACEHOLDER_RES)


def is_prose(text: str) -> bool:
    """Whether a value reads as a sentence (a title, a message, help text) rather than a
    secret: four or more words, at least half of them made of letters only."""
    words = text.split()
    if len(words) < 4:
        return False
    letters = sum(1 for w in words if w.strip(".,;:!?()'\"").isalpha())
    return letters >= 0.5 * len(words)


def shannon_entropy(text: str) -> float:
    """Shannon entropy of the characters of ``text``, in bits per character."""
    if not text:
        return 0.0
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values())


# A string shown as-is: short, made of word characters and URL/path punctuation, without
# ``@`` (e-mail, credentials) or long digit runs (phone numbers, ID numbers).
_PLAIN = re.compile(r"^[\w .,:/?&=+~%()\[\]*-]{0,120}$")
_LONG_DIGITS = re.compile(r"\d{9,}")
_TOKENISH = re.compile(r"^[A-Za-z0-9+/=_-]{20,}$")


def display_value(value: str) -> str | None:
    """The value itself when it is safe to show, else None (the caller masks it)."""
    if not _PLAIN.match(value) or _LONG_DIGITS.search(value):
        return None
    if _TOKENISH.match(value) and shannon_entropy(value) >= 3.5 \
            and any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
        return None  # looks like a random token: maybe a secret we do not recognise
    return value


_REFERENCE = re.compile(r"^(?:\$\{[A-Za-z_][A-Za-z0-9_.]*\}|\$[A-Za-z_][A-Za-z0-9_]*"
                        r"|\{\{\s*[\w. |\"'()-]{1,80}\}\}|%\([\w.]+\)[sd]|<[\w -]{1,40}>)$")


def shown_placeholder(value: str) -> str | None:
    """A reference such as ``${DB_PASSWORD}`` or ``{{ .Values.db.password }}`` may be
    shown even under a secret key: it is what tells a reader the secret is not here."""
    text = value.strip()
    if _REFERENCE.match(text) or (is_placeholder(text) and display_value(text) is not None
                                  and len(text) <= 40):
        return text
    return None


@dataclass(frozen=True, slots=True)
class UrlFacts:
    """Facts of a URL value. ``masked`` is the URL with its password masked."""

    scheme: str
    host: str
    port: int | None
    has_password: bool
    password: str | None
    masked: str
    params: dict[str, str]
    path: str

    @property
    def is_local(self) -> bool:
        return self.host in {"localhost", "127.0.0.1", "::1", "0.0.0.0"} \
            or self.host.endswith(".localhost")


_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^/@\s]*)@")
_URL = re.compile(r"^(?:jdbc:)?[A-Za-z][A-Za-z0-9+.-]*://\S*$")


def url_facts(value: str) -> UrlFacts | None:
    """Facts of ``value`` when it is a URL (``jdbc:`` prefix allowed), else None."""
    if not _URL.match(value):
        return None
    text = value[5:] if value.startswith("jdbc:") else value
    authority = _USERINFO.match(text)
    if authority and ("#" in authority.group(2) or "?" in authority.group(2)):
        # NOTE: a raw "#" or "?" in a password would otherwise end the URL's authority
        text = authority.group(1) + quote(authority.group(2), safe=":%") \
            + text[authority.end(2):]
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    password = unquote(parts.password) if parts.password is not None else None
    params: dict[str, str] = {}
    shown_query: list[str] = []
    for name, param in parse_qsl(parts.query, keep_blank_values=True):
        shown = None if is_secret_key(name) else display_value(param)
        if shown is None:
            shown = mask_secret(param) if is_secret_key(name) else mask(param)
        params[name.lower()] = shown
        shown_query.append(f"{name}={shown}")
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, colon, raw_password = userinfo.partition(":")
        if "@" in unquote(user):
            user = mask(unquote(user))
        shown = mask_secret(unquote(raw_password)) if colon else ""
        netloc = f"{user}{colon}{shown}@{hostport}"
    masked = urlunsplit((parts.scheme, netloc, parts.path, "&".join(shown_query), ""))
    if value.startswith("jdbc:"):
        masked = "jdbc:" + masked
    return UrlFacts(
        scheme=parts.scheme.lower(), host=(parts.hostname or "").lower(), port=port,
        has_password=bool(password), password=password, masked=masked, params=params,
        path=parts.path,
    )
