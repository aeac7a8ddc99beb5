"""An enrollment's rows: checklist items and reminders built from its version's steps.

Windows per step, items and reminders written in bulk, read back, and an item's waiting
reminders kept in step with its window and status. Shared by enrollment and rescheduling;
nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from weakref import WeakKeyDictionary
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlmodel import Session, col, select

from tracker import localtime
from tracker.care import item_reminders
from tracker.care.item_reminders import NOT_ITEM_REMINDERS, WAITING, Occasion
from tracker.care.procedure_time import zone
from tracker.errors import InvalidInput, Word
from tracker.library.pathways import steps_of, timing_step
from tracker.localtime import Window
from tracker.models import ChecklistItem, Enrollment, PathwayVersion, Patient, Reminder, Step
from tracker.reading import timing

HORIZON = timedelta(days=14)  # recurring items are written this far ahead of now
ACTED = frozenset({"done", "skipped", "not_done"})  # statuses a person set; reopening undoes them
ITEM_FIELDS = ("opens_at", "due_at", "expires_at", "status")  # what an item's audit shows
# Per database (engine): version id -> its typed steps, for published versions only.
_PLANS: WeakKeyDictionary[Any, dict[int, tuple[StepPlan, ...]]] = WeakKeyDictionary()


@dataclass(frozen=True)
class StepPlan:
    """One step of a version: its id and its typed timing (text, section, kind, flags)."""

    id: int
    step: timing.Step

    @classmethod
    def of(cls, row: Step) -> StepPlan:
        assert row.id is not None
        return cls(row.id, timing_step(row))


@dataclass
class EnrollmentContext:
    """Everything computing windows for one enrollment needs."""

    enrollment: Enrollment
    patient: Patient
    plans: list[StepPlan]
    tz: ZoneInfo
    channels: list[str]


def version_plans(session: Session, version: PathwayVersion) -> tuple[StepPlan, ...]:
    """A version's steps, typed. Published steps never change, so each database reads them once."""
    if version.state != "published" or version.id is None:
        return tuple(StepPlan.of(row) for row in steps_of(session, version))
    cache = _PLANS.setdefault(session.get_bind(), {})
    plans = cache.get(version.id)
    if plans is None:
        plans = cache[version.id] = tuple(StepPlan.of(row) for row in steps_of(session, version))
    return plans


def channels_for(patient: Patient) -> list[str]:
    """The in-app inbox always, then the patient's preferred channels."""
    return ["inapp", *(name for name in patient.channels if name != "inapp")]


def context_of(session: Session, enrollment: Enrollment) -> EnrollmentContext:
    """A saved enrollment with its patient, kept steps, zone and channels."""
    patient = session.get(Patient, enrollment.patient_id)
    version = session.get(PathwayVersion, enrollment.version_id)
    assert patient is not None and version is not None
    dropped = set(enrollment.dropped_steps)
    plans = [plan for plan in version_plans(session, version) if plan.id not in dropped]
    return EnrollmentContext(
        enrollment, patient, plans, zone(enrollment.timezone), channels_for(patient)
    )


def require_active(enrollment: Enrollment) -> None:
    """Only an active enrollment can be changed."""
    if enrollment.state != "active":
        raise InvalidInput(
            "enrollment",
            "enrollment %(id)s is %(state)s",
            id=enrollment.id,
            state=Word(enrollment.state),
        )


# --- windows and new rows ----------------------------------------------------------------


