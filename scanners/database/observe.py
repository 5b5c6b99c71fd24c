"""Column results -> observations (shared by the database and SQL dump scanners).

``pii.column`` — a column (or JSON key path) the PII engine judged to hold personal data
(a verdict from the name alone counts only when the column is empty, or for sensitive
categories, which values cannot show).
Attributes: the verdict's attributes (``entities``, ``categories``, ``hit_ratio``,
``confidence``, ``sample_size``, ``distinct_subjects``, ``by_name``, masked ``examples``)
plus ``table`` (``schema.table``; SQLite and dumps without schema: ``main.table`` /
``public.table``), ``column``, ``data_type``, ``row_estimate``, ``rows_read``,
``sampling`` (how rows were read: ``limit``, ``tablesample``, ``key-ranges``, ``full``,
``first-rows`` for dumps), ``protected`` (values are ciphertext or tokens) with
``protection`` (the shape: ``fernet``, ``base64-random``, ``random-bytes``...),
``sensitive`` (a sensitive category was found), ``personal_data`` (what a personal
column with no entity type holds, by its name: ``BLOOD_GROUP``, ``GENDER``),
``protected_by_name`` (ciphertext whose name or comment says what it protects),
``json_key`` for JSON columns and
``field`` (the column, or ``column.json_key``),
``binary_format`` / ``binary_avg_length`` for binary columns.
``Observation.entities`` and ``subjects`` are set.

Example::

    pii.column  location={uri: sqlite:///demo.db, table: main.citizens, column: so_cccd}
      attributes={entities: [VN_CCCD], hit_ratio: 1.0, protected: false, sensitive: false,
                  table: main.citizens, column: so_cccd, data_type: TEXT, ...}

``db.password_column`` — a column whose name says it stores passwords. Attributes:
``table``, ``column``, ``data_type``, ``storage`` (``plaintext``, ``md5``, ``sha1``,
``sha256``, ``sha512``, ``salted-md5``, ``salted-sha1``, ``md5-crypt``, ``mysql-native``,
``pg-md5``, ``bcrypt``, ``argon2``, ``scrypt``, ``yescrypt``, ``pbkdf2``,
``sha512-crypt``, ``sha256-crypt``, ``scram-sha-256``, or ``mixed``), ``storage_counts``,
``plaintext_count``, ``fast_hash`` / ``slow_hash`` flags and ``sample_size``. No value is
kept, not even masked.
"""

from __future__ import annotations

from auditor.models import JSONValue, Location, Observation

from .columns import ColumnResult
from .shapes import FAST_HASHES, SLOW_HASHES

__all__ = ["column_observation", "credential_observation", "table_observations"]


