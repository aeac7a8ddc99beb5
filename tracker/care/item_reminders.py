"""An item's reminders, decided in one place.

Enrollment (and rolling the horizon forward), rescheduling, a patient's undo, a nurse's reopen,
ticking and finishing a plan all ask `wanted` which reminders an item should have, and `sync`
makes its waiting rows match: waiting rows are moved, missing ones added, the rest cancelled.
Nothing is deleted, and nothing here commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from tracker import localtime
from tracker.models import ChecklistItem, Reminder
from tracker.reading import timing

DUE_SOON_BEFORE = timedelta(minutes=60)  # critical items get a second reminder this long before due
NEVER_REMINDED = "know"  # a step that only informs: no reminder rows, ever
WAITING = ("pending", "deferred")  # reminders not yet handed to a channel
# The care team's email about an unticked critical item rides the same outbox, but it is not
# the patient's reminder: nothing here moves or cancels it, and the patient never sees it.
ESCALATION = "escalation"
# Text messages to the patient that ride on an item without being its reminder: the day's
# digest of reminders past the text budget, and a reply to the patient's own text (HELP, STOP).
# Like escalations they are never moved or cancelled with the item.
DIGEST, REPLY = "digest", "reply"
# The patient's message that their procedure moved (tracker.care.moved_message): it rides on
# one of the plan's items only because every outbox row does.
MOVED = "moved"
NOT_ITEM_REMINDERS = (ESCALATION, DIGEST, REPLY, MOVED)

# (purpose, channel) -> when to send
Wanted = dict[tuple[str, str], datetime]


class Occasion(Enum):
    """Why an item's reminders are being decided, which settles times that have passed."""

    # Written at enrollment or moved by a reschedule: the patient has not seen this window
    # yet, so an opening that has already passed is reminded at once.
    PLANNED = "planned"
    # Put back to pending by the patient (undo) or a nurse (reopen): whoever did it is looking
    # at the item now, so only times still ahead are reminded.
    REOPENED = "reopened"


@dataclass(frozen=True)
class LocalHour:
    """The patient's reminder hour in their zone: when a repeat with no clock of its own is
    reminded (a daily "take your pain medicine" at 09:00, not at the procedure's 21:01)."""

    tz: ZoneInfo
    hour: int

    def first_from(self, moment: datetime, before: datetime) -> datetime | None:
        """The first instant at this local hour from `moment` on and before `before`."""
        day = moment.astimezone(self.tz).date()
        while True:
            at = localtime.local_to_utc(datetime.combine(day, time(self.hour)), self.tz)
            if at >= before:
                return None
            if at >= moment:
                return at
            day += timedelta(days=1)


def reminder_hour(step: timing.Step, *, tz: ZoneInfo, hour: int) -> LocalHour | None:
    """The local hour a step's occurrences are reminded at when it repeats by the day or week
    with no clock time stated (none in its rule, none where it opens); a stated time wins, and
    repeats counted in hours keep their own times."""
    rec = step.recurrence
    if rec is None or rec.parts.sub_daily or rec.parts.clock_times or step.opens.clock:
        return None
    return LocalHour(tz, hour)


def wanted(
    *,
    status: str,
    opens: datetime,
    due: datetime,
    critical: bool,
    asks: str,
    channels: Sequence[str],
    now: datetime,
    occasion: Occasion,
    at_hour: LocalHour | None = None,
) -> Wanted:
    """The reminders an item should have: one when it opens (for an occurrence of a repeat
    with no clock time, at the patient's reminder hour inside its window, see
    `reminder_hour`), and for a critical item one `DUE_SOON_BEFORE` its deadline; none once
    a person has acted on it or for information."""
    if status != "pending" or asks == NEVER_REMINDED:
        return {}
    if at_hour is not None:
        # Reopened, only an hour still ahead counts; planned, a passed one is reminded at once.
        start = opens if occasion is Occasion.PLANNED else max(opens, now)
        opens = at_hour.first_from(start, due) or opens
    first = max(opens, now)
    times: dict[str, datetime] = {}
    if occasion is Occasion.PLANNED or opens > now:
        times["opens"] = first
    soon = due - DUE_SOON_BEFORE
    if critical and soon > first:
        times["due_soon"] = soon
    return {(purpose, channel): at for purpose, at in times.items() for channel in channels}


def waiting_for(session: Session, item_id: int) -> list[Reminder]:
    """One item's reminders not yet handed to a channel, oldest first."""
    query = select(Reminder).where(
        Reminder.item_id == item_id,
        col(Reminder.status).in_(WAITING),
        col(Reminder.purpose).not_in(NOT_ITEM_REMINDERS),
    )
    return list(session.exec(query.order_by(col(Reminder.id))))


def sync(
    session: Session, item: ChecklistItem, *, waiting: Iterable[Reminder], want: Wanted
) -> dict[str, int]:
    """Make an item's waiting reminders what `want` says; returns what changed (for audit)."""
    assert item.id is not None
    left = dict(want)
    cancelled = 0
    for reminder in waiting:
        send_at = left.pop((reminder.purpose, reminder.channel), None)
        if send_at is None:
            reminder.status = "cancelled"
            cancelled += 1
        else:
            reminder.send_at, reminder.status = send_at, "pending"
        session.add(reminder)
    session.add_all(
        Reminder(**values(item.id, item.enrollment_id, purpose, send_at, channel))
        for (purpose, channel), send_at in left.items()
    )
    return {"reminders_cancelled": cancelled, "reminders_added": len(left)}


def values(
    item_id: int, enrollment_id: int, purpose: str, send_at: datetime, channel: str
) -> dict[str, Any]:
    """A new pending reminder's column values (for a bulk insert or a `Reminder`)."""
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
