"""delivery: escalations as outbox rows, escalation state

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06

Escalation keeps its own table (one row per item, raised once) instead of 'escalated' audit
events read back by position; the nurse's email becomes an ordinary reminder row addressed to
`reminder.recipient`. `reminder.checked_at` records when the dispatcher last saw the item
pending before handing a message over. Existing 'escalated' audit events are copied into the
new table, so no item is raised a second time after the upgrade.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("recipient", sa.String(length=254), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("checked_at", sa.DateTime(), nullable=True))
    # The default only fills the rows already there; new rows name their recipient.
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.alter_column("recipient", server_default=None)
    op.create_table(
        "escalation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("enrollment_id", sa.Integer(), nullable=False),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("reminder_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["checklistitem.id"]),
        sa.ForeignKeyConstraint(["enrollment_id"], ["enrollment.id"]),
        sa.ForeignKeyConstraint(["reminder_id"], ["reminder.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id"),
    )
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.create_index("ix_escalation_enrollment_id", ["enrollment_id"], unique=False)
        batch_op.create_index("ix_escalation_raised_at", ["raised_at"], unique=False)
    op.execute(
        "INSERT INTO escalation (item_id, enrollment_id, raised_at, kind) "
        "SELECT i.id, i.enrollment_id, MIN(a.at), MIN(s.kind) FROM auditevent a "
        "JOIN checklistitem i ON i.id = a.subject_id JOIN step s ON s.id = i.step_id "
        "WHERE a.action = 'escalated' AND a.subject_type = 'checklistitem' "
        "GROUP BY i.id, i.enrollment_id"
    )


def downgrade() -> None:
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.drop_index("ix_escalation_raised_at")
        batch_op.drop_index("ix_escalation_enrollment_id")
    op.drop_table("escalation")
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_column("checked_at")
        batch_op.drop_column("recipient")
