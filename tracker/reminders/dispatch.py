"""The dispatcher: claim due reminders in batches, decide, hand over to a channel, record.

No database transaction is open while a channel talks to the outside. For each message:
claim (committed, with a lease), a last look at the item in one short statement, the send
(many at once, from a bounded pool of threads that keep their SMTP connections), then the
outcome in a short transaction. The time is read per message, so a reminder never leaves
after its deadline nor carries a wrong "late" flag because its batch started long ago.

The cancel race: a tick committed before the last look stops the message; a tick landing
between the last look and the provider's answer cannot (the row's `sent_at - checked_at` is
that window: one hand-over, the time the provider takes to accept). A crash between the
provider accepting and the record duplicates the messages then in flight (at most one per
sending thread); each duplicate carries the same idempotency key and Message-ID.

A heartbeat renews the batch's leases while it is in hand, so leases can be short: a dead
dispatcher's claims return after REMINDER_LEASE_SECONDS. Internal channels (in-app, null)
touch nothing outside the database and are recorded for the whole batch in one transaction.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, update
from sqlmodel import col

from tracker.clock import utcnow
from tracker.dbtypes import UTCDateTime
from tracker.errors import DeliveryError
from tracker.models import Reminder
from tracker.reminders import texting
from tracker.reminders.channels import Channel, Message
from tracker.reminders.dispatch_settings import Settings
from tracker.reminders.faults import FAULT_ENV, Fault, owner_name
from tracker.reminders.outbox import claim, lock_items, recheck, settled_as, still_sendable
from tracker.reminders.rules import Decision, Due, compose, decide, language_of, load_due

log = logging.getLogger(__name__)
HEARTBEATS_PER_LEASE = 4  # renew a batch's leases this many times per lease period
NOT_HANDLED = frozenset({"released"})  # outcomes that leave the reminder as it was
# Sending threads using a database connection at once: their statements take a millisecond,
# so a few suffice, and the process's connections stay few (PostgreSQL's are counted).
DB_SLOTS = 4


_RECORD = (
    update(Reminder)
    .where(
        col(Reminder.id) == bindparam("b_id"),
        col(Reminder.status) == "claimed",
        col(Reminder.lease_owner) == bindparam("b_claimer"),
    )
    .values(
        status=bindparam("b_status"),
        send_at=bindparam("b_send_at", type_=UTCDateTime),
        sent_at=bindparam("b_sent_at", type_=UTCDateTime),
        checked_at=bindparam("b_checked_at", type_=UTCDateTime),
        provider_id=bindparam("b_provider"),
        late=bindparam("b_late"),
        last_error=bindparam("b_error"),
        attempts=bindparam("b_attempts"),
        lease_owner=bindparam("b_owner"),
        lease_expires=None,
    )
)


class Dispatcher:
    """Delivers due reminders through `channels`; any number may run on PostgreSQL."""

    def __init__(
        self,
        engine: Engine,
        *,
        channels: Mapping[str, Channel],
        settings: Settings | None = None,
        owner: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        fault: str | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.engine, self.channels = engine, dict(channels)
        self.settings = settings or Settings()
        self.owner = owner or owner_name()
        self.clock = clock
        self.fault = Fault(os.environ.get(FAULT_ENV) if fault is None else fault)
        self.stop = stop or threading.Event()
        self.totals: Counter[str] = Counter()
        # Message hand-offs for measurements: (reminder id, send_at, wall-clock time).
        self.on_handoff: Callable[[Due], None] | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._db_slots = threading.BoundedSemaphore(DB_SLOTS)

    def run_batch(self, now: datetime | None = None) -> Counter[str]:
        """Claim one batch, deliver it, record each outcome; returns outcome counts.

        `now` fixes the time for the whole batch (tests inject it); by default the clock is
        read for each message."""
        clock = self.clock if now is None else (lambda: now)
        with self.engine.begin() as connection:
            ids = claim(
                connection,
                owner=self.owner,
                now=clock(),
                lease=self.settings.lease,
                limit=self.settings.batch,
            )
        outcomes: Counter[str] = Counter()
        if not ids:
            return outcomes
        with self.engine.connect() as connection:
            batch = load_due(connection, ids)
        internal = [due for due in batch if not self._channel(due).external]
        external = [due for due in batch if self._channel(due).external]
        with self._heartbeat(ids, clock), self._sending() as pool:
            if internal:
                outcomes += self._deliver_together(internal, clock())
            futures = [pool.submit(self._deliver_one, due, clock) for due in external]
            for future in futures:
                outcomes[future.result()] += 1
        self.totals += outcomes
        return outcomes

    def run_until_idle(self, now: datetime | None = None, *, max_batches: int = 10_000) -> int:
        """Batches until nothing is due (or stop is set); returns how many reminders it handled."""
        handled = 0
        with self._sending():
            for _ in range(max_batches):
                if self.stop.is_set():
                    break
                outcomes = self.run_batch(now)
                if not outcomes:
                    break
                handled += sum(n for name, n in outcomes.items() if name not in NOT_HANDLED)
        return handled

    def _channel(self, due: Due) -> Channel:
        return self.channels.get(due.channel) or self.channels["inapp"]

    @contextmanager
    def _sending(self) -> Iterator[ThreadPoolExecutor]:
        """The sending threads, kept for a whole run; afterwards their connections close."""
        if self._pool is not None:
            yield self._pool
            return
        self._pool = ThreadPoolExecutor(self.settings.workers, thread_name_prefix="deliver")
        try:
            yield self._pool
        finally:
            self._pool.shutdown(wait=True)
            self._pool = None
            for channel in self.channels.values():
                channel.close()

    @contextmanager
    def _heartbeat(self, ids: list[int], clock: Callable[[], datetime]) -> Iterator[None]:
        """Renew the batch's leases while it is in hand (rows already recorded are skipped)."""
        done = threading.Event()
        every = self.settings.lease.total_seconds() / HEARTBEATS_PER_LEASE

        def beat() -> None:
            while not done.wait(every):
                try:
                    with self.engine.begin() as connection:
                        connection.execute(
                            update(Reminder)
                            .where(
                                col(Reminder.id).in_(ids),
                                col(Reminder.status) == "claimed",
                                col(Reminder.lease_owner) == self.owner,
                            )
                            .values(lease_expires=clock() + self.settings.lease)
                        )
                except Exception:  # the next beat tries again; the lease is the safety net
                    log.exception("could not renew the leases of a batch")

        thread = threading.Thread(target=beat, name="lease-heartbeat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()

    def _deliver_together(self, batch: list[Due], now: datetime) -> Counter[str]:
        """Internal channels: every outcome of the batch in one transaction."""
        rows: list[dict[str, Any]] = []
        with self.engine.begin() as connection:
            # A write first: on SQLite it takes the write lock, so the statuses read next
            # cannot change before this transaction commits.
            connection.execute(
                update(Reminder)
                .where(col(Reminder.id).in_([due.id for due in batch]))
                .where(col(Reminder.lease_owner) == self.owner)
                .values(lease_expires=now + self.settings.lease)
            )
            items = lock_items(connection, sorted({due.item_id for due in batch}))
            for due in batch:
                rows.append(
                    self._decided(due, items.get(due.item_id, "cancelled"), now, connection)
                )
                if rows[-1]["b_status"] == "claimed":
                    rows[-1] = self._send(due, decide(due, now=now), lambda: now, now)
            connection.execute(_RECORD, rows)
        return Counter(row["b_status"] for row in rows)

    def _deliver_one(self, due: Due, clock: Callable[[], datetime]) -> str:
        """External channels, in a sending thread: look, send with no transaction open, record."""
        if self.stop.is_set():
            self._record(_row(self, due, "pending"))  # shutting down: give it back untouched
            return "released"
        now = clock()
        with self._db_slots, self.engine.connect() as connection:
            ours, item_status, _ = recheck(connection, reminder_id=due.id, owner=self.owner)
            connection.rollback()
        if not ours:
            return "lost"  # our lease ran out and another dispatcher took the row
        row = self._decided(due, item_status, now)
        if row["b_status"] == "claimed":
            row = self._send(due, decide(due, now=now), clock, now)
        self._record(row)
        status: str = row["b_status"]
        return status

    def _record(self, row: dict[str, Any]) -> None:
        with self._db_slots, self.engine.begin() as connection:
            connection.execute(_RECORD, [row])

    def _decided(
        self, due: Due, item_status: str, now: datetime, connection: Connection | None = None
    ) -> dict[str, Any]:
        """The row for a reminder that will not be sent now, or a 'claimed' marker to send.
        A text also needs consent and room in the day's budget (reminders.texting)."""
        if not still_sendable(item_status, due.purpose):
            status, reason = settled_as(item_status)
            return _row(self, due, status, error=reason)
        decision = decide(due, now=now)
        if decision.action == "defer":
            return _row(self, due, "deferred", send_at=decision.until)
        if decision.action == "expire":
            return _row(self, due, "expired", error=decision.reason)
        if due.channel == texting.TEXT_CHANNEL:
            budget = self.settings.text_budget
            if connection is not None:
                held = texting.hold(connection, due, now=now, budget=budget)
            else:
                with self._db_slots, self.engine.begin() as own:
                    held = texting.hold(own, due, now=now, budget=budget)
            if held is not None:
                return _row(self, due, "cancelled", error=held)
        return {"b_status": "claimed"}

    def _send(
        self, due: Due, decision: Decision, clock: Callable[[], datetime], checked: datetime
    ) -> dict[str, Any]:
        channel = self._channel(due)
        subject = body = link = ""
        if channel.wants_text:
            subject, body, link = compose(due, decision, base_url=self.settings.base_url)
        message = Message(
            due.key, due.recipient, subject, body, link, decision.late, language_of(due)
        )
        attempts = due.attempts + 1
        self.fault.at("before_send")
        try:
            provider = channel.send(message)
        except DeliveryError as error:
            retry = error.temporary and attempts < self.settings.max_attempts
            log.warning("reminder %s via %s: %s", due.id, channel.name, error)
            if retry:
                later = clock() + self.settings.retry_delay(attempts)
                return _row(self, due, "pending", send_at=later, error=str(error), tries=attempts)
            return _row(self, due, "failed", error=str(error), tries=attempts)
        self.fault.at("after_send")
        if self.on_handoff is not None:
            self.on_handoff(due)
        return _row(
            self,
            due,
            "sent",
            sent_at=clock(),
            checked_at=checked,
            provider=provider[:255],
            late=decision.late,
            owner=self.owner,
            tries=attempts,
        )


def _row(
    dispatcher: Dispatcher,
    due: Due,
    status: str,
    *,
    send_at: datetime | None = None,
    sent_at: datetime | None = None,
    checked_at: datetime | None = None,
    provider: str = "",
    late: bool = False,
    error: str = "",
    owner: str | None = None,
    tries: int | None = None,
) -> dict[str, Any]:
    """Bind values for _RECORD: the reminder's new state (its claim is released)."""
    return {
        "b_id": due.id,
        "b_claimer": dispatcher.owner,
        "b_status": status,
        "b_send_at": send_at or due.send_at,
        "b_sent_at": sent_at,
        "b_checked_at": checked_at,
        "b_provider": provider,
        "b_late": late,
        "b_error": error[:1000],
        "b_attempts": due.attempts if tries is None else tries,
        "b_owner": owner,
    }
