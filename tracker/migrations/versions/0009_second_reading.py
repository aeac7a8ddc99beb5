"""a second reading of each step: what a generic temporal tagger found

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06

(Placeholder reserved so that work on separate issues chains linearly; it changes nothing yet.)
"""

from collections.abc import Sequence

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
