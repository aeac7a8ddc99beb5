"""What happens to a step's translations when review changes the step itself.

Kept apart from `translations` (which builds on `review`) so `review` can call it: a removed
step takes its translations with it, changed English words send them back for review, and a
new draft copies them, and the title's.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from tracker.models import Step, StepTranslation, TitleTranslation


def clear_reviews(*, session: Session, step: Step) -> None:
    """The step's English words changed: its translations need reviewing again."""
    for row in session.exec(select(StepTranslation).where(StepTranslation.step_id == step.id)):
        row.reviewed_at, row.reviewed_by = None, None
        session.add(row)
    session.flush()


def remove_for(*, session: Session, step: Step) -> None:
    """A draft's step is deleted: its translations go with it."""
    for row in session.exec(select(StepTranslation).where(StepTranslation.step_id == step.id)):
        session.delete(row)
    session.flush()


def copy_to(*, session: Session, copies: dict[int, Step], now: datetime) -> None:
    """A new draft copied from `copies` (old step id -> its copy) keeps their translations,
    reviewed as they were (the words on both sides are the same)."""
    query = select(StepTranslation).where(col(StepTranslation.step_id).in_(list(copies)))
    for row in session.exec(query).all():
        copy = copies[row.step_id]
        assert copy.id is not None
        session.add(
            StepTranslation(
                step_id=copy.id,
                version_id=copy.version_id,
                language=row.language,
                text=row.text,
                sentence=row.sentence,
                source=row.source,
                updated_at=now,
                reviewed_at=row.reviewed_at,
                reviewed_by=row.reviewed_by,
            )
        )
    session.flush()


def copy_titles(*, session: Session, source_id: int, version_id: int, now: datetime) -> None:
    """A new draft copied from version `source_id` keeps its translated titles, reviewed as
    they were (the draft's English title is the same)."""
    query = select(TitleTranslation).where(TitleTranslation.version_id == source_id)
    for row in session.exec(query).all():
        session.add(
            TitleTranslation(
                version_id=version_id,
                language=row.language,
                title=row.title,
                source=row.source,
                updated_at=now,
                reviewed_at=row.reviewed_at,
                reviewed_by=row.reviewed_by,
            )
        )
    session.flush()
