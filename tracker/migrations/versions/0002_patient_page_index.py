"""patient page indexes: an enrollment's items covered, its sent reminders in order

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

The patient's checklist reads an enrollment's items four ways in one query (open and coming,
latest done, today's, counts). With every column it reads in the index, each part is a scan
of adjacent index entries instead of a table lookup per item. The index leads with
enrollment_id, so the plain enrollment_id index it replaces has nothing left to do.
The inbox reads an enrollment's sent reminders newest first: a partial index holds just those,
in that order (only sent reminders are in it, so the dispatcher's other writes skip it).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["enrollment_id", "status", "opens_at", "due_at", "expires_at", "acted_at", "step_id"]


def upgrade() -> None:
    with op.batch_alter_table("checklistitem", schema=None) as batch_op:
        # PostgreSQL carries the note beside the keys (INCLUDE); SQLite has no INCLUDE, and
        # a last key column serves the same purpose there.
        batch_op.create_index(
            "ix_item_page",
            COLUMNS if op.get_context().dialect.name == "postgresql" else [*COLUMNS, "note"],
            unique=False,
            postgresql_include=["note"],
        )
        batch_op.drop_index("ix_checklistitem_enrollment_id")
    sent = sa.text("status = 'sent'")
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reminder_sent",
            ["enrollment_id", "sent_at", "id"],
            unique=False,
            sqlite_where=sent,
            postgresql_where=sent,
        )


def downgrade() -> None:
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_index("ix_reminder_sent")
    with op.batch_alter_table("checklistitem", schema=None) as batch_op:
        batch_op.create_index("ix_checklistitem_enrollment_id", ["enrollment_id"], unique=False)
        batch_op.drop_index("ix_item_page")
