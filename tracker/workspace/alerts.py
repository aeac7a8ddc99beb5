"""The care team's alerts on the dashboard, newest first, in one statement:

- a critical item escalated and still not ticked, while it is still late (a reschedule that
  moves it into the future resolves it, so the dashboard never says "missed" for a date ahead);
- a reminder that failed;
- a patient's "I couldn't do this" (with their note), until the item changes;
- a "yes" to the day's warning signs, until a nurse marks it handled
(the last two for active plans: a stopped plan's escalated items are cancelled with it).

Each kind is read newest first and stopped at the limit, so the cost does not grow with the
backlog; `pathway_id` and `nurse_id` narrow them as the dashboard's filters narrow its lists.
Rows are read by name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Select, case, cast, func, literal, null, select, union_all
from sqlmodel import col

from tracker.models import (
    CheckIn,
    ChecklistItem,
    Enrollment,
    Escalation,
    PathwayVersion,
    Patient,
    Reminder,
    Step,
    User,
)
from tracker.reminders.escalation import ALERT_LOOKBACK, ESCALATED, Alert

Item = ChecklistItem
FAILED, NOT_DONE, CHECK_IN = "reminder_failed", "not_done", "check_in"


def care_team_alerts(
    session: Any,
    now: datetime,
    *,
    pathway_id: int | None = None,
    nurse_id: int | None = None,
    limit: int = 20,
) -> list[Alert]:
    """The newest `limit` alerts of every kind (see the module docstring)."""
    since = now - ALERT_LOOKBACK
    escalated = _about_item(
        ESCALATED, col(Escalation.raised_at), literal("critical step not ticked")
    )
    escalated = escalated.join(Escalation, col(Escalation.item_id) == col(Item.id)).where(
        col(Escalation.raised_at) >= since,
        # Wrapped so no item index tempts SQLite to start from the items (there are many
        # pending ones): the few escalations, newest first, drive this branch.
        func.coalesce(col(Item.status), "") == "pending",
        func.coalesce(col(Item.due_at), now) <= now,  # still late: moved ahead, not missed
    )
    failed = _about_item(
        FAILED, col(Reminder.send_at), col(Reminder.channel) + ": " + col(Reminder.last_error)
    )
    failed = failed.join(Reminder, col(Reminder.item_id) == col(Item.id)).where(
        col(Reminder.status) == "failed", col(Reminder.send_at) >= since
    )
    said = case(
        (col(Item.note) == "", literal("the patient could not do this")),
        else_="the patient could not do this: " + col(Item.note),
    )
    not_done = _about_item(NOT_DONE, col(Item.acted_at), said, active=True).where(
        col(Item.status) == "not_done", col(Item.acted_at) >= since
    )
    checked = case(
        (col(CheckIn.note) == "", literal("said yes to the warning signs")),
        else_="said yes to the warning signs: " + col(CheckIn.note),
    )
    check_ins = _people(
        select(
            literal(CHECK_IN).label("kind"),
            col(CheckIn.at).label("at"),
            cast(null(), Integer).label("item_id"),
            *_who(),
            literal("Warning signs").label("step_text"),
            col(CheckIn.at).label("due_at"),
            col(Enrollment.timezone).label("timezone"),
            checked.label("detail"),
            col(User.email).label("nurse_email"),
            col(CheckIn.id).label("check_in_id"),
        ).select_from(CheckIn),
        col(CheckIn.enrollment_id),
        active=True,
    ).where(
        col(CheckIn.answer) == "yes", col(CheckIn.handled_at).is_(None), col(CheckIn.at) >= since
    )
    branches = [
        _filtered(branch, pathway_id, nurse_id)
        .order_by(branch.selected_columns.at.desc())
        .limit(limit)
        .subquery()
        for branch in (escalated, failed, not_done, check_ins)
    ]
    every = union_all(*(select(branch) for branch in branches)).subquery()
    query = select(every).order_by(every.c.at.desc(), every.c.item_id.desc()).limit(limit)
    return [Alert(**row._mapping) for row in session.execute(query)]


def _who() -> tuple[Any, ...]:
    return (
        col(Enrollment.id).label("enrollment_id"),
        col(Patient.id).label("patient_id"),
        col(Patient.name).label("patient_name"),
        col(Patient.mrn).label("mrn"),
    )


def _about_item(kind: str, at: Any, detail: Any, *, active: bool = False) -> Select[Any]:
    """An alert about one checklist item: the item, its step, patient and nurse."""
    query = select(
        literal(kind).label("kind"),
        at.label("at"),
        col(Item.id).label("item_id"),
        *_who(),
        col(Step.text).label("step_text"),
        col(Item.due_at).label("due_at"),
        col(Enrollment.timezone).label("timezone"),
        detail.label("detail"),
        col(User.email).label("nurse_email"),
        cast(null(), Integer).label("check_in_id"),
    ).select_from(Item)
    query = query.join(Step, col(Step.id) == col(Item.step_id))
    return _people(query, col(Item.enrollment_id), active=active)


def _people(query: Select[Any], enrollment_id: Any, *, active: bool = False) -> Select[Any]:
    """Joined to the enrollment (only an active one if `active`), its patient and nurse."""
    query = (
        query.join(Enrollment, col(Enrollment.id) == enrollment_id)
        .join(Patient, col(Patient.id) == col(Enrollment.patient_id))
        .outerjoin(User, col(User.id) == col(Enrollment.nurse_id))
    )
    return query.where(col(Enrollment.state) == "active") if active else query


def _filtered(query: Select[Any], pathway_id: int | None, nurse_id: int | None) -> Select[Any]:
    if nurse_id is not None:
        query = query.where(col(Enrollment.nurse_id) == nurse_id)
    if pathway_id is not None:
        versions = select(col(PathwayVersion.id)).where(
            col(PathwayVersion.pathway_id) == pathway_id
        )
        query = query.where(col(Enrollment.version_id).in_(versions))
    return query
