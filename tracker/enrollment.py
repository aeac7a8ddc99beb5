"""Enrollment: a patient on a published pathway version, as UTC checklist items and reminder rows.

Enroll, preview and apply a reschedule, cancel, complete, roll recurring items forward, reopen.
Service functions never commit: the caller's transaction makes each call all-or-nothing
(views and commands use `session_scope`; an exception there rolls everything back).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from weakref import WeakKeyDictionary
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlmodel import Session, col, select

from tracker import audit, localtime, timing
from tracker.localtime import Window
from tracker.models import ChecklistItem, Enrollment, PathwayVersion, Patient, Reminder, Step
from tracker.pathways import steps_of, timing_step
from tracker.patients import InvalidInput

HORIZON = timedelta(days=14)  # recurring items are written this far ahead of now
DUE_SOON_BEFORE = timedelta(minutes=60)  # critical items get a second reminder this long before due
ACTED = frozenset({"done", "skipped", "not_done"})  # statuses a person set; reopening undoes them
WAITING = ("pending", "deferred")  # reminders not yet handed to a channel
PREPARATION = "preparation"
# Per database (engine): version id -> its typed steps, for published versions only.
_PLANS: WeakKeyDictionary[Any, dict[int, tuple[_Plan, ...]]] = WeakKeyDictionary()
EXAMPLE = "2027-03-15T08:00"
CREATED_FIELDS = (
    "version_id",
    "procedure_start",
    "procedure_end",
    "timezone",
    "dropped_steps",
    "horizon",
)


class NonexistentStart(InvalidInput):
    """The local start falls in a DST gap; `candidates` are the two real instants it could mean."""

    def __init__(
        self, local: datetime, tz: ZoneInfo, candidates: tuple[datetime, datetime]
    ) -> None:
        self.candidates = candidates
        first, second = (_reading(moment, tz) for moment in candidates)
        super().__init__(
            "start",
            f"{local:%Y-%m-%d %H:%M} does not exist in {tz.key} (the clocks go forward); "
            f"enter {first} or {second}",
        )


class AmbiguousStart(InvalidInput):
    """The local start happens twice (clocks go back); answer with fold 0 (first) or 1 (second)."""

    def __init__(
        self, local: datetime, tz: ZoneInfo, candidates: tuple[datetime, datetime]
    ) -> None:
        self.candidates = candidates
        first, second = (_reading(moment, tz) for moment in candidates)
        super().__init__(
            "start",
            f"{local:%Y-%m-%d %H:%M} happens twice in {tz.key} (the clocks go back); "
            f"choose fold 0 for {first} or fold 1 for {second}",
        )


class UndecidedSteps(InvalidInput):
    """Conditional steps the nurse has neither confirmed nor dropped."""

    def __init__(self, steps: list[tuple[int, str]]) -> None:
        self.steps = steps  # (step id, text)
        listed = "; ".join(f"[{step_id}] {text}" for step_id, text in steps)
        super().__init__("conditional", f"confirm or drop each conditional step: {listed}")


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


@dataclass(frozen=True)
class _Plan:
    """One step of a version: its id and its typed timing (text, section, kind, flags)."""

    id: int
    step: timing.Step

    @classmethod
    def of(cls, row: Step) -> _Plan:
        assert row.id is not None
        return cls(row.id, timing_step(row))


@dataclass
class _Context:
    """Everything computing windows for one enrollment needs."""

    enrollment: Enrollment
    patient: Patient
    plans: list[_Plan]
    tz: ZoneInfo
    channels: list[str]


# --- the procedure time ------------------------------------------------------------------


def parse_local_start(text: str) -> datetime:
    """A local date and time like 2027-03-15T08:00 (no offset: the zone is given separately)."""
    if not text.strip():
        raise InvalidInput("start", f"is required, a local date and time like {EXAMPLE}")
    try:
        local = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            "start", f"{text!r} is not a local date and time like {EXAMPLE}"
        ) from None
    if local.tzinfo is not None:
        raise InvalidInput("start", f"give local time without an offset: {text!r}")
    return local


def procedure_instant(local: datetime, tz: ZoneInfo, *, fold: int | None = None) -> datetime:
    """The UTC instant of a local wall time; a DST gap or an unanswered repeat raises."""
    if local.tzinfo is not None:
        raise InvalidInput("start", "give local time without an offset")
    if fold not in (None, 0, 1):
        raise InvalidInput("fold", "must be 0 (the first of a repeated hour) or 1 (the second)")
    try:
        return localtime.local_to_utc(local, tz, strict=True)
    except localtime.NonexistentLocalTime:
        raise NonexistentStart(local, tz, _candidates(local, tz)) from None
    except localtime.AmbiguousLocalTime:
        if fold is None:
            raise AmbiguousStart(local, tz, _candidates(local, tz)) from None
        return local.replace(tzinfo=tz, fold=fold).astimezone(UTC)


def _candidates(local: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    first, second = sorted(local.replace(tzinfo=tz, fold=f).astimezone(UTC) for f in (0, 1))
    return first, second


def _reading(moment: datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    offset = f"{local:%z}"
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({offset[:3]}:{offset[3:]})"


def _zone(name: str) -> ZoneInfo:
    try:
        return localtime.zone(name)
    except ValueError as error:
        raise InvalidInput("timezone", str(error)) from None


def _check_start(start: datetime, *, now: datetime, allow_past: bool) -> None:
    if start < now and not allow_past:
        raise InvalidInput("start", "is in the past; allow past times explicitly to record it")


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
) -> Enrollment:
    """Put `patient` on `version` for a procedure at local `start`; items and reminders in one go.

    Every conditional step must be in `confirm` or `drop`. Items whose window has already
    closed are `missed` and get no reminders; recurring steps are written up to the horizon.
    """
    if version.state != "published":
        raise InvalidInput("version", f"version {version.number} is {version.state}, not published")
    if patient.id is None:
        raise InvalidInput("patient", "is not saved yet")
    zone_name = patient.timezone if timezone is None else timezone.strip()
    tz = _zone(zone_name)
    start_utc = procedure_instant(start, tz, fold=fold)
    _check_start(start_utc, now=now, allow_past=allow_past)
    plans = _version_plans(session, version)
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
    session.add(enrollment)
    session.flush()
    kept = [plan for plan in plans if plan.id not in dropped]
    context = _Context(enrollment, patient, kept, tz, channels_for(patient))
    items = _write_items(session, context, _occurrences(context, horizon=enrollment.horizon), now)
    missed = sum(row["status"] == "missed" for row in items)
    audit.record(
        session=session,
        actor=actor,
        action="enrollment.create",
        subject=enrollment,
        before=None,
        after=audit.snapshot(enrollment, CREATED_FIELDS) | {"items": len(items), "missed": missed},
        patient_id=patient.id,
        now=now,
    )
    return enrollment


def _decide(plans: Sequence[_Plan], *, confirm: Collection[int], drop: Collection[int]) -> set[int]:
    """The dropped step ids, once every conditional step has been confirmed or dropped."""
    conditional = {plan.id for plan in plans if plan.step.conditional}
    confirmed, dropped = set(confirm), set(drop)
    strangers = sorted((confirmed | dropped) - conditional)
    if strangers:
        raise InvalidInput("conditional", f"step {strangers[0]} is not conditional in this version")
    both = sorted(confirmed & dropped)
    if both:
        raise InvalidInput("conditional", f"step {both[0]} is both confirmed and dropped")
    undecided = [
        (plan.id, plan.step.text)
        for plan in plans
        if plan.step.conditional and plan.id not in confirmed | dropped
    ]
    if undecided:
        raise UndecidedSteps(undecided)
    return dropped


def _version_plans(session: Session, version: PathwayVersion) -> tuple[_Plan, ...]:
    """A version's steps, typed. Published steps never change, so each database reads them once."""
    if version.state != "published" or version.id is None:
        return tuple(_Plan.of(row) for row in steps_of(session, version))
    cache = _PLANS.setdefault(session.get_bind(), {})
    plans = cache.get(version.id)
    if plans is None:
        plans = cache[version.id] = tuple(_Plan.of(row) for row in steps_of(session, version))
    return plans


