"""a second reading of each step: what a generic temporal tagger found

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06

`step.second_reading` holds the tagger's times for a step where they differ from the grammar's
(tracker.reading.second_reading); null elsewhere. Stored versions keep null: they were reviewed
without it, and a new import of the same text is unchanged, so nothing is backfilled.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("step", schema=None) as batch_op:
        batch_op.add_column(sa.Column("second_reading", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("step", schema=None) as batch_op:
        batch_op.drop_column("second_reading")
