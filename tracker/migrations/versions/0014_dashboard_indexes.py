"""dashboard indexes (placeholder: the dashboard work on its own branch fills it)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

(Placeholder reserved so that work on separate issues chains linearly; it changes nothing yet.)
"""

from collections.abc import Sequence

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
