"""what each step asks of the patient

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06

(Placeholder reserved so that work on separate issues chains linearly; it changes nothing yet.)
"""

from collections.abc import Sequence

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
