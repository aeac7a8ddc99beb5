"""confirmed devices: the date-of-birth check remembered without a cookie

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06

A device that typed the right date of birth for a link is remembered on the server, by a keyed
digest of its address and browser, so patient pages and their forms set no cookie (issue 12).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "confirmeddevice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("device", sa.String(length=64), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["link_id"], ["patientlink.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("link_id", "device"),
    )
    op.create_index("ix_confirmeddevice_link_id", "confirmeddevice", ["link_id"])


def downgrade() -> None:
    op.drop_index("ix_confirmeddevice_link_id", table_name="confirmeddevice")
    op.drop_table("confirmeddevice")
