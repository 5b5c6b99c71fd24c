"""Database URLs: parse, redact, and turn into SQLAlchemy URLs.

Accepted forms: ``postgresql://`` / ``postgres://`` (psycopg 3), ``mysql://`` /
``mariadb://`` (PyMySQL), and ``sqlite:///path`` (stdlib sqlite3, opened read-only).
A password comes from the URL, else from the environment: ``AUDITOR_DB_PASSWORD`` first,
then ``PGPASSWORD`` (PostgreSQL) or ``MYSQL_PWD`` (MySQL/MariaDB). Passwords are never
part of any string this module returns except :func:`DbUrl.sqlalchemy_url` objects.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

__all__ = ["DIALECTS", "DbUrl", "is_database_url", "parse_url", "redact_url", "scrub"]

#: URL scheme -> dialect name
DIALECTS: Mapping[str, str] = {
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
    "sqlite": "sqlite",
}

_SCHEME = re.compile(r"^([a-z][a-z0-9]*)(?:\+[a-z0-9_]+)?://", re.IGNORECASE)


def is_database_url(url: str) -> bool:
    m = _SCHEME.match(url.strip())
    return bool(m and m.group(1).lower() in DIALECTS)


@dataclass(frozen=True, slots=True)
class DbUrl:
    """A parsed database URL. ``repr`` never shows the password."""

    dialect: str  # postgresql | mysql | sqlite
    scheme: str
    host: str | None = None
    port: int | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    database: str | None = None  # for sqlite: the file path
    query: tuple[tuple[str, str], ...] = ()

    @property
    def redacted(self) -> str:
        """The URL without credentials' secret part (user kept, password dropped)."""
        if self.dialect == "sqlite":
            return f"sqlite:///{self.database or ''}"
        netloc = ""
        if self.user:
            netloc = quote(self.user, safe="") + "@"
        if self.host:
            netloc += f"[{self.host}]" if ":" in self.host else self.host
        if self.port:
            netloc += f":{self.port}"
        path = "/" + quote(self.database, safe="") if self.database else "/"
        # NOTE: query parameters may hold secrets (password=, sslpassword=): keep only
        # harmless ones.
        query = "&".join(f"{k}={quote(v, safe='')}" for k, v in self.query
                         if k.lower() in _SAFE_QUERY)
        return urlunsplit((self.scheme, netloc, path, query, ""))

    def with_database(self, database: str) -> DbUrl:
        return DbUrl(self.dialect, self.scheme, self.host, self.port, self.user,
                     self.password, database, self.query)

    def sqlalchemy_url(self) -> URL:
        """The SQLAlchemy URL (holds the password; never print it)."""
        from sqlalchemy.engine import URL  # NOTE: SQLAlchemy only once a database is opened

        if self.dialect == "sqlite":
            # NOTE: read-only by construction: the sqlite3 URI form with mode=ro.
            path = os.path.abspath(self.database or "")
            return URL.create("sqlite", database=f"file:{quote(path)}?mode=ro&uri=true")
        driver = "postgresql+psycopg" if self.dialect == "postgresql" else "mysql+pymysql"
        query = {k: v for k, v in self.query}
        if self.dialect == "mysql":
            query.setdefault("charset", "utf8mb4")
        return URL.create(driver, username=self.user, password=self.password,
                          host=self.host, port=self.port, database=self.database or None,
                          query=query)


_SAFE_QUERY = frozenset({"sslmode", "charset", "connect_timeout", "application_name",
                         "ssl", "ssl_mode", "options"})


def parse_url(url: str, env: Mapping[str, str] | None = None) -> DbUrl:
    """Parse a database URL; the password falls back to the environment."""
    environ = os.environ if env is None else env
    text = url.strip()
    m = _SCHEME.match(text)
    if not m or m.group(1).lower() not in DIALECTS:
        raise ValueError(f"not a database URL: {_redact_raw(text)!r}")
    scheme = m.group(1).lower()
    dialect = DIALECTS[scheme]
    if dialect == "sqlite":
        rest = text[m.end():]
        path = rest.split("?", 1)[0]
        if path.startswith("/"):
            path = path[1:]  # sqlite:///rel/path -> rel/path; sqlite:////abs -> /abs
        if not path:
            raise ValueError("sqlite URL without a file path (use sqlite:///path/to/file.db)")
        return DbUrl("sqlite", "sqlite", database=unquote(path))
    # NOTE: messages use _redact_raw, never redact_url: that calls this parser, and a
    # URL this parser rejects would recurse without end
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError as exc:  # e.g. "Invalid IPv6 URL"
        raise ValueError(f"malformed database URL {_redact_raw(text)!r}: {exc}") from None
    if parts.netloc.count("[") != parts.netloc.count("]") or (
            host is not None and ":" in host and "[" not in parts.netloc):
        raise ValueError(f"malformed database URL {_redact_raw(text)!r}: an IPv6 address "
                         "must be written in brackets, e.g. [::1]:5432")
    password = unquote(parts.password) if parts.password is not None else None
    if password is None:
        password = environ.get("AUDITOR_DB_PASSWORD") or environ.get(
            "PGPASSWORD" if dialect == "postgresql" else "MYSQL_PWD") or None
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"bad port in database URL {_redact_raw(text)!r} (expected a "
                         "number from 1 to 65535)") from None
    database = unquote(parts.path.lstrip("/")) or None
    return DbUrl(dialect, scheme, host=host, port=port,
                 user=unquote(parts.username) if parts.username else None,
                 password=password, database=database,
                 query=tuple(parse_qsl(parts.query, keep_blank_values=True)))


def redact_url(url: str) -> str:
    """The URL without its password (for ``Target.uri`` and every message).

    Works on malformed URLs too: anything between ``://`` and ``@`` after the first
    ``:`` is dropped, and secret-looking query parameters are removed.
    """
    text = url.strip()
    try:
        return parse_url(text, env={}).redacted
    except ValueError:
        return _redact_raw(text)


def _redact_raw(text: str) -> str:
    """Textual redaction that needs no parsing (for URLs the parser rejects): the
    password between the user and the last ``@`` and secret query values go."""
    text = re.sub(r"(://[^/@:]*):[^/]*@", r"\1@", text)
    return re.sub(r"(?i)([?&](?:password|pass|pwd|sslpassword)=)[^&]*", r"\1***", text)


def scrub(message: str, *secrets: str | None) -> str:
    """Remove every given secret (and any URL password) from an error message."""
    out = re.sub(r"(\w+://[^/@:\s]*):[^@/\s]*@", r"\1@", message)
    for secret in secrets:
        if secret:
            out = out.replace(secret, "•••")
    return out
