"""PostgreSQL security posture: settings, roles, PUBLIC grants and pg_hba rules.

Observations (all with ``attributes.dialect = "postgresql"``):

- ``db.setting`` (``location.key`` = setting name): ``name``, ``value`` (text as
  ``SHOW`` prints it), ``enabled`` (for on/off settings), ``source``. Settings read:
  ``ssl``, ``ssl_min_protocol_version``, ``password_encryption``, ``listen_addresses``,
  ``log_connections``, ``log_disconnections``, ``log_statement``,
  ``log_min_duration_statement``, ``logging_collector``, ``log_line_prefix``.
- ``db.account`` (``location.key`` = ``role:NAME``): ``name``, ``superuser``,
  ``can_login``, ``create_role``, ``bypass_rls``, ``bootstrap`` (the initial superuser),
  ``password`` = ``none | md5 | scram-sha-256 | plaintext | unknown`` (``unknown`` when
  ``pg_authid`` is not readable; the stored verifier itself is never fetched),
  ``valid_until``.
- ``db.grant`` (``location.table`` = ``schema.table`` or ``location.key`` =
  ``schema:NAME``): ``grantee`` (``PUBLIC``), ``privileges`` (sorted list), ``scope``
  (``table`` | ``schema``; schema grants only when they include CREATE; ``default`` for
  default privileges on future tables, ``location.key`` = ``default:SCHEMA``),
  ``object``, ``table_has_pii``, ``pii_entities``.
- ``db.hba_rule`` (``location.key`` = ``pg_hba:LINE``): the attributes of the services
  scanner's pg_hba.conf observations (``type``, ``database``, ``user``, ``address`` as
  CIDR, ``method``, ``address_any``, ``address_loopback``, ``line_number``) with
  ``source: server``, judged by the same ``core.pg-hba.*`` rules. Needs superuser;
  otherwise a Problem says the rules were not checked.

Example: ``db.hba_rule {type: host, address: 0.0.0.0/0, method: trust, address_any:
true, address_loopback: false}`` is judged by ``core.pg-hba.trust`` (CWE-287).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping, Sequence

from sqlalchemy import Connection, text

from auditor.knowledge.netaddr import hba_address_facts
from auditor.models import JSONValue, Location, Observation

__all__ = ["SETTINGS", "accounts", "default_grants", "grants", "hba_rules", "settings"]

SETTINGS = ("ssl", "ssl_min_protocol_version", "password_encryption", "listen_addresses",
            "log_connections", "log_disconnections", "log_statement",
            "log_min_duration_statement", "logging_collector", "log_line_prefix")
_DIALECT: dict[str, JSONValue] = {"dialect": "postgresql"}


def settings(conn: Connection, uri: str) -> Iterator[Observation]:
    rows = conn.execute(text(
        "SELECT name, setting, unit, vartype, source FROM pg_settings "
        "WHERE name = ANY(:names) ORDER BY name"), {"names": list(SETTINGS)}).all()
    for name, value, unit, vartype, source in rows:
        attrs: dict[str, JSONValue] = {**_DIALECT, "name": name, "value": str(value),
                                       "source": str(source)}
        if vartype == "bool":
            attrs["enabled"] = str(value) == "on"
        if unit:
            attrs["unit"] = str(unit)
        yield Observation("db.setting", Location(uri, key=str(name)), attrs,
                          evidence={"setting": f"{name} = {value}"}, identity=str(name))


_ROLES = """
SELECT r.rolname, r.rolsuper, r.rolcanlogin, r.rolcreaterole, r.rolbypassrls,
       r.oid = 10, r.rolvaliduntil::text
FROM pg_roles r WHERE r.rolname NOT LIKE 'pg\\_%' ORDER BY r.rolname
"""
# NOTE: only the storage format is computed server-side; the verifier never leaves it.
_PASSWORDS = """
SELECT rolname, CASE WHEN rolpassword IS NULL THEN 'none'
                     WHEN rolpassword LIKE 'SCRAM-SHA-256$%' THEN 'scram-sha-256'
                     WHEN rolpassword ~ '^md5[0-9a-f]{32}$' THEN 'md5'
                     ELSE 'plaintext' END
FROM pg_authid
"""


def accounts(conn: Connection, uri: str, *, passwords_readable: bool
             ) -> Iterator[Observation]:
    storage: dict[str, str] = {}
    if passwords_readable:
        storage = {str(n): str(s) for n, s in conn.execute(text(_PASSWORDS)).all()}
    for name, superuser, login, createrole, bypass, bootstrap, until in \
            conn.execute(text(_ROLES)).all():
        password = storage.get(str(name), "unknown")
        attrs: dict[str, JSONValue] = {
            **_DIALECT, "name": str(name), "account": str(name), "superuser": bool(superuser),
            "can_login": bool(login), "create_role": bool(createrole),
            "bypass_rls": bool(bypass), "bootstrap": bool(bootstrap), "password": password,
            "password_set": None if password == "unknown" else password != "none",
            "valid_until": until,
        }
        yield Observation("db.account", Location(uri, key=f"role:{name}"), attrs,
                          evidence={"role": str(name), "password": password},
                          identity=f"role:{name}")


_TABLE_GRANTS = """
SELECT n.nspname, c.relname, a.privilege_type
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
     LATERAL aclexplode(c.relacl) a
