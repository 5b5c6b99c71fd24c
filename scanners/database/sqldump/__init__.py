"""SQL dump scanner: plain pg_dump and mysqldump / mariadb-dump files, optionally gzip.

Claims files whose first bytes carry a dump signature (``-- PostgreSQL database dump``,
``-- MySQL dump``, ``-- MariaDB dump``: confidence 90) or that start with SQL data
statements (``CREATE TABLE``, ``INSERT INTO``, ``COPY ... FROM stdin``: 60 for ``.sql``,
45 otherwise). Gzip is detected by magic bytes. pg_dump custom-format archives (``PGDMP``)
are claimed (100) only to fail with a message saying how to convert them.

Observation kinds, with the same attributes as the database scanner's
(:mod:`auditor.scanners.database.observe`) plus ``location.line``:

- ``pii.column`` — a column of a dumped table holding personal data, judged on the first
  ``database.sample_size`` rows (or all rows with ``database.full=true``);
  ``row_estimate`` is the number of rows in the dump when counted (COPY blocks; INSERTs
  until the sample is full).
- ``db.password_column`` — password column storage format.
- ``db.account`` — ``CREATE/ALTER ROLE|USER ... PASSWORD`` / ``IDENTIFIED BY``:
  ``name``, ``host``, ``password`` (``plaintext``, ``md5``, ``scram-sha-256``,
  ``mysql-native``, ``hashed``, ``unchanged``), ``superuser``, ``can_login``, ``plugin``,
  ``source: dump``. Evidence shows only the password's length (``•••(11)``); the
  fingerprint identity uses a keyed hash of it.
- ``db.grant`` — ``GRANT ... ON ... TO ...``: ``grantee`` (``PUBLIC`` or ``user@host``),
  ``privileges``, ``scope`` (``table``/``schema``/``database``/``global``), ``object``,
  ``with_grant_option``, ``table_has_pii``, ``source: dump``.

Example: ``GRANT SELECT ON TABLE public.cong_dan TO PUBLIC`` after a ``cong_dan`` table whose
``so_cccd`` column holds VN_CCCD values gives ``db.grant {grantee: PUBLIC, scope: table,
object: public.cong_dan, table_has_pii: true}``.

Errors: a dump that ends inside a statement or COPY block (truncated) raises TargetError
with the line; what was read before is reported. Unparseable statements are Problems.
"""

from __future__ import annotations

from .scanner import SqlDumpScanner

__all__ = ["SqlDumpScanner"]
