"""An admin's review mark on a translation, a step's or a title's: set or cleared, audited;
and new words, which clear it.

Kept apart so both kinds of translation share it (`translations`, `title_translations`).
Callers commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session

from tracker import audit
from tracker.library.review import record_change
from tracker.models import StepTranslation, TitleTranslation


def mark_reviewed(
    session: Session,
    *,
    row: StepTranslation | TitleTranslation,
    reviewed: bool,
    user_id: int | None,
    now: datetime,
    kind: str,
    fields: Sequence[str],
) -> None:
    """The admin's word that the words say what the English says (or no longer do); audited
    as `<kind>.review` or `<kind>.unreview` with `fields` before and after."""
    if reviewed == (row.reviewed_at is not None):
        return
    before = audit.snapshot(row, fields)
    row.reviewed_at, row.reviewed_by = (now, user_id) if reviewed else (None, None)
    session.add(row)
    session.flush()
    action = f"{kind}.review" if reviewed else f"{kind}.unreview"
    record_change(session, user_id, action, row, before, audit.snapshot(row, fields), now)


def record_new_words(
    session: Session,
    *,
    row: StepTranslation | TitleTranslation,
    before: dict[str, Any] | None,
    user_id: int | None,
    now: datetime,
    kind: str,
    fields: Sequence[str],
) -> None:
    """New words need a new review: the mark is cleared, and the write audited as
    `<kind>.add` (`before` None) or `<kind>.change` with `fields` before and after."""
    row.reviewed_at, row.reviewed_by = None, None
    session.add(row)
    session.flush()
    action = f"{kind}.add" if before is None else f"{kind}.change"
    record_change(session, user_id, action, row, before, audit.snapshot(row, fields), now)
