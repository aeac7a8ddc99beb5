"""Rescheduling: preview and apply a new procedure time; items and their reminders follow.

`preview_reschedule` writes nothing; `reschedule` applies exactly the diff it would show.
Service functions never commit: the caller's transaction makes each call all-or-nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from tracker import audit
from tracker.care.item_reminders import Occasion
from tracker.care.moved_message import queue_moved_message
from tracker.care.procedure_time import check_start, procedure_instant
from tracker.care.schedule_rows import (
    ACTED,
    HORIZON,
    ITEM_FIELDS,
    EnrollmentContext,
    StepPlan,
    closed,
    context_of,
    items_of,
    require_active,
    set_status,
    sync_item,
    waiting_reminders,
    window_of,
    windows,
    write_items,
)
from tracker.errors import InvalidInput, Word
from tracker.localtime import Window
from tracker.models import ChecklistItem, Enrollment, Step
from tracker.reading import timing

PREPARATION = "preparation"
ENROLLMENT_TIMES = ("procedure_start", "procedure_end", "horizon")


@dataclass(frozen=True)
class ItemChange:
    """One item in a reschedule: its window and status now and after applying."""

    item_id: int | None  # None: a new occurrence, now within the horizon
    step_id: int
    occurrence: int
    text: str
    status: str
    new_status: str
    old: Window | None  # None for a new occurrence
    new: Window | None  # None when the occurrence no longer exists
    no_longer_counts: bool = False  # done preparation whose window moved: done for the old date
    reopen: bool = False
    critical: bool = False


@dataclass(frozen=True)
class RescheduleDiff:
    """What a new procedure time would move; `reschedule` applies exactly this."""

    enrollment_id: int
    timezone: str
    old_start: datetime
    old_end: datetime
    new_start: datetime
    new_end: datetime
    horizon: datetime
    changes: list[ItemChange] = field(default_factory=list)
    unchanged: int = 0

    @property
    def no_longer_counts(self) -> list[int]:
        return [c.item_id for c in self.changes if c.no_longer_counts and c.item_id is not None]


def preview_reschedule(
    *,
    session: Session,
    enrollment: Enrollment,
    start: datetime,
    now: datetime,
    fold: int | None = None,
    allow_past: bool = False,
    reopen: Collection[int] = (),
) -> RescheduleDiff:
    """What moving the procedure to local `start` would change; writes nothing."""
    return _plan_reschedule(
        session, enrollment, start, now=now, fold=fold, allow_past=allow_past, reopen=reopen
    )[0]


def reschedule(
    *,
    session: Session,
    enrollment: Enrollment,
    start: datetime,
    now: datetime,
    actor: str,
    fold: int | None = None,
    allow_past: bool = False,
    reopen: Collection[int] = (),
) -> RescheduleDiff:
    """Move the procedure to local `start`: items and their waiting reminders follow.

    Done items stay done (a moved preparation item is flagged as no longer counting) unless
    listed in `reopen`; pending items whose new window has closed become missed.
    """
    diff, context, items = _plan_reschedule(
        session, enrollment, start, now=now, fold=fold, allow_past=allow_past, reopen=reopen
    )
    enrollment_id = enrollment.id
    assert enrollment_id is not None
    before = audit.snapshot(enrollment, ENROLLMENT_TIMES)
    enrollment.procedure_start, enrollment.procedure_end = diff.new_start, diff.new_end
    enrollment.horizon, enrollment.updated_at = diff.horizon, now
    session.add(enrollment)
    plans = {plan.id: plan for plan in context.plans}
    waiting = waiting_reminders(session, enrollment)
    created: list[tuple[StepPlan, int, Window]] = []
    for change in diff.changes:
        plan = plans[change.step_id]
        if change.item_id is None:
            assert change.new is not None
            created.append((plan, change.occurrence, change.new))
            continue
        item = items[change.item_id]
        item_before = audit.snapshot(item, ITEM_FIELDS)
        _apply_change(item, change, now=now)
        session.add(item)
        sync_item(
            session,
            item,
            plan=plan,
            waiting=waiting.pop(change.item_id, []),
            context=context,
            now=now,
            occasion=Occasion.PLANNED,  # a moved window is new to the patient, reopened or not
        )
        action = "item.reopen" if change.reopen else "item.reschedule"
        audit.record(
            session=session,
            actor=actor,
            action=action,
            subject=item,
            before=item_before,
            after=audit.snapshot(item, ITEM_FIELDS) | {"no_longer_counts": change.no_longer_counts},
            patient_id=enrollment.patient_id,
            now=now,
        )
    if created:
        write_items(session, context, created, now)
    told = queue_moved_message(session=session, enrollment=enrollment, now=now)
    audit.record(
        session=session,
        actor=actor,
        action="enrollment.reschedule",
        subject=enrollment,
        before=before,
        patient_id=enrollment.patient_id,
        now=now,
        after=audit.snapshot(enrollment, ENROLLMENT_TIMES)
        | {
            "moved": sum(c.item_id is not None for c in diff.changes),
            "added": len(created),
            "reopened": [c.item_id for c in diff.changes if c.reopen],
            "no_longer_counts": diff.no_longer_counts,
            "patient_told": told,
        },
    )
    session.flush()
    return diff


def _plan_reschedule(
    session: Session,
    enrollment: Enrollment,
    start: datetime,
    *,
    now: datetime,
    fold: int | None,
    allow_past: bool,
    reopen: Collection[int],
) -> tuple[RescheduleDiff, EnrollmentContext, dict[int, ChecklistItem]]:
    require_active(enrollment)
    context = context_of(session, enrollment)
    new_start = procedure_instant(start, context.tz, fold=fold)
    check_start(new_start, now=now, allow_past=allow_past)
    new_end = new_start + (enrollment.procedure_end - enrollment.procedure_start)
    items = {item.id: item for item in items_of(session, enrollment) if item.id is not None}
    reopening = _check_reopen(items, reopen)
    horizon = max(enrollment.horizon or now, now + HORIZON)
    by_step: dict[int, dict[int, ChecklistItem]] = {}
    for row in items.values():
        by_step.setdefault(row.step_id, {})[row.occurrence] = row
    changes: list[ItemChange] = []
    unchanged = 0
    for plan in context.plans:
        existing = by_step.get(plan.id, {})
        new_windows = windows(context, plan, horizon=None, start=new_start, end=new_end)
        for number, window in enumerate(new_windows):
            item = existing.pop(number, None)
            if item is not None:
                change = _item_change(item, plan, window, now=now, reopen=item.id in reopening)
                changes.extend([change] if change else [])
                unchanged += change is None
            elif plan.step.recurrence is None or window.opens <= horizon:
                status = "missed" if closed(window, now) else "pending"
                changes.append(
                    ItemChange(
                        None,
                        plan.id,
                        number,
                        plan.step.text,
                        "",
                        status,
                        None,
                        window,
                        critical=plan.step.critical,
                    )
                )
        for item in existing.values():  # occurrences the new times no longer have
            new_status = "cancelled" if item.status in ("pending", "missed") else item.status
            changes.append(
                ItemChange(
                    item.id,
                    plan.id,
                    item.occurrence,
                    plan.step.text,
                    item.status,
                    new_status,
                    window_of(item),
                    None,
                    critical=plan.step.critical,
                )
            )
    assert enrollment.id is not None
    diff = RescheduleDiff(
        enrollment.id,
        enrollment.timezone,
        enrollment.procedure_start,
        enrollment.procedure_end,
        new_start,
        new_end,
        horizon,
        changes,
        unchanged,
    )
    return diff, context, items


def _check_reopen(items: dict[int, ChecklistItem], reopen: Collection[int]) -> set[int]:
    for item_id in sorted(set(reopen)):
        item = items.get(item_id)
        if item is None:
            raise InvalidInput(
                "reopen", "item %(item)s is not part of this enrollment", item=item_id
            )
        if item.status not in ACTED:
            raise InvalidInput(
                "reopen",
                "item %(item)s is %(status)s, nothing to reopen",
                item=item_id,
                status=Word(item.status),
            )
    return set(reopen)


def _item_change(
    item: ChecklistItem, plan: StepPlan, window: Window, *, now: datetime, reopen: bool
) -> ItemChange | None:
    old = window_of(item)
    moved = old != window
    if reopen or item.status in ("pending", "missed"):
        new_status = "missed" if closed(window, now) else "pending"
    else:
        new_status = item.status
    if not moved and new_status == item.status and not reopen:
        return None
    no_longer_counts = moved and item.status == "done" and is_preparation(plan.step)
    assert item.id is not None
    return ItemChange(
        item.id,
        plan.id,
        item.occurrence,
        plan.step.text,
        item.status,
        new_status,
        old,
        window,
        no_longer_counts,
        reopen,
        plan.step.critical,
    )


def _apply_change(item: ChecklistItem, change: ItemChange, *, now: datetime) -> None:
    """New window and status; the system, not the nurse, made any status change."""
    if change.new is not None:
        item.opens_at, item.due_at = change.new.opens, change.new.due
        item.expires_at = change.new.expires
    if change.new_status != item.status or change.reopen:
        set_status(item, change.new_status, actor="system", now=now)


def is_preparation(step: Step | timing.Step) -> bool:
    """Steps done before the procedure (fasting, medication holds): they count for one date."""
    return step.section.lower() == PREPARATION or step.kind.lower() == PREPARATION
