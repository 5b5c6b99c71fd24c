"""Secret detection: well-known token formats anywhere in the text, and literal values of
secret-named keys.

Two kinds of detectors:

- *text detectors* run over the whole file text, parsed or not (comments, multi-line
  values, lines the parser could not make sense of): ``aws-access-key``, ``github-token``,
  ``gitlab-token``, ``slack-token``, ``slack-webhook``, ``google-api-key``, ``stripe-key``,
  ``sendgrid-key``, ``npm-token``, ``jwt``, ``private-key`` (a PEM ``BEGIN ... PRIVATE
  KEY`` block) and ``url-password`` (``scheme://user:password@host``);
- *value detectors* judge one parsed setting: ``password-assignment`` (a secret-named key
  such as ``DB_PASSWORD`` or ``client_secret`` with a literal value, or ``password=...``
  inside a value such as a connection string) and ``high-entropy`` (a random-looking token
  under a key that does not name a secret; entropy is one signal, the key words and the
  shape of the value are the others).

References (``${VAR}``, ``{{ .Values.x }}``, ``%(x)s``), placeholders (``changeme``,
``<password>``, ``xxx``, ``****``) and empty values are never secrets; neither are UUIDs,
digests under hash-named keys, nor anything in a lock file.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import hashlib
import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from auditor.knowledge.values import (
    is_placeholder,
    is_prose,
    is_secret_key,
    key_words,
    shannon_entropy,
)

__all__ = [
    "Hit",
    "is_placeholder_token",
    "text_secrets",
    "value_secrets",
]


@dataclass(frozen=True, slots=True)
class Hit:
    """A detected secret. ``secret`` is the raw value: it only lives inside the scanner,
    which turns it into a mask and a keyed hash before anything leaves."""

    detector: str
    secret: str = field(repr=False)
    line: int
    confidence: str
    prefix: int = 0  # characters of a well-known, non-secret prefix that may be shown
    name: str | None = None  # the name a value detector found it under (``Password=``)
    extra: tuple[tuple[str, bool | str], ...] = ()

    def __repr__(self) -> str:  # NOTE: never show the secret
        return f"Hit({self.detector!r}, line={self.line}, length={len(self.secret)})"


# name -> (pattern of the secret, confidence, shown prefix)
_TOKENS: tuple[tuple[str, str, str, int], ...] = (
    ("aws-access-key", r"\b(?:(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}|A3T[A-Z0-9][A-Z0-9]{16})\b",
     "high", 4),
    ("github-token", r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b|\bgithub_pat_[A-Za-z0-9_]{40,255}\b",
     "high", 4),
    # NOTE: GitLab's documented token prefixes (docs.gitlab.com, security/tokens): personal,
    # deploy, runner, SCIM, feed, feature-flag, incoming-mail, agent and OAuth-app tokens,
    # CI job tokens (glcbt-<part>_<20>), pipeline triggers (40 hex) and legacy runner
    # registration tokens (GR1348941 + 20).
    ("gitlab-token", r"\b(?:glpat|gldt|glrt|glrtr|glsoat|glft|glffct|glimt|glagent|gloas)-"
     r"[A-Za-z0-9_-]{20,}|\bglcbt-[0-9A-Za-z]{1,5}_[A-Za-z0-9_-]{20,}|\bglptt-[0-9a-f]{40}\b"
     r"|\bGR1348941[A-Za-z0-9_-]{20,}", "high", 4),
    # NOTE: Slack tokens are numeric ids then a random part (``xoxb-<team>-<bot>-<24>``,
    # legacy ``xoxp-<n>-<n>-<n>-<hex>``); ``xoxb-12345-abcd234`` in documentation is not one
    ("slack-token", r"\bxox[abposr]-(?:\d+-)+[0-9A-Za-z][0-9A-Za-z-]{7,}", "high", 4),
    ("slack-webhook", r"https?://hooks\.slack\.com/(?:services/T[A-Za-z0-9]+/B[A-Za-z0-9]+/"
     r"[A-Za-z0-9]{20,}|(?:workflows|triggers)/T[A-Za-z0-9]+/A[A-Za-z0-9]+/\d+/[A-Za-z0-9]{20,}"
     r"|(?:services|workflows|triggers)/[A-Za-z0-9+/]{43,56}(?![A-Za-z0-9+/]))", "high", 0),
    ("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])", "high", 4),
    ("stripe-key", r"\b[rs]k_live_[0-9A-Za-z]{24,}", "high", 4),
    ("stripe-test-key", r"\b[rs]k_test_[0-9A-Za-z]{24,}", "high", 4),
    ("sendgrid-key", r"\bSG\.[0-9A-Za-z_-]{22}\.[0-9A-Za-z_-]{43}\b", "high", 3),
    ("npm-token", r"\bnpm_[A-Za-z0-9]{36}\b", "high", 4),
    # NOTE: the signature is optional: an unsigned token (``alg: none``) ends with a dot or
    # has two parts; both are judged by decoding the header (and, unsigned, the claims).
    ("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]{16,}|\.?)"
     r"(?![A-Za-z0-9_-])", "medium", 0),
    ("private-key", r"-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY"
     r"(?: BLOCK)?)-----", "high", 0),
    ("url-password", r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/?#@\"'<>]*:([^\s/@\"'<>]+)@"
     r"[^\s/?#\"'<>]+", "high", 0),
)
#: literal text every match of a detector contains: a cheap test before its regex runs
_MARKERS: dict[str, tuple[str, ...]] = {
    "aws-access-key": ("AKIA", "ASIA", "ABIA", "ACCA", "A3T"),
    "github-token": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    "gitlab-token": ("glpat-", "gldt-", "glrt", "glsoat-", "glft-", "glffct-", "glimt-",
                     "glagent-", "gloas-", "glcbt-", "glptt-", "GR1348941"),
    "slack-token": ("xox",), "slack-webhook": ("hooks.slack",),
    "google-api-key": ("AIza",), "stripe-key": ("k_live_",), "stripe-test-key": ("k_test_",),
    "sendgrid-key": ("SG.",), "npm-token": ("npm_",), "jwt": ("eyJ",),
    "private-key": ("PRIVATE KEY",), "url-password": ("://",),
}
_PATTERNS = tuple((name, re.compile(pattern), confidence, prefix, _MARKERS[name])
                  for name, pattern, confidence, prefix in _TOKENS)
_BASE64_CHARS = re.compile(r"[A-Za-z0-9+/=]+")
_PEM_END = re.compile(r"-----END [A-Z ]*PRIVATE KEY(?: BLOCK)?-----")


def _b64_json(part: str) -> object:
    decoded = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    return json.loads(decoded)


def _jwt_alg(token: str) -> str | None:
    """The ``alg`` of a JWT whose header decodes to a JSON object naming one (an unsigned
    token must also carry JSON claims), else None: not a JWT."""
    parts = token.split(".")
    try:
        header = _b64_json(parts[0])
        if not isinstance(header, dict) or not isinstance(header.get("alg"), str):
            return None
        if len(parts) < 3 or not parts[2]:
            claims = _b64_json(parts[1])
            if not isinstance(claims, dict):
                return None
        return str(header["alg"])
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        return None


#: a well-known, non-secret prefix of a token family; what follows it is the secret part
_FAMILY_PREFIX = re.compile(r"^(?:https?://hooks\.slack\.com/\w+/|[A-Za-z0-9]{2,8}_(?:live_|test_)?"
                            r"|[a-z]{2,7}-|AKIA|ASIA|ABIA|ACCA|A3T.|AIza|SG\.|GR1348941)")
_FILLER_RUN = re.compile(r"(.)\1{5,}")
_FILLER_WORDS = ("example", "sample", "placeholder", "dummy", "redacted", "changeme",
                 "your", "token_here", "tokenhere", "xxxx", "fake")
#: SHA-256 of keys that vendors print in their own documentation (AWS's example key ID
#: and secret key, Stripe's documented test keys, jwt.io's example token): not secrets.
_DOCUMENTED = frozenset({
    "1a5d44a2dca19669d72edf4c4f1c27c4c1ca4b4408fbb17f6ce4ad452d78ddb3",
    "2cafc0970149a84f3b9e62eaf169f36f59907a3b3e31f7b82e68c69cd27f7326",
    "f2d6ca16515033e5dce14eba840b979d27b5cbae24bb3e5bf484339667f86397",
    "7f75367e7881255134e1375e723d1dea8ad5f6a4fdb79d938df1f1754a830606",
    "78314b11be2e581549ac1c4f616563fad3fdf0c3b71678f6e2299182080e0598",
})


def _ascending(text: str, length: int = 6) -> bool:
    """``123456``, ``abcdef``: a keyboard-typed filler, not random output."""
    run = 1
    for a, b in itertools.pairwise(text):
        run = run + 1 if ord(b) == ord(a) + 1 and a.isalnum() else 1
        if run >= length:
            return True
    return False


_GITLAB_TYPES = {"glpat": "personal-access", "gldt": "deploy", "glrt": "runner-authentication",
                 "glrtr": "runner-authentication", "glsoat": "scim", "glft": "feed",
                 "glffct": "feature-flag-client", "glimt": "incoming-mail",
                 "glagent": "kubernetes-agent", "gloas": "oauth-application-secret",
                 "glcbt": "ci-job", "glptt": "pipeline-trigger"}


def is_placeholder_token(token: str) -> bool:
    """Whether a string shaped like a known token is a stand-in for one: ``ghp_xxxx…``,
    ``AKIAXXXXXXXXXXXXXXXX``, ``xoxb-your-token-here``, ``sk_test_1234567890abcdef…``, a
    vendor's documented example key. Judged on the part after the family's prefix: few
    distinct characters, a long run of one character, an ascending run, filler words."""
    if token.endswith("EXAMPLE") or "EXAMPLEKEY" in token \
            or hashlib.sha256(token.encode()).hexdigest() in _DOCUMENTED:
        return True
    prefix = _FAMILY_PREFIX.match(token)
    body = token[prefix.end():] if prefix else token
    alnum = [c for c in body if c.isalnum()]
    if len(set(alnum)) <= 5 or _FILLER_RUN.search(body) or _ascending(body):
        return True
    lowered = body.lower()
    return any(word in lowered for word in _FILLER_WORDS)


def _private_key(text: str, start: int, end: int, kind: str, line: int) -> Hit | None:
    close = _PEM_END.search(text, end, end + 16_384)
    stop = close.start() if close else min(len(text), end + 4096)
    block = text[end:stop].replace("\\n", "\n")
    encrypted = "ENCRYPTED" in kind or "Proc-Type: 4,ENCRYPTED" in block
    body_lines = [ln for ln in block.splitlines() if ":" not in ln]
    body = "".join(_BASE64_CHARS.findall("".join(body_lines)))
    if len(body) < 32:
        return None  # "-----BEGIN PRIVATE KEY-----\n...\n" in documentation
    return Hit("private-key", body, line, "high" if close else "medium",
               extra=(("key_type", kind.replace(" PRIVATE KEY", "").strip() or "PKCS8"),
                      ("encrypted", encrypted)))


def _matches(text: str) -> list[tuple[int, int, re.Match[str]]]:
    """(start, detector index, match) of every detector whose marker is in the text."""
    found: list[tuple[int, int, re.Match[str]]] = []
    for index, (name, pattern, _, _, markers) in enumerate(_PATTERNS):
        if not any(m in text for m in markers) or (name == "url-password" and "@" not in text):
            continue
        found.extend((m.start(), index, m) for m in pattern.finditer(text))
    found.sort(key=lambda item: (item[0], item[1]))
    return found


def text_secrets(text: str) -> Iterator[Hit]:
    """Secrets of well-known formats anywhere in ``text``, in text order."""
    newlines: list[int] | None = None
    for start, index, match in _matches(text):
        name, _, confidence, prefix, _ = _PATTERNS[index]
        if newlines is None:
            newlines = [m.start() for m in re.finditer("\n", text)]
        line = bisect.bisect_left(newlines, start) + 1
        token = match.group()
        if name == "private-key":
            hit = _private_key(text, match.start(), match.end(), match.group(1), line)
            if hit is not None:
                yield hit
            continue
        if name == "url-password":
            password = match.group(1)
            if not password or is_placeholder(password) or "${" in password \
                    or "{{" in password:
                continue
            yield Hit(name, password, line, confidence)
            continue
        extra: tuple[tuple[str, bool | str], ...] = ()
        if name == "jwt":
            alg = _jwt_alg(token)
            if alg is None or hashlib.sha256(token.encode()).hexdigest() in _DOCUMENTED:
                continue
            signed = token.count(".") == 2 and not token.endswith(".")
            extra = (("alg", alg), ("signed", signed))
        elif is_placeholder_token(token) or (name == "slack-token" and len(token) < 24):
            continue  # ghp_xxxx..., AKIAIOSFODNN7EXAMPLE: documentation, not a credential
        elif name == "gitlab-token":
            family = "runner-registration" if token.startswith("GR1348941") \
                else _GITLAB_TYPES.get(re.split(r"[-_]", token, maxsplit=1)[0], "personal-access")
            extra = (("token_type", family),)
        yield Hit(name, token, line, confidence, prefix, extra=extra)


# ---- value detectors ---------------------------------------------------------------------
_INLINE = re.compile(
    r"(?:^|[\s;&?,\"'(])(?:--?)?([A-Za-z0-9_.-]*(?i:password|passwd|pwd|secret|token|api[_-]?key)"
    r"[A-Za-z0-9_.-]*)\s*[=:]\s*(\"[^\"]*\"|'[^']*'|[^\s;&,\"')]+)")
_INLINE_WORDS = ("pass", "pwd", "secret", "token", "key")  # NOTE: cheap gate for _INLINE
_PATH_VALUE = re.compile(r"^(?:/|\./|\.\./|~/|[A-Za-z]:\\)[\w./\\-]*$")
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9+/=_.-]{20,}$")
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                   r"[0-9a-fA-F]{12}$")
_DIGEST_PREFIX = re.compile(r"^(?:sha\d+|md5|blake2b?)[-:]", re.IGNORECASE)
_DIGEST_WORDS = frozenset({"hash", "sha", "sha1", "sha256", "sha512", "md5", "digest",
                           "checksum", "integrity", "etag", "commit", "rev", "revision",
                           "fingerprint", "sum", "shasum", "resolved", "version", "image",
                           "uuid", "guid", "id", "tag"})
_KEYISH_WORDS = frozenset({"key", "salt", "signature", "sig", "seed", "cookie", "session",
                           "hmac", "auth", "signing", "cipher", "encryption", "crypt",
                           "nonce", "bearer", "webhook", "dsn"})


def _literal(value: str) -> str:
    text = value.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1]
    return text


#: how names are written: UPPER_SNAKE (environment variables), camelCase / PascalCase
#: (fields), dotted paths - not kebab-case or plain lower-case words, which passwords are
_NAME_SHAPE = re.compile(r"^(?:[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[a-z]+(?:[A-Z][a-z0-9]*)+"
                         r"|(?:[A-Z][a-z0-9]+){2,}|[A-Za-z]+(?:\.[A-Za-z]+)+)$")


def _names_a_secret(value: str) -> bool:
    """``NextToken``, ``DB_PASSWORD``, ``EngineDefaults.Marker``: a name written the way
    fields and environment variables are (a reference to a secret, or a field name in an
    API description), not a literal secret. ``redis-canary-secret`` is not a name."""
    return bool(_NAME_SHAPE.match(value)) and not any(c.isdigit() for c in value)


def _password_confidence(value: str) -> str:
    if len(value) < 4:
        return "low"
    if len(value) >= 8 and shannon_entropy(value) >= 3.0:
        return "high"
    return "medium"


def _random_mix(value: str, entropy: float) -> bool:
    """Whether a base64-alphabet token looks random rather than like words or a name:
    digits and both cases; or, without digits, letters only with about as many capitals
    as small letters (``ThisIsCamelCase`` has few capitals, random text has half)."""
    upper = sum(c.isupper() for c in value)
    lower = sum(c.islower() for c in value)
    if any(c.isdigit() for c in value):
        return entropy >= 4.2 and upper > 0 and lower > 0
    return entropy >= 4.4 and value.isalpha() and 0.3 <= upper / len(value) <= 0.7


def _high_entropy(value: str, words: tuple[str, ...], line: int) -> Hit | None:
    if not _TOKEN_SHAPE.match(value) or _UUID.match(value) or _DIGEST_PREFIX.match(value):
        return None
    if any(w in _DIGEST_WORDS for w in words):
        return None
    entropy = shannon_entropy(value)
    if _HEX.match(value):
        if entropy < 3.0 or len(value) < 32:
            return None
    elif not _random_mix(value, entropy):
        return None
    confidence = "medium" if any(w in _KEYISH_WORDS for w in words) else "low"
    return Hit("high-entropy", value, line, confidence)


_FILLER_VALUE = re.compile(r"[xX*•]{4,}|(?i:fake|dummy|placeholder)|<[^<>]{1,40}>"
                           r"|(?i:(?:^|[-_ ])your[-_ ])")
#: a token family's prefix with nothing after it (``sk_live_``, ``ghp_``, ``glpat-``)
_BARE_PREFIX = re.compile(r"[A-Za-z]{2,7}(?:_(?:live|test))?[_-]")
_FAMILY_PATTERNS = tuple(pattern for name, pattern, *_ in _PATTERNS
                         if name not in {"private-key", "url-password", "jwt"})
_FAMILY_MARKERS = tuple(m for name, markers in _MARKERS.items()
                        if name not in {"private-key", "url-password", "jwt"} for m in markers)


def _stand_in(value: str) -> bool:
    """A value that only stands in for a secret: a token-shaped placeholder
    (``ghp_xxxx…``, ``AKIAIOSFODNN7EXAMPLE``), a run of filler (``xxxx``, ``****``), a
    vendor's documented example."""
    if _FILLER_VALUE.search(value) or "EXAMPLE" in value or _BARE_PREFIX.fullmatch(value):
        return True
    if len(value) < 16:
        return False
    if len(value) <= 400 and hashlib.sha256(value.encode()).hexdigest() in _DOCUMENTED:
        return True
    # NOTE: most values hold no token marker at all; the family patterns run only then
    return any(m in value for m in _FAMILY_MARKERS) \
        and any(p.fullmatch(value) for p in _FAMILY_PATTERNS) and is_placeholder_token(value)


