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


def procedures_on(days_ahead: int) -> Callable[[Session, Context, int, int], Page]:
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
