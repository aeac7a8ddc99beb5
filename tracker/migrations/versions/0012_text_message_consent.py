"""text-message consent, inbound messages and the daily budget

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

(Placeholder reserved so that work on separate issues chains linearly; it changes nothing yet.)
"""

from collections.abc import Sequence

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
