"""The dispatcher: claim due reminders in batches, decide, hand over to a channel, record.

Internal channels (in-app, null) are recorded for the whole batch in one transaction: the row
turning `sent` is the delivery. External channels (email, webhook) send and record one reminder
per transaction, so a crash between the provider accepting and the commit duplicates at most
that one message, which carries the same idempotency key. In both cases the item is locked
pending while the decision is written, so a tick never lands between the check and the send.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, update
from sqlmodel import col

from tracker.clock import utcnow
from tracker.dbtypes import UTCDateTime
from tracker.errors import DeliveryError
from tracker.models import Reminder
from tracker.reminders.channels import Channel, Message
from tracker.reminders.rules import (
    Decision,
    Due,
    claim,
    compose,
    decide,
    load_due,
    lock_pending_items,
    settled_status,
)

log = logging.getLogger(__name__)
FAULT_ENV = "TRACKER_FAULT"  # test builds: "before_send" or "after_send", optionally ":n"
LEASE_MARGIN = timedelta(seconds=30)  # stop sending a batch this long before its lease ends


@dataclass(frozen=True)
class Settings:
    """Dispatcher tunables; `from_config` reads them from the app's REMINDER_* settings."""

    base_url: str = "http://127.0.0.1:5000"
    batch: int = 500
    lease: timedelta = timedelta(minutes=5)
    max_attempts: int = 5
    backoff: timedelta = timedelta(seconds=60)
    backoff_cap: timedelta = timedelta(hours=1)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        return cls(
            base_url=str(config.get("BASE_URL", cls.base_url)),
            batch=int(config.get("REMINDER_BATCH", cls.batch)),
            lease=timedelta(seconds=float(config.get("REMINDER_LEASE_SECONDS", 300))),
            max_attempts=int(config.get("REMINDER_MAX_ATTEMPTS", cls.max_attempts)),
            backoff=timedelta(seconds=float(config.get("REMINDER_BACKOFF_SECONDS", 60))),
        )

    def retry_delay(self, attempts: int) -> timedelta:
        """Exponential backoff: backoff, 2x, 4x ... after the 1st, 2nd, 3rd failed attempt."""
        delay: timedelta = self.backoff * (2 ** max(attempts - 1, 0))
        return min(delay, self.backoff_cap)


class Fault:
    """Kills this process with SIGKILL at a named point (crash tests); inert when unset."""

    def __init__(self, spec: str | None) -> None:
        point, _, nth = (spec or "").partition(":")
        self.point, self.nth, self.seen = point, int(nth or 1), 0

    def at(self, point: str) -> None:
        if point == self.point:
            self.seen += 1
            if self.seen == self.nth:
                os.kill(os.getpid(), signal.SIGKILL)