WHERE a.grantee = 0 AND c.relkind IN ('r', 'p', 'm', 'v')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
ORDER BY 1, 2, 3
"""
_SCHEMA_GRANTS = """
SELECT n.nspname, a.privilege_type
FROM pg_namespace n, LATERAL aclexplode(n.nspacl) a
WHERE a.grantee = 0 AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_%'
ORDER BY 1, 2
"""


def grants(conn: Connection, uri: str, pii_tables: Mapping[str, Sequence[str]]
           ) -> Iterator[Observation]:
    """PUBLIC grants; ``pii_tables`` maps ``schema.table`` to the entities found in it."""
    by_table: dict[str, list[str]] = {}
    for schema, table, privilege in conn.execute(text(_TABLE_GRANTS)).all():
        by_table.setdefault(f"{schema}.{table}", []).append(str(privilege))
    for qualified, privileges in by_table.items():
        entities = list(pii_tables.get(qualified, ()))
        attrs: dict[str, JSONValue] = {
            **_DIALECT, "grantee": "PUBLIC", "privileges": list(sorted(privileges)),
            "scope": "table", "object": qualified, "table_has_pii": qualified in pii_tables,
            "pii_entities": list(entities),
        }
        yield Observation("db.grant", Location(uri, table=qualified), attrs,
                          evidence={"grant": f"GRANT {', '.join(sorted(privileges))} ON "
                                             f"{qualified} TO PUBLIC"},
                          identity=f"PUBLIC:{qualified}")
    by_schema: dict[str, list[str]] = {}
    for schema, privilege in conn.execute(text(_SCHEMA_GRANTS)).all():
        by_schema.setdefault(str(schema), []).append(str(privilege))
    for schema, privileges in by_schema.items():
        if "CREATE" not in privileges:
            continue  # NOTE: USAGE on a schema (the default for public) grants no data
        has_pii = any(t.startswith(schema + ".") for t in pii_tables)
        attrs = {**_DIALECT, "grantee": "PUBLIC", "privileges": list(sorted(privileges)),
                 "scope": "schema", "object": schema, "table_has_pii": has_pii,
                 "pii_entities": []}
        yield Observation("db.grant", Location(uri, key=f"schema:{schema}"), attrs,
                          evidence={"grant": f"GRANT {', '.join(sorted(privileges))} ON "
                                             f"SCHEMA {schema} TO PUBLIC"},
                          identity=f"PUBLIC:schema:{schema}")


_DEFAULT_GRANTS = """
SELECT coalesce(n.nspname, '*'), a.privilege_type
FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace,
     LATERAL aclexplode(d.defaclacl) a
WHERE a.grantee = 0 AND d.defaclobjtype = 'r'
ORDER BY 1, 2
"""


def default_grants(conn: Connection, uri: str) -> Iterator[Observation]:
    """``ALTER DEFAULT PRIVILEGES ... GRANT ... ON TABLES TO PUBLIC``: future tables are
    readable by everyone (``scope: default``, ``object``: the schema or ``*``)."""
    by_schema: dict[str, list[str]] = {}
    for schema, privilege in conn.execute(text(_DEFAULT_GRANTS)).all():
        by_schema.setdefault(str(schema), []).append(str(privilege))
    for schema, privileges in by_schema.items():
        attrs: dict[str, JSONValue] = {
            **_DIALECT, "grantee": "PUBLIC", "privileges": list(sorted(privileges)),
            "scope": "default", "object": schema, "table_has_pii": False, "pii_entities": []}
        yield Observation("db.grant", Location(uri, key=f"default:{schema}"), attrs,
                          evidence={"grant": f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
                                             f"GRANT {', '.join(sorted(privileges))} ON "
                                             "TABLES TO PUBLIC"},
                          identity=f"PUBLIC:default:{schema}")


def _cidr(address: str | None, netmask: str | None) -> str | None:
    """``address`` + ``netmask`` columns as the CIDR a pg_hba.conf line would show."""
    if not address or not netmask:
        return address
    try:
        return str(ipaddress.ip_network(f"{address}/{netmask}", strict=False))
    except ValueError:
        return address


def hba_rules(conn: Connection, uri: str) -> Iterator[Observation]:
    rows = conn.execute(text(
        "SELECT line_number, type, database, user_name, address, netmask, auth_method, "
        "error FROM pg_hba_file_rules ORDER BY line_number")).all()
    for line, raw_kind, databases, users, address, netmask, method, error in rows:
        cidr = _cidr(address, netmask)
        kind = str(raw_kind)
        any_address, loopback = hba_address_facts(None if kind == "local" else cidr)
        dbs = [str(d) for d in databases or ()]
        usrs = [str(u) for u in users or ()]
        # NOTE: the attribute names of the services scanner's pg_hba.conf observations,
        # so the core.pg-hba.* rules judge the file and the live server alike
        attrs: dict[str, JSONValue] = {
            **_DIALECT, "line_number": int(line), "type": kind, "database": list(dbs),
            "user": list(usrs), "address": cidr, "method": str(method), "options": [],
            "address_any": any_address, "address_loopback": loopback, "error": error,
            "source": "server",
        }
        rule = " ".join(str(p) for p in (kind, ",".join(dbs), ",".join(usrs), cidr,
                                         method) if p)
        yield Observation("db.hba_rule", Location(uri, key=f"pg_hba:{line}"), attrs,
                          evidence={"rule": rule},
                          identity=f"hba:{kind}:{dbs}:{usrs}:{address}:{method}")
