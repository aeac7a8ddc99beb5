"""pathway settings: the usual arrival lead and stay, for what a document leaves unsaid

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06

`pathway.arrival_minutes` (check-in this long before the start) and `pathway.stay_days`
(nights in hospital after the end, 0 for a day case) are used when a document is read into a
version (issue 10); existing pathways get the reader's defaults, 60 minutes and a day case.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("pathway", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("arrival_minutes", sa.Integer(), nullable=False, server_default="60")
        )
        batch_op.add_column(
            sa.Column("stay_days", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("pathway", schema=None) as batch_op:
        batch_op.drop_column("stay_days")
        batch_op.drop_column("arrival_minutes")