def windows(
    context: EnrollmentContext,
    plan: StepPlan,
    *,
    horizon: datetime | None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[Window]:
    """The plan's windows for the enrollment's procedure time (or the given one)."""
    enrollment = context.enrollment
    return localtime.occurrences(
        plan.step,
        start=enrollment.procedure_start if start is None else start,
        end=enrollment.procedure_end if end is None else end,
        tz=context.tz,
        reminder_hour=context.patient.reminder_hour,
        horizon=horizon,
    )


def occurrences(
    context: EnrollmentContext,
    *,
    horizon: datetime | None,
    plans: Iterable[StepPlan] | None = None,
) -> list[tuple[StepPlan, int, Window]]:
    """Every (plan, occurrence number, window) of the given plans (default: all kept ones)."""
    return [
        (plan, number, window)
        for plan in (context.plans if plans is None else plans)
        for number, window in enumerate(windows(context, plan, horizon=horizon))
    ]


def write_items(
    session: Session,
    context: EnrollmentContext,
    planned: list[tuple[StepPlan, int, Window]],
    now: datetime,
) -> list[dict[str, Any]]:
    """Items in one executemany INSERT, their ids read back by (step, occurrence), then their
    reminders in one more INSERT.

    Plain rows rather than ORM objects: building a model object per row costs more than the
    insert itself, and enrollment must stay fast.
    """
    enrollment_id = context.enrollment.id
    assert enrollment_id is not None
    rows = [_item_values(enrollment_id, plan.id, n, window, now) for plan, n, window in planned]
    if not rows:
        return rows
    connection = session.connection()
    connection.execute(insert(ChecklistItem), rows)
    query = select(ChecklistItem.step_id, ChecklistItem.occurrence, ChecklistItem.id).where(
        ChecklistItem.enrollment_id == enrollment_id
    )
    ids = {(step, number): item_id for step, number, item_id in session.exec(query) if item_id}
    reminders = []
    for row, (plan, _, _) in zip(rows, planned, strict=True):
        item_id = row["id"] = ids[row["step_id"], row["occurrence"]]
        want = item_reminders.wanted(
            status=row["status"],
            opens=row["opens_at"],
            due=row["due_at"],
            critical=plan.step.critical,
            asks=plan.step.asks,
            channels=context.channels,
            now=now,
            occasion=Occasion.PLANNED,
            at_hour=hour_of(context, plan),
        )
        reminders += [
            item_reminders.values(item_id, enrollment_id, purpose, send_at, channel)
            for (purpose, channel), send_at in want.items()
        ]
    if reminders:
        connection.execute(insert(Reminder), reminders)
    return rows


def _item_values(
    enrollment_id: int, step_id: int, occurrence: int, window: Window, now: datetime
) -> dict[str, Any]:
    missed = closed(window, now)
    return {
        "enrollment_id": enrollment_id,
        "step_id": step_id,
        "occurrence": occurrence,
        "opens_at": window.opens,
        "due_at": window.due,
        "expires_at": window.expires,
        "status": "missed" if missed else "pending",
        "note": "",
        "acted_at": now if missed else None,
        "acted_by": "system" if missed else "",
    }


def closed(window: Window, now: datetime) -> bool:
    """A window is over once its expiry (or, without one, its deadline) has passed."""
    return (window.expires or window.due) <= now


# --- reading back and changing existing rows ---------------------------------------------


def items_of(session: Session, enrollment: Enrollment) -> list[ChecklistItem]:
    """An enrollment's items in due order."""
    query = select(ChecklistItem).where(ChecklistItem.enrollment_id == enrollment.id)
    order = (col(ChecklistItem.due_at), col(ChecklistItem.step_id), col(ChecklistItem.occurrence))
    return list(session.exec(query.order_by(*order)).all())


def reminders_of(session: Session, enrollment: Enrollment) -> list[Reminder]:
    """An enrollment's reminders in send order."""
    query = select(Reminder).where(Reminder.enrollment_id == enrollment.id)
    return list(session.exec(query.order_by(col(Reminder.send_at), col(Reminder.id))).all())


def waiting_reminders(
    session: Session, enrollment: Enrollment, *, escalations: bool = False
) -> dict[int, list[Reminder]]:
    """Item id -> its reminders not yet handed to a channel, oldest first (the care team's
    escalation emails too only when asked: closing a plan cancels everything)."""
    query = select(Reminder).where(
        Reminder.enrollment_id == enrollment.id, col(Reminder.status).in_(WAITING)
    )
    if not escalations:
        query = query.where(col(Reminder.purpose).not_in(NOT_ITEM_REMINDERS))
    by_item: dict[int, list[Reminder]] = {}
    for reminder in session.exec(query.order_by(col(Reminder.id))):
        by_item.setdefault(reminder.item_id, []).append(reminder)
    return by_item


def sync_item(
    session: Session,
    item: ChecklistItem,
    *,
    plan: StepPlan,
    waiting: list[Reminder],
    context: EnrollmentContext,
    now: datetime,
    occasion: Occasion,
) -> dict[str, int]:
    """Bring one item's waiting reminders in line with its window and status."""
    want = item_reminders.wanted(
        status=item.status,
        opens=item.opens_at,
        due=item.due_at,
        critical=plan.step.critical,
        asks=plan.step.asks,
        channels=context.channels,
        now=now,
        occasion=occasion,
        at_hour=hour_of(context, plan),
    )
    return item_reminders.sync(session, item, waiting=waiting, want=want)


def hour_of(context: EnrollmentContext, plan: StepPlan) -> item_reminders.LocalHour | None:
    """The patient's reminder hour, when the plan's step repeats with no clock of its own."""
    hour = context.patient.reminder_hour
    return item_reminders.reminder_hour(plan.step, tz=context.tz, hour=hour)


def plan_of(context: EnrollmentContext, step_id: int) -> StepPlan:
    """The version's plan for one step of this enrollment."""
    return next(plan for plan in context.plans if plan.id == step_id)


def set_status(item: ChecklistItem, status: str, *, actor: str, now: datetime) -> None:
    """Pending clears who acted; any other status records who set it and when."""
    item.status = status
    item.acted_at = None if status == "pending" else now
    item.acted_by = "" if status == "pending" else actor


def window_of(item: ChecklistItem) -> Window:
    """The window an item is stored with."""
    return Window(opens=item.opens_at, due=item.due_at, expires=item.expires_at)
