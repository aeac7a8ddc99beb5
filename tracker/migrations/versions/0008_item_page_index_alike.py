"""one form of ix_item_page on both databases: the note as its last key column

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06

Migration 0002 put the note in PostgreSQL's ix_item_page as an INCLUDE column and in SQLite's
as a last key column, while the model declares the SQLite form: the schema then differed from
the model on PostgreSQL alone (tests/test_db.py compares them on both databases). Both forms
cover the patient page's reads equally (the index is searched by enrollment_id and status
only, and leaf entries hold the note either way), so PostgreSQL takes the model's form.
SQLite is already there.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYS = ["enrollment_id", "status", "opens_at", "due_at", "expires_at", "acted_at", "step_id"]


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.drop_index("ix_item_page", table_name="checklistitem")
        op.create_index("ix_item_page", "checklistitem", [*KEYS, "note"], unique=False)


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.drop_index("ix_item_page", table_name="checklistitem")
        op.create_index(
            "ix_item_page", "checklistitem", KEYS, unique=False, postgresql_include=["note"]
        )
