"""An item's reminders, decided in one place.

Enrollment (and rolling the horizon forward), rescheduling, a patient's undo, a nurse's reopen,
ticking and finishing a plan all ask `wanted` which reminders an item should have, and `sync`
makes its waiting rows match: waiting rows are moved, missing ones added, the rest cancelled.
Nothing is deleted, and nothing here commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from sqlmodel import Session, col, select

from tracker.models import ChecklistItem, Reminder

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
NOT_ITEM_REMINDERS = (ESCALATION, DIGEST, REPLY)

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
) -> Wanted:
    """The reminders an item should have: one when it opens, and for a critical item one
    `DUE_SOON_BEFORE` its deadline; none once a person has acted on it or for information."""
    if status != "pending" or asks == NEVER_REMINDED:
        return {}
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
