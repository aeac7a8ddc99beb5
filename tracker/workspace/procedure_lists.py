"""The dashboard's procedure lists: enrollments whose procedure falls today or tomorrow."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, select
from sqlmodel import Session

from tracker.dbtypes import UTCDateTime
from tracker.workspace.work_list_pages import (
    ENROLLMENTS,
    PATIENTS,
    USERS,
    VERSIONS,
    Context,
    ListQuery,
    Page,
    ProcedureRow,
    day_bounds,
    page,
)

LIVE_STATES = ("active", "completed")  # procedures listed for a day: everything but cancelled

_enr, _pat, _ver, _user = ENROLLMENTS.c, PATIENTS.c, VERSIONS.c, USERS.c


ROWS = (
    select(
        _enr.id.label("enrollment_id"),
        _enr.patient_id,
        _pat.name.label("patient_name"),
        _pat.mrn,
        _ver.title.label("pathway"),
        _enr.procedure_start.label("starts_at"),
        _enr.timezone,
        _enr.state,
        func.coalesce(func.nullif(_user.name, ""), _user.email, "").label("nurse"),
    )
    .select_from(ENROLLMENTS)
    .join(PATIENTS, _pat.id == _enr.patient_id)
    .join(VERSIONS, _ver.id == _enr.version_id)
    .outerjoin(USERS, _user.id == _enr.nurse_id)
)


def _soonest_first(c: Any) -> list[ColumnElement[Any]]:
    return [c.procedure_start, c.id]


# Procedures starting between the parameters `day_start` and `day_end` (index
# ix_enrollment_procedure_start), soonest first.
QUERY = ListQuery(
    candidates=select(_enr.id, _enr.procedure_start)
    .select_from(ENROLLMENTS)
    .where(
        _enr.procedure_start >= bindparam("day_start", type_=UTCDateTime()),
        _enr.procedure_start < bindparam("day_end", type_=UTCDateTime()),
        _enr.state.in_(LIVE_STATES),
    ),
    scan=_soonest_first,
    rows=ROWS,
    key=_enr.id,
)


def procedures_on(days_ahead: int) -> Callable[[Session, Context, int, int], Page]:
    """The list of procedures starting on the local day `days_ahead` after today."""

    def fetch(session: Session, context: Context, offset: int, limit: int) -> Page:
        start, end = day_bounds(context.now, context.zone, days_ahead)
        return page(
            session,
            context,
            QUERY,
            {"day_start": start, "day_end": end},
            offset=offset,
            limit=limit,
            build=lambda values: ProcedureRow(**values),
        )

    return fetch
