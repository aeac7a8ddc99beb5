"""Finishing an enrollment: cancelled (the pathway stops) or completed (closed as done).

Either way the waiting reminders are cancelled and nothing is deleted; the audit log says how
many reminders and items each finish touched.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from tracker import audit
from tracker.care.schedule_rows import items_of, require_active, set_status, waiting_reminders
from tracker.models import Enrollment


def cancel_enrollment(
    *, session: Session, enrollment: Enrollment, actor: str, now: datetime
) -> Enrollment:
    """Stop the pathway: waiting reminders and pending items are cancelled; nothing is deleted."""
    return _finish(session, enrollment, "cancelled", actor=actor, now=now)


def complete_enrollment(
    *, session: Session, enrollment: Enrollment, actor: str, now: datetime
) -> Enrollment:
    """Close the pathway as done: waiting reminders are cancelled, items keep their status."""
    return _finish(session, enrollment, "completed", actor=actor, now=now)


FINISH_ACTIONS = {"cancelled": "enrollment.cancel", "completed": "enrollment.complete"}


def _finish(
    session: Session, enrollment: Enrollment, state: str, *, actor: str, now: datetime
) -> Enrollment:
    require_active(enrollment)
    waiting = waiting_reminders(session, enrollment, escalations=True)
    reminders = [r for rows in waiting.values() for r in rows]
    for reminder in reminders:
        reminder.status = "cancelled"
    items = []
    if state == "cancelled":
        items = [i for i in items_of(session, enrollment) if i.status == "pending"]
        for item in items:
            set_status(item, "cancelled", actor=actor, now=now)
    enrollment.state, enrollment.updated_at = state, now
    session.add_all([*reminders, *items, enrollment])
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action=FINISH_ACTIONS[state],
        subject=enrollment,
        before={"state": "active"},
        patient_id=enrollment.patient_id,
        now=now,
        after={
            "state": state,
            "reminders_cancelled": len(reminders),
            "items_cancelled": len(items),
        },
    )
    return enrollment
