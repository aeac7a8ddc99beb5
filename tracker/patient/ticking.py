"""Ticking: a patient (through their link) or a nurse on their behalf marks an item done,
not done, or reopens it.

The item must belong to the enrollment, every change is recorded on the item and as an
AuditEvent, and nothing is deleted; reminders follow the item (cancelled when it is done,
re-armed when it is reopened). Service functions never commit: the caller does. The page
the patient ticks on is read in tracker.patient.page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlmodel import Session

from tracker import audit, localtime
from tracker.care import item_reminders
from tracker.care.enrollment import channels_for
from tracker.care.item_reminders import Occasion
from tracker.care.patients import clean_text
from tracker.errors import InvalidInput, ItemNotFound, Word
from tracker.library.pathways import timing_step
from tracker.library.patient_plan import StepInfo, plan_for
from tracker.models import ChecklistItem, Patient, Step

MAX_NOTE = 500
AUDITED = ("status", "note", "acted_at", "acted_by")
# Action -> (statuses it may start from, status it sets). "undo" sets pending (or missed).
RULES: dict[str, tuple[frozenset[str], str]] = {
    "done": (frozenset({"pending", "missed", "not_done"}), "done"),
    "not_done": (frozenset({"pending", "missed"}), "not_done"),
    "undo": (frozenset({"done", "not_done"}), "pending"),
}
ACTIONS = tuple(RULES)
AUDIT_ACTIONS = {"done": "item.done", "not_done": "item.not_done", "undo": "item.reopen"}


class Enrollment(Protocol):
    """What ticking reads of an enrollment: a models.Enrollment, or the record a patient's
    link opened (tracker.patient.links.EnrollmentRecord)."""

    @property
    def id(self) -> int | None: ...

    @property
    def patient_id(self) -> int: ...

    @property
    def version_id(self) -> int: ...

    @property
    def state(self) -> str: ...

    @property
    def timezone(self) -> str: ...


def find_item(session: Session, *, enrollment_id: int, item_id: int) -> ChecklistItem:
    """The item, only if it belongs to this enrollment."""
    item = session.get(ChecklistItem, item_id)
    if item is None or item.enrollment_id != enrollment_id:
        raise ItemNotFound(item_id)
    return item


def plan_not_active(state: str, *, field: str = "item") -> InvalidInput:
    """The refusal to change anything on a plan that is no longer active: a whole sentence for
    each state, so that it translates (a patient reads it in their language)."""
    if state == "cancelled":
        return InvalidInput(field, "the plan is cancelled")
    if state == "completed":
        return InvalidInput(field, "the plan is completed")
    return InvalidInput(field, "the plan is %(state)s", state=Word(state))


def act(
    *,
    session: Session,
    enrollment: Enrollment,
    actor: str,
    item_id: int,
    action: str,
    now: datetime,
    note: object = "",
    allow_early: bool = False,
) -> ChecklistItem:
    """Tick ("done"), untick ("undo") or mark "not_done" (with an optional note; None keeps
    the item's note) one item of the enrollment, for the patient behind a link
    (actor "link:<id>") or a nurse on their behalf ("user:<id>"). Repeating an action changes
    nothing; an action the item's state does not allow raises InvalidInput. Reminders follow:
    see `_RELATED`. Patients cannot tick a repeating occurrence before it opens; a nurse
    (`allow_early`) can record one done ahead."""
    if action not in RULES:
        raise InvalidInput(
            "action",
            "%(action)s is not one of %(actions)s",
            action=repr(action),
            actions=", ".join(ACTIONS),
        )
    assert enrollment.id is not None
    item = find_item(session, enrollment_id=enrollment.id, item_id=item_id)
    text = (
        clean_text(note, "note", max_length=MAX_NOTE)
        if action == "not_done" and note is not None
        else item.note
    )
    starts, target = RULES[action]
    if enrollment.state != "active":
        raise plan_not_active(enrollment.state)
    if item.status == target or (action == "undo" and item.status in ("pending", "missed")):
        return item  # a double tap, or a page open in two tabs: already so
    if item.status not in starts:
        raise InvalidInput(
            "item",
            "this item is %(status)s: reopen it first",
            status=Word(item.status.replace("_", " ")),
        )
    step = plan_for(session, enrollment.version_id).steps[item.step_id]
    if step.recurring and now < item.opens_at and not allow_early:
        raise InvalidInput("item", "this one has not started yet")
    before = audit.snapshot(item, AUDITED)
    if target == "pending":
        # Past its deadline but not its expiry, an item is still worth doing (overdue).
        closed = item.expires_at is not None and item.expires_at <= now
        item.status, item.acted_at, item.acted_by = ("missed" if closed else "pending"), None, ""
    else:
        item.status, item.acted_at, item.acted_by = target, now, actor
    item.note = text
    session.add(item)
    effect = _reminders_follow(session, item, enrollment, step, now)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action=AUDIT_ACTIONS[action],
        subject=item,
        before=before,
        after=audit.snapshot(item, AUDITED) | effect,
        patient_id=enrollment.patient_id,
        now=now,
    )
    return item


def _reminders_follow(
    session: Session, item: ChecklistItem, enrollment: Enrollment, step: StepInfo, now: datetime
) -> dict[str, int]:
    """A ticked (or given-up) item is never reminded of again; an unticked one gets reminders
    for its times still ahead (the patient is looking at the item right now)."""
    assert item.id is not None
    channels: list[str] = []
    at_hour = None
    if item.status == "pending":  # only an unticked item is reminded: read its channels then
        patient = session.get(Patient, enrollment.patient_id)
        row = session.get(Step, item.step_id)
        assert patient is not None and row is not None
        channels = channels_for(patient)
        tz = localtime.zone(enrollment.timezone)
        at_hour = item_reminders.reminder_hour(timing_step(row), tz=tz, hour=patient.reminder_hour)
    want = item_reminders.wanted(
        status=item.status,
        opens=item.opens_at,
        due=item.due_at,
        critical=step.critical,
        asks=step.asks,
        channels=channels,
        now=now,
        occasion=Occasion.REOPENED,
        at_hour=at_hour,
    )
    waiting = item_reminders.waiting_for(session, item.id)
    return item_reminders.sync(session, item, waiting=waiting, want=want)
