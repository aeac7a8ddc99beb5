"""What a dashboard work list is made of, and how one page of it is read.

The filters and context every list query takes, the row each kind of list returns, a page
of rows, and `page`, which reads one page of a list. A list's cost follows what it shows, not
the size of the database: its candidates (ids and sort columns only) are read in the order of
an index and stop one past the context's `cap` (the LIST_CAP first, so the scan is bounded
however many enrollments there are), which also gives the count ("200+"); the page is ordered
among them, and only its rows are joined to their patients, pathways and steps. Below the cap
every list is exact. The queries themselves are in workspace.procedure_lists, item_lists and
reminder_lists; workspace.choices shares the table handles and the page size."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    Table,
    bindparam,
    func,
    select,
)
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

PAGE_SIZE = 50
# Rows a list considers, and the most it counts: beyond it the dashboard says "200+" and the
# list pages stop there (the filters narrow it). A nurse acts on the first rows, not on an
# exact four-digit total, and counting further would cost as much as the database is big.
LIST_CAP = 200
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
    cap: int = LIST_CAP  # see LIST_CAP


@dataclass(frozen=True)
class Page:
    """One page of a work list and the list's size (at most the cap: `capped` says more)."""

    rows: list[Row]
    total: int
    offset: int
    limit: int
    capped: bool = False

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.rows) < self.total

    @property
    def total_label(self) -> str:
        """The size as shown: "12", or "200+" when the list goes on past the cap."""
        return f"{self.total}+" if self.capped else str(self.total)


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


# --- table handles and paging --------------------------------------------------------------


def _table(model: type[SQLModel]) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


ITEMS, ENROLLMENTS, PATIENTS = _table(ChecklistItem), _table(Enrollment), _table(Patient)
VERSIONS, STEPS, REMINDERS = _table(PathwayVersion), _table(Step), _table(Reminder)
USERS, PATHWAYS = _table(User), _table(Pathway)
_enr, _ver = ENROLLMENTS.c, VERSIONS.c


def _filtered(query: Select[Any], *, pathway: bool, nurse: bool) -> Select[Any]:
    """The pathway and nurse filters (parameters `pathway_id`, `nurse_id`) on a query over
    enrollments."""
    if pathway:
        query = query.join(VERSIONS, _ver.id == _enr.version_id)
        query = query.where(_ver.pathway_id == bindparam("pathway_id"))
    if nurse:
        query = query.where(_enr.nurse_id == bindparam("nurse_id"))
    return query


def one_of(column: ColumnElement[str], values: tuple[str, ...]) -> ColumnElement[bool]:
    """`column IN (...)` with the values written into the SQL: the partial indexes of migration
    0007 are chosen only when the query repeats their condition literally."""
    values_in: BindParameter[Any] = bindparam(
        f"{column.key}_in", list(values), unique=True, literal_execute=True
    )
    return column.in_(values_in)


# How a list orders rows, given the columns to order by by name (`.c` of the candidates' query
# or of a subquery of it).
Order = Callable[[Any], Sequence[ColumnElement[Any]]]


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: each is built once
class ListQuery:
    """What a list reads, with its varying values as named parameters (`bindparam`), so the
    statement is composed once per filter combination rather than on every request.

    `candidates` selects each candidate's `id` and the columns the orders use; `scan` is the
    order of the index it is read in; `shown_in` the order the page is shown in (by default
    the scan's); `rows` joins the shown candidates to their display columns, its `key` column
    being the candidates' id.
    """

    candidates: Select[Any]
    scan: Order
    rows: Select[Any]
    key: ColumnElement[Any]
    shown_in: Order | None = None


def page(
    session: Session,
    context: Context,
    query: ListQuery,
    params: dict[str, Any],
    *,
    offset: int,
    limit: int,
    build: Callable[[dict[str, Any]], Row],
) -> Page:
    """One page of a list and its size, in one statement whatever the database's size.

    The candidates are read in the scan order up to one past the context's cap, narrowed by
    its filters, and counted; the page is cut from the first `cap` in the shown order, and
    only its rows are joined to their display columns. Rows are built by name.
    """
    filters = context.filters
    shape = (query, filters.pathway_id is not None, filters.nurse_id is not None)
    statement, counted = _statements(*shape)
    values_in = {
        **params,
        "pathway_id": filters.pathway_id,
        "nurse_id": filters.nurse_id,
        "scanned": context.cap + 1,  # one past the cap: the count says "200+"
        "considered": context.cap,
        "offset": offset,
        "limit": limit,
    }
    connection = session.connection()
    values = [dict(row._mapping) for row in connection.execute(statement, values_in)]
    if values:
        total = values[0]["found"]
    elif offset == 0:
        total = 0
    else:  # a page past the end: nothing to carry the count, so count on its own
        total = connection.execute(counted, values_in).scalar_one()
    page_rows = [build({k: v for k, v in row.items() if k != "found"}) for row in values]
    return Page(page_rows, min(total, context.cap), offset, limit, capped=total > context.cap)


@cache
def _statements(query: ListQuery, pathway: bool, nurse: bool) -> tuple[Select[Any], Select[Any]]:
    """The page statement and the count-only one for a list and a filter combination.

    Composed once: building these nested selects and their cache keys cost about a quarter of
    the dashboard's in-process time (five lists; 11 of 40 ms at 100,000 enrollments)."""
    candidates = _filtered(query.candidates, pathway=pathway, nurse=nurse)
    scan, shown_in = query.scan, query.shown_in or query.scan
    firsts = candidates.order_by(*scan(candidates.selected_columns)).limit(
        bindparam("scanned", type_=Integer)
    )
    firsts_cte = firsts.cte("firsts")
    considered = (
        select(firsts_cte)
        .order_by(*scan(firsts_cte.c))
        .limit(bindparam("considered", type_=Integer))
        .subquery("considered")
    )
    shown = (
        select(considered)
        .order_by(*shown_in(considered.c))
        .offset(bindparam("offset", type_=Integer))
        .limit(bindparam("limit", type_=Integer))
        .subquery("shown")
    )
    found = select(func.count()).select_from(firsts_cte).scalar_subquery().label("found")
    statement = (
        query.rows.add_columns(found)
        .join(shown, shown.c.id == query.key)
        .order_by(*shown_in(shown.c))
    )
    return statement, select(func.count()).select_from(firsts.subquery())
