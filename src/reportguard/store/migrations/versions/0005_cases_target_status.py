"""cases: one index on (target_id, status) instead of target_id alone

Finding a target's open case was a probe on target_id and a filter on status; without table
statistics SQLite preferred the (status, priority) index, which walks every open case.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 01:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_cases_target_status", "cases", ["target_id", "status"])
    op.drop_index("ix_cases_target_id", table_name="cases")


def downgrade() -> None:
    op.create_index("ix_cases_target_id", "cases", ["target_id"])
    op.drop_index("ix_cases_target_status", table_name="cases")
