"""The nurse dashboard: work lists (procedures, overdue, critical, reminder problems) and counts.

Every list is one indexed query with a LIMIT plus one COUNT, joined in SQL (no per-row
queries), so the dashboard stays fast with tens of thousands of active enrollments.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlmodel import Session

from tracker.workspace.patient_timeline import status_word
from tracker.workspace.work_list_pages import (
    ENROLLMENTS,
    ITEMS,
    PAGE_SIZE,
    PATIENTS,
    REMINDERS,
    STEPS,
    USERS,
    VERSIONS,
    Context,
    ItemRow,
    Page,
    ProcedureRow,
    ReminderRow,
    WorkList,
    day_bounds,
    page,
)

PREVIEW_ROWS = 8  # rows of each list shown on the dashboard itself
OVERDUE_STATUSES = ("pending", "not_done")  # not confirmed; "not_done" is the patient saying so
UNCONFIRMED_STATUSES = ("pending", "not_done", "missed")
PROBLEM_REMINDERS = ("failed", "expired")
LIVE_STATES = ("active", "completed")  # procedures listed for a day: everything but cancelled
# How far back the lists look. Each bounds an index range scan, so the dashboard stays fast
# however much history piles up (completed enrollments keep their unticked items); older
# problems stay visible on the patient's own page.
OVERDUE_LOOKBACK = timedelta(days=30)
CRITICAL_LOOKBACK = timedelta(days=14)
REMINDER_LOOKBACK = timedelta(days=14)


# --- the queries ---------------------------------------------------------------------------


_item, _enr, _pat, _ver = ITEMS.c, ENROLLMENTS.c, PATIENTS.c, VERSIONS.c
_step, _rem, _user = STEPS.c, REMINDERS.c, USERS.c


def _procedures_on(days_ahead: int) -> Callable[[Session, Context, int, int], Page]:
    def fetch(session: Session, context: Context, offset: int, limit: int) -> Page:
        start, end = day_bounds(context.now, context.zone, days_ahead)
        where = (
            _enr.procedure_start >= start,
            _enr.procedure_start < end,
            _enr.state.in_(LIVE_STATES),
        )
        rows = (
            select(
                _enr.id,
                _enr.patient_id,
                _pat.name,
                _pat.mrn,
                _ver.title,
                _enr.procedure_start,
                _enr.timezone,
                _enr.state,
                func.coalesce(func.nullif(_user.name, ""), _user.email, ""),
            )
            .select_from(ENROLLMENTS)
            .join(PATIENTS, _pat.id == _enr.patient_id)
            .join(VERSIONS, _ver.id == _enr.version_id)
            .outerjoin(USERS, _user.id == _enr.nurse_id)
            .where(*where)
            .order_by(_enr.procedure_start, _enr.id)
        )
        count = select(func.count()).select_from(ENROLLMENTS).where(*where)
        return page(
            session,
            context,
            rows,
            count,
            offset,
            limit,
            lambda r: ProcedureRow(*r),
        )

    return fetch


ITEM_COLUMNS = (
    _item.id,
    _item.enrollment_id,
    _enr.patient_id,
    _pat.name,
    _pat.mrn,
    _ver.title,
    _step.text,
    _step.kind,
    _step.critical,
    _item.status,
    _item.opens_at,
    _item.due_at,
    _item.expires_at,
    _enr.procedure_start,
    _enr.timezone,
)


def _items_page(
    session: Session,
    context: Context,
    offset: int,
    limit: int,
    *,
    where: Sequence[ColumnElement[bool]],
    order: Sequence[ColumnElement[Any]],
    step_filter: bool,
) -> Page:
    """Items of active enrollments matching `where`; the count joins only what it filters on."""
    rows = (
        select(*ITEM_COLUMNS)
        .select_from(ITEMS)
        .join(ENROLLMENTS, _enr.id == _item.enrollment_id)
        .join(STEPS, _step.id == _item.step_id)
        .join(PATIENTS, _pat.id == _enr.patient_id)
        .join(VERSIONS, _ver.id == _enr.version_id)
        .where(_enr.state == "active", *where)
        .order_by(*order)
    )
    count = (
        select(func.count()).select_from(ITEMS).join(ENROLLMENTS, _enr.id == _item.enrollment_id)
    )
    if step_filter:
        count = count.join(STEPS, _step.id == _item.step_id)
    count = count.where(_enr.state == "active", *where)
    return page(
        session,
        context,
        rows,
        count,
        offset,
        limit,
        lambda r: _item_row(r, context.now),
    )


def _item_row(row: Any, now: datetime) -> ItemRow:
    shown = status_word(
        row.status, opens_at=row.opens_at, due_at=row.due_at, expires_at=row.expires_at, now=now
    )
    return replace(ItemRow(*row), shown_status=shown)


def _overdue(session: Session, context: Context, offset: int, limit: int) -> Page:
    """Unconfirmed past their deadline (within OVERDUE_LOOKBACK) but still worth doing:
    critical first, then soonest to expire (the last chance to act), then longest overdue."""
    now = context.now
    return _items_page(
        session,
        context,
        offset,
        limit,
        where=[
            _item.status.in_(OVERDUE_STATUSES),
            _item.due_at >= now - OVERDUE_LOOKBACK,
            _item.due_at < now,
            or_(_item.expires_at.is_(None), _item.expires_at > now),
        ],
        order=[
            _step.critical.desc(),
            case((_item.expires_at.is_(None), 1), else_=0),
            _item.expires_at,
            _item.due_at,
            _item.id,
        ],
        step_filter=False,
    )


def _critical(session: Session, context: Context, offset: int, limit: int) -> Page:
    """Critical items (fasting, medication holds) not confirmed by their deadline (within
    CRITICAL_LOOKBACK): procedures still ahead first, soonest first, then those past."""
    now = context.now
    return _items_page(
        session,
        context,
        offset,
        limit,
        where=[
            _step.critical.is_(True),
            _item.status.in_(UNCONFIRMED_STATUSES),
            _item.due_at >= now - CRITICAL_LOOKBACK,
            _item.due_at < now,
        ],
        order=[
            case((_enr.procedure_start < now, 1), else_=0),
            _enr.procedure_start,
            _item.due_at,
            _item.id,
        ],
        step_filter=True,
    )


def _reminder_problems(session: Session, context: Context, offset: int, limit: int) -> Page:
    """Failed or expired reminders of active enrollments planned within REMINDER_LOOKBACK of
    now (either side: a retry or a deferral can plan one ahead), newest first."""
    where = (
        _rem.status.in_(PROBLEM_REMINDERS),
        _rem.send_at >= context.now - REMINDER_LOOKBACK,
        _rem.send_at < context.now + REMINDER_LOOKBACK,
        _enr.state == "active",
    )
    rows = (
        select(
            _rem.id,
            _rem.item_id,
            _rem.enrollment_id,
            _enr.patient_id,
            _pat.name,
            _pat.mrn,
            _ver.title,
            _step.text,
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
        .where(*where)
        .order_by(_rem.send_at.desc(), _rem.id.desc())
    )
    count = (
        select(func.count())
        .select_from(REMINDERS)
        .join(ENROLLMENTS, _enr.id == _rem.enrollment_id)
        .where(*where)
    )
    return page(
        session,
        context,
        rows,
        count,
        offset,
        limit,
        lambda r: ReminderRow(*r),
    )


# name -> list; the dashboard shows them in this order and each has its own page.
WORK_LISTS: dict[str, WorkList] = {
    spec.name: spec
    for spec in (
        WorkList(
            "today", "Today's procedures", "No procedures today.", "procedures", _procedures_on(0)
        ),
        WorkList(
            "tomorrow",
            "Tomorrow's procedures",
            "No procedures tomorrow.",
            "procedures",
            _procedures_on(1),
        ),
        WorkList("overdue", "Overdue items", "Nothing overdue.", "items", _overdue),
        WorkList(
            "critical",
            "Critical items not confirmed",
            "Every critical item is confirmed.",
            "items",
            _critical,
        ),
        WorkList(
            "reminders",
            "Failed or expired reminders",
            "No reminder problems.",
            "reminders",
            _reminder_problems,
        ),
    )
}


def work_list(
    session: Session, name: str, context: Context, *, offset: int = 0, limit: int = PAGE_SIZE
) -> Page:
    """One page of the named list (see WORK_LISTS)."""
    return WORK_LISTS[name].fetch(session, context, offset, limit)


def dashboard(session: Session, context: Context, *, rows: int = PREVIEW_ROWS) -> dict[str, Page]:
    """The first rows and the total of every work list."""
    return {name: spec.fetch(session, context, 0, rows) for name, spec in WORK_LISTS.items()}
