"""The outbox's rows over time: claiming due reminders under a lease, the last look at an
item before a message leaves, and housekeeping (sweeping what can never be sent).

Escalations are outbox rows too (purpose 'escalation'): they go out while their item is still
unticked, whatever its window, and a tick cancels them like any reminder. A text digest or a
reply to the patient's text only rides on an item: it goes whatever the item's state.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, or_, select, update
from sqlmodel import col

from tracker.care.item_reminders import DIGEST, ESCALATION, MOVED, NOT_ITEM_REMINDERS, REPLY
from tracker.models import ChecklistItem, Reminder
from tracker.reminders.rules import ESCALATION_SENDS_FOR, SETTLED_AS, WAITING

R, Item = Reminder, ChecklistItem
# Outbox rows about the patient's texts or their plan as a whole, not about their item.
TEXTS_ONLY = (DIGEST, REPLY, MOVED)


def sendable(status_column: Any, purpose_column: Any) -> Any:
    """SQL: the item is still one its reminder is for (pending; an escalation's: unticked;
    a digest or reply: any)."""
    return or_(
        status_column == "pending",
        and_(purpose_column == ESCALATION, status_column.in_(ESCALATION_SENDS_FOR)),
        purpose_column.in_(TEXTS_ONLY),
    )


# --- claiming ----------------------------------------------------------------------------


def claim(
    connection: Connection, *, owner: str, now: datetime, lease: timedelta, limit: int
) -> list[int]:
    """Lease up to `limit` due reminders of pending items to `owner`; returns their ids.

    Reclaims reminders whose lease ran out (a dispatcher died). On PostgreSQL each status is
    taken with FOR UPDATE SKIP LOCKED, so concurrent dispatchers never claim the same row; the
    caller commits at once so the lease is visible. Each status is one ordered index range
    scan on (status, send_at): no sort of everything due.
    """
    postgres = connection.dialect.name == "postgresql"
    due = R.__table__.alias("due")  # type: ignore[attr-defined]
    ids: list[int] = []
    for status in ("claimed", "deferred", "pending"):
        if len(ids) >= limit:
            break
        query = (
            select(due.c.id)
            .join(Item, col(Item.id) == due.c.item_id)
            .where(
                due.c.status == status,
                due.c.send_at <= now,
                sendable(col(Item.status), due.c.purpose),
            )
            .order_by(due.c.send_at)
            .limit(limit - len(ids))
        )
        if status == "claimed":
            query = query.where(due.c.lease_expires <= now)
        if postgres:
            # SELECT ... FOR UPDATE SKIP LOCKED, then UPDATE by id: as a subquery of the UPDATE
            # PostgreSQL may re-run the locking scan for every row and never finish.
            locked = connection.execute(query.with_for_update(skip_locked=True, of=due))
            found = [row_id for row_id in locked.scalars() if row_id is not None]
            if found:
                connection.execute(
                    update(R)
                    .where(col(R.id).in_(found))
                    .values(status="claimed", lease_owner=owner, lease_expires=now + lease)
                )
            ids += found
            continue
        # SQLite: one UPDATE ... RETURNING, a write from its first step, so the transaction never
        # has to turn from reading into writing (which fails at once if the web app wrote since).
        taken = connection.execute(
            update(R)
            .where(col(R.id).in_(query.scalar_subquery()), col(R.status) == status)
            .values(status="claimed", lease_owner=owner, lease_expires=now + lease)
            .returning(col(R.id))
        )
        ids += [row_id for row_id in taken.scalars() if row_id is not None]
    return ids


def release_claims(connection: Connection, *, owner: str | None = None) -> int:
    """Put claimed reminders back to pending (an owner's, or all: a SQLite dispatcher starting
    under the lock knows every claim belongs to a dead process)."""
    query = update(R).where(col(R.status) == "claimed")
    if owner is not None:
        query = query.where(col(R.lease_owner) == owner)
    result = connection.execute(
        query.values(status="pending", lease_owner=None, lease_expires=None)
    )
    return int(result.rowcount)


def lock_items(connection: Connection, item_ids: list[int]) -> dict[int, str]:
    """These items' statuses, locked until commit so a tick waits for the record of an in-app
    batch (a database write only, never a channel talking to the outside).

    PostgreSQL: FOR SHARE. SQLite: the caller has already written in this transaction, so it
    holds the database's single write lock and no tick can commit before it does.
    """
    query = select(col(Item.id), col(Item.status)).where(col(Item.id).in_(item_ids))
    if connection.dialect.name == "postgresql":
        query = query.with_for_update(read=True)
    return {int(found): str(status) for found, status in connection.execute(query)}


_RECHECK = (
    select(col(R.status), col(R.lease_owner), col(Item.status), col(R.purpose))
    .join(Item, col(Item.id) == col(R.item_id))
    .where(col(R.id) == bindparam("reminder_id"))
)  # built once: it runs before every message handed to a channel


def recheck(connection: Connection, *, reminder_id: int, owner: str) -> tuple[bool, str, str]:
    """(still ours, the item's status, the reminder's purpose), read in one short statement
    right before a message is handed to a channel."""
    row = connection.execute(_RECHECK, {"reminder_id": reminder_id}).one()
    return row[0] == "claimed" and row[1] == owner, str(row[2]), str(row[3])


def still_sendable(item_status: str, purpose: str) -> bool:
    """Python twin of `sendable`: may a reminder with this purpose go out for this item?"""
    if purpose == ESCALATION:
        return item_status in ESCALATION_SENDS_FOR
    if purpose in TEXTS_ONLY:
        return True
    return item_status == "pending"


def settled_as(item_status: str) -> tuple[str, str]:
    """The final status and reason for a reminder whose item no longer wants it."""
    return SETTLED_AS.get(item_status, "cancelled"), f"item is {item_status}"


# --- housekeeping ------------------------------------------------------------------------


def sweep(connection: Connection, *, now: datetime) -> int:
    """Give a final status to waiting reminders that are due but can never be sent.

    Items settled by someone (done, skipped, cancelled): cancelled; items whose window closed
    (missed, or past their deadline): expired, so nurses see them. Bounded by the
    (status, send_at) index: only reminders already due are looked at.
    """
    waiting_due = and_(col(R.status).in_(WAITING), col(R.send_at) <= now)
    item = select(Item).where(col(Item.id) == col(R.item_id))
    total = connection.execute(
        update(R)
        .where(
            waiting_due,
            col(R.purpose) == ESCALATION,
            item.where(col(Item.status).not_in(ESCALATION_SENDS_FOR)).exists(),
        )
        .values(status="cancelled", lease_owner=None, lease_expires=None, last_error="item done")
    ).rowcount
    waiting_due = and_(waiting_due, col(R.purpose).not_in(NOT_ITEM_REMINDERS))
    settled = item.where(col(Item.status) != "pending").exists()
    missed = item.where(col(Item.status) == "missed").exists()
    deadline = func.coalesce(col(Item.expires_at), col(Item.due_at))
    closed = item.where(col(Item.status) == "pending", deadline <= now).exists()
    total += connection.execute(
        update(R)
        .where(waiting_due, or_(closed, missed))
        .values(
            status="expired",
            lease_owner=None,
            lease_expires=None,
            last_error="expired unsent: the time to act had passed",
        )
    ).rowcount
    total += connection.execute(
        update(R)
        .where(waiting_due, settled)
        .values(status="cancelled", lease_owner=None, lease_expires=None, last_error="item settled")
    ).rowcount
    return int(total)


def next_send_at(connection: Connection) -> datetime | None:
    """When the dispatcher should wake next: the earliest waiting reminder's send time, or the
    earliest claim's lease end (a dead dispatcher's claims are taken over as they lapse)."""
    times: list[datetime | None] = [
        connection.execute(select(func.min(col(R.send_at))).where(col(R.status) == status))
        .scalars()
        .one()
        for status in WAITING
    ]
    times.append(
        connection.execute(select(func.min(col(R.lease_expires))).where(col(R.status) == "claimed"))
        .scalars()
        .one()
    )
    found = [moment for moment in times if moment is not None]  # min() keeps the UTC type
    return min(found) if found else None