def channels_for(patient: Patient) -> list[str]:
    """The in-app inbox always, then the patient's preferred channels."""
    return ["inapp", *(name for name in patient.channels if name != "inapp")]


def _windows(
    context: _Context,
    plan: _Plan,
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


def _occurrences(
    context: _Context, *, horizon: datetime | None, plans: Iterable[_Plan] | None = None
) -> list[tuple[_Plan, int, Window]]:
    return [
        (plan, number, window)
        for plan in (context.plans if plans is None else plans)
        for number, window in enumerate(_windows(context, plan, horizon=horizon))
    ]


def _write_items(
    session: Session, context: _Context, planned: list[tuple[_Plan, int, Window]], now: datetime
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
        times = _reminder_times(
            row["status"], row["opens_at"], row["due_at"], critical=plan.step.critical, now=now
        )
        reminders += [
            _reminder_values(item_id, enrollment_id, purpose, send_at, channel)
            for purpose, send_at in times.items()
            for channel in context.channels
        ]
    if reminders:
        connection.execute(insert(Reminder), reminders)
    return rows


def _item_values(
    enrollment_id: int, step_id: int, occurrence: int, window: Window, now: datetime
) -> dict[str, Any]:
    missed = _closed(window, now)
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


def _closed(window: Window, now: datetime) -> bool:
    """A window is over once its expiry (or, without one, its deadline) has passed."""
    return (window.expires or window.due) <= now


def _reminder_times(
    status: str, opens: datetime, due: datetime, *, critical: bool, now: datetime
) -> dict[str, datetime]:
    """Purpose -> send time: at opening (or now, if already open); critical ones before due."""
    if status != "pending":
        return {}
    first = max(opens, now)
    times = {"opens": first}
    soon = due - DUE_SOON_BEFORE
    if critical and soon > first:
        times["due_soon"] = soon
    return times


def _reminder_values(
    item_id: int, enrollment_id: int, purpose: str, send_at: datetime, channel: str
) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "enrollment_id": enrollment_id,
        "send_at": send_at,
        "purpose": purpose,
        "channel": channel,
        "status": "pending",
        "attempts": 0,
        "idempotency_key": uuid.uuid4().hex,
        "last_error": "",
        "provider_id": "",
        "late": False,
    }


# --- reading back ------------------------------------------------------------------------


def items_of(session: Session, enrollment: Enrollment) -> list[ChecklistItem]:
    """An enrollment's items in due order."""
    query = select(ChecklistItem).where(ChecklistItem.enrollment_id == enrollment.id)
    order = (col(ChecklistItem.due_at), col(ChecklistItem.step_id), col(ChecklistItem.occurrence))
    return list(session.exec(query.order_by(*order)).all())


def reminders_of(session: Session, enrollment: Enrollment) -> list[Reminder]:
    query = select(Reminder).where(Reminder.enrollment_id == enrollment.id)
    return list(session.exec(query.order_by(col(Reminder.send_at), col(Reminder.id))).all())


def _context(session: Session, enrollment: Enrollment) -> _Context:
    patient = session.get(Patient, enrollment.patient_id)
    version = session.get(PathwayVersion, enrollment.version_id)
    assert patient is not None and version is not None
    dropped = set(enrollment.dropped_steps)
    plans = [plan for plan in _version_plans(session, version) if plan.id not in dropped]
    return _Context(enrollment, patient, plans, _zone(enrollment.timezone), channels_for(patient))


def _require_active(enrollment: Enrollment) -> None:
    if enrollment.state != "active":
        raise InvalidInput("enrollment", f"enrollment {enrollment.id} is {enrollment.state}")


def _waiting_reminders(session: Session, enrollment: Enrollment) -> dict[int, list[Reminder]]:
    query = select(Reminder).where(
        Reminder.enrollment_id == enrollment.id, col(Reminder.status).in_(WAITING)
    )
    by_item: dict[int, list[Reminder]] = {}
    for reminder in session.exec(query.order_by(col(Reminder.id))):
        by_item.setdefault(reminder.item_id, []).append(reminder)
    return by_item


def _sync_reminders(
    session: Session,
    item: ChecklistItem,
    *,
    critical: bool,
    waiting: list[Reminder],
    context: _Context,
    now: datetime,
) -> None:
    """Move an item's waiting reminders to its window; add the missing, cancel the surplus."""
    assert item.id is not None and context.enrollment.id is not None
    wanted = {
        (purpose, channel): send_at
        for purpose, send_at in _reminder_times(
            item.status, item.opens_at, item.due_at, critical=critical, now=now
        ).items()
        for channel in context.channels
    }
    for reminder in waiting:
        send_at = wanted.pop((reminder.purpose, reminder.channel), None)
        if send_at is None:
            reminder.status = "cancelled"
        else:
            reminder.send_at, reminder.status = send_at, "pending"
        session.add(reminder)
    session.add_all(
        Reminder(**_reminder_values(item.id, context.enrollment.id, purpose, send_at, channel))
        for (purpose, channel), send_at in wanted.items()
    )


# --- reschedule --------------------------------------------------------------------------

ITEM_FIELDS = ("opens_at", "due_at", "expires_at", "status")
ENROLLMENT_TIMES = ("procedure_start", "procedure_end", "horizon")


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
    waiting = _waiting_reminders(session, enrollment)
    created: list[tuple[_Plan, int, Window]] = []
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
        _sync_reminders(
            session,
            item,
            critical=plan.step.critical,
            waiting=waiting.pop(change.item_id, []),
            context=context,
            now=now,
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
        _write_items(session, context, created, now)
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
) -> tuple[RescheduleDiff, _Context, dict[int, ChecklistItem]]:
    _require_active(enrollment)
    context = _context(session, enrollment)
    new_start = procedure_instant(start, context.tz, fold=fold)
    _check_start(new_start, now=now, allow_past=allow_past)
    new_end = new_start + (enrollment.procedure_end - enrollment.procedure_start)
    items = {item.id: item for item in items_of(session, enrollment) if item.id is not None}
    reopening = _check_reopen(items, reopen)
    horizon = max(enrollment.horizon or now, now + HORIZON)
    changes: list[ItemChange] = []
    unchanged = 0
    for plan in context.plans:
        existing = {item.occurrence: item for item in items.values() if item.step_id == plan.id}
        windows = _windows(context, plan, horizon=None, start=new_start, end=new_end)
        for number, window in enumerate(windows):
            item = existing.pop(number, None)
            if item is not None:
                change = _item_change(item, plan, window, now=now, reopen=item.id in reopening)
                changes.extend([change] if change else [])
                unchanged += change is None
            elif plan.step.recurrence is None or window.opens <= horizon:
                status = "missed" if _closed(window, now) else "pending"
                changes.append(
                    ItemChange(None, plan.id, number, plan.step.text, "", status, None, window)
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
                    _window_of(item),
                    None,
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
            raise InvalidInput("reopen", f"item {item_id} is not part of this enrollment")
        if item.status not in ACTED:
            raise InvalidInput("reopen", f"item {item_id} is {item.status}, nothing to reopen")
    return set(reopen)


def _item_change(
    item: ChecklistItem, plan: _Plan, window: Window, *, now: datetime, reopen: bool
) -> ItemChange | None:
    old = _window_of(item)
    moved = old != window
    if reopen or item.status in ("pending", "missed"):
        new_status = "missed" if _closed(window, now) else "pending"
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
    )


def _apply_change(item: ChecklistItem, change: ItemChange, *, now: datetime) -> None:
    """New window and status; the system, not the nurse, made any status change."""
    if change.new is not None:
        item.opens_at, item.due_at = change.new.opens, change.new.due
        item.expires_at = change.new.expires
    if change.new_status != item.status or change.reopen:
        _set_status(item, change.new_status, actor="system", now=now)


def _set_status(item: ChecklistItem, status: str, *, actor: str, now: datetime) -> None:
    """Pending clears who acted; any other status records who set it and when."""
    item.status = status
    item.acted_at = None if status == "pending" else now
    item.acted_by = "" if status == "pending" else actor


def _window_of(item: ChecklistItem) -> Window:
    return Window(opens=item.opens_at, due=item.due_at, expires=item.expires_at)


def is_preparation(step: Step | timing.Step) -> bool:
    """Steps done before the procedure (fasting, medication holds): they count for one date."""
    return step.section.lower() == PREPARATION or step.kind.lower() == PREPARATION


# --- cancel, complete, reopen, roll forward ---------------------------------------------


def cancel_enrollment(
    *, session: Session, enrollment: Enrollment, actor: str, now: datetime
) -> Enrollment:
    """Stop the pathway: waiting reminders and pending items are cancelled; nothing is deleted."""
    return _finish(session, enrollment, "cancelled", actor=actor, now=now)


def complete_enrollment(
    *, session: Session, enrollment: Enrollment, actor: str, now: datetime
) -> Enrollment:
    """Close the pathway as done: waiting reminders are cancelled, items keep their status."""
    return _finish(session, enrollment, "completed", actor=actor, now=now)


FINISH_ACTIONS = {"cancelled": "enrollment.cancel", "completed": "enrollment.complete"}


def _finish(
    session: Session, enrollment: Enrollment, state: str, *, actor: str, now: datetime
) -> Enrollment:
    _require_active(enrollment)
    reminders = [r for rows in _waiting_reminders(session, enrollment).values() for r in rows]
    for reminder in reminders:
        reminder.status = "cancelled"
    items = []
    if state == "cancelled":
        items = [i for i in items_of(session, enrollment) if i.status == "pending"]
        for item in items:
            _set_status(item, "cancelled", actor=actor, now=now)
    enrollment.state, enrollment.updated_at = state, now
    session.add_all([*reminders, *items, enrollment])
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action=FINISH_ACTIONS[state],
        subject=enrollment,
        before={"state": "active"},
        patient_id=enrollment.patient_id,
        now=now,
        after={
            "state": state,
            "reminders_cancelled": len(reminders),
            "items_cancelled": len(items),
        },
    )
    return enrollment


