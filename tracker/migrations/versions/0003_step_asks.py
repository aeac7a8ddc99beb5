"""what each step asks of the patient, and the instructions merged into it

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06

`step.asks` is do | avoid | know | watch; stored steps get it from the same classifier the
reader uses now (tracker.reading.asks), on each step's text, section and kind, so versions
read before it existed say the same as a fresh import would. `step.merged` holds the other
instructions a step stands for (none for stored steps).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from tracker.reading.asks import classify

    with op.batch_alter_table("step", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("asks", sa.String(length=10), nullable=False, server_default="do")
        )
        batch_op.add_column(sa.Column("merged", sa.JSON(), nullable=True))
    connection = op.get_bind()
    step = sa.table(
        "step",
        sa.column("id", sa.Integer()),
        sa.column("section", sa.String()),
        sa.column("text", sa.String()),
        sa.column("kind", sa.String()),
        sa.column("asks", sa.String()),
        sa.column("merged", sa.JSON()),
    )
    rows = connection.execute(sa.select(step.c.id, step.c.section, step.c.text, step.c.kind))
    changes = [
        {"row_id": row_id, "value": classify(text, section=section, kind=kind)}
        for row_id, section, text, kind in rows
    ]
    update = sa.update(step).where(step.c.id == sa.bindparam("row_id"))
    if changes:
        connection.execute(update.values(asks=sa.bindparam("value")), changes)
    connection.execute(sa.update(step).values(merged=[]))
    with op.batch_alter_table("step", schema=None) as batch_op:
        batch_op.alter_column("merged", existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("step", schema=None) as batch_op:
        batch_op.drop_column("merged")
        batch_op.drop_column("asks")
