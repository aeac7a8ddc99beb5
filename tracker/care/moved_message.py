"""The patient's message when their procedure moves: one outbox row per channel.

A reschedule (by a nurse, the API or the command line) queues it in the same transaction; a
later reschedule replaces one still waiting, so the patient is told once, of the latest time.
The dispatcher words it when it goes (tracker.reminders.rules, 'moved.*'), with the procedure
time then current, in the patient's language and zone; quiet hours hold it.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from tracker.care.item_reminders import MOVED, WAITING, values
from tracker.care.schedule_rows import channels_for
from tracker.models import ChecklistItem, Enrollment, Patient, Reminder


def queue_moved_message(*, session: Session, enrollment: Enrollment, now: datetime) -> int:
    """Queue 'your procedure has moved' on each of the patient's channels, replacing one not
    yet sent; returns how many rows were queued (none for a plan with no items)."""
    assert enrollment.id is not None
    waiting = session.exec(
        select(Reminder).where(
            Reminder.enrollment_id == enrollment.id,
            Reminder.purpose == MOVED,
            col(Reminder.status).in_(WAITING),
        )
    )
    for old in waiting:
        old.status, old.last_error = "cancelled", "replaced by a later move"
        session.add(old)
    # Every outbox row belongs to an item: the plan's first one carries the message.
    carrier = session.exec(
        select(ChecklistItem.id)
        .where(ChecklistItem.enrollment_id == enrollment.id)
        .order_by(col(ChecklistItem.id))
        .limit(1)
    ).first()
    patient = session.get(Patient, enrollment.patient_id)
    if carrier is None or patient is None:
        return 0
    rows = [
        Reminder(**values(carrier, enrollment.id, MOVED, now, channel))
        for channel in channels_for(patient)
    ]
    session.add_all(rows)
    return len(rows)
