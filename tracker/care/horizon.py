"""The horizon: recurring items are written ahead up to a moment, and rolled forward from there."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from tracker import audit
from tracker.care.schedule_rows import context_of, occurrences, write_items
from tracker.models import ChecklistItem, Enrollment


def extend_horizon(
    *,
    session: Session,
    enrollment: Enrollment,
    until: datetime,
    now: datetime,
    actor: str = "system",
) -> int:
    """Write recurring occurrences up to `until` that do not exist yet; returns how many.

    Idempotent: a second call with the same `until` adds nothing; UNIQUE(enrollment, step,
    occurrence) stops two concurrent callers from writing the same occurrence twice.
    """
    if enrollment.state != "active" or (enrollment.horizon and until <= enrollment.horizon):
        return 0
    context = context_of(session, enrollment)
    recurring = [plan for plan in context.plans if plan.step.recurrence is not None]
    query = select(ChecklistItem.step_id, ChecklistItem.occurrence).where(
        ChecklistItem.enrollment_id == enrollment.id
    )
    existing = {(step_id, number) for step_id, number in session.exec(query)}
    missing = [
        (plan, number, window)
        for plan, number, window in occurrences(context, horizon=until, plans=recurring)
        if (plan.id, number) not in existing
    ]
    before = audit.snapshot(enrollment, ("horizon",))
    enrollment.horizon = until
    session.add(enrollment)
    if missing:
        write_items(session, context, missing, now)
        audit.record(
            session=session,
            actor=actor,
            action="enrollment.extend_horizon",
            subject=enrollment,
            before=before,
            after=audit.snapshot(enrollment, ("horizon",)) | {"added": len(missing)},
            patient_id=enrollment.patient_id,
            now=now,
        )
    session.flush()
    return len(missing)
