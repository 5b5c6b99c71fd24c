"""Roles and grants found in a dump, as ``db.account`` and ``db.grant`` observations.

A role's password never leaves this module: the observation holds its storage format
(``plaintext``, ``md5``, ``scram-sha-256``, ``mysql-native``, ``hashed``...), its length in
the evidence (``mask_secret``) and a keyed hash in the identity (so a changed password
changes the finding's fingerprint).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from auditor.masking import keyed_hash, mask_secret
from auditor.models import JSONValue, Location, Observation

from ..shapes import hash_format
from .statements import GrantStmt, RoleStmt

__all__ = ["grant_observations", "password_storage", "role_observation"]

_LOCAL = frozenset({"localhost", "127.0.0.1", "::1"})


def password_storage(role: RoleStmt, dialect: str) -> str:
    """How a dumped role's password is written: a format name, or ``plaintext``."""
    password = role.password
    if password is None:
        return "unchanged"
    if role.plugin == "hash" or (role.plugin and password.startswith(("*", "$"))):
        return hash_format(password) or "hashed"
    shape = hash_format(password) if dialect == "postgresql" else None
    return {"scram-sha-256": "scram-sha-256", "pg-md5": "md5"}.get(shape or "", "plaintext")


def role_observation(role: RoleStmt, *, uri: str, line: int, dialect: str,
                     hash_key: bytes) -> Observation | None:
    """``db.account`` for a role statement that sets a password or superuser."""
    if role.password is None and role.superuser is None:
        return None
    password = role.password
    storage = password_storage(role, dialect)
    who = role.name if role.host is None else f"{role.name}@{role.host}"
    attrs: dict[str, JSONValue] = {
        "dialect": dialect, "source": "dump", "name": role.name, "host": role.host,
        "account": who, "password": storage, "password_set": password is not None,
        "empty_password": password == "", "superuser": role.superuser,
        "can_login": role.login, "plugin": role.plugin,
        "remote": role.host is not None and role.host not in _LOCAL,
        "any_host": role.host == "%",
    }
    evidence: dict[str, JSONValue] = {"role": who, "password_storage": storage}
    if password is not None:
        evidence["password"] = mask_secret(password)
    secret = keyed_hash(password, hash_key) if password else ""
    return Observation("db.account", Location(uri, line=line, key=f"role:{who}"), attrs,
                       evidence=evidence, identity=f"role:{who}:{secret}")


def grant_observations(grant: GrantStmt, *, uri: str, line: int, dialect: str, schema: str,
                       pii_tables: Mapping[str, Sequence[str]]) -> Iterator[Observation]:
    """One ``db.grant`` per object and grantee; ``pii_tables``: ``schema.table`` ->
    entities of the tables judged personal in the dump."""
    for obj in grant.objects:
        for grantee in grant.grantees:
            if grant.object_type == "table":
                qualified = obj if "." in obj else f"{schema}.{obj}"
                has_pii = qualified in pii_tables
            else:
                qualified = obj
                prefix = obj.removesuffix(".*") + "."
                has_pii = (grant.object_type == "global" and bool(pii_tables)) or any(
                    t.startswith(prefix) for t in pii_tables)
            attrs: dict[str, JSONValue] = {
                "dialect": dialect, "source": "dump", "grantee": grantee,
                "privileges": list(grant.privileges), "scope": grant.object_type,
                "object": qualified, "with_grant_option": grant.with_grant_option,
                "table_has_pii": has_pii,
                "pii_entities": list(sorted(set(pii_tables.get(qualified, [])))),
            }
            text = f"GRANT {', '.join(grant.privileges)} ON {qualified} TO {grantee}"
            yield Observation(
                "db.grant",
                Location(uri, line=line, key=f"grant:{grantee}:{qualified}",
                         table=qualified if grant.object_type == "table" else None),
                attrs, evidence={"grant": text},
                identity=f"grant:{grantee}:{qualified}:{','.join(grant.privileges)}")
