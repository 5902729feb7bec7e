"""notices, dispute queue, account language

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import reportguard.store.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("notice_key", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("recipient_id", sa.String(length=200), nullable=False),
        sa.Column("recipient_role", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=200), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", reportguard.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_notices_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint("notice_key", name=op.f("uq_notices_notice_key")),
    )
    op.create_index(op.f("ix_notices_case_id"), "notices", ["case_id"])
    op.create_index(op.f("ix_notices_recipient_id"), "notices", ["recipient_id"])
    with op.batch_alter_table("cases") as batch:
        batch.add_column(
            sa.Column("queue", sa.String(length=16), nullable=False, server_default="violation")
        )
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("language", sa.String(length=35), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("language")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("queue")
    op.drop_index(op.f("ix_notices_recipient_id"), table_name="notices")
    op.drop_index(op.f("ix_notices_case_id"), table_name="notices")
    op.drop_table("notices")
