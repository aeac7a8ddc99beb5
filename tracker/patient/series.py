"""A repeating step's whole series for one enrollment, as the patient is told about it.

Stored checklist rows stop at a horizon (tracker.care.schedule_rows.HORIZON) and are rolled
forward by the scheduler; what the patient reads must not stop there. Here every occurrence
is expanded from the step's stored RRULE with `tracker.localtime.occurrences` (no horizon),
the same expansion the stored rows come from, so the page, the printed plan and the
calendar tell the whole span ("15 times in all, the last on Mon 29 Mar").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine
from sqlmodel import Session, col, select

from tracker import localtime
from tracker.care import item_reminders
from tracker.care.schedule_rows import version_plans
from tracker.db import connection_of, engine_of, orm_session
from tracker.localtime import Window
from tracker.models import PathwayVersion, Patient
from tracker.patient.links import EnrollmentRecord
from tracker.reading import timing

CACHED = 4096  # series sets kept per database (one per enrollment and procedure time)


@dataclass(frozen=True)
class Series:
    """Every occurrence of one repeating step for one enrollment, in order (UTC windows)."""

    step_id: int
    step: timing.Step
    windows: tuple[Window, ...]
    at_hour: item_reminders.LocalHour | None  # when its reminders go, if not at its opening

    @property
    def count(self) -> int:
        return len(self.windows)

    @property
    def first(self) -> datetime:
        return self.windows[0].opens

    @property
    def last(self) -> datetime:
        """When the last occurrence opens."""
        return self.windows[-1].opens


# Per database: (version, start, end, zone, reminder hour) -> that plan's series.
_SERIES: WeakKeyDictionary[Engine, dict[tuple[Any, ...], dict[int, Series]]] = WeakKeyDictionary()


def whole_series(db: Session | Connection, enrollment: EnrollmentRecord) -> dict[int, Series]:
    """Step id -> its whole series, for each repeating step of the enrollment's version.

    Kept per database for the procedure's times, zone and reminder hour: a published version's
    steps never change, so neither do the series. Measured in-process on the seed pathway
    (SQLite, `load_page`, 200 views, a shared machine): 1.9-2.6 ms a view reading and expanding
    afresh, 1.3-1.6 ms with this cache, one small query left."""
    connection = connection_of(db)
    hour = connection.execute(
        select(col(Patient.reminder_hour)).where(col(Patient.id) == enrollment.patient_id)
    ).scalar_one()
    key = (
        enrollment.version_id,
        enrollment.procedure_start,
        enrollment.procedure_end,
        enrollment.timezone,
        hour,
    )
    cache = _SERIES.setdefault(engine_of(db), {})
    found = cache.get(key)
    if found is None:
        found, final = _expand(db, enrollment, hour)
        if final:
            if len(cache) >= CACHED:
                cache.clear()  # plain and bounded: a busy day refills it in a few page views
            cache[key] = found
    return found


def _expand(
    db: Session | Connection, enrollment: EnrollmentRecord, hour: int
) -> tuple[dict[int, Series], bool]:
    """The series, and whether they can be kept (the version is no longer a draft)."""
    with orm_session(db) as session:
        version = session.get(PathwayVersion, enrollment.version_id)
        assert version is not None
        plans = [plan for plan in version_plans(session, version) if plan.step.recurrence]
        final = version.state != "draft"
    tz = localtime.zone(enrollment.timezone)
    found: dict[int, Series] = {}
    for plan in plans:
        windows = localtime.occurrences(
            plan.step,
            start=enrollment.procedure_start,
            end=enrollment.procedure_end,
            tz=tz,
            reminder_hour=hour,
        )
        at_hour = item_reminders.reminder_hour(plan.step, tz=tz, hour=hour)
        found[plan.id] = Series(plan.id, plan.step, tuple(windows), at_hour)
    return found, final
