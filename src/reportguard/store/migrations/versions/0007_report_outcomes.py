"""reports: outcome and resolved_at, the platform's own decisions before ReportGuard (imported
history), and history_counted, set once an outcome has been read into credibility; a partial
index finds the outcomes not read yet; imported_rulings, one row per target so ruled

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 12:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import reportguard.store.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = "outcome IS NOT NULL AND history_counted IS NULL"


def upgrade() -> None:
    op.create_table(
        "imported_rulings",
        sa.Column("target_id", sa.String(length=200), nullable=False),
        sa.Column("violation", sa.Boolean(), nullable=False),
        sa.Column(
            "first_resolved_at", reportguard.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("target_id", name=op.f("pk_imported_rulings")),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column(
                "resolved_at", reportguard.store.types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(sa.Column("history_counted", sa.Boolean(), nullable=True))
    op.create_index(
        "ix_reports_outcome_pending",
        "reports",
        ["target_id"],
        sqlite_where=sa.text(PENDING),
        postgresql_where=sa.text(PENDING),
    )


def downgrade() -> None:
    op.drop_table("imported_rulings")
    op.drop_index("ix_reports_outcome_pending", table_name="reports")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_column("history_counted")
        batch_op.drop_column("resolved_at")
        batch_op.drop_column("outcome")
