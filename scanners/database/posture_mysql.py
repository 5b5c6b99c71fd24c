"""MySQL / MariaDB security posture: global variables, accounts and privileges.

Observations (all with ``attributes.dialect = "mysql"`` and ``server`` = ``mysql`` or
``mariadb``):

- ``db.setting`` (``location.key`` = variable name): ``name``, ``value``, ``enabled``
  (for ON/OFF variables). Variables read: ``require_secure_transport``, ``local_infile``,
  ``have_ssl``, ``tls_version``, ``general_log``, ``log_error``, ``secure_file_priv``,
  ``skip_networking``, ``skip_name_resolve``, ``default_authentication_plugin``,
  ``old_passwords``, ``bind_address``.
- ``db.account`` (``location.key`` = ``account:USER@HOST``): ``name``, ``host``,
  ``plugin``, ``empty_password`` (a password plugin with no stored verifier),
  ``weak_plugin`` (``mysql_old_password`` / ``mysql_native_password``: unsalted SHA-1),
  ``remote`` (host other than localhost / 127.0.0.1 / ::1), ``any_host`` (``%``),
  ``locked``, ``anonymous`` (empty user name), ``superuser`` (global ALL or SUPER).
  The stored verifier is never fetched: the server computes only whether it is empty.
- ``db.grant`` (``location.key`` = ``grant:USER@HOST:OBJECT``): ``grantee``,
  ``privileges`` (``ALL PRIVILEGES`` kept as ``ALL``), ``scope`` (``global`` |
  ``database`` | ``table``), ``object`` (``*.*``, ``db.*``, ``db.table``),
  ``with_grant_option``, ``table_has_pii``. From ``SHOW GRANTS``, of which only the
  privilege list, object and grant option are kept (never ``IDENTIFIED BY`` parts).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from auditor.models import JSONValue, Location, Observation

__all__ = ["VARIABLES", "accounts", "grants", "settings"]

VARIABLES = ("require_secure_transport", "local_infile", "have_ssl", "tls_version",
             "general_log", "log_error", "secure_file_priv", "skip_networking",
             "skip_name_resolve", "default_authentication_plugin", "old_passwords",
             "bind_address")
_WEAK_PLUGINS = frozenset({"mysql_old_password", "mysql_native_password"})
_PASSWORD_PLUGINS = frozenset({"", "mysql_old_password", "mysql_native_password",
                               "caching_sha2_password", "sha256_password", "ed25519",
                               "parsec"})
_LOCAL = frozenset({"localhost", "127.0.0.1", "::1"})
_GRANT = re.compile(r"^GRANT\s+(?P<privs>.+?)\s+ON\s+(?:(?:TABLE|FUNCTION|PROCEDURE)\s+)?"
                    r"(?P<object>\S+)\s+TO\s+(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)


def _base(server: str) -> dict[str, JSONValue]:
    return {"dialect": "mysql", "server": server}


def settings(conn: Connection, uri: str, server: str) -> Iterator[Observation]:
    names = ", ".join(f"'{n}'" for n in VARIABLES)
    rows = conn.exec_driver_sql(
        f"SHOW GLOBAL VARIABLES WHERE Variable_name IN ({names})").all()
    for name, value in sorted((str(n), str(v)) for n, v in rows):
        attrs: dict[str, JSONValue] = {**_base(server), "name": name, "value": value}
        if value.upper() in {"ON", "OFF"}:
            attrs["enabled"] = value.upper() == "ON"
        yield Observation("db.setting", Location(uri, key=name), attrs,
                          evidence={"setting": f"{name} = {value}"}, identity=name)


def _accounts_query(mariadb: bool) -> str:
    # NOTE: the verifier stays on the server: only "is it empty" is selected.
    if mariadb:
        return ("SELECT u.User, u.Host, u.plugin, "
                "(u.authentication_string = '' AND u.Password = '') AS empty_pw, "
                "COALESCE(JSON_VALUE(g.Priv, '$.account_locked'), 0) AS locked, "
                "u.is_role = 'Y' AS is_role, u.Super_priv = 'Y' AS super "
                "FROM mysql.user u LEFT JOIN mysql.global_priv g "
                "ON g.User = u.User AND g.Host = u.Host ORDER BY u.User, u.Host")
    return ("SELECT User, Host, plugin, authentication_string = '' AS empty_pw, "
            "account_locked = 'Y' AS locked, 0 AS is_role, Super_priv = 'Y' AS super "
            "FROM mysql.user ORDER BY User, Host")


def accounts(conn: Connection, uri: str, server: str) -> Iterator[Observation]:
    rows = conn.exec_driver_sql(_accounts_query(server == "mariadb")).all()
    for raw_user, raw_host, raw_plugin, empty, locked, is_role, superuser in rows:
        if is_role:
            continue
        user, host, plugin = str(raw_user), str(raw_host), str(raw_plugin or "")
        attrs: dict[str, JSONValue] = {
            **_base(server), "name": user, "host": host, "account": f"{user}@{host}",
            "plugin": plugin,
            "empty_password": bool(empty) and plugin in _PASSWORD_PLUGINS,
            "weak_plugin": plugin in _WEAK_PLUGINS, "remote": host not in _LOCAL,
            "any_host": host == "%", "locked": bool(int(locked or 0)),
            "anonymous": user == "", "superuser": bool(superuser),
        }
        yield Observation("db.account", Location(uri, key=f"account:{user}@{host}"), attrs,
                          evidence={"account": f"'{user}'@'{host}'", "plugin": plugin},
                          identity=f"account:{user}@{host}")


def _parse_grant(line: str) -> tuple[list[str], str, bool] | None:
    m = _GRANT.match(line.strip())
    if not m:
        return None
    privs = [p.strip().upper() for p in re.split(r",\s*(?![^()]*\))", m.group("privs"))]
    privs = ["ALL" if p in {"ALL", "ALL PRIVILEGES"} else p for p in privs]
    obj = m.group("object").replace("`", "")
    return sorted(privs), obj, bool(re.search(r"WITH\s+GRANT\s+OPTION", m.group("rest"), re.I))


def grants(conn: Connection, uri: str, server: str,
           pii_tables: Mapping[str, Sequence[str]]) -> Iterator[Observation]:
    """Grants of every account (and of PUBLIC on MariaDB >= 10.11)."""
    grantees = [(str(u), str(h)) for u, h in conn.exec_driver_sql(
        "SELECT User, Host FROM mysql.user ORDER BY User, Host").all()]
    targets: list[tuple[str, str | None]] = [(u, h) for u, h in grantees]
    if server == "mariadb":
        targets.append(("PUBLIC", None))
    for user, host in targets:
        try:
            if host is None:
                result = conn.exec_driver_sql("SHOW GRANTS FOR PUBLIC")
            else:  # NOTE: PyMySQL quotes the parameters (user names may hold quotes or %)
                result = conn.exec_driver_sql("SHOW GRANTS FOR %(u)s@%(h)s",
                                              {"u": user, "h": host})
            lines = [str(r[0]) for r in result]
        except SQLAlchemyError:  # NOTE: PUBLIC unsupported, or a role: nothing to report
            continue
        grantee = "PUBLIC" if host is None else f"{user}@{host}"
        for line in lines:
            parsed = _parse_grant(line)
            if parsed is None or parsed[0] == ["USAGE"] or parsed[0][0].startswith("PROXY"):
                continue
            privileges, obj, grant_option = parsed
            schema, _, table = obj.partition(".")
            scope = "global" if obj == "*.*" else "database" if table == "*" else "table"
            if scope == "table":
                has_pii = obj in pii_tables
            else:
                has_pii = (scope == "global" and bool(pii_tables)) or any(
                    t.startswith(schema + ".") for t in pii_tables)
            attrs: dict[str, JSONValue] = {
                **_base(server), "grantee": grantee, "privileges": list(privileges),
                "scope": scope, "object": obj, "with_grant_option": grant_option,
                "table_has_pii": has_pii,
            }
            yield Observation(
                "db.grant", Location(uri, key=f"grant:{grantee}:{obj}",
                                     table=obj if scope == "table" else None),
                attrs, evidence={"grant": f"GRANT {', '.join(privileges)} ON {obj} TO "
                                          f"{grantee}" + (" WITH GRANT OPTION"
                                                          if grant_option else "")},
                identity=f"grant:{grantee}:{obj}")
