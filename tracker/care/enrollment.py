"""Enrollment: a patient on a published pathway version, as UTC checklist items and reminder rows.

Enroll and reopen an item here. The procedure time is read in tracker.care.procedure_time, the
rows are built in tracker.care.schedule_rows, a new procedure time is applied in
tracker.care.rescheduling, an enrollment is cancelled or completed in tracker.care.finishing and
recurring items are rolled forward in tracker.care.horizon.
Service functions never commit: the caller's transaction makes each call all-or-nothing
(views and commands use `session_scope`; an exception there rolls everything back).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlmodel import Session

from tracker import audit
from tracker.care import late_start
from tracker.care.finishing import cancel_enrollment, complete_enrollment
from tracker.care.horizon import extend_horizon
from tracker.care.item_reminders import DUE_SOON_BEFORE, WAITING, Occasion
from tracker.care.procedure_time import check_start, procedure_instant, zone
from tracker.care.rescheduling import reschedule
from tracker.care.schedule_rows import (
    ACTED,
    HORIZON,
    ITEM_FIELDS,
    EnrollmentContext,
    StepPlan,
    channels_for,
    closed,
    context_of,
    occurrences,
    plan_of,
    require_active,
    set_status,
    sync_item,
    version_plans,
    waiting_reminders,
    window_of,
    write_items,
)
from tracker.errors import InvalidInput, UndecidedSteps, Word
from tracker.localtime import Window
from tracker.models import ChecklistItem, Enrollment, PathwayVersion, Patient

# The service API, and names callers import from here that live elsewhere: DUE_SOON_BEFORE and
# WAITING (care.item_reminders), HORIZON and channels_for (care.schedule_rows), reschedule
# (care.rescheduling), cancel_enrollment and complete_enrollment (care.finishing),
# extend_horizon (care.horizon).
__all__ = [
    "DUE_SOON_BEFORE",
    "HORIZON",
    "WAITING",
    "UndecidedSteps",
    "cancel_enrollment",
    "channels_for",
    "complete_enrollment",
    "enroll",
    "extend_horizon",
    "reopen_item",
    "reschedule",
]

CREATED_FIELDS = (
    "version_id",
    "procedure_start",
    "procedure_end",
    "timezone",
    "dropped_steps",
    "horizon",
)


# --- enroll ------------------------------------------------------------------------------


def enroll(
    *,
    session: Session,
    patient: Patient,
    version: PathwayVersion,
    start: datetime,
    now: datetime,
    actor: str,
    timezone: str | None = None,
    fold: int | None = None,
    confirm: Collection[int] = (),
    drop: Collection[int] = (),
    allow_past: bool = False,
    nurse_id: int | None = None,
    horizon: timedelta = HORIZON,
    catch_up: bool = False,
    drop_reason: str = "",
) -> Enrollment:
    """Put `patient` on `version` for a procedure at local `start`; items and reminders in one go.

    Every conditional step must be in `confirm` or `drop`. Items whose window has already
    closed are `missed` and get no reminders; recurring steps are written up to the horizon.
    With `catch_up`, items that would start out late get a short window from now instead
    (tracker.care.late_start). `drop_reason` (why a step was dropped) goes to the audit log.
    """
    enrollment, context, planned = plan_enrollment(
        session=session,
        patient=patient,
        version=version,
        start=start,
        now=now,
        timezone=timezone,
        fold=fold,
        confirm=confirm,
        drop=drop,
        allow_past=allow_past,
        nurse_id=nurse_id,
        horizon=horizon,
    )
    if catch_up:
        planned = late_start.caught_up(planned, now=now, start=enrollment.procedure_start)
    session.add(enrollment)
    session.flush()
    items = write_items(session, context, planned, now)
    missed = sum(row["status"] == "missed" for row in items)
    facts = {"items": len(items), "missed": missed, "caught_up": catch_up}
    audit.record(
        session=session,
        actor=actor,
        action="enrollment.create",
        subject=enrollment,
        before=None,
        after=audit.snapshot(enrollment, CREATED_FIELDS)
        | facts
        | ({"drop_reason": drop_reason} if drop_reason else {}),
        patient_id=patient.id,
        now=now,
    )
    return enrollment


def plan_enrollment(
    *,
    session: Session,
    patient: Patient,
    version: PathwayVersion,
    start: datetime,
    now: datetime,
    timezone: str | None = None,
    fold: int | None = None,
    confirm: Collection[int] = (),
    drop: Collection[int] = (),
    allow_past: bool = False,
    nurse_id: int | None = None,
    horizon: timedelta = HORIZON,
) -> tuple[Enrollment, EnrollmentContext, list[tuple[StepPlan, int, Window]]]:
    """The enrollment `enroll` would write (not added to the session) and its windows: what
    a nurse is warned about before enrolling (tracker.care.late_start)."""
    if version.state != "published":
        raise InvalidInput(
            "version",
            "version %(number)s is %(state)s, not published",
            number=version.number,
            state=Word(version.state),
        )
    if patient.id is None:
        raise InvalidInput("patient", "is not saved yet")
    zone_name = patient.timezone if timezone is None else timezone.strip()
    tz = zone(zone_name)
    start_utc = procedure_instant(start, tz, fold=fold)
    check_start(start_utc, now=now, allow_past=allow_past)
    plans = version_plans(session, version)
    dropped = _decide(plans, confirm=confirm, drop=drop)
    assert version.id is not None
    enrollment = Enrollment(
        patient_id=patient.id,
        version_id=version.id,
        nurse_id=nurse_id,
        procedure_start=start_utc,
        procedure_end=start_utc + timedelta(minutes=version.duration_minutes),
        timezone=zone_name,
        dropped_steps=sorted(dropped),
        horizon=now + horizon,
        created_at=now,
        updated_at=now,
    )
    kept = [plan for plan in plans if plan.id not in dropped]
    context = EnrollmentContext(enrollment, patient, kept, tz, channels_for(patient))
    return enrollment, context, occurrences(context, horizon=enrollment.horizon)


def _decide(
    plans: Sequence[StepPlan], *, confirm: Collection[int], drop: Collection[int]
) -> set[int]:
    """The dropped step ids, once every conditional step has been confirmed or dropped."""
    conditional = {plan.id for plan in plans if plan.step.conditional}
    confirmed, dropped = set(confirm), set(drop)
    strangers = sorted((confirmed | dropped) - conditional)
    if strangers:
        raise InvalidInput(
            "conditional", "step %(step)s is not conditional in this version", step=strangers[0]
        )
    both = sorted(confirmed & dropped)
    if both:
        raise InvalidInput(
            "conditional", "step %(step)s is both confirmed and dropped", step=both[0]
        )
    undecided = [
        (plan.id, plan.step.text)
        for plan in plans
        if plan.step.conditional and plan.id not in confirmed | dropped
    ]
    if undecided:
        raise UndecidedSteps(undecided)
    return dropped


# --- reopen ------------------------------------------------------------------------------


def reopen_item(
    *, session: Session, item: ChecklistItem, actor: str, now: datetime
) -> ChecklistItem:
    """Undo done, skipped or not-done: pending again (missed if its window has closed)."""
    enrollment = session.get(Enrollment, item.enrollment_id)
    assert enrollment is not None
    require_active(enrollment)
    if item.status not in ACTED:
        raise InvalidInput(
            "item",
            "item %(item)s is %(status)s, nothing to reopen",
            item=item.id,
            status=Word(item.status),
        )
    context = context_of(session, enrollment)
    assert item.id is not None
    before = audit.snapshot(item, ITEM_FIELDS + ("acted_at", "acted_by"))
    set_status(
        item, "missed" if closed(window_of(item), now) else "pending", actor="system", now=now
    )
    session.add(item)
    sync_item(
        session,
        item,
        plan=plan_of(context, item.step_id),
        waiting=waiting_reminders(session, enrollment).get(item.id, []),
        context=context,
        now=now,
        occasion=Occasion.REOPENED,
    )
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="item.reopen",
        subject=item,
        before=before,
        after=audit.snapshot(item, ITEM_FIELDS + ("acted_at", "acted_by")),
        patient_id=enrollment.patient_id,
        now=now,
    )
    return item
