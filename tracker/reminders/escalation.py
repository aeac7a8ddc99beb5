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
    PathwayVersion,
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
    """Something the care team should act on: an escalated item or a failed reminder."""

    kind: str  # "escalated" | "reminder_failed"
    at: datetime
    item_id: int
    enrollment_id: int
    patient_id: int
    patient_name: str
    mrn: str
    step_text: str
    due_at: datetime
    timezone: str
    detail: str = ""
    nurse_email: str = ""


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


def alerts(
    session: Session,
    now: datetime,
    *,
    pathway_id: int | None = None,
    nurse_id: int | None = None,
    limit: int | None = None,
) -> list[Alert]:
    """For the dashboard: escalated items still unticked and failed reminders, newest first.

    `pathway_id` and `nurse_id` narrow them the way the dashboard's filters narrow its lists;
    `limit` keeps the newest that many (each query then stops there, read newest first).
    """
    since = now - ALERT_LOOKBACK
    escalated = (
        _item_query(col(Escalation.raised_at))
        .join(Escalation, col(Escalation.item_id) == col(Item.id))
        .where(col(Escalation.raised_at) >= since, col(Item.status).in_(UNTICKED))
    )
    escalated = _filtered(escalated, pathway_id, nurse_id)
    escalated = escalated.order_by(col(Escalation.raised_at).desc()).limit(limit)
    found = [
        _alert(ESCALATED, r, r[10], "critical step not ticked") for r in session.execute(escalated)
    ]
    failed = (
        _item_query(col(R.send_at), col(R.last_error), col(R.channel))
        .join(R, col(R.item_id) == col(Item.id))
        .where(col(R.status) == "failed", col(R.send_at) >= since)
    )
    failed = _filtered(failed, pathway_id, nurse_id)
    failed = failed.order_by(col(R.send_at).desc()).limit(limit)
    found += [
        _alert("reminder_failed", r, r[10], f"{r[12]}: {r[11]}") for r in session.execute(failed)
    ]
    return sorted(found, key=lambda alert: (alert.at, alert.item_id), reverse=True)[:limit]


def _alert(kind: str, row: Any, at: datetime, detail: str) -> Alert:
    """An alert, raised or found `at`, from an `_item_query` row."""
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


def _filtered(query: Select[Any], pathway_id: int | None, nurse_id: int | None) -> Select[Any]:
    if nurse_id is not None:
        query = query.where(col(Enrollment.nurse_id) == nurse_id)
    if pathway_id is not None:
        versions = select(col(PathwayVersion.id)).where(
            col(PathwayVersion.pathway_id) == pathway_id
        )
        query = query.where(col(Enrollment.version_id).in_(versions))
    return query