def reopen_item(
    *, session: Session, item: ChecklistItem, actor: str, now: datetime
) -> ChecklistItem:
    """Undo done, skipped or not-done: pending again (missed if its window has closed)."""
    enrollment = session.get(Enrollment, item.enrollment_id)
    assert enrollment is not None
    _require_active(enrollment)
    if item.status not in ACTED:
        raise InvalidInput("item", f"item {item.id} is {item.status}, nothing to reopen")
    context = _context(session, enrollment)
    step = session.get(Step, item.step_id)
    assert step is not None and item.id is not None
    before = audit.snapshot(item, ITEM_FIELDS + ("acted_at", "acted_by"))
    _set_status(
        item, "missed" if _closed(_window_of(item), now) else "pending", actor="system", now=now
    )
    session.add(item)
    _sync_reminders(
        session,
        item,
        critical=step.critical,
        waiting=_waiting_reminders(session, enrollment).get(item.id, []),
        context=context,
        now=now,
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


def extend_horizon(
    *,
    session: Session,
    enrollment: Enrollment,
    until: datetime,
    now: datetime,
    actor: str = "system",
) -> int:
    """Write recurring occurrences up to `until` that do not exist yet; returns how many.

    Idempotent: a second call with the same `until` adds nothing; UNIQUE(enrollment, step,
    occurrence) stops two concurrent callers from writing the same occurrence twice.
    """
    if enrollment.state != "active" or (enrollment.horizon and until <= enrollment.horizon):
        return 0
    context = _context(session, enrollment)
    recurring = [plan for plan in context.plans if plan.step.recurrence is not None]
    query = select(ChecklistItem.step_id, ChecklistItem.occurrence).where(
        ChecklistItem.enrollment_id == enrollment.id
    )
    existing = {(step_id, number) for step_id, number in session.exec(query)}
    missing = [
        (plan, number, window)
        for plan, number, window in _occurrences(context, horizon=until, plans=recurring)
        if (plan.id, number) not in existing
    ]
    before = audit.snapshot(enrollment, ("horizon",))
    enrollment.horizon = until
    session.add(enrollment)
    if missing:
        _write_items(session, context, missing, now)
        audit.record(
            session=session,
            actor=actor,
            action="enrollment.extend_horizon",
            subject=enrollment,
            before=before,
            after=audit.snapshot(enrollment, ("horizon",)) | {"added": len(missing)},
            patient_id=enrollment.patient_id,
            now=now,
        )
    session.flush()
    return len(missing)