def column_observation(uri: str, table: str, result: ColumnResult, *,
                       row_estimate: int | None, rows_read: int, line: int | None = None,
                       sampling: str = "") -> Observation | None:
    """The observation for one column result, or None when there is nothing to report.
    ``line`` (dumps) is where the table's data starts."""
    location = Location(uri, line=line, table=table, column=result.column)
    if result.password_storage is not None:
        counts = result.storage_counts
        storage = result.password_storage
        attrs: dict[str, JSONValue] = {
            "table": table, "column": result.column, "data_type": result.data_type,
            "storage": storage, "storage_counts": dict(counts),
            "plaintext_count": counts.get("plaintext", 0),
            "empty_count": counts.get("empty", 0),
            "fast_hash": storage in FAST_HASHES, "slow_hash": storage in SLOW_HASHES,
            "sample_size": result.non_null, "row_estimate": row_estimate,
            "rows_read": rows_read, "sampling": sampling,
        }
        return Observation("db.password_column", location, attrs,
                           evidence={"storage": storage, "formats": dict(counts)},
                           identity=f"{table}|{result.column}")
    facts = result.facts
    labels = facts.attributes.get("personal_data") if facts is not None else None
    if facts is None or not (facts.is_personal or labels):
        return None
    if facts.sample_size > 0 and facts.hit_ratio == 0 and not facts.categories \
            and not labels and result.protection is None:
        # NOTE: a name the sampled values contradict (``email_template`` holding template
        # codes) does not make a column personal; an empty column keeps its name verdict.
        # Ciphertext under a personal name (``cccd_ma_hoa``) and personal data without an
        # entity type (``nhom_mau``: ``personal_data``) are decided by
        # scanners/database/tablecontext.py.
        return None
    attrs = {
        **facts.attributes,
        "entities": list(facts.entities), "categories": list(facts.categories),
        "table": table, "column": location.column, "data_type": result.data_type,
        "row_estimate": row_estimate, "rows_read": rows_read, "sampling": sampling,
        "protected": result.protection is not None, "protection": result.protection,
        "sensitive": bool(facts.categories),
    }
    attrs["basis"] = facts.attributes.get("basis") or (
        "values" if not facts.by_name else "name+values" if facts.hit_ratio > 0 else "name")
    attrs["field"] = location.column if result.json_key is None \
        else f"{location.column}.{result.json_key}"
    if result.json_key is not None:
        attrs["json_key"] = result.json_key
    if result.binary_format is not None:
        attrs["binary_format"] = result.binary_format
        attrs["binary_avg_length"] = result.binary_length
    evidence: dict[str, JSONValue] = {
        "entities": list(facts.entities), "hit_ratio": facts.hit_ratio,
        "sample_size": facts.sample_size,
    }
    if facts.examples:
        evidence["examples"] = list(facts.examples)
    if result.json_key is not None:
        evidence["json_key"] = result.json_key
    if facts.categories:
        evidence["categories"] = list(facts.categories)
    evidence["basis"] = attrs["basis"]
    # NOTE: the contract (DESIGN.md): a column holding a sensitive category carries the
    # category name in the finding's entities, next to its PII types.
    return Observation("pii.column", location, attrs, evidence=evidence,
                       identity=f"{table}|{location.column}|{result.json_key or ''}",
                       entities=tuple(sorted({*facts.entities, *facts.categories})),
                       subjects=facts.distinct_subjects)


def credential_observation(uri: str, table: str, result: ColumnResult, *,
                           row_estimate: int | None, rows_read: int, line: int | None = None,
                           sampling: str = "") -> Observation | None:
    """``db.credential_column``: a column whose sampled values hold credentials
    (connection strings or URLs with a password, API tokens). Attributes: ``table``,
    ``column``, ``field``, ``data_type``, ``kinds`` (detector names), ``kind_counts``,
    ``count`` (values holding one), ``sample_size``, ``share``. No value is kept, not
    even masked."""
    if not result.credentials or result.profile is None:
        return None
    location = Location(uri, line=line, table=table, column=result.column)
    count = result.profile.credential_values
    seen = result.profile.seen
    field = result.column if result.json_key is None else f"{result.column}.{result.json_key}"
    kinds: list[JSONValue] = [*sorted(result.credentials)]
    attrs: dict[str, JSONValue] = {
        "table": table, "column": result.column, "field": field,
        "data_type": result.data_type, "kinds": kinds,
        "kind_counts": dict(result.credentials), "count": count, "sample_size": seen,
        "share": round(count / seen, 4) if seen else 0.0, "row_estimate": row_estimate,
        "rows_read": rows_read, "sampling": sampling,
    }
    if result.json_key is not None:
        attrs["json_key"] = result.json_key
    return Observation("db.credential_column", location, attrs,
                       evidence={"kinds": dict(result.credentials), "count": count,
                                 "sample_size": seen},
                       identity=f"{table}|{result.column}|{result.json_key or ''}")


def table_observations(uri: str, table: str, results: list[ColumnResult], *,
                       row_estimate: int | None, rows_read: int, line: int | None = None,
                       sampling: str = "", comments: dict[str, str] | None = None
                       ) -> list[Observation]:
    """Every observation of one table's column results, decided with the whole table in
    view (:func:`scanners.database.tablecontext.refine`)."""
    from .tablecontext import refine

    out: list[Observation] = []
    for result in refine(table, results, comments=comments):
        for make in (column_observation, credential_observation):
            obs = make(uri, table, result, row_estimate=row_estimate, rows_read=rows_read,
                       line=line, sampling=sampling)
            if obs is not None:
                out.append(obs)
    return out

