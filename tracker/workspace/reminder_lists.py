"""The dashboard's reminder list: failed or expired reminders of active enrollments."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, bindparam, select
from sqlmodel import Session

from tracker.dbtypes import UTCDateTime
from tracker.workspace.work_list_pages import (
    ENROLLMENTS,
    ITEMS,
    PATIENTS,
    REMINDERS,
    STEPS,
    VERSIONS,
    Context,
    ListQuery,
    Page,
    ReminderRow,
    one_of,
    page,
)

PROBLEM_REMINDERS = ("failed", "expired")
# How far back (and ahead) the list looks; it bounds an index range scan (see item_lists).
REMINDER_LOOKBACK = timedelta(days=14)

_item, _enr, _pat, _ver = ITEMS.c, ENROLLMENTS.c, PATIENTS.c, VERSIONS.c
_step, _rem = STEPS.c, REMINDERS.c


ROWS = (
    select(
        _rem.id.label("reminder_id"),
        _rem.item_id,
        _rem.enrollment_id,
        _enr.patient_id,
        _pat.name.label("patient_name"),
        _pat.mrn,
        _ver.title.label("pathway"),
        _step.text.label("step_text"),
        _rem.channel,
        _rem.status,
        _rem.send_at,
        _rem.attempts,
        _rem.last_error,
        _enr.timezone,
    )
    .select_from(REMINDERS)
    .join(ITEMS, _item.id == _rem.item_id)
    .join(ENROLLMENTS, _enr.id == _rem.enrollment_id)
    .join(PATIENTS, _pat.id == _enr.patient_id)
    .join(VERSIONS, _ver.id == _enr.version_id)
    .join(STEPS, _step.id == _item.step_id)
)


def _newest_first(c: Any) -> list[ColumnElement[Any]]:
    return [c.send_at.desc(), c.id.desc()]


# Failed or expired reminders of active enrollments planned between the parameters `since`
# and `until`, newest first (index ix_reminder_problems).
QUERY = ListQuery(
    candidates=select(_rem.id, _rem.send_at)
    .select_from(REMINDERS)
    .join(ENROLLMENTS, _enr.id == _rem.enrollment_id)
    .where(
        one_of(_rem.status, PROBLEM_REMINDERS),
        _rem.send_at >= bindparam("since", type_=UTCDateTime()),
        _rem.send_at < bindparam("until", type_=UTCDateTime()),
        _enr.state == "active",
    ),
    scan=_newest_first,
    rows=ROWS,
    key=_rem.id,
)


def reminder_problems(session: Session, context: Context, offset: int, limit: int) -> Page:
    """Failed or expired reminders of active enrollments planned within REMINDER_LOOKBACK of
    now (either side: a retry or a deferral can plan one ahead), newest first."""
    return page(
        session,
        context,
        QUERY,
        {"since": context.now - REMINDER_LOOKBACK, "until": context.now + REMINDER_LOOKBACK},
        offset=offset,
        limit=limit,
        build=lambda values: ReminderRow(**values),
    )
