"""APScheduler as the dispatcher's clock: a wake-up at the next due reminder, a safety tick,
and housekeeping (roll recurring items forward, expire, escalate).

Reminders are never APScheduler jobs: the rows are the truth and the jobs (in memory only)
just decide when to look at them. On SQLite one dispatcher runs, guarded by an exclusive
file lock beside the database; on PostgreSQL any number may run side by side.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy import Engine, select, text
from sqlmodel import Session, col

from tracker import db
from tracker.care.enrollment import HORIZON, extend_horizon
from tracker.clock import utcnow
from tracker.errors import DispatcherLocked
from tracker.models import Enrollment
from tracker.reminders.channels import Channel, build_channels
from tracker.reminders.dispatch import Dispatcher
from tracker.reminders.dispatch_settings import Settings
from tracker.reminders.escalation import escalate
from tracker.reminders.outbox import next_send_at, release_claims, sweep

log = logging.getLogger(__name__)
EXTENSION = "tracker.scheduler"
SAFETY_TICK = timedelta(seconds=30)
HOUSEKEEPING_EVERY = timedelta(minutes=5)
HORIZON_SLACK = timedelta(days=1)  # roll an enrollment forward once its horizon is this close
MIN_WAKE_GAP = timedelta(milliseconds=200)  # never re-arm in a tight loop on a stuck row
LOCK_SUFFIX = ".dispatcher.lock"
HOUSEKEEPING_LOCK = 0x7472_6B72  # PostgreSQL advisory lock key: one housekeeper at a time
_HELD: dict[str, tuple[int, object]] = {}  # lock file path -> (fd, holder) in this process
_HELD_GUARD = threading.Lock()


def lock_path(url: str) -> str | None:
    """The lock file for a SQLite database file; None where several dispatchers are safe."""
    if not url.startswith("sqlite:///") or url == "sqlite:///:memory:":
        return None
    return url.removeprefix("sqlite:///").split("?")[0] + LOCK_SUFFIX


def acquire_lock(url: str, holder: object) -> None:
    """Take the SQLite dispatcher lock (fcntl.flock, exclusive) or raise DispatcherLocked."""
    path = lock_path(url)
    if path is None:
        return
    with _HELD_GUARD:
        held = _HELD.get(path)
        if held is not None:
            if held[1] is holder:
                return
            raise DispatcherLocked(_locked_message(path))
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise DispatcherLocked(_locked_message(path)) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        _HELD[path] = (fd, holder)


def _locked_message(path: str) -> str:
    database = path.removesuffix(LOCK_SUFFIX)
    return f"another reminder dispatcher already runs on {database} (it holds {path})"


def release_lock(url: str, holder: object) -> None:
    path = lock_path(url)
    with _HELD_GUARD:
        held = _HELD.get(path or "")
        if path and held and held[1] is holder:
            del _HELD[path]
            os.close(held[0])  # closing the descriptor releases the flock


class ReminderScheduler:
    """One process's dispatcher and its APScheduler clock jobs."""

    def __init__(
        self,
        app: Flask,
        *,
        clock: Callable[[], datetime] = utcnow,
        to_wall: Callable[[datetime], datetime] = lambda moment: moment,
        channels: dict[str, Channel] | None = None,
    ) -> None:
        self.app, self.url = app, str(app.config["DATABASE_URL"])
        self.engine: Engine = db.get_engine(app)
        self.clock, self.to_wall = clock, to_wall
        config = app.config
        self.channels = channels or build_channels(
            smtp_url=config.get("SMTP_URL", ""),
            webhook_url=config.get("WEBHOOK_URL", ""),
            sender=config.get("MAIL_SENDER", ""),
        )
        self.settings = Settings.from_config(config)
        self.dispatcher = Dispatcher(
            self.engine, channels=self.channels, settings=self.settings, clock=clock
        )
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            jobstores={"default": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self._serial = threading.Lock()  # wake-up, tick and housekeeping never overlap
        self._armed: datetime | None = None
        self._armed_guard = threading.Lock()

    # --- life cycle ------------------------------------------------------------------------

    def claim_database(self) -> None:
        """Take the SQLite lock; then every leftover claim belongs to a dead dispatcher."""
        acquire_lock(self.url, self)
        if lock_path(self.url) is not None:
            with self.engine.begin() as connection:
                released = release_claims(connection)
            if released:
                log.warning("released %d reminders claimed by a dispatcher that died", released)

    def start(self) -> None:
        """Lock, then start the clock jobs; the first tick and housekeeping run at once."""
        self.claim_database()
        wall = datetime.now(UTC)
        self.scheduler.add_job(
            self.housekeeping, "interval", id="housekeeping", next_run_time=wall,
            seconds=HOUSEKEEPING_EVERY.total_seconds(),
        )  # fmt: skip
        self.scheduler.add_job(
            self.dispatch, "interval", id="tick", next_run_time=wall,
            seconds=SAFETY_TICK.total_seconds(),
        )  # fmt: skip
        self.scheduler.start()

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop after the current batch; release the lock."""
        self.dispatcher.stop.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
        release_lock(self.url, self)

    def run_once(self, now: datetime | None = None) -> int:
        """Housekeeping, then deliver everything due (the `--once` command and tests)."""
        self.claim_database()
        try:
            self.housekeeping(now)
            return self.dispatch(now, rearm=False)
        finally:
            release_lock(self.url, self)

    # --- jobs ------------------------------------------------------------------------------

    def dispatch(self, now: datetime | None = None, *, rearm: bool = True) -> int:
        """Deliver everything due, then arm the wake-up for the next reminder."""
        with self._serial:
            with self.engine.begin() as connection:
                sweep(connection, now=now or self.clock())
            handled = self.dispatcher.run_until_idle(now)
            if rearm and not self.dispatcher.stop.is_set():
                with self.engine.connect() as connection:
                    upcoming = next_send_at(connection)
                with self._armed_guard:
                    self._armed = None
                self.wake(upcoming)
            return handled

    def wake(self, at: datetime | None) -> None:
        """Make sure the dispatcher runs by `at` (earlier wake-ups are kept)."""
        if at is None or not self.scheduler.running:
            return
        at = max(at, self.clock() + MIN_WAKE_GAP)
        with self._armed_guard:
            if self._armed is not None and self._armed <= at:
                return
            self._armed = at
        self.scheduler.add_job(
            self.dispatch, "date", id="wake", replace_existing=True, run_date=self.to_wall(at)
        )

    def housekeeping(self, now: datetime | None = None) -> None:
        """Roll recurring items forward, expire the useless, escalate overdue critical items."""
        now = now or self.clock()
        with self.engine.connect() as guard:
            if not _try_lock(guard):
                return  # another dispatcher is doing it
            try:
                with self._serial:
                    self._extend_horizons(now)
                    with self.engine.begin() as connection:
                        sweep(connection, now=now)
                    self._escalate(now)
            finally:
                _unlock(guard)

    def _extend_horizons(self, now: datetime) -> None:
        until = now + HORIZON
        query = select(col(Enrollment.id)).where(
            col(Enrollment.state) == "active", col(Enrollment.horizon) < until - HORIZON_SLACK
        )
        with Session(self.engine) as session:
            ids = [found for found in session.execute(query).scalars() if found is not None]
        for enrollment_id in ids:
            try:
                with db.session_scope(self.engine) as session:
                    enrollment = session.get(Enrollment, enrollment_id)
                    if enrollment is not None:
                        extend_horizon(session=session, enrollment=enrollment, until=until, now=now)
            except Exception:  # one bad enrollment must not stop the others
                log.exception("could not roll enrollment %s forward", enrollment_id)

    def _escalate(self, now: datetime) -> None:
        """Raise overdue critical items; their emails are outbox rows the dispatcher sends."""
        grace = self.app.config.get("ESCALATION_GRACE_MINUTES") or {}
        with db.session_scope(self.engine) as session:
            raised = escalate(session, now=now, grace=grace)
        for alert in raised:
            log.warning("escalated item %s (%s): %s", alert.item_id, alert.mrn, alert.step_text)
        if any(alert.nurse_email for alert in raised):
            self.wake(now)


def _try_lock(connection: Any) -> bool:
    if connection.dialect.name != "postgresql":
        return True
    query = text("SELECT pg_try_advisory_lock(:key)")
    got = bool(connection.execute(query, {"key": HOUSEKEEPING_LOCK}).scalar())
    connection.commit()
    return got


def _unlock(connection: Any) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": HOUSEKEEPING_LOCK})
        connection.commit()


def start_in_process(app: Flask) -> ReminderScheduler | None:
    """Run the scheduler inside this process (`tracker run`), once; None if another dispatcher
    already holds this SQLite database (it will send, this process just serves)."""
    current: ReminderScheduler | None = app.extensions.get(EXTENSION)
    if current is not None:
        return current
    scheduler = ReminderScheduler(app)
    try:
        scheduler.start()
    except DispatcherLocked as error:
        log.warning("reminders: %s; this process will not send", error)
        return None
    app.extensions[EXTENSION] = scheduler
    return scheduler


def stop(app: Flask) -> None:
    """Shut this process's scheduler down, if it runs one."""
    scheduler: ReminderScheduler | None = app.extensions.pop(EXTENSION, None)
    if scheduler is not None:
        scheduler.shutdown()


def notify_new_reminder(app: Flask, send_at: datetime) -> None:
    """Tell the in-process scheduler a reminder is due at `send_at` (wakes it earlier if needed).

    A no-op in processes without a scheduler (web workers): the scheduler process's safety
    tick finds the row within SAFETY_TICK.
    """
    scheduler: ReminderScheduler | None = app.extensions.get(EXTENSION)
    if scheduler is not None:
        scheduler.wake(send_at)


def init_app(app: Flask) -> None:
    """Start the scheduler only when SCHEDULER_ENABLED: web workers never send."""
    if app.config.get("SCHEDULER_ENABLED"):
        start_in_process(app)
