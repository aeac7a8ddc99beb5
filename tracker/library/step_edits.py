"""Editing a draft's steps: change, add, remove, or split off an instruction merged into one.

The admin's word makes a step certain (confidence 1.0); every edit adds an audit row, and
callers commit. The fields an admin sets, and the rules they keep, are in
tracker.library.step_fields.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from tracker import audit
from tracker.errors import ReviewError
from tracker.library import translation_rows
from tracker.library.review import STEP_FIELDS, lock_draft, record_change
from tracker.library.step_fields import StepFields, check_fields
from tracker.models import PathwayVersion, Step
from tracker.reading.steps import Evidence

EDITED_RULE = "edited by admin"
ADDED_RULE = "added by admin"
SPLIT_RULE = "split by admin from a merged step"
ADMIN_CONFIDENCE = 1.0
# What a split-off step takes from the step it was merged into: everything about its timing.
SPLIT_COPIES = ("kind", "critical", "conditional", "opens", "due", "expires", "recurrence", "asks")


def update_step(
    *, session: Session, step: Step, fields: StepFields, user_id: int | None, now: datetime
) -> Step:
    """Change a draft's step; the admin's word makes it certain (confidence 1.0)."""
    version = lock_draft(session, step.version_id)
    check_fields(fields, duration_minutes=version.duration_minutes)
    before = audit.snapshot(step, STEP_FIELDS)
    for name, value in fields.columns().items():
        setattr(step, name, value)
    if step.text != before["text"]:
        translation_rows.clear_reviews(session=session, step=step)
    step.rule = EDITED_RULE
    step.confidence = ADMIN_CONFIDENCE
    session.add(step)
    session.flush()
    old, new = audit.changes(before, audit.snapshot(step, STEP_FIELDS))
    record_change(session, user_id, "step.update", step, old, new, now)
    return step


def add_step(
    *,
    session: Session,
    version: PathwayVersion,
    fields: StepFields,
    user_id: int | None,
    now: datetime,
) -> Step:
    """Append a step to a draft."""
    assert version.id is not None
    lock_draft(session, version.id)
    check_fields(fields, duration_minutes=version.duration_minutes)
    query = select(func.max(Step.position)).where(Step.version_id == version.id)
    last = session.exec(query).one()
    position = 0 if last is None else last + 1
    step = Step(
        version_id=version.id,
        position=position,
        line=0,
        evidence="",
        rule=ADDED_RULE,
        confidence=ADMIN_CONFIDENCE,
        **fields.columns(),
    )
    session.add(step)
    session.flush()
    record_change(session, user_id, "step.add", step, None, audit.snapshot(step, STEP_FIELDS), now)
    return step


def remove_step(*, session: Session, step: Step, user_id: int | None, now: datetime) -> None:
    """Delete a draft's step (drafts have no enrollments, so nothing points at it)."""
    lock_draft(session, step.version_id)
    record_change(
        session, user_id, "step.remove", step, audit.snapshot(step, STEP_FIELDS), None, now
    )
    translation_rows.remove_for(session=session, step=step)
    session.delete(step)
    session.flush()


def split_step(
    *, session: Session, step: Step, index: int, user_id: int | None, now: datetime
) -> Step:
    """Turn the `index`th instruction merged into a draft's step back into a step of its own.

    The new step says what that instruction said, from its own section and line, with the
    merged step's timing (they were merged because they meant the same); it goes last, and
    the admin adjusts it like any other step.
    """
    version = lock_draft(session, step.version_id)
    if not 0 <= index < len(step.merged):
        raise ReviewError(
            "step %(step)s has no merged instruction number %(number)s",
            step=step.id,
            number=index + 1,
        )
    piece = Evidence.from_dict(step.merged[index])
    before = audit.snapshot(step, STEP_FIELDS)
    step.merged = [e for i, e in enumerate(step.merged) if i != index]
    session.add(step)
    session.flush()
    old, new = audit.changes(before, audit.snapshot(step, STEP_FIELDS))
    record_change(session, user_id, "step.update", step, old, new, now)
    timing = {name: getattr(step, name) for name in SPLIT_COPIES}
    query = select(func.max(Step.position)).where(Step.version_id == version.id)
    separate = Step(
        version_id=step.version_id,
        position=session.exec(query).one() + 1,
        section=piece.section,
        line=piece.line,
        text=piece.text,
        evidence=piece.text,
        rule=SPLIT_RULE,
        confidence=step.confidence,
        merged=[],
        **timing,
    )
    session.add(separate)
    session.flush()
    after = audit.snapshot(separate, STEP_FIELDS)
    record_change(session, user_id, "step.split", separate, None, after | {"from": step.id}, now)
    return separate
