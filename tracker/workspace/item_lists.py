"""The dashboard's item lists: overdue items, and critical items not confirmed by their deadline.

Both read unconfirmed items of active enrollments newest due first, in the order of an index,
and stop at the cap (see work_list_pages.page).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, bindparam, case, or_, select
from sqlmodel import Session

from tracker.dbtypes import UTCDateTime
from tracker.workspace.wording import status_word
from tracker.workspace.work_list_pages import (
    ENROLLMENTS,
    ITEMS,
    PATIENTS,
    STEPS,
    VERSIONS,
    Context,
    ItemRow,
    ListQuery,
    Order,
    Page,
    one_of,
    page,
)

# Not confirmed ("not_done" is the patient saying so); overdue lists these, critical also missed.
UNCONFIRMED_STATUSES = ("pending", "not_done", "missed")
# How far back the lists look. Each bounds an index range scan, so the dashboard stays fast
# however much history piles up (completed enrollments keep their unticked items); older
# problems stay visible on the patient's own page.
OVERDUE_LOOKBACK = timedelta(days=30)
CRITICAL_LOOKBACK = timedelta(days=14)

_item, _enr, _pat, _ver, _step = ITEMS.c, ENROLLMENTS.c, PATIENTS.c, VERSIONS.c, STEPS.c
# Step ids from a tiny table: checked against the index's step_id before any row lookup.
CRITICAL_STEP_IDS = select(_step.id).where(_step.critical.is_(True))


ROWS = (
    select(
        _item.id.label("item_id"),
        _item.enrollment_id,
        _enr.patient_id,
        _pat.name.label("patient_name"),
        _pat.mrn,
        _ver.title.label("pathway"),
        _step.text.label("step_text"),
        _step.kind,
        _step.critical,
        _item.status,
        _item.opens_at,
        _item.due_at,
        _item.expires_at,
        _enr.procedure_start,
        _enr.timezone,
    )
    .select_from(ITEMS)
    .join(ENROLLMENTS, _enr.id == _item.enrollment_id)
    .join(STEPS, _step.id == _item.step_id)
    .join(PATIENTS, _pat.id == _enr.patient_id)
    .join(VERSIONS, _ver.id == _enr.version_id)
)


def _newest_due_first(c: Any) -> list[ColumnElement[Any]]:
    return [c.due_at.desc(), c.id.desc()]


def _unconfirmed(
    columns: Sequence[ColumnElement[Any]], where: Sequence[ColumnElement[bool]], shown_in: Order
) -> ListQuery:
    """Unconfirmed items of active enrollments matching `where`, the most recently due first
    (index ix_item_unconfirmed_due, read backwards) up to the cap, shown in `shown_in` order
    (of the candidates' id, due_at and `columns`)."""
    candidates = (
        select(_item.id, _item.due_at, *columns)
        .select_from(ITEMS)
        .join(ENROLLMENTS, _enr.id == _item.enrollment_id)
        .where(one_of(_item.status, UNCONFIRMED_STATUSES), _enr.state == "active", *where)
    )
    return ListQuery(candidates, _newest_due_first, ROWS, _item.id, shown_in)


def _page(
    session: Session, context: Context, query: ListQuery, since: datetime, offset: int, limit: int
) -> Page:
    now = context.now
    return page(
        session,
        context,
        query,
        {"now": now, "since": since},
        offset=offset,
        limit=limit,
        build=lambda values: _item_row(values, now),
    )


def _item_row(values: dict[str, Any], now: datetime) -> ItemRow:
    shown = status_word(
        values["status"],
        opens_at=values["opens_at"],
        due_at=values["due_at"],
        expires_at=values["expires_at"],
        now=now,
    )
    return ItemRow(**values, shown_status=shown)


def _critical_then_expiring(c: Any) -> list[ColumnElement[Any]]:
    """Critical first, then soonest to expire (the last chance to act), then longest overdue."""
    return [
        c.critical.desc(),
        case((c.expires_at.is_(None), 1), else_=0),
        c.expires_at,
        c.due_at,
        c.id,
    ]


def _ahead_then_past(c: Any) -> list[ColumnElement[Any]]:
    """Procedures still ahead first, soonest first, then those past."""
    now: BindParameter[datetime] = bindparam("now", type_=UTCDateTime())
    return [case((c.procedure_start < now, 1), else_=0), c.procedure_start, c.due_at, c.id]


_NOW: BindParameter[datetime] = bindparam("now", type_=UTCDateTime())
_SINCE: BindParameter[datetime] = bindparam("since", type_=UTCDateTime())
OVERDUE = _unconfirmed(
    [_item.expires_at, _item.step_id.in_(CRITICAL_STEP_IDS).label("critical")],
    [
        # Not "status IN (pending, not_done)": SQLite would then read ix_item_status_due and
        # sort the whole window instead of stopping at the cap.
        _item.status != "missed",
        _item.due_at >= _SINCE,
        _item.due_at < _NOW,
        or_(_item.expires_at.is_(None), _item.expires_at > _NOW),
    ],
    _critical_then_expiring,
)
CRITICAL = _unconfirmed(
    [_enr.procedure_start],
    [_item.due_at >= _SINCE, _item.due_at < _NOW, _item.step_id.in_(CRITICAL_STEP_IDS)],
    _ahead_then_past,
)


def overdue(session: Session, context: Context, offset: int, limit: int) -> Page:
    """Unconfirmed past their deadline (within OVERDUE_LOOKBACK) but still worth doing:
    critical first, then soonest to expire (the last chance to act), then longest overdue."""
    return _page(session, context, OVERDUE, context.now - OVERDUE_LOOKBACK, offset, limit)


def critical(session: Session, context: Context, offset: int, limit: int) -> Page:
    """Critical items (fasting, medication holds) not confirmed by their deadline (within
    CRITICAL_LOOKBACK): procedures still ahead first, soonest first, then those past."""
    return _page(session, context, CRITICAL, context.now - CRITICAL_LOOKBACK, offset, limit)
