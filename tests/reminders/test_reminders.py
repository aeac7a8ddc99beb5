"""Reminder rules and the dispatcher in-process, with injected time: sending, quiet hours,
expiry, downtime, retries, escalation, DST and the cancel race (issue 5, tests 3-6)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import Engine, select, update
from sqlmodel import Session

from tests import reminder_helpers
from tests.reminder_helpers import (
    SmtpServer,
    WebhookReceiver,
    reminder_rows,
    seed_reminders,
    statuses,
)
from tracker import db, localtime
from tracker.errors import DispatcherLocked
from tracker.models import AuditEvent, ChecklistItem, User
from tracker.reminders.channels import Channel, Message, build_channels
from tracker.reminders.dispatch import Dispatcher
from tracker.reminders.dispatch_settings import Settings
from tracker.reminders.escalation import escalate
from tracker.reminders.outbox import sweep
from tracker.reminders.rules import quiet_until
from tracker.reminders.scheduler import (
    ReminderScheduler,
    acquire_lock,
    notify_new_reminder,
    release_lock,
)
from tracker.workspace import dashboard, work_list_pages
from tracker.workspace.alerts import care_team_alerts as alerts

NOW = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)  # 10:00 in New York: outside quiet hours
NIGHT = ("21:00", "07:00")

smtp_server = reminder_helpers.smtp_server  # a fixture
webhook = reminder_helpers.webhook  # a fixture


@pytest.fixture
def engine(app: Flask) -> Engine:
    return db.get_engine(app)


def dispatcher(engine: Engine, *, smtp: str = "", hook: str = "", **settings: object) -> Dispatcher:
    channels = build_channels(smtp_url=smtp, webhook_url=hook, sender="care@example.org")
    return Dispatcher(engine, channels=channels, settings=Settings(**settings), fault="")  # type: ignore[arg-type]


def add_nurse(engine: Engine) -> int | None:
    """A nurse to assign enrollments to (escalations email them); returns their id."""
    with Session(engine) as session:
        nurse = User(email="nurse@example.org", password_hash="x", role="nurse", created_at=NOW)
        session.add(nurse)
        session.commit()
        return nurse.id


def tick(engine: Engine, item_id: int, status: str = "done") -> None:
    with engine.begin() as connection:
        connection.execute(
            update(ChecklistItem).where(ChecklistItem.id == item_id).values(status=status)
        )


@pytest.mark.both_databases
def test_due_inapp_reminders_are_sent_once_with_provider_id(engine: Engine) -> None:
    seeded = seed_reminders(engine, 30, now=NOW, send_at=lambda i: NOW + timedelta(minutes=i))
    worker = dispatcher(engine, batch=7)
    assert worker.run_until_idle(NOW + timedelta(minutes=9, seconds=30)) == 10
    assert worker.run_until_idle(NOW + timedelta(minutes=9, seconds=30)) == 0
    rows = reminder_rows(engine)
    sent = [r for r in rows if r.status == "sent"]
    assert [r.id for r in sent] == seeded.reminder_ids[:10]
    assert all(r.provider_id == f"inapp:{r.idempotency_key}" for r in sent)
    assert all(r.attempts == 1 and r.lease_owner == worker.owner and not r.late for r in sent)
    assert Counter(r.status for r in rows) == {"sent": 10, "pending": 20}


@pytest.mark.both_databases
def test_settled_items_are_never_reminded(engine: Engine) -> None:
    seeded = seed_reminders(engine, 4, now=NOW)
    for item_id, status in zip(seeded.item_ids, ("done", "skipped", "cancelled"), strict=False):
        tick(engine, item_id, status)
    dispatcher(engine).run_until_idle(NOW)
    with engine.begin() as connection:
        sweep(connection, now=NOW)
    assert [r.status for r in reminder_rows(engine)] == ["cancelled"] * 3 + ["sent"]


@pytest.mark.both_databases
def test_quiet_hours_defer_to_their_end_unless_critical_or_too_late(engine: Engine) -> None:
    night = datetime(2027, 3, 2, 3, 0, tzinfo=UTC)  # 22:00 in New York
    morning = datetime(2027, 3, 2, 12, 0, tzinfo=UTC)  # 07:00 EST
    normal = seed_reminders(engine, 1, now=night, quiet=NIGHT)
    critical = seed_reminders(engine, 1, now=night, quiet=NIGHT, critical=True)
    soon = seed_reminders(engine, 1, now=night, quiet=NIGHT, due_after=timedelta(hours=2))
    worker = dispatcher(engine)
    worker.run_until_idle(night)
    by_enrollment = {r.enrollment_id: r for r in reminder_rows(engine)}
    deferred = by_enrollment[normal.enrollment_id]
    assert (deferred.status, deferred.send_at, deferred.attempts) == ("deferred", morning, 0)
    assert by_enrollment[critical.enrollment_id].status == "sent"
    assert by_enrollment[soon.enrollment_id].status == "sent"  # deferring would pass its due time
    assert worker.run_until_idle(morning - timedelta(seconds=1)) == 0
    assert worker.run_until_idle(morning) == 1
    assert reminder_rows(engine, normal.enrollment_id)[0].status == "sent"


@pytest.mark.both_databases
def test_expired_reminders_are_never_sent_and_late_ones_say_so(engine: Engine) -> None:
    expired = seed_reminders(engine, 1, now=NOW, expires_after=timedelta(hours=1))
    late = seed_reminders(engine, 1, now=NOW, due_after=timedelta(hours=3))
    dispatcher(engine).run_until_idle(NOW + timedelta(hours=2))
    gone = reminder_rows(engine, expired.enrollment_id)[0]
    assert gone.status == "expired" and gone.sent_at is None and "expired" in gone.last_error
    sent = reminder_rows(engine, late.enrollment_id)[0]
    assert sent.status == "sent" and sent.late


@pytest.mark.both_databases
def test_six_hours_of_downtime_every_reminder_accounted_for(app: Flask, engine: Engine) -> None:
    """Test 3: the scheduler stops for 6 hours of injected time, then restarts."""
    hour = timedelta(hours=1)
    spread = lambda i: NOW + timedelta(minutes=15 * i)  # noqa: E731 (over 6 hours and more)
    useful = seed_reminders(engine, 30, now=NOW, send_at=spread, due_after=12 * hour)
    useless = seed_reminders(engine, 12, now=NOW, send_at=spread, expires_after=hour)
    ticked = seed_reminders(engine, 6, now=NOW, send_at=spread)
    failing = seed_reminders(engine, 3, now=NOW, channel="email", patient_email="")
    for item_id in ticked.item_ids:
        tick(engine, item_id)
    created = 30 + 12 + 6 + 3
    restart = NOW + 6 * hour
    ReminderScheduler(app, channels=_channels(smtp="smtp://127.0.0.1:9")).run_once(restart)
    counts = statuses(engine)
    assert sum(counts[s] for s in ("pending", "sent", "expired", "cancelled", "failed")) == created
    assert counts["claimed"] == counts["deferred"] == 0
    rows = {r.id: r for r in reminder_rows(engine)}
    due_by_restart = [i for i in useful.reminder_ids if rows[i].send_at <= restart]
    assert due_by_restart and all(rows[i].status == "sent" for i in due_by_restart)
    late_by = {i: restart - rows[i].send_at for i in due_by_restart}
    assert all(rows[i].late == (late_by[i] > timedelta(minutes=10)) for i in due_by_restart)
    later = [i for i in useful.reminder_ids if rows[i].send_at > restart]
    assert later and all(rows[i].status == "pending" for i in later)
    assert all(rows[i].status == "expired" for i in useless.reminder_ids)
    assert all(rows[i].status == "cancelled" for i in ticked.reminder_ids)
    assert all(rows[i].status == "failed" for i in failing.reminder_ids)
    with Session(engine) as session:
        problems = dashboard.work_list(
            session, "reminders", work_list_pages.Context(restart, ZoneInfo("America/New_York"))
        )
    shown = {row.reminder_id for row in problems.rows}  # type: ignore[union-attr]
    expired_ids = {i for i in useless.reminder_ids if rows[i].status == "expired"}
    assert expired_ids and expired_ids <= shown and set(failing.reminder_ids) <= shown


def _channels(*, smtp: str = "", hook: str = "") -> dict[str, Channel]:
    return build_channels(smtp_url=smtp, webhook_url=hook, sender="care@example.org")


@pytest.mark.both_databases
def test_smtp_451_is_retried_then_sent(engine: Engine, smtp_server: SmtpServer) -> None:
    """Test 4: a temporary failure retries with backoff; the second try is accepted."""
    seed_reminders(engine, 1, now=NOW, channel="email")
    smtp_server.mailbox.replies.append("451 4.3.0 try again later")
    worker = dispatcher(engine, smtp=smtp_server.url)
    worker.run_until_idle(NOW)
    row = reminder_rows(engine)[0]
    assert (row.status, row.attempts, row.send_at) == ("pending", 1, NOW + timedelta(seconds=60))
    assert "451" in row.last_error
    assert worker.run_until_idle(NOW + timedelta(seconds=59)) == 0
    worker.run_until_idle(NOW + timedelta(seconds=60))
    row = reminder_rows(engine)[0]
    assert (row.status, row.attempts, row.provider_id) == ("sent", 2, "Q1")
    assert smtp_server.mailbox.keys() == [row.idempotency_key]


@pytest.mark.both_databases
def test_smtp_550_fails_at_once_and_raises_an_alert(
    engine: Engine, smtp_server: SmtpServer
) -> None:
    seed_reminders(engine, 1, now=NOW, channel="email")
    smtp_server.mailbox.replies.append("550 5.1.1 no such user")
    dispatcher(engine, smtp=smtp_server.url).run_until_idle(NOW)
    row = reminder_rows(engine)[0]
    assert (row.status, row.attempts) == ("failed", 1) and "550" in row.last_error
    with Session(engine) as session:
        found = alerts(session, NOW)
    assert [(a.kind, a.item_id) for a in found] == [("reminder_failed", row.item_id)]
    assert smtp_server.mailbox.keys() == []


@pytest.mark.both_databases
def test_server_down_retries_with_backoff_until_it_is_back(
    engine: Engine, smtp_server: SmtpServer
) -> None:
    seed_reminders(engine, 3, now=NOW, channel="email")
    smtp_server.stop()
    worker = dispatcher(engine, smtp=smtp_server.url)
    at = NOW
    for attempt, delay in enumerate((60, 120, 240), start=1):
        worker.run_until_idle(at)
        rows = reminder_rows(engine)
        assert {(r.status, r.attempts) for r in rows} == {("pending", attempt)}
        assert {r.send_at for r in rows} == {at + timedelta(seconds=delay)}
        at += timedelta(seconds=delay)
    smtp_server.start()
    worker.run_until_idle(at)
    rows = reminder_rows(engine)
    assert {(r.status, r.attempts) for r in rows} == {("sent", 4)}
    assert sorted(smtp_server.mailbox.keys()) == sorted(r.idempotency_key for r in rows)


@pytest.mark.both_databases
def test_after_max_attempts_a_reminder_fails(engine: Engine, smtp_server: SmtpServer) -> None:
    seed_reminders(engine, 1, now=NOW, channel="email")
    smtp_server.mailbox.replies.extend(["421 busy"] * 3)
    worker = dispatcher(engine, smtp=smtp_server.url, max_attempts=3)
    for minutes in (0, 1, 3):
        worker.run_until_idle(NOW + timedelta(minutes=minutes))
    row = reminder_rows(engine)[0]
    assert (row.status, row.attempts) == ("failed", 3)


@pytest.mark.both_databases
def test_webhook_carries_the_key_and_classifies_statuses(
    engine: Engine, webhook: WebhookReceiver
) -> None:
    seed_reminders(engine, 2, now=NOW, channel="webhook", consent=True)
    webhook.statuses.extend([503, 400])
    worker = dispatcher(engine, hook=webhook.url, workers=1)  # the answers go in row order
    worker.run_until_idle(NOW)
    first, second = reminder_rows(engine)
    assert (first.status, second.status) == ("pending", "failed")
    worker.run_until_idle(NOW + timedelta(minutes=1))
    first = reminder_rows(engine)[0]
    assert first.status == "sent" and first.provider_id == "hook-1"
    headers, body = webhook.requests[0]
    assert body["idempotency_key"] == headers["X-Reminder-Id"] == first.idempotency_key


@pytest.mark.both_databases
def test_critical_items_escalate_once_after_their_grace(
    app: Flask, engine: Engine, smtp_server: SmtpServer
) -> None:
    nurse_id = add_nurse(engine)
    fasting = seed_reminders(
        engine, 1, now=NOW, critical=True, kind="fasting", due_after=timedelta(0), nurse_id=nurse_id
    )
    medication = seed_reminders(
        engine, 1, now=NOW, critical=True, kind="medication", due_after=timedelta(0)
    )
    seed_reminders(engine, 1, now=NOW, kind="fasting", due_after=timedelta(0))  # not critical
    # A critical restriction ("nothing to eat after midnight") has no tick to miss.
    seed_reminders(
        engine, 1, now=NOW, critical=True, kind="fasting", due_after=timedelta(0), asks="avoid"
    )
    with db.session_scope(engine) as session:
        assert [a.item_id for a in escalate(session, now=NOW)] == fasting.item_ids
    with db.session_scope(engine) as session:
        assert escalate(session, now=NOW + timedelta(minutes=59)) == []
    app.config["SMTP_URL"] = smtp_server.url
    scheduler = ReminderScheduler(app)
    scheduler.housekeeping(NOW + timedelta(minutes=60))
    scheduler.housekeeping(NOW + timedelta(minutes=61))
    with Session(engine) as session:
        events = session.execute(select(AuditEvent).where(AuditEvent.action == "escalated"))
        escalated = sorted(e.subject_id for e in events.scalars())
        found = alerts(session, NOW + timedelta(minutes=61))
    assert escalated == sorted(fasting.item_ids + medication.item_ids)
    assert {a.item_id for a in found if a.kind == "escalated"} == set(escalated)
    # Only the fasting enrollment has a nurse, and it escalated through escalate() itself
    # (the caller emails); the medication one, raised by housekeeping, has no nurse to email.
    assert smtp_server.mailbox.keys() == []
    tick(engine, medication.item_ids[0])
    with Session(engine) as session:
        still = {a.item_id for a in alerts(session, NOW + timedelta(minutes=61))}
    assert still == set(fasting.item_ids)


def test_escalation_emails_the_enrollments_nurse(
    app: Flask, engine: Engine, smtp_server: SmtpServer
) -> None:
    nurse_id = add_nurse(engine)
    seeded = seed_reminders(
        engine,
        1,
        now=NOW,
        critical=True,
        kind="logistics",
        due_after=timedelta(0),
        nurse_id=nurse_id,
    )
    app.config["SMTP_URL"] = smtp_server.url
    scheduler = ReminderScheduler(app)
    scheduler.housekeeping(NOW + timedelta(minutes=120))
    assert smtp_server.mailbox.messages == []  # housekeeping only writes the outbox row
    scheduler.dispatch(NOW + timedelta(minutes=120), rearm=False)
    scheduler.housekeeping(NOW + timedelta(minutes=180))  # raised once: no second email
    scheduler.dispatch(NOW + timedelta(minutes=180), rearm=False)
    [message] = smtp_server.mailbox.messages
    assert message["To"] == "nurse@example.org"
    key = f"escalation-{seeded.item_ids[0]}"
    assert message["X-Reminder-Id"] == key and message["Message-ID"] == f"<{key}@tracker.invalid>"
    assert "Not done" in str(message["Subject"])
    [row] = [r for r in reminder_rows(engine) if r.purpose == "escalation"]
    assert (row.status, row.recipient, row.idempotency_key) == ("sent", "nurse@example.org", key)


DST_CASES = [
    # zone, the night before a transition (local midnight), what 07:00 is in UTC that morning
    ("America/New_York", datetime(2027, 3, 14), datetime(2027, 3, 14, 11, 0, tzinfo=UTC)),
    ("America/New_York", datetime(2027, 11, 7), datetime(2027, 11, 7, 12, 0, tzinfo=UTC)),
    ("Europe/Berlin", datetime(2027, 3, 28), datetime(2027, 3, 28, 5, 0, tzinfo=UTC)),
    ("Europe/Berlin", datetime(2027, 10, 31), datetime(2027, 10, 31, 6, 0, tzinfo=UTC)),
]


@pytest.mark.parametrize(("zone", "day", "seven"), DST_CASES)
def test_reminders_fire_at_the_right_instants_across_dst(
    engine: Engine, zone: str, day: datetime, seven: datetime
) -> None:
    """Test 5: local wall times around each transition (including a skipped or repeated hour)
    fire at their UTC instants, once each; quiet hours end at 07:00 local that morning."""
    tz = ZoneInfo(zone)
    walls = [day.replace(hour=h, minute=30) for h in (0, 1, 2, 3, 4, 8, 12)]
    instants = [localtime.local_to_utc(w, tz) for w in walls]
    timed = seed_reminders(
        engine, len(instants), now=instants[0], send_at=lambda i: instants[i], timezone=zone
    )
    evening = localtime.local_to_utc(day - timedelta(hours=1), tz)  # 23:00 the night before
    quiet = seed_reminders(engine, 1, now=evening, timezone=zone, quiet=NIGHT)
    worker = dispatcher(engine)
    step = timedelta(minutes=5)
    at = evening - step
    while at < instants[-1] + timedelta(hours=1):
        at += step
        worker.run_until_idle(at)
    rows = {r.id: r for r in reminder_rows(engine)}
    for reminder_id, instant in zip(timed.reminder_ids, instants, strict=True):
        row = rows[reminder_id]
        assert row.status == "sent" and row.attempts == 1
        assert row.sent_at is not None and timedelta(0) <= row.sent_at - instant < step
    woken = rows[quiet.reminder_ids[0]]
    assert woken.status == "sent" and woken.send_at == seven
    assert woken.sent_at is not None and woken.sent_at.astimezone(tz).hour == 7


@pytest.mark.parametrize(("zone", "day", "seven"), DST_CASES)
def test_quiet_until_is_local_seven_on_transition_mornings(
    engine: Engine, zone: str, day: datetime, seven: datetime
) -> None:
    seeded = seed_reminders(engine, 1, now=NOW, timezone=zone, quiet=NIGHT)
    with engine.connect() as connection:
        from tracker.reminders.rules import load_due

        [due] = load_due(connection, seeded.reminder_ids)
    midnight = localtime.local_to_utc(day, ZoneInfo(zone))
    assert quiet_until(due, now=midnight) == seven
    assert quiet_until(due, now=seven) is None


class _TickingChannel:
    """An external channel that ticks the item while the message is being sent."""

    name = "email"
    external = True
    wants_text = True

    def __init__(self, engine: Engine, item_id: int) -> None:
        self.engine, self.item_id = engine, item_id
        self.sent_at: float | None = None
        self.ticked_at: float | None = None
        self.thread = threading.Thread(target=self._tick)

    def _tick(self) -> None:
        tick(self.engine, self.item_id)
        self.ticked_at = time.monotonic()

    def send(self, message: Message) -> str:
        self.thread.start()
        self.thread.join(20)  # the tick must be able to finish while the message is out
        self.sent_at = time.monotonic()
        return "ok"

    def close(self) -> None:
        pass


@pytest.mark.both_databases
def test_a_tick_during_the_send_is_not_held_up(engine: Engine) -> None:
    """Issue 12: no transaction is open while a channel talks to the outside, so a tick during
    a send commits at once. The message had left after the last look at the item (the
    remaining window, recorded as checked_at .. sent_at), so it is recorded as sent."""
    seeded = seed_reminders(engine, 1, now=NOW, channel="email")
    channel = _TickingChannel(engine, seeded.item_ids[0])
    worker = Dispatcher(
        engine, channels={**_channels(), "email": channel}, fault="", clock=lambda: NOW
    )
    worker.run_until_idle()
    assert channel.sent_at is not None and channel.ticked_at is not None
    assert channel.ticked_at < channel.sent_at  # the tick finished inside the send
    [row] = reminder_rows(engine)
    assert row.status == "sent" and row.checked_at is not None and row.sent_at is not None
    assert row.checked_at <= row.sent_at
    with Session(engine) as session:
        assert session.get(ChecklistItem, seeded.item_ids[0]).status == "done"  # type: ignore[union-attr]


@pytest.mark.both_databases
def test_an_item_ticked_after_the_claim_is_not_reminded(engine: Engine) -> None:
    """Test 6: the claim saw a pending item; the tick commits before the send decision."""
    seeded = seed_reminders(engine, 2, now=NOW)
    seeded_mail = seed_reminders(engine, 1, now=NOW, channel="email")
    worker = dispatcher(engine)
    original = worker.run_batch

    def claim_then_tick(now: datetime | None = None) -> Counter[str]:
        from tracker.reminders import dispatch

        real_load = dispatch.load_due

        def load_and_tick(connection, ids):  # type: ignore[no-untyped-def]
            for item_id in (seeded.item_ids[0], seeded_mail.item_ids[0]):
                tick(engine, item_id)
            return real_load(connection, ids)

        dispatch.load_due = load_and_tick  # type: ignore[assignment]
        try:
            return original(now)
        finally:
            dispatch.load_due = real_load

    assert claim_then_tick(NOW) == Counter({"cancelled": 2, "sent": 1})
    by_id = {r.item_id: r.status for r in reminder_rows(engine)}
    assert by_id[seeded.item_ids[0]] == by_id[seeded_mail.item_ids[0]] == "cancelled"


@pytest.mark.both_databases
def test_an_expired_lease_is_reclaimed(engine: Engine) -> None:
    seed_reminders(engine, 3, now=NOW)
    with engine.begin() as connection:
        from tracker.reminders.outbox import claim

        claim(connection, owner="dead", now=NOW, lease=timedelta(minutes=5), limit=10)
    worker = dispatcher(engine)
    assert worker.run_until_idle(NOW + timedelta(minutes=4)) == 0
    assert worker.run_until_idle(NOW + timedelta(minutes=5)) == 3
    assert statuses(engine) == {"sent": 3}


def test_a_second_dispatcher_on_sqlite_is_refused(app: Flask) -> None:
    url = app.config["DATABASE_URL"]
    first, second = object(), object()
    acquire_lock(url, first)
    try:
        with pytest.raises(DispatcherLocked, match="another reminder dispatcher"):
            acquire_lock(url, second)
    finally:
        release_lock(url, first)
    acquire_lock(url, second)
    release_lock(url, second)


def test_scheduler_wakes_at_the_next_reminder_and_on_notice(app: Flask, engine: Engine) -> None:
    """The date job wakes the dispatcher at the earliest reminder; notify_new_reminder arms an
    earlier one. Real APScheduler, a clock 3600x faster than the wall (one hour per second)."""
    wall0 = datetime.now(UTC)
    scale = 3600.0

    def clock() -> datetime:
        return NOW + (datetime.now(UTC) - wall0) * scale

    def to_wall(moment: datetime) -> datetime:
        return wall0 + (moment - NOW) / scale

    seed_reminders(engine, 1, now=NOW, send_at=lambda _: NOW + timedelta(hours=2))
    scheduler = ReminderScheduler(app, clock=clock, to_wall=to_wall)
    app.extensions["tracker.scheduler"] = scheduler
    scheduler.start()
    try:
        seed_reminders(engine, 1, now=NOW, send_at=lambda _: NOW + timedelta(minutes=30))
        notify_new_reminder(app, NOW + timedelta(minutes=30))
        deadline = time.monotonic() + 10
        while statuses(engine)["sent"] < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        scheduler.shutdown()
        app.extensions.pop("tracker.scheduler", None)
    rows = reminder_rows(engine)
    assert [r.status for r in rows] == ["sent", "sent"]
    # The 30 s safety tick is 30 injected hours: only the wake-ups explain sending within a few
    # injected hours (seconds of wall time, room for a loaded machine).
    for row in rows:
        assert row.sent_at is not None
        assert timedelta(0) <= row.sent_at - row.send_at < timedelta(hours=6)


@pytest.mark.both_databases
def test_housekeeping_rolls_recurring_items_forward(app: Flask, engine: Engine) -> None:
    from tests.enrollment_helpers import NOW as ENROLLED
    from tests.enrollment_helpers import enroll_patient
    from tracker.models import Enrollment

    with Session(engine, expire_on_commit=False) as session:
        enrollment = enroll_patient(session)
        before = session.execute(
            select(ChecklistItem.id).where(ChecklistItem.enrollment_id == enrollment.id)
        ).all()
    later = ENROLLED + timedelta(days=10)
    ReminderScheduler(app).housekeeping(later)
    with Session(engine) as session:
        moved = session.get(Enrollment, enrollment.id)
        after = session.execute(
            select(ChecklistItem.id).where(ChecklistItem.enrollment_id == enrollment.id)
        ).all()
    assert moved is not None and moved.horizon == later + timedelta(days=14)
    assert len(after) >= len(before)
