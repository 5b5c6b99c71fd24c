"""Database scanner: live PostgreSQL, MySQL/MariaDB and SQLite databases, read-only.

Targets: URLs ``postgresql://``, ``postgres://``, ``mysql://``, ``mariadb://``,
``sqlite:///path`` (passwords from the URL or ``AUDITOR_DB_PASSWORD`` / ``PGPASSWORD`` /
``MYSQL_PWD``), and SQLite files found by their magic bytes ``SQLite format 3\\0``.

Observation kinds (details in the modules named):

- ``pii.column`` and ``db.password_column`` (:mod:`scanners.database.observe`)
- ``db.setting``, ``db.account``, ``db.grant``, ``db.hba_rule``
  (:mod:`scanners.database.posture_pg`, :mod:`scanners.database.posture_mysql`)

Options (``--option database.KEY=VALUE``): :mod:`scanners.database.options`.
Sampling and ``full`` streaming: :mod:`scanners.database.sampling`.
Read-only sessions and timeouts: :mod:`scanners.database.session`.
User guide: ``docs/databases.md``.
"""

from __future__ import annotations

from scanners.database.scanner import DatabaseScanner

__all__ = ["DatabaseScanner"]
