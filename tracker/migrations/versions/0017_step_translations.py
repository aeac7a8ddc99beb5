"""step translations: a step's reviewed wording in the patient's language

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06

One row per step and language, entered or imported by an admin and reviewed per step; a
patient reads it once reviewed and its version published, and English otherwise (issue 15).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "steptranslation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("sentence", sa.String(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["step_id"], ["step.id"]),
        sa.ForeignKeyConstraint(["version_id"], ["pathwayversion.id"]),
        sa.ForeignKeyConstraint(["reviewed_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("step_id", "language"),
    )
    op.create_index("ix_steptranslation_version_id", "steptranslation", ["version_id"])


def downgrade() -> None:
    op.drop_index("ix_steptranslation_version_id", table_name="steptranslation")
    op.drop_table("steptranslation")
