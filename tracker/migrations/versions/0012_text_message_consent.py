"""text-message consent, inbound messages and the daily budget

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

`consent`: one row per change of a patient's consent to a channel (the newest is current).
`inboundtext`: the patient's text replies, which also refuse a replayed webhook call.
`reminder.body`: the words of outbox rows that are not an item's reminder (the day's text
digest, a reply to the patient's text).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("given", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_consent_current", "consent", ["patient_id", "channel", "recorded_at", "id"])
    op.create_table(
        "inboundtext",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.String(length=255), nullable=False),
        sa.Column("signature", sa.String(length=64), nullable=False),
        sa.Column("sender", sa.String(length=40), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("meaning", sa.String(length=10), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["checklistitem.id"]),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider_id"),
        sa.UniqueConstraint("signature"),
    )
    op.create_index("ix_inboundtext_patient_id", "inboundtext", ["patient_id"])
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_column("body")
    op.drop_index("ix_inboundtext_patient_id", table_name="inboundtext")
    op.drop_table("inboundtext")
    op.drop_index("ix_consent_current", table_name="consent")
    op.drop_table("consent")