def value_secrets(key: str, value: str, line: int, *, entropy: bool = True) -> Iterator[Hit]:
    """Secrets in one setting: a secret-named ``key`` with a literal ``value``,
    ``name=secret`` pairs inside the value, or (``entropy``) a random-looking token."""
    text = _literal(value)
    if _stand_in(text):
        return
    # NOTE: a sentence under a secret-looking key (a title, help text, a message such as
    # "Set password_encryption = scram-sha-256 ...") is not a secret, nor is what it quotes.
    if is_secret_key(key):
        if text and not is_placeholder(text) and not _PATH_VALUE.match(text) \
                and "://" not in text and not is_prose(text) and not _names_a_secret(text):
            yield Hit("password-assignment", text, line, _password_confidence(text))
        return
    found = False
    lowered = text.lower()
    inline = ("=" in text or ":" in text) and any(w in lowered for w in _INLINE_WORDS) \
        and not is_prose(text)
    for match in _INLINE.finditer(text) if inline else ():
        name, secret = match.group(1), _literal(match.group(2))
        if is_secret_key(name) and secret and not is_placeholder(secret) \
                and not _stand_in(secret) \
                and not _PATH_VALUE.match(secret) and not _names_a_secret(secret):
            found = True
            yield Hit("password-assignment", secret, line, _password_confidence(secret),
                      name=name)
    if entropy and not found:
        hit = _high_entropy(text, key_words(key), line)
        if hit is not None:
            yield hit
