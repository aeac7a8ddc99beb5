"""sessions ended on the server, shared failed-attempt limits

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06

`user.session_version` is raised by sign-out, so a copied session cookie stops working.
`attemptcount` holds the failed-attempt counters every web worker shares (the default
storage; Redis when TRACKER_RATELIMIT_STORAGE_URL is set).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_version", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_table(
        "attemptcount",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("attemptcount", schema=None) as batch_op:
        batch_op.create_index("ix_attemptcount_expires_at", ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("attemptcount", schema=None) as batch_op:
        batch_op.drop_index("ix_attemptcount_expires_at")
    op.drop_table("attemptcount")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("session_version")
