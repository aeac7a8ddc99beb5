"""The nurse dashboard: work lists (procedures, overdue, critical, reminder problems) and counts.

Each list reads its candidates in the order of an index (procedures by start, items and
reminders newest first) and stops at the cap (work_list_pages.LIST_CAP), then orders that page
the way a nurse works through it, joined in SQL (no per-row queries). So a list costs what it
shows: with 10,000 or 100,000 active enrollments the dashboard reads about the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, bindparam, case, func, or_, select
from sqlmodel import Session

from tracker.reminders import escalation
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
ALERT_ROWS = 20  # the newest care-team alerts shown; a failing mail server can raise thousands
# Not confirmed ("not_done" is the patient saying so); overdue lists these, critical also missed.
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


def _one_of(column: ColumnElement[str], values: tuple[str, ...]) -> ColumnElement[bool]:
    """`column IN (...)` with the values written into the SQL: the partial indexes of migration
    0007 are chosen only when the query repeats their condition literally."""
    values_in: BindParameter[Any] = bindparam(
        f"{column.key}_in", list(values), unique=True, literal_execute=True
    )
    return column.in_(values_in)


def _procedures_on(days_ahead: int) -> Callable[[Session, Context, int, int], Page]:
    def fetch(session: Session, context: Context, offset: int, limit: int) -> Page:
        start, end = day_bounds(context.now, context.zone, days_ahead)
        order = (_enr.procedure_start, _enr.id)
        candidates = (
            select(_enr.id)
            .select_from(ENROLLMENTS)
            .where(
                _enr.procedure_start >= start,
                _enr.procedure_start < end,
                _enr.state.in_(LIVE_STATES),
            )
            .order_by(*order)
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
            .order_by(*order)
        )
        return page(
            session,
            context,
            candidates=candidates,
            rows=rows,
            key=_enr.id,
            offset=offset,
            limit=limit,
            build=lambda r: ProcedureRow(*r),
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
    critical_only: bool,
) -> Page:
    """Unconfirmed items of active enrollments matching `where`, the most recently due first
    (index ix_item_unconfirmed_due, read backwards) up to the cap, shown in `order`."""
    candidates = (
        select(_item.id)
        .select_from(ITEMS)
        .join(ENROLLMENTS, _enr.id == _item.enrollment_id)
        .where(_one_of(_item.status, UNCONFIRMED_STATUSES), _enr.state == "active", *where)
        .order_by(_item.due_at.desc(), _item.id.desc())
    )
    if critical_only:  # step ids from a tiny table, checked in the index before any lookup
        candidates = candidates.where(
            _item.step_id.in_(select(_step.id).where(_step.critical.is_(True)))
        )
    rows = (
        select(*ITEM_COLUMNS)
        .select_from(ITEMS)
        .join(ENROLLMENTS, _enr.id == _item.enrollment_id)
        .join(STEPS, _step.id == _item.step_id)
        .join(PATIENTS, _pat.id == _enr.patient_id)
        .join(VERSIONS, _ver.id == _enr.version_id)
        .order_by(*order)
    )
    return page(
        session,
        context,
        candidates=candidates,
        rows=rows,
        key=_item.id,
        offset=offset,
        limit=limit,
        build=lambda r: _item_row(r, context.now),
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
            # Not "status IN (pending, not_done)": SQLite would then read ix_item_status_due and
            # sort the whole window instead of stopping at the cap.
            _item.status != "missed",
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
        critical_only=False,
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
        where=[_item.due_at >= now - CRITICAL_LOOKBACK, _item.due_at < now],
        order=[
            case((_enr.procedure_start < now, 1), else_=0),
            _enr.procedure_start,
            _item.due_at,
            _item.id,
        ],
        critical_only=True,
    )


def _reminder_problems(session: Session, context: Context, offset: int, limit: int) -> Page:
    """Failed or expired reminders of active enrollments planned within REMINDER_LOOKBACK of
    now (either side: a retry or a deferral can plan one ahead), newest first (index
    ix_reminder_problems)."""
    order = (_rem.send_at.desc(), _rem.id.desc())
    candidates = (
        select(_rem.id)
        .select_from(REMINDERS)
        .join(ENROLLMENTS, _enr.id == _rem.enrollment_id)
        .where(
            _one_of(_rem.status, PROBLEM_REMINDERS),
            _rem.send_at >= context.now - REMINDER_LOOKBACK,
            _rem.send_at < context.now + REMINDER_LOOKBACK,
            _enr.state == "active",
        )
        .order_by(*order)
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
        .order_by(*order)
    )
    return page(
        session,
        context,
        candidates=candidates,
        rows=rows,
        key=_rem.id,
        offset=offset,
        limit=limit,
        build=lambda r: ReminderRow(*r),
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
    """The first rows and the size (up to the cap) of every work list."""
    return {name: spec.fetch(session, context, 0, rows) for name, spec in WORK_LISTS.items()}


@dataclass(frozen=True)
class Alerts:
    """The newest care-team alerts on the dashboard; `capped` when there are more. Iterates
    and measures like the list of alerts it holds."""

    rows: list[escalation.Alert]
    capped: bool

    def __iter__(self) -> Iterator[escalation.Alert]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def total_label(self) -> str:
        """How many, as shown: "3", or "20+" when older ones are left out."""
        return f"{len(self.rows)}+" if self.capped else str(len(self.rows))


def alerts(session: Session, context: Context, *, rows: int = ALERT_ROWS) -> Alerts:
    """The newest `rows` alerts (escalated items, failed reminders) the filters let through:
    read newest first and stopped there, so their cost does not grow with the backlog."""
    filters = context.filters
    found = escalation.alerts(
        session,
        context.now,
        pathway_id=filters.pathway_id,
        nurse_id=filters.nurse_id,
        limit=rows + 1,
    )
    return Alerts(found[:rows], capped=len(found) > rows)
