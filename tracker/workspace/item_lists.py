"""The dashboard's item lists: overdue items, and critical items not confirmed by their deadline.

Both read unconfirmed items of active enrollments newest due first, in the order of an index,
and stop at the cap (see work_list_pages.page).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, or_, select
from sqlmodel import Session

from tracker.workspace.wording import status_word
from tracker.workspace.work_list_pages import (
    ENROLLMENTS,
    ITEMS,
    PATIENTS,
    STEPS,
    VERSIONS,
    Context,
    ItemRow,
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
        .where(one_of(_item.status, UNCONFIRMED_STATUSES), _enr.state == "active", *where)
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


def overdue(session: Session, context: Context, offset: int, limit: int) -> Page:
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


def critical(session: Session, context: Context, offset: int, limit: int) -> Page:
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
