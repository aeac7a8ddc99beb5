"""The dashboard's procedure lists: enrollments whose procedure falls today or tomorrow."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from sqlmodel import Session

from tracker.workspace.work_list_pages import (
    ENROLLMENTS,
    PATIENTS,
    USERS,
    VERSIONS,
    Context,
    Page,
    ProcedureRow,
    day_bounds,
    page,
)

LIVE_STATES = ("active", "completed")  # procedures listed for a day: everything but cancelled

_enr, _pat, _ver, _user = ENROLLMENTS.c, PATIENTS.c, VERSIONS.c, USERS.c


KEY = _enr.id.label("enrollment_id")
ROWS = (
    select(
        KEY,
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


def procedures_on(days_ahead: int) -> Callable[[Session, Context, int, int], Page]:
    """The list of procedures starting on the local day `days_ahead` after today, soonest
    first (index ix_enrollment_procedure_start)."""

    def fetch(session: Session, context: Context, offset: int, limit: int) -> Page:
        start, end = day_bounds(context.now, context.zone, days_ahead)
        candidates = (
            select(_enr.id)
            .select_from(ENROLLMENTS)
            .where(
                _enr.procedure_start >= start,
                _enr.procedure_start < end,
                _enr.state.in_(LIVE_STATES),
            )
            .order_by(_enr.procedure_start, _enr.id)
        )
        return page(
            session,
            context,
            candidates=candidates,
            rows=ROWS,
            key=KEY,
            offset=offset,
            limit=limit,
            build=lambda row: ProcedureRow(**row._mapping),
        )

    return fetch
