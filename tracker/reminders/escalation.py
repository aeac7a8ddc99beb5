"""Escalation: critical items nobody ticked in time become alerts for the care team.

The scheduler's housekeeping calls `escalate`, which raises each such item once: an
`Escalation` row (its state: one per item, so an item is never raised twice), an 'escalated'
audit event (the history), and, when the enrollment has a nurse, an outbox row addressed to
them: the email is retried, deduplicated and shown like any reminder, and never delays the
others. `alerts` reads escalations and failed reminders back for the nurse dashboard. The
emails' wording lives with the reminders' texts in tracker.reminders.rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlmodel import Session, col

from tracker.care.item_reminders import ESCALATION
from tracker.models import (
    AuditEvent,
    ChecklistItem,
    Enrollment,
    Escalation,
    Patient,
    Reminder,
    Step,
    User,
)

R, Item = Reminder, ChecklistItem

# Minutes after an unticked critical item's due time before the care team is alerted.
DEFAULT_GRACE_MINUTES: dict[str, int] = {"fasting": 0, "medication": 60, "default": 120}
ESCALATED = "escalated"
ESCALATION_KEY = "escalation-{item_id}"  # the email's idempotency key: one per item, ever
UNTICKED = ("pending", "not_done")
ALERT_LOOKBACK = timedelta(days=14)


@dataclass(frozen=True)
class Alert:
    """Something the care team should act on: an escalated item, a failed reminder, a
    patient's "I couldn't do this", or a "yes" to the warning signs (tracker.workspace.alerts
    lists them)."""

    kind: str  # "escalated" | "reminder_failed" | "not_done" | "check_in"
    at: datetime
    item_id: int | None  # None for a check-in (about the warning signs, not one item)
    enrollment_id: int
    patient_id: int
    patient_name: str
    mrn: str
    step_text: str
    due_at: datetime
    timezone: str
    detail: str = ""
    nurse_email: str = ""
    check_in_id: int | None = None  # a check-in's row, for the nurse to mark it handled


def grace_for(kind: str, grace: Mapping[str, int]) -> timedelta:
    """The grace period for a step kind (the 'default' entry for kinds not listed)."""
    table = {**DEFAULT_GRACE_MINUTES, **grace}
    return timedelta(minutes=table.get(kind.lower(), table["default"]))


def _item_query(*extra: Any) -> Select[Any]:
    return (
        select(
            col(Item.id),
            col(Item.enrollment_id),
            col(Patient.id),
            col(Patient.name),
            col(Patient.mrn),
            col(Step.text),
            col(Item.due_at),
            col(Enrollment.timezone),
            col(Step.kind),
            col(User.email),
            *extra,
        )
        .join(Step, col(Step.id) == col(Item.step_id))
        .join(Enrollment, col(Enrollment.id) == col(Item.enrollment_id))
        .join(Patient, col(Patient.id) == col(Enrollment.patient_id))
        .outerjoin(User, col(User.id) == col(Enrollment.nurse_id))
    )


def escalate(
    session: Session, *, now: datetime, grace: Mapping[str, int] | None = None
) -> list[Alert]:
    """Raise, once per item, each critical item still unticked after its due time plus its
    kind's grace (only `do` items: nothing else has a tick to miss): an Escalation, an audit
    event and (with a nurse) an email in the outbox. Returns the new alerts; the caller
    commits."""
    table = {**DEFAULT_GRACE_MINUTES, **(grace or {})}
    shortest = timedelta(minutes=min(table.values()))
    raised = select(Escalation).where(col(Escalation.item_id) == col(Item.id)).exists()
    query = _item_query().where(
        col(Item.status).in_(UNTICKED),
        col(Step.critical).is_(True),
        col(Step.asks) == "do",  # restrictions, notes and warning signs are never ticked
        col(Enrollment.state) == "active",
        col(Item.due_at) <= now - shortest,
        col(Item.due_at) > now - ALERT_LOOKBACK,
        ~raised,
    )
    alerts = []
    for row in session.execute(query):
        item_id, enrollment_id, patient_id, _, _, _, due_at, _, kind, nurse = row
        if due_at + grace_for(kind, table) > now:
            continue
        email = None
        if nurse:
            email = Reminder(
                item_id=item_id,
                enrollment_id=enrollment_id,
                send_at=now,
                purpose=ESCALATION,
                channel="email",
                recipient=nurse,
                idempotency_key=ESCALATION_KEY.format(item_id=item_id),
            )
            session.add(email)
            session.flush()
        session.add(
            Escalation(
                item_id=item_id,
                enrollment_id=enrollment_id,
                raised_at=now,
                kind=kind,
                reminder_id=email.id if email else None,
            )
        )
        session.add(
            AuditEvent(
                at=now,
                actor="system",
                action=ESCALATED,
                subject_type="checklistitem",
                subject_id=item_id,
                patient_id=patient_id,
                before=None,
                after={"kind": kind, "due_at": due_at.isoformat(), "nurse": nurse or ""},
            )
        )
        alerts.append(_alert(ESCALATED, row, now, f"not ticked {kind}"))
    session.flush()
    return alerts


def _alert(kind: str, row: Any, at: datetime, detail: str) -> Alert:
    """An alert, raised `at`, from an `_item_query` row."""
    item_id, enrollment_id, patient_id, name, mrn, step, due_at, zone, _, nurse = row[:10]
    return Alert(
        kind,
        at,
        item_id,
        enrollment_id,
        patient_id,
        name,
        mrn,
        step,
        due_at,
        zone,
        detail,
        nurse or "",
    )
