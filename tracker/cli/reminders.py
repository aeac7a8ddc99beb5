"""`tracker scheduler` (the dispatcher on its own) and `tracker reminders` (the outbox)."""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import UTC, datetime
from types import FrameType

import click

from tracker.cli import fail
from tracker.cli.context import app_context
from tracker.reminders.rules import STATUSES

# Tests that race several dispatchers: each touches PATH.ready.<pid> and waits for PATH, so
# they all start claiming together (unset in production).
START_BARRIER_ENV = "TRACKER_START_BARRIER"
BARRIER_TIMEOUT_SECONDS = 120


@click.command()
@click.option("--once", is_flag=True, help="Deliver everything due now, then exit.")
@click.option("--now", "at", default=None, help="Act as if it were this UTC instant (tests).")
def scheduler(once: bool, at: str | None) -> None:
    """Run the reminder dispatcher alone (production); SIGTERM stops it after its batch."""
    from tracker.errors import DispatcherLocked
    from tracker.reminders.scheduler import EXTENSION, ReminderScheduler

    now = _instant(at) if at else None
    # No memory map (config.py says why): the dispatcher's memory stays flat with the outbox.
    with app_context(SQLITE_MMAP_BYTES=0) as app:
        running: ReminderScheduler | None = app.extensions.get(EXTENSION)
        try:
            if once:
                _wait_at_barrier()
                handled = (running or ReminderScheduler(app)).run_once(now)
                click.echo(f"reminders handled: {handled}")
                return
            if running is None:
                running = ReminderScheduler(app)
                running.start()
        except DispatcherLocked as error:
            fail(f"tracker scheduler: {error}")
        stop = threading.Event()

        def _stop(_signum: int, _frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        click.echo("reminder scheduler running (SIGTERM stops it)", err=True)
        while not stop.wait(1.0):
            pass
        running.shutdown(wait=True)
        click.echo("reminder scheduler stopped", err=True)


def _wait_at_barrier() -> None:
    path = os.environ.get(START_BARRIER_ENV)
    if not path:
        return
    with open(f"{path}.ready.{os.getpid()}", "w", encoding="ascii"):
        pass
    deadline = time.monotonic() + BARRIER_TIMEOUT_SECONDS
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.01)


@click.command()
@click.option("--status", type=click.Choice(STATUSES), default=None, help="Only this status.")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 100_000))
def reminders(status: str | None, limit: int) -> None:
    """List reminders with their state, most recent first, and the count per status."""
    from tracker.db import get_session
    from tracker.reminders.rules import counts, listing

    with app_context():
        session = get_session()
        for row in listing(session, status=status, limit=limit):
            rid, send_at, state, channel, purpose, attempts, late, error, mrn, step = row
            flags = " late" if late else ""
            note = f"  ({error})" if error else ""
            click.echo(
                f"{rid:>7}  {send_at:%Y-%m-%d %H:%M}Z  {state:<9} {channel:<7} {purpose:<10} "
                f"tries={attempts}{flags}  {mrn}  {step[:60]}{note}"
            )
        summary = ", ".join(f"{name} {count}" for name, count in counts(session).items())
        click.echo(f"-- {summary}")


def _instant(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        fail(f"tracker scheduler: --now {text!r} is not an ISO 8601 instant")
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
