"""The care team's alerts on the dashboard, newest first, in one statement:

- a critical item escalated and still not ticked, while it is still late (a reschedule that
  moves it into the future resolves it, so the dashboard never says "missed" for a date ahead);
- a reminder that failed;
- a patient's "I couldn't do this" (with their note), until the item changes;
- a "yes" to the day's warning signs, until a nurse marks it handled
(the last two for active plans: a stopped plan's escalated items are cancelled with it).

Each kind is read newest first from its own few rows and stopped at the limit, so the cost
does not grow with the backlog; `pathway_id` and `nurse_id` narrow them as the dashboard's
filters narrow its lists. The branches carry only what raises the alert (its instant, item,
enrollment and the note or error); the newest `limit` of them are then joined once to their
patient, nurse and step. Joining every branch to all five tables made PostgreSQL spend 6 ms
planning a statement that runs in under 1 ms (half of that with this shape, at 100,000
enrollments). Rows are read by name.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from flask_babel import gettext
from sqlalchemy import (
    BindParameter,
    Integer,
    Select,
    bindparam,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlmodel import col

from tracker.dbtypes import UTCDateTime
from tracker.i18n import N_
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
CHECK_IN_STEP = "Warning signs"  # what a check-in alert is about, in place of a step


def care_team_alerts(
    session: Any,
    now: datetime,
    *,
    pathway_id: int | None = None,
    nurse_id: int | None = None,
    limit: int = 20,
) -> list[Alert]:
    """The newest `limit` alerts of every kind (see the module docstring)."""
    statement = _statement(pathway_id is not None, nurse_id is not None)
    params = {
        "now": now,
        "since": now - ALERT_LOOKBACK,
        "limit": limit,
        "pathway_id": pathway_id,
        "nurse_id": nurse_id,
    }
    return [_alert(row._mapping) for row in session.execute(statement, params)]


@cache
def _statement(pathway: bool, nurse: bool) -> Select[Any]:
    """The alerts statement for a filter combination, composed once (as the work lists are:
    see work_list_pages._statements), its values as parameters."""
    now: BindParameter[datetime] = bindparam("now", type_=UTCDateTime())
    since: BindParameter[datetime] = bindparam("since", type_=UTCDateTime())
    limit = bindparam("limit", type_=Integer)
    escalated = _raised(ESCALATED, col(Escalation.raised_at), col(Item.id), col(Item.enrollment_id))
    escalated = escalated.select_from(Escalation).join(
        Item, col(Item.id) == col(Escalation.item_id)
    )
    escalated = escalated.where(
        col(Escalation.raised_at) >= since,
        # Wrapped so no item index tempts SQLite to start from the items (there are many
        # pending ones): the few escalations, newest first, drive this branch.
        func.coalesce(col(Item.status), "") == "pending",
        func.coalesce(col(Item.due_at), now) <= now,  # still late: moved ahead, not missed
    )
    failed = _raised(
        FAILED,
        col(Reminder.send_at),
        col(Reminder.item_id),
        col(Reminder.enrollment_id),
        note=col(Reminder.channel) + ": " + col(Reminder.last_error),
    ).where(col(Reminder.status) == "failed", col(Reminder.send_at) >= since)
    not_done = _raised(
        NOT_DONE, col(Item.acted_at), col(Item.id), col(Item.enrollment_id), note=col(Item.note)
    ).where(col(Item.status) == "not_done", col(Item.acted_at) >= since)
    check_ins = _raised(
        CHECK_IN,
        col(CheckIn.at),
        cast(null(), Integer),
        col(CheckIn.enrollment_id),
        note=col(CheckIn.note),
        check_in_id=col(CheckIn.id),
    ).where(
        col(CheckIn.answer) == "yes", col(CheckIn.handled_at).is_(None), col(CheckIn.at) >= since
    )
    kinds = ((escalated, False), (failed, False), (not_done, True), (check_ins, True))
    branches = [
        _narrowed(branch, pathway=pathway, nurse=nurse, active=active)
        .order_by(branch.selected_columns.at.desc())
        .limit(limit)
        .subquery()
        for branch, active in kinds
    ]
    every = union_all(*(select(branch) for branch in branches)).subquery()
    newest = select(every).order_by(every.c.at.desc(), every.c.item_id.desc()).limit(limit)
    return _shown(newest.subquery())


def _raised(
    kind: str,
    at: Any,
    item_id: Any,
    enrollment_id: Any,
    *,
    note: Any = None,
    check_in_id: Any = None,
) -> Select[Any]:
    """One branch: what raised the alert, nothing to display yet."""
    return select(
        literal(kind).label("kind"),
        at.label("at"),
        item_id.label("item_id"),
        enrollment_id.label("enrollment_id"),
        (literal("") if note is None else note).label("note"),
        (cast(null(), Integer) if check_in_id is None else check_in_id).label("check_in_id"),
    )


def _narrowed(branch: Select[Any], *, pathway: bool, nurse: bool, active: bool) -> Select[Any]:
    """A branch for active plans only if `active`, and for the dashboard's filters (the
    parameters `pathway_id` and `nurse_id`)."""
    if not (active or pathway or nurse):
        return branch
    branch = branch.join(Enrollment, col(Enrollment.id) == branch.selected_columns.enrollment_id)
    if active:
        branch = branch.where(col(Enrollment.state) == "active")
    if nurse:
        branch = branch.where(col(Enrollment.nurse_id) == bindparam("nurse_id"))
    if pathway:
        versions = select(col(PathwayVersion.id)).where(
            col(PathwayVersion.pathway_id) == bindparam("pathway_id")
        )
        branch = branch.where(col(Enrollment.version_id).in_(versions))
    return branch


def _shown(newest: Any) -> Select[Any]:
    """The newest alerts joined to their patient, nurse and (for items) step."""
    return (
        select(
            newest.c.kind,
            newest.c.at,
            newest.c.item_id,
            newest.c.enrollment_id,
            col(Patient.id).label("patient_id"),
            col(Patient.name).label("patient_name"),
            col(Patient.mrn).label("mrn"),
            func.coalesce(col(Step.text), CHECK_IN_STEP).label("step_text"),
            func.coalesce(col(Item.due_at), newest.c.at).label("due_at"),
            col(Enrollment.timezone).label("timezone"),
            newest.c.note,
            func.coalesce(col(User.email), "").label("nurse_email"),
            newest.c.check_in_id,
        )
        .select_from(newest)
        .join(Enrollment, col(Enrollment.id) == newest.c.enrollment_id)
        .join(Patient, col(Patient.id) == col(Enrollment.patient_id))
        .outerjoin(User, col(User.id) == col(Enrollment.nurse_id))
        .outerjoin(Item, col(Item.id) == newest.c.item_id)
        .outerjoin(Step, col(Step.id) == col(Item.step_id))
        .order_by(newest.c.at.desc(), newest.c.item_id.desc())
    )


# What the nurse reads beside each kind; the patient's own note or the channel's error follows.
# Msgids, worded in the reader's language when the alert is built (a request's).
SAID = {
    ESCALATED: N_("critical step not ticked"),
    NOT_DONE: N_("the patient could not do this"),
    CHECK_IN: N_("said yes to the warning signs"),
}


def _alert(row: Any) -> Alert:
    values = dict(row)
    note = values.pop("note") or ""
    kind = values["kind"]
    said = str(gettext(SAID[kind])) if kind in SAID else None
    if said is None:  # a failed reminder: its channel and error say it all
        detail = note
    elif values["kind"] == ESCALATED or not note:
        detail = said
    else:
        detail = f"{said}: {note}"
    return Alert(**values, detail=detail)