def owner_name() -> str:
    """Who holds a lease: host, process and a random part (pids are reused after restarts)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


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

    def run_batch(self, now: datetime | None = None) -> Counter[str]:
        """Claim one batch, deliver it, record each outcome; returns outcome counts."""
        now = self.clock() if now is None else now
        started = time.monotonic()
        with self.engine.begin() as connection:
            ids = claim(
                connection,
                owner=self.owner,
                now=now,
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
        if internal:
            outcomes += self._deliver_together(internal, now)
        deadline = started + (self.settings.lease - LEASE_MARGIN).total_seconds()
        for due in external:
            if time.monotonic() > deadline:
                break  # the rest stay claimed and are reclaimed when the lease runs out
            outcomes[self._deliver_one(due, now)] += 1
        self.totals += outcomes
        return outcomes

    def run_until_idle(self, now: datetime | None = None, *, max_batches: int = 10_000) -> int:
        """Batches until nothing is due (or stop is set); returns how many reminders it handled."""
        handled = 0
        for _ in range(max_batches):
            if self.stop.is_set():
                break
            outcomes = self.run_batch(now)
            if not outcomes:
                break
            handled += sum(outcomes.values())
        return handled

    def _channel(self, due: Due) -> Channel:
        return self.channels.get(due.channel) or self.channels["inapp"]

    def _deliver_together(self, batch: list[Due], now: datetime) -> Counter[str]:
        """Internal channels: every outcome of the batch in one transaction."""
        rows: list[dict[str, Any]] = []
        with self.engine.begin() as connection:
            self._touch(connection, [due.id for due in batch], now)
            pending = lock_pending_items(connection, sorted({due.item_id for due in batch}))
            for due in batch:
                if due.item_id not in pending:
                    rows.append(self._settled(connection, due))
                    continue
                decision = decide(due, now=now)
                if decision.action != "send":
                    rows.append(self._not_sent(due, decision))
                    continue
                rows.append(self._send(due, decision, now))
            connection.execute(_RECORD, rows)
        return Counter(row["b_status"] for row in rows)

    def _deliver_one(self, due: Due, now: datetime) -> str:
        """External channels: lock the item, send, record; committed before the next one."""
        with self.engine.begin() as connection:
            if not self._touch(connection, [due.id], now):
                return "lost"  # our lease ran out and another dispatcher took the row
            if not lock_pending_items(connection, [due.item_id]):
                row = self._settled(connection, due)
            else:
                decision = decide(due, now=now)
                if decision.action == "send":
                    row = self._send(due, decision, now)
                else:
                    row = self._not_sent(due, decision)
            connection.execute(_RECORD, [row])
        status: str = row["b_status"]
        return status

    def _touch(self, connection: Connection, ids: list[int], now: datetime) -> int:
        """Renew our lease on these rows. Being a write, it also takes SQLite's write lock first,
        so the item statuses read next cannot change before this transaction commits."""
        result = connection.execute(
            update(Reminder)
            .where(
                col(Reminder.id).in_(ids),
                col(Reminder.status) == "claimed",
                col(Reminder.lease_owner) == self.owner,
            )
            .values(lease_expires=now + self.settings.lease)
        )
        return int(result.rowcount)

    def _send(self, due: Due, decision: Decision, now: datetime) -> dict[str, Any]:
        channel = self._channel(due)
        subject = body = link = ""
        if channel.wants_text:
            subject, body, link = compose(due, decision, base_url=self.settings.base_url)
        message = Message(due.key, due.recipient, subject, body, link, decision.late)
        attempts = due.attempts + 1
        self.fault.at("before_send")
        try:
            provider = channel.send(message)
        except DeliveryError as error:
            retry = error.temporary and attempts < self.settings.max_attempts
            log.warning("reminder %s via %s: %s", due.id, channel.name, error)
            if retry:
                later = now + self.settings.retry_delay(attempts)
                return _row(self, due, "pending", send_at=later, error=str(error), tries=attempts)
            return _row(self, due, "failed", error=str(error), tries=attempts)
        self.fault.at("after_send")
        if self.on_handoff is not None:
            self.on_handoff(due)
        return _row(
            self,
            due,
            "sent",
            sent_at=now,
            provider=provider[:255],
            late=decision.late,
            owner=self.owner,
            tries=attempts,
        )

    def _not_sent(self, due: Due, decision: Decision) -> dict[str, Any]:
        if decision.action == "defer":
            return _row(self, due, "deferred", send_at=decision.until)
        return _row(self, due, "expired", error=decision.reason)

    def _settled(self, connection: Connection, due: Due) -> dict[str, Any]:
        status, reason = settled_status(connection, due.item_id)
        return _row(self, due, status, error=reason)


def _row(
    dispatcher: Dispatcher,
    due: Due,
    status: str,
    *,
    send_at: datetime | None = None,
    sent_at: datetime | None = None,
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
        "b_provider": provider,
        "b_late": late,
        "b_error": error[:1000],
        "b_attempts": due.attempts if tries is None else tries,
        "b_owner": owner,
    }
