"""The results store's tables (SQLAlchemy Core). Migrations in ``migrations/`` create them;
a test checks that the migrated schema and these tables agree.

::

    systems ─┬─ runs ─┬─ run_findings ── findings (one row per system and fingerprint)
             │        ├─ run_compliance (per requirement)
             │        └─ run_frameworks (per framework: pass/fail/... counts)
             └─ findings

``runs`` carries per-run aggregates (open findings by severity, new, fixed, reopened) so
trends and overviews read one row per run instead of counting findings. Times are naive
UTC. Nothing here holds more than a report does: evidence is the report's masked evidence,
fingerprints are keyed hashes, URLs have no credentials.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = ["findings", "metadata", "run_compliance", "run_findings", "run_frameworks",
           "runs", "systems"]

metadata = MetaData()

systems = Table(
    "systems", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(80), nullable=False, unique=True),
    Column("owner", String(300), nullable=False, server_default=""),
    Column("title", String(300), nullable=False, server_default=""),
    Column("level", SmallInteger, nullable=True),
    Column("created_at", DateTime, nullable=False),
)

runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True),
    Column("uuid", String(64), nullable=False, unique=True),
    Column("system_id", Integer, ForeignKey("systems.id", ondelete="CASCADE"), nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime, nullable=False),
    Column("as_of", Date, nullable=False),
    Column("duration_s", Float, nullable=False, server_default="0"),
    Column("tool_version", String(40), nullable=False, server_default=""),
    Column("packs", Text, nullable=False, server_default="[]"),
    Column("frameworks", Text, nullable=False, server_default="[]"),
    Column("fail_on", String(10), nullable=False, server_default="low"),
    Column("exit_code", SmallInteger, nullable=False, server_default="0"),
    Column("source", String(10), nullable=False, server_default="run"),
    Column("report_dir", Text, nullable=True),
    Column("targets_total", Integer, nullable=False, server_default="0"),
    Column("targets_error", Integer, nullable=False, server_default="0"),
    Column("target_errors", Text, nullable=False, server_default="[]"),
    Column("open_critical", Integer, nullable=False, server_default="0"),
    Column("open_high", Integer, nullable=False, server_default="0"),
    Column("open_medium", Integer, nullable=False, server_default="0"),
    Column("open_low", Integer, nullable=False, server_default="0"),
    Column("open_info", Integer, nullable=False, server_default="0"),
    Column("suppressed", Integer, nullable=False, server_default="0"),
    Column("new_count", Integer, nullable=False, server_default="0"),
    Column("fixed_count", Integer, nullable=False, server_default="0"),
    Column("reopened_count", Integer, nullable=False, server_default="0"),
    Column("unassessed_count", Integer, nullable=False, server_default="0"),
    Column("subjects", BigInteger, nullable=True),
    Index("ix_runs_system_started", "system_id", "started_at"),
    Index("ix_runs_started", "started_at"),
)

findings = Table(
    "findings", metadata,
    Column("id", Integer, primary_key=True),
    Column("system_id", Integer, ForeignKey("systems.id", ondelete="CASCADE"), nullable=False),
    Column("fingerprint", String(128), nullable=False),
    Column("rule_id", String(200), nullable=False),
    Column("severity", SmallInteger, nullable=False),
    Column("title", Text, nullable=False, server_default=""),
    Column("uri", Text, nullable=False, server_default=""),
    Column("detail", Text, nullable=False),
    Column("status", String(10), nullable=False),
    Column("first_seen_at", DateTime, nullable=False),
    Column("first_run_id", Integer, nullable=True),
    Column("last_seen_at", DateTime, nullable=False),
    Column("last_run_id", Integer, nullable=True),
    Column("fixed_at", DateTime, nullable=True),
    Column("fixed_run_id", Integer, nullable=True),
    Column("reopen_count", Integer, nullable=False, server_default="0"),
    Column("suppressed", Boolean, nullable=False, server_default="0"),
    Column("suppression_expires", String(10), nullable=True),
    UniqueConstraint("system_id", "fingerprint", name="uq_findings_system_fingerprint"),
    Index("ix_findings_system_status", "system_id", "status", "severity"),
    Index("ix_findings_rule", "rule_id"),
)

run_findings = Table(
    "run_findings", metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("finding_id", Integer, ForeignKey("findings.id", ondelete="CASCADE"),
           primary_key=True),
    #: new | open | reopened | fixed | unassessed (its target could not be scanned)
    Column("state", String(10), nullable=False),
    Column("severity", SmallInteger, nullable=False),
    Column("suppressed", Boolean, nullable=False, server_default="0"),
    Index("ix_run_findings_finding", "finding_id"),
)

run_compliance = Table(
    "run_compliance", metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("framework", String(100), primary_key=True),
    Column("requirement", String(200), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("findings", Integer, nullable=False, server_default="0"),
    Column("subjects", BigInteger, nullable=True),
    Index("ix_run_compliance_requirement", "framework", "requirement", "status"),
)

run_frameworks = Table(
    "run_frameworks", metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("framework", String(100), primary_key=True),
    Column("pass_count", Integer, nullable=False, server_default="0"),
    Column("fail_count", Integer, nullable=False, server_default="0"),
    Column("not_assessed_count", Integer, nullable=False, server_default="0"),
    Column("manual_count", Integer, nullable=False, server_default="0"),
    Index("ix_run_frameworks_framework", "framework", "run_id"),
)
