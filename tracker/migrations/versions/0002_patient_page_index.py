"""patient page index: one covering index for reading an enrollment's items

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

The patient's checklist reads an enrollment's items four ways in one query (open and coming,
latest done, today's, counts). With every column it reads in the index, each part is a scan
of adjacent index entries instead of a table lookup per item. The index leads with
enrollment_id, so the plain enrollment_id index it replaces has nothing left to do.
"""

from collections.abc import Sequence

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


def downgrade() -> None:
    with op.batch_alter_table("checklistitem", schema=None) as batch_op:
        batch_op.create_index("ix_checklistitem_enrollment_id", ["enrollment_id"], unique=False)
        batch_op.drop_index("ix_item_page")
