"""nurse workspace indexes: unconfirmed items and problem reminders, newest first

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06

The dashboard's lists read their candidates newest first and stop at a cap
(tracker.workspace.work_list_pages.LIST_CAP), so their cost follows what they show rather than
how many enrollments there are. That needs the candidates in an index in that order:
- unconfirmed items (pending, not done, missed) by deadline, with the columns the overdue and
  critical lists filter on, so the scan stops after the rows it keeps;
- failed and expired reminders by planned time.
Both are partial: only the few rows a nurse must see are in them, so writing ticks and sending
reminders mostly skips them. The queries repeat each condition literally, as SQLite requires to
choose a partial index.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNCONFIRMED = sa.text("status IN ('pending', 'not_done', 'missed')")
PROBLEMS = sa.text("status IN ('failed', 'expired')")


def upgrade() -> None:
    with op.batch_alter_table("checklistitem", schema=None) as batch_op:
        batch_op.create_index(
            "ix_item_unconfirmed_due",
            ["due_at", "status", "expires_at", "enrollment_id", "step_id"],
            unique=False,
            sqlite_where=UNCONFIRMED,
            postgresql_where=UNCONFIRMED,
        )
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reminder_problems",
            ["send_at", "enrollment_id"],
            unique=False,
            sqlite_where=PROBLEMS,
            postgresql_where=PROBLEMS,
        )


def downgrade() -> None:
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_index("ix_reminder_problems")
    with op.batch_alter_table("checklistitem", schema=None) as batch_op:
        batch_op.drop_index("ix_item_unconfirmed_due")
