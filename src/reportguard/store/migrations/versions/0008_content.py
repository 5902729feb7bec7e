"""contents: the reported items as the platform sent them (text or title, media and page
links, visibility), shown beside the reports; reports.reporter_kind, "server" for a remote
server's flags (one reporter per server); dsa_submissions, the statements of reasons the DSA
Transparency Database accepted, by puid, so a re-run submits none twice

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import reportguard.store.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contents",
        sa.Column("content_id", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.String(length=200), nullable=True),
        sa.Column("kind", sa.String(length=64), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("media_url", sa.String(length=2000), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("visibility", sa.String(length=64), nullable=True),
        sa.Column("created_at", reportguard.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "snapshot_at", reportguard.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("content_id", name=op.f("pk_contents")),
    )
    op.create_index(op.f("ix_contents_account_id"), "contents", ["account_id"], unique=False)
    op.create_table(
        "dsa_submissions",
        sa.Column("puid", sa.String(length=500), nullable=False),
        sa.Column("action_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("endpoint", sa.String(length=1000), nullable=False),
        sa.Column(
            "submitted_at", reportguard.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("answer", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"], ["actions.id"], name=op.f("fk_dsa_submissions_action_id_actions")
        ),
        sa.PrimaryKeyConstraint("puid", name=op.f("pk_dsa_submissions")),
    )
    op.create_index(
        op.f("ix_dsa_submissions_action_id"), "dsa_submissions", ["action_id"], unique=False
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reporter_kind", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_column("reporter_kind")
    op.drop_index(op.f("ix_dsa_submissions_action_id"), table_name="dsa_submissions")
    op.drop_table("dsa_submissions")
    op.drop_index(op.f("ix_contents_account_id"), table_name="contents")
    op.drop_table("contents")
