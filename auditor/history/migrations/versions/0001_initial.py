"""Initial results store: systems, runs, findings, per-run findings and compliance.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None


def _count(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer, nullable=False, server_default="0")


def upgrade() -> None:
    op.create_table(
        "systems",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(80), nullable=False, unique=True),
        sa.Column("owner", sa.String(300), nullable=False, server_default=""),
        sa.Column("title", sa.String(300), nullable=False, server_default=""),
        sa.Column("level", sa.SmallInteger, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uuid", sa.String(64), nullable=False, unique=True),
        sa.Column("system_id", sa.Integer, sa.ForeignKey("systems.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime, nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("duration_s", sa.Float, nullable=False, server_default="0"),
        sa.Column("tool_version", sa.String(40), nullable=False, server_default=""),
        sa.Column("packs", sa.Text, nullable=False, server_default="[]"),
        sa.Column("frameworks", sa.Text, nullable=False, server_default="[]"),
        sa.Column("fail_on", sa.String(10), nullable=False, server_default="low"),
        sa.Column("exit_code", sa.SmallInteger, nullable=False, server_default="0"),
        sa.Column("source", sa.String(10), nullable=False, server_default="run"),
        sa.Column("report_dir", sa.Text, nullable=True),
        _count("targets_total"), _count("targets_error"),
        sa.Column("target_errors", sa.Text, nullable=False, server_default="[]"),
        _count("open_critical"), _count("open_high"), _count("open_medium"),
        _count("open_low"), _count("open_info"), _count("suppressed"), _count("new_count"),
        _count("fixed_count"), _count("reopened_count"), _count("unassessed_count"),
        sa.Column("subjects", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_runs_system_started", "runs", ["system_id", "started_at"])
    op.create_index("ix_runs_started", "runs", ["started_at"])
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("system_id", sa.Integer, sa.ForeignKey("systems.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("fingerprint", sa.String(128), nullable=False),
        sa.Column("rule_id", sa.String(200), nullable=False),
        sa.Column("severity", sa.SmallInteger, nullable=False),
        sa.Column("title", sa.Text, nullable=False, server_default=""),
        sa.Column("uri", sa.Text, nullable=False, server_default=""),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("first_seen_at", sa.DateTime, nullable=False),
        sa.Column("first_run_id", sa.Integer, nullable=True),
        sa.Column("last_seen_at", sa.DateTime, nullable=False),
        sa.Column("last_run_id", sa.Integer, nullable=True),
        sa.Column("fixed_at", sa.DateTime, nullable=True),
        sa.Column("fixed_run_id", sa.Integer, nullable=True),
        _count("reopen_count"),
        sa.Column("suppressed", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("suppression_expires", sa.String(10), nullable=True),
        sa.UniqueConstraint("system_id", "fingerprint", name="uq_findings_system_fingerprint"),
    )
    op.create_index("ix_findings_system_status", "findings", ["system_id", "status", "severity"])
    op.create_index("ix_findings_rule", "findings", ["rule_id"])
    op.create_table(
        "run_findings",
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("finding_id", sa.Integer, sa.ForeignKey("findings.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("severity", sa.SmallInteger, nullable=False),
        sa.Column("suppressed", sa.Boolean, nullable=False, server_default="0"),
    )
    op.create_index("ix_run_findings_finding", "run_findings", ["finding_id"])
    op.create_table(
        "run_compliance",
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("framework", sa.String(100), primary_key=True),
        sa.Column("requirement", sa.String(200), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        _count("findings"),
        sa.Column("subjects", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_run_compliance_requirement", "run_compliance",
                    ["framework", "requirement", "status"])
    op.create_table(
        "run_frameworks",
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("framework", sa.String(100), primary_key=True),
        _count("pass_count"), _count("fail_count"), _count("not_assessed_count"),
        _count("manual_count"),
    )
    op.create_index("ix_run_frameworks_framework", "run_frameworks", ["framework", "run_id"])


def downgrade() -> None:
    for name in ("run_frameworks", "run_compliance", "run_findings", "findings", "runs",
                 "systems"):
        op.drop_table(name)
