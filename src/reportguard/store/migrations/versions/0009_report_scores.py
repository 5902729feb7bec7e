"""report_scores: each report's stream surprise and score from the last detection over it, and
the key of the burst it came in when that burst showed signs of coordination below a
campaign's bar (triage reads such reporters as one voice)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import reportguard.store.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_scores",
        sa.Column(
            "report_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("stream", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("suspect", sa.String(length=300), nullable=True),
        sa.Column("scored_at", reportguard.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_pk"],
            ["reports.id"],
            name=op.f("fk_report_scores_report_pk_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("report_pk", name=op.f("pk_report_scores")),
    )
    op.create_index(op.f("ix_report_scores_suspect"), "report_scores", ["suspect"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_report_scores_suspect"), table_name="report_scores")
    op.drop_table("report_scores")
