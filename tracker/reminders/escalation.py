"""Escalation: critical items nobody ticked in time become alerts for the care team.

The scheduler's housekeeping calls `escalate`, which records each such item once, as an
'escalated' audit event (the audit log is the record: an item already in it is not raised
again), and returns the new alerts so the enrollment's nurse can be emailed. `alerts` reads
them back, with failed reminders, for the nurse dashboard. The emails' wording lives with the
reminders' texts in tracker.reminders.rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, select
from sqlmodel import Session, col

from tracker.models import (
    AuditEvent,
    ChecklistItem,
    Enrollment,
    PathwayVersion,
    Patient,
    Reminder,
    Step,
    User,
)
from tracker.reminders.rules import local_reading, text

R, Item = Reminder, ChecklistItem

# Minutes after an unticked critical item's due time before the care team is alerted.
DEFAULT_GRACE_MINUTES: dict[str, int] = {"fasting": 0, "medication": 60, "default": 120}
ESCALATED = "escalated"
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
    """Record, once per item, an 'escalated' audit event for each critical item still unticked
    after its due time plus its kind's grace; returns the new alerts (the caller commits, then
    emails the nurses)."""
    table = {**DEFAULT_GRACE_MINUTES, **(grace or {})}
    shortest = timedelta(minutes=min(table.values()))
    query = _item_query().where(
        col(Item.status).in_(UNTICKED),
        col(Step.critical).is_(True),
        col(Enrollment.state) == "active",
        col(Item.due_at) <= now - shortest,
        col(Item.due_at) > now - ALERT_LOOKBACK,
    )
    rows = [row for row in session.execute(query) if row[6] + grace_for(row[8], table) <= now]
    if not rows:
        return []
    done_query = select(col(AuditEvent.subject_id)).where(
        col(AuditEvent.action) == ESCALATED,
        col(AuditEvent.subject_type) == "checklistitem",
        col(AuditEvent.patient_id).in_({row[2] for row in rows}),
    )
    done = set(session.execute(done_query).scalars())
    alerts = []
    for row in rows:
        if row[0] in done:
            continue
        item_id, enrollment_id, patient_id, name, mrn, step, due_at, zone, kind, nurse = row
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
) -> list[Alert]:
    """For the dashboard: escalated items still unticked and failed reminders, newest first.

    `pathway_id` and `nurse_id` narrow them the way the dashboard's filters narrow its lists.
    """
    since = now - ALERT_LOOKBACK
    escalated = (
        _item_query(col(AuditEvent.at))
        .join(
            AuditEvent,
            and_(
                col(AuditEvent.subject_id) == col(Item.id),
                col(AuditEvent.subject_type) == "checklistitem",
                col(AuditEvent.action) == ESCALATED,
            ),
        )
        .where(col(AuditEvent.at) >= since, col(Item.status).in_(UNTICKED))
    )
    escalated = _filtered(escalated, pathway_id, nurse_id)
    found = [
        _alert(ESCALATED, r, r[10], "critical step not ticked") for r in session.execute(escalated)
    ]
    failed = (
        _item_query(col(R.send_at), col(R.last_error), col(R.channel))
        .join(R, col(R.item_id) == col(Item.id))
        .where(col(R.status) == "failed", col(R.send_at) >= since)
    )
    failed = _filtered(failed, pathway_id, nurse_id)
    found += [
        _alert("reminder_failed", r, r[10], f"{r[12]}: {r[11]}") for r in session.execute(failed)
    ]
    return sorted(found, key=lambda alert: (alert.at, alert.item_id), reverse=True)


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


def escalation_message(alert: Alert, *, base_url: str) -> tuple[str, str]:
    """(subject, body) of the care team's email about an escalated item."""
    values = {
        "step": alert.step_text,
        "patient": alert.patient_name,
        "mrn": alert.mrn,
        "due": local_reading(alert.due_at, alert.timezone),
        "base": base_url.rstrip("/"),
    }
    return text("en", "escalation.subject", **values), text("en", "escalation.body", **values)
