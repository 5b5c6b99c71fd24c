"""Database plugin: two scanners, ``database`` (live PostgreSQL, MySQL/MariaDB and SQLite
databases, read-only) and ``sqldump`` (pg_dump / mysqldump files, :mod:`.sqldump`).

Targets: URLs ``postgresql://``, ``postgres://``, ``mysql://``, ``mariadb://``,
``sqlite:///path`` (passwords from the URL or ``AUDITOR_DB_PASSWORD`` / ``PGPASSWORD`` /
``MYSQL_PWD``), and SQLite files found by their magic bytes ``SQLite format 3\\0``.

Observation kinds (details in the modules named):

- ``pii.column`` and ``db.password_column`` (:mod:`auditor.scanners.database.observe`)
- ``db.setting``, ``db.account``, ``db.grant``, ``db.hba_rule``
  (:mod:`auditor.scanners.database.posture_pg`, :mod:`auditor.scanners.database.posture_mysql`)

Options (``--option database.KEY=VALUE``): :mod:`auditor.scanners.database.options`.
Sampling and ``full`` streaming: :mod:`auditor.scanners.database.sampling`.
Read-only sessions and timeouts: :mod:`auditor.scanners.database.session`.
User guide: ``docs/databases.md``.
"""

from __future__ import annotations

from .scanner import DatabaseScanner
from .sqldump import SqlDumpScanner

__all__ = ["DatabaseScanner", "SqlDumpScanner"]
