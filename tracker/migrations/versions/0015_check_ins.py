"""check-ins: a patient's daily answer about warning signs

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

One row per answer to "Any of these today?"; a "yes" is an alert for the care team until a
nurse marks it handled (issue 13).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "checkin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enrollment_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("answer", sa.String(length=10), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("handled_at", sa.DateTime(), nullable=True),
        sa.Column("handled_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(["enrollment_id"], ["enrollment.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_checkin_enrollment_id", "checkin", ["enrollment_id"])


def downgrade() -> None:
    op.drop_index("ix_checkin_enrollment_id", table_name="checkin")
    op.drop_table("checkin")
