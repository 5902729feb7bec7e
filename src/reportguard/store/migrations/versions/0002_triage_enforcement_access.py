"""triage enforcement webhooks misuse api keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 23:23:00.551815
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import reportguard.store.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", reportguard.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", reportguard.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "last_used_at", reportguard.store.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_id", name=op.f("uq_api_keys_key_id")),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created_at", reportguard.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_id", "idempotency_key", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "reporter_credibility",
        sa.Column("reporter_id", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("upheld", sa.Float(), nullable=False),
        sa.Column("rejected", sa.Float(), nullable=False),
        sa.Column("unfounded", sa.Float(), nullable=False),
        sa.Column("updated_at", reportguard.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("reporter_id", "reason", name=op.f("pk_reporter_credibility")),
    )
    op.create_table(
        "reporting_restrictions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("reporter_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("starts_at", reportguard.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", reportguard.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("grounds", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", reportguard.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reporting_restrictions")),
    )
    with op.batch_alter_table("reporting_restrictions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reporting_restrictions_reporter_id"), ["reporter_id"], unique=False
        )

    op.create_table(
        "webhook_outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at", reportguard.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("created_at", reportguard.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "delivered_at", reportguard.store.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_webhook_outbox_event_id")),
    )
    with op.batch_alter_table("webhook_outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhook_outbox_status_next", ["status", "next_attempt_at"], unique=False
        )

    op.create_table(
        "webhook_attempts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "delivery_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("at", reportguard.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["webhook_outbox.id"],
            name=op.f("fk_webhook_attempts_delivery_id_webhook_outbox"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempts")),
    )
    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_attempts_delivery_id"), ["delivery_id"], unique=False
        )

    op.create_table(
        "report_verdicts",
        sa.Column(
            "report_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "decision_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("reporter_id", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("decided_at", reportguard.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["decisions.id"], name=op.f("fk_report_verdicts_decision_id_decisions")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_report_verdicts_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["report_pk"],
            ["reports.id"],
            name=op.f("fk_report_verdicts_report_pk_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("report_pk", name=op.f("pk_report_verdicts")),
    )
    with op.batch_alter_table("report_verdicts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_verdicts_decision_id"), ["decision_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_report_verdicts_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(
            "ix_report_verdicts_reporter_time", ["reporter_id", "decided_at"], unique=False
        )

    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "restriction_id",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                nullable=True,
            )
        )
        batch_op.alter_column(
            "decision_id",
            existing_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_appeals_restriction_id_reporting_restrictions"),
            "reporting_restrictions",
            ["restriction_id"],
            ["id"],
        )

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("n_reports", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("n_voices", sa.Integer(), nullable=False, server_default="0"))

    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("superseded_by", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_column("superseded_by")

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("n_voices")
        batch_op.drop_column("n_reports")
        batch_op.drop_column("reason")

    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_appeals_restriction_id_reporting_restrictions"), type_="foreignkey"
        )
        batch_op.alter_column(
            "decision_id",
            existing_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        )
        batch_op.drop_column("restriction_id")

    with op.batch_alter_table("report_verdicts", schema=None) as batch_op:
        batch_op.drop_index("ix_report_verdicts_reporter_time")
        batch_op.drop_index(batch_op.f("ix_report_verdicts_decision_id"))
        batch_op.drop_index(batch_op.f("ix_report_verdicts_campaign_id"))

    op.drop_table("report_verdicts")
    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_attempts_delivery_id"))

    op.drop_table("webhook_attempts")
    with op.batch_alter_table("webhook_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_outbox_status_next")

    op.drop_table("webhook_outbox")
    with op.batch_alter_table("reporting_restrictions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reporting_restrictions_reporter_id"))

    op.drop_table("reporting_restrictions")
    op.drop_table("reporter_credibility")
    op.drop_table("idempotency_keys")
    op.drop_table("api_keys")
