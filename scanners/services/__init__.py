"""Services scanner: nginx, Apache httpd, sshd_config, postgresql.conf, pg_hba.conf,
my.cnf and redis.conf, parsed with their own syntax and include rules.

Observation kinds (see each parser module for attributes and an example):

- ``config.setting`` — every directive, with the config scanner's attributes (``format``,
  ``key``, ``key_leaf``, ``value``, ``value_masked``, ``value_type``); keys such as
  ``http.server.ssl_protocols``, ``sshd.PermitRootLogin``, ``postgresql.ssl``,
  ``mysql.mysqld.require_secure_transport``, ``redis.requirepass`` (masked);
- ``secret`` — a hard-coded secret in a directive (``requirepass``, ``masterauth``, MySQL
  ``password``, a password inside a URL, well-known token formats), found with the config
  scanner's detectors and reported with its attributes (masked, keyed hash identity);
- ``tls.config`` — one per TLS server context (nginx ``server``, Apache ``VirtualHost``,
  PostgreSQL ``ssl``, MySQL server, Redis ``tls-port``), built by
  :func:`auditor.knowledge.tlspolicy.tls_config_facts` (protocols, expanded suites, flags,
  profile membership);
- ``service.listener`` — where a service accepts connections: ``service``, ``addresses``,
  ``port``, ``tls``, ``tls_required``, ``non_loopback`` and per service
  ``redirects_to_https`` (nginx, Apache), ``auth_required`` / ``protected_mode`` (Redis),
  ``skip_grant_tables`` (MySQL);
- ``ssh.config`` — effective sshd settings per context (global, each ``Match``);
- ``db.hba_rule`` — one per pg_hba.conf rule (same attributes as the database scanner).

Option ``services.assume_openssl3=true``: judge cipher strings as a server linked with
OpenSSL 3 (without the legacy provider) runs them — RC4, 3DES, DES, EXPORT, IDEA and SEED
suites cannot be enabled there. By default they count, as an older library enables them.

Includes are followed (globs, relative to the including file and the main file). A
fragment that a main file next to it includes (``conf.d/site.conf`` under an
``nginx.conf`` that includes it) is covered by that main file's scan and yields nothing
on its own, so each setting is reported once. Malformed files raise
:class:`~auditor.errors.TargetError` with file and line.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import glob
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar

from auditor.knowledge.tlspolicy import tls_config_facts
from auditor.models import Observation, Problem, Target
from auditor.scanner import Candidate, Claim, Option, Scanner, ScanOptions

from .apache import observe_apache
from .mysql import observe_mysql
from .nginx import observe_nginx
from .postgres import observe_pg_hba, observe_postgresql_conf
from .redis import observe_redis
from .sshd import observe_sshd

__all__ = ["ServicesScanner"]

_NAMES = {"nginx.conf": "nginx", "sshd_config": "sshd", "postgresql.conf": "postgresql",
          "postgresql.auto.conf": "postgresql", "pg_hba.conf": "pg_hba", "my.cnf": "mysql",
          "mariadb.cnf": "mysql", "redis.conf": "redis", "sentinel.conf": "redis",
          "httpd.conf": "apache", "apache2.conf": "apache"}
_SIGNATURES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("apache", re.compile(r"^\s*<VirtualHost\b", re.M)),
    ("nginx", re.compile(r"^\s*(server|http|events|upstream)\s*\{", re.M)),
    ("sshd", re.compile(r"^\s*(PermitRootLogin|PasswordAuthentication|ChallengeResponse"
                        r"Authentication|Subsystem\s+sftp|UsePAM)\b", re.M)),
    ("pg_hba", re.compile(r"^\s*(local|host|hostssl|hostnossl)\s+\S+\s+\S+\s+.*\b(trust|md5|"
                          r"scram-sha-256|peer|password|reject|ident|cert)\b", re.M)),
    ("mysql", re.compile(r"^\s*\[(mysqld|mariadb|server|client|mysql)\]", re.M)),
    ("postgresql", re.compile(r"^\s*(listen_addresses|shared_buffers|max_connections|"
                              r"ssl_cert_file)\s*=", re.M)),
    ("redis", re.compile(r"^\s*(requirepass|appendonly|maxmemory-policy|protected-mode|"
                         r"tls-port)\s", re.M)),
)
_SSH_CLIENT = re.compile(r"^\s*Host\s+\S", re.M)
_MAIN_FILES = {"nginx": ("nginx.conf",), "sshd": ("sshd_config",),
               "apache": ("apache2.conf", "httpd.conf"), "redis": ("redis.conf",),
               "postgresql": ("postgresql.conf",), "mysql": ("my.cnf", "mariadb.cnf")}
_INCLUDE = re.compile(r"^\s*(?:IncludeOptional|include_if_exists|include_dir|!includedir|"
                      r"!include|Include|include)\s*=?\s*['\"]?([^'\";\s]+)", re.M)


def _candidates(pattern: str, base: Path) -> list[str]:
    """Where an include pattern points inside the tree (absolute ones rebased the way
    :meth:`FileSet.expand` does)."""
    if not pattern.startswith("/"):
        return [str(base / pattern)]
    parts = Path(pattern).parts[1:]
    return [pattern] + [str(base / Path(*parts[i:])) for i in range(len(parts))
                        if len(parts) - i > 1 or not glob.has_magic(parts[-1])]


def _covered(path: Path, kind: str) -> bool:
    """Whether a main config file up to two directories above includes ``path``."""
    if path.name in _MAIN_FILES.get(kind, ()):
        return False
    for parent in list(path.parents)[:3]:
        for main_name in _MAIN_FILES.get(kind, ()):
            main = parent / main_name
            if not main.is_file() or main == path:
                continue
            try:
                text = main.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            for pattern in _INCLUDE.findall(text):
                for full in _candidates(pattern, main.parent):
                    if fnmatch.fnmatch(str(path), full) or \
                            fnmatch.fnmatch(str(path), full.rstrip("/") + "/*"):
                        return True
    return False


class ServicesScanner(Scanner):
    name = "services"
    description = "nginx, Apache, sshd, PostgreSQL, pg_hba, MySQL and Redis configuration"
    emits: ClassVar[tuple[str, ...]] = ("config.setting", "secret", "tls.config",
                                        "service.listener", "ssh.config", "db.hba_rule")

    options = (
        Option("assume_openssl3", "bool", False,
               "expand cipher strings as OpenSSL 3 would (no SSLv3/RC4/3DES by default)"),
    )

    def claim(self, candidate: Candidate) -> Claim | None:
        name = candidate.name
        if name in _NAMES:
            return Claim(_NAMES[name], 80)
        parent = Path(candidate.path).parent.name
        if parent == "sshd_config.d" and name.endswith(".conf"):
            return Claim("sshd", 80)
        if name == "ssh_config" or parent in {".ssh", "ssh_config.d"}:
            return None  # the OpenSSH *client* configuration: other semantics
        if candidate.suffix not in {".conf", ".cnf", ".vhost", ""}:
            return None
        text = candidate.text_head()
        if text is None:
            return None
        for kind, pattern in _SIGNATURES:
            if pattern.search(text):
                if kind == "sshd" and _SSH_CLIENT.search(text):
                    return None
                return Claim(kind, 60)
        return None

    def scan(self, target: Target, options: ScanOptions) -> Iterator[Observation | Problem]:
        if _covered(Path(target.locator), target.kind):
            return
        key = options.hash_key
        handlers: dict[str, Callable[[], Iterator[Observation | Problem]]] = {
            "nginx": lambda: observe_nginx(target, key),
            "apache": lambda: observe_apache(target, key),
            "sshd": lambda: observe_sshd(target, key),
            "postgresql": lambda: observe_postgresql_conf(target, key),
            "pg_hba": lambda: observe_pg_hba(target),
            "mysql": lambda: observe_mysql(target, key),
            "redis": lambda: observe_redis(target, key),
        }
        handler = handlers.get(target.kind)
        if handler is None:
            return
        openssl3 = options.get("services.assume_openssl3", False) is True
        for item in handler():
            if openssl3 and isinstance(item, Observation) and item.kind == "tls.config":
                yield _as_openssl3(item)
            else:
                yield item


def _as_openssl3(obs: Observation) -> Observation:
    """The same TLS context judged as a server linked with OpenSSL 3 would run it."""
    a = obs.attributes
    protocols = [str(p) for p in a["protocols"]] if isinstance(a["protocols"], list) else None
    tls13 = [str(x) for x in a["tls13_suites"]] if isinstance(a["tls13_suites"], list) else None
    facts = tls_config_facts(protocols, str(a["cipher_string_effective"]), tls13_suites=tls13,
                             openssl3=True)
    facts["cipher_string"] = a["cipher_string"]
    facts["protocols_configured"] = a["protocols_configured"]
    attributes = {**a, **facts}
    evidence = {**obs.evidence, "weak_suites": facts["weak_suites"]}
    return dataclasses.replace(obs, attributes=attributes, evidence=evidence)
