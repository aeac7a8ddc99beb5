"""The nurse dashboard: work lists (procedures, overdue, critical, reminder problems) and counts.

Every list is one indexed query with a LIMIT plus one COUNT, joined in SQL (no per-row
queries), so the dashboard stays fast with tens of thousands of active enrollments.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, Table, case, func, or_, select
from sqlmodel import Session, SQLModel

from tracker.models import (
    ChecklistItem,
    Enrollment,
    Pathway,
    PathwayVersion,
    Patient,
    Reminder,
    Step,
    User,
)
from tracker.patient_timeline import status_word

PAGE_SIZE = 50
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
RowKind = Literal["procedures", "items", "reminders"]


@dataclass(frozen=True)
class Filters:
    """Dashboard filters from the query string; None means all."""

    pathway_id: int | None = None
    nurse_id: int | None = None

    def args(self) -> dict[str, int]:
        """As query-string arguments for `url_for`, leaving out the unset ones."""
        pairs = {"pathway": self.pathway_id, "nurse": self.nurse_id}
        return {name: value for name, value in pairs.items() if value is not None}


@dataclass(frozen=True)
class ProcedureRow:
    """An enrollment whose procedure falls on the listed day."""

    enrollment_id: int
    patient_id: int
    patient_name: str
    mrn: str
    pathway: str
    starts_at: datetime
    timezone: str
    state: str
    nurse: str


@dataclass(frozen=True)
class ItemRow:
    """A checklist item needing attention, with its patient and step."""

    item_id: int
    enrollment_id: int
    patient_id: int
    patient_name: str
    mrn: str
    pathway: str
    step_text: str
    kind: str
    critical: bool
    status: str
    opens_at: datetime
    due_at: datetime
    expires_at: datetime | None
    procedure_start: datetime
    timezone: str
    shown_status: str = ""  # as the patient page words it now: overdue, missed, not done…


@dataclass(frozen=True)
class ReminderRow:
    """A reminder that failed or expired unsent."""

    reminder_id: int
    item_id: int
    enrollment_id: int
    patient_id: int
    patient_name: str
    mrn: str
    pathway: str
    step_text: str
    channel: str
    status: str
    send_at: datetime
    attempts: int
    last_error: str
    timezone: str


Row = ProcedureRow | ItemRow | ReminderRow


@dataclass(frozen=True)
class Context:
    """What every list query needs: the instant, the dashboard's zone and the filters."""

    now: datetime
    zone: ZoneInfo
    filters: Filters = field(default_factory=Filters)


@dataclass(frozen=True)
class Page:
    """One page of a work list and the list's total size."""

    rows: list[Row]
    total: int
    offset: int
    limit: int

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.rows) < self.total


@dataclass(frozen=True)
class WorkList:
    """A dashboard list: its URL name, heading, row kind, and how to fetch a page of it."""

    name: str
    title: str
    empty: str
    kind: RowKind
    fetch: Callable[[Session, Context, int, int], Page]


def day_bounds(now: datetime, zone: ZoneInfo, days_ahead: int = 0) -> tuple[datetime, datetime]:
    """UTC instants of local midnight starting the day `days_ahead` after today, and the next."""
    today = now.astimezone(zone).date()
    return _midnight(today + timedelta(days=days_ahead), zone), _midnight(
        today + timedelta(days=days_ahead + 1), zone
    )


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


# --- the queries ---------------------------------------------------------------------------


def _table(model: type[SQLModel]) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


ITEMS, ENROLLMENTS, PATIENTS = _table(ChecklistItem), _table(Enrollment), _table(Patient)
VERSIONS, STEPS, REMINDERS = _table(PathwayVersion), _table(Step), _table(Reminder)
USERS, PATHWAYS = _table(User), _table(Pathway)
_item, _enr, _pat, _ver = ITEMS.c, ENROLLMENTS.c, PATIENTS.c, VERSIONS.c
_step, _rem, _user = STEPS.c, REMINDERS.c, USERS.c


def _filtered(query: Select[Any], filters: Filters, *, join_version: bool) -> Select[Any]:
    """The pathway and nurse filters on a query over enrollments (joining versions if asked)."""
    if filters.pathway_id is not None:
        if join_version:
            query = query.join(VERSIONS, _ver.id == _enr.version_id)
        query = query.where(_ver.pathway_id == filters.pathway_id)
    if filters.nurse_id is not None:
        query = query.where(_enr.nurse_id == filters.nurse_id)
    return query


def _page(
    session: Session,
    context: Context,
    rows: Select[Any],
    count: Select[Any],
    offset: int,
    limit: int,
    build: Callable[[Any], Row],
) -> Page:
    """A page of `rows` and, unless the page shows them all, the `count` of the whole list,
    both narrowed by the context's filters."""
    rows = _filtered(rows, context.filters, join_version=False)
    count = _filtered(count, context.filters, join_version=True)
    connection = session.connection()
    found = [build(r) for r in connection.execute(rows.offset(offset).limit(limit))]
    if offset == 0 and len(found) < limit:
        total = len(found)
    else:
        total = int(connection.execute(count).scalar_one())
    return Page(found, total, offset, limit)


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
        return _page(
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
    return _page(
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
    return _page(
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
