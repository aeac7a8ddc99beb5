"""Issue 12 in-process: the time read per message, leases kept by a heartbeat, many messages
handed over at once, and escalations as outbox rows with their own state."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import Engine, select, update
from sqlmodel import Session

from tests import reminder_helpers
from tests.reminder_helpers import SmtpServer, reminder_rows, seed_reminders, statuses
from tracker import db
from tracker.models import AuditEvent, ChecklistItem, Escalation, User
from tracker.reminders.channels import Message, build_channels
from tracker.reminders.dispatch import Dispatcher
from tracker.reminders.dispatch_settings import Settings
from tracker.reminders.escalation import escalate
from tracker.reminders.outbox import claim
from tracker.reminders.scheduler import ReminderScheduler
from tracker.workspace.alerts import care_team_alerts as alerts

NOW = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)  # 10:00 in New York: outside quiet hours
smtp_server = reminder_helpers.smtp_server  # a fixture


@pytest.fixture
def engine(app: Flask) -> Engine:
    return db.get_engine(app)


class SlowChannel:
    """An external channel where each hand-over moves an injected clock on by `step`."""

    name = "email"
    external = True
    wants_text = True

    def __init__(self, clock: list[datetime], step: timedelta) -> None:
        self.clock, self.step = clock, step
        self.sent: list[Message] = []

    def send(self, message: Message) -> str:
        self.sent.append(message)
        self.clock[0] += self.step
        return "ok"

    def close(self) -> None:
        pass


@pytest.mark.both_databases
def test_each_message_reads_the_time_when_it_goes(engine: Engine) -> None:
    """One batch, a slow channel: the second message is late by the time it goes (and says
    so), the third has expired by then and is never sent, though all three were due, useful
    and on time when the batch was claimed."""
    seed_reminders(engine, 3, now=NOW, channel="email", expires_after=timedelta(minutes=30))
    clock = [NOW]
    channel = SlowChannel(clock, timedelta(minutes=20))
    channels = {**build_channels(smtp_url="", webhook_url="", sender="c@x.org"), "email": channel}
    worker = Dispatcher(
        engine, channels=channels, settings=Settings(workers=1), fault="", clock=lambda: clock[0]
    )
    worker.run_until_idle()
    first, second, third = reminder_rows(engine)
    assert (first.status, first.late, first.sent_at) == ("sent", False, NOW + timedelta(minutes=20))
    assert (second.status, second.late) == ("sent", True)
    assert second.checked_at == NOW + timedelta(minutes=20)  # looked at when it went
    assert third.status == "expired" and third.sent_at is None
    assert [m.late for m in channel.sent] == [False, True]
    assert "late" in channel.sent[1].subject.lower()


class WaitingChannel:
    """An external channel that holds each message for `seconds` of real time."""

    name = "email"
    external = True
    wants_text = False

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.keys: list[str] = []
        self.guard = threading.Lock()
        self.most_at_once = self.at_once = 0

    def send(self, message: Message) -> str:
        with self.guard:
            self.at_once += 1
            self.most_at_once = max(self.most_at_once, self.at_once)
        time.sleep(self.seconds)
        with self.guard:
            self.at_once -= 1
            self.keys.append(message.key)
        return "ok"

    def close(self) -> None:
        pass


@pytest.mark.both_databases
def test_a_heartbeat_keeps_a_short_lease_while_the_batch_is_in_hand(engine: Engine) -> None:
    """A 1 s lease, messages taking longer than that in total: another dispatcher looking for
    lapsed claims meanwhile finds none, and every message goes once."""
    seed_reminders(engine, 4, now=datetime.now(UTC) - timedelta(minutes=1), channel="email")
    channel = WaitingChannel(0.6)
    channels = {**build_channels(smtp_url="", webhook_url="", sender="c@x.org"), "email": channel}
    settings = Settings(workers=1, lease=timedelta(seconds=1))
    worker = Dispatcher(engine, channels=channels, settings=settings, fault="")
    running = threading.Thread(target=worker.run_until_idle)
    running.start()
    stolen: list[int] = []
    while running.is_alive():
        time.sleep(0.2)
        with engine.begin() as connection:
            stolen += claim(
                connection, owner="other", now=datetime.now(UTC), lease=settings.lease, limit=10
            )
    running.join()
    assert stolen == []
    assert statuses(engine) == {"sent": 4} and sorted(channel.keys) == sorted(
        r.idempotency_key for r in reminder_rows(engine)
    )


@pytest.mark.both_databases
def test_many_messages_are_handed_over_at_once(engine: Engine) -> None:
    seed_reminders(engine, 24, now=NOW, channel="email")
    channel = WaitingChannel(0.1)
    channels = {**build_channels(smtp_url="", webhook_url="", sender="c@x.org"), "email": channel}
    worker = Dispatcher(engine, channels=channels, settings=Settings(workers=8), fault="")
    assert worker.run_until_idle(NOW) == 24
    assert channel.most_at_once == 8 and len(set(channel.keys)) == 24


def add_nurse(engine: Engine) -> int:
    with Session(engine) as session:
        nurse = User(email="nurse@example.org", password_hash="x", role="nurse", created_at=NOW)
        session.add(nurse)
        session.commit()
        assert nurse.id is not None
        return nurse.id


@pytest.mark.both_databases
def test_an_escalation_is_state_and_an_outbox_row_retried_until_delivered(
    engine: Engine, smtp_server: SmtpServer
) -> None:
    """Raised once into its own table; its email is a reminder row to the nurse: a 451 is
    retried with backoff like any reminder, and the alert reads the escalation, not the log."""
    nurse_id = add_nurse(engine)
    seeded = seed_reminders(
        engine, 1, now=NOW, critical=True, kind="fasting", due_after=timedelta(0), nurse_id=nurse_id
    )
    with db.session_scope(engine) as session:
        [raised] = escalate(session, now=NOW + timedelta(minutes=1))
    with db.session_scope(engine) as session:
        assert escalate(session, now=NOW + timedelta(hours=1)) == []
    with Session(engine) as session:
        [state] = session.execute(select(Escalation)).scalars()
        [event] = session.execute(select(AuditEvent).where(AuditEvent.action == "escalated"))
    assert (state.item_id, state.kind) == (seeded.item_ids[0], "fasting")
    assert event is not None
    email = [r for r in reminder_rows(engine) if r.purpose == "escalation"]
    assert [(r.id, r.recipient, r.status) for r in email] == [
        (state.reminder_id, "nurse@example.org", "pending")
    ]
    smtp_server.mailbox.replies.append("451 4.3.0 try later")
    channels = build_channels(smtp_url=smtp_server.url, webhook_url="", sender="c@x.org")
    worker = Dispatcher(engine, channels=channels, settings=Settings(), fault="")
    later = NOW + timedelta(hours=2)  # the patient's own reminder has long expired by now
    worker.run_until_idle(later)
    [row] = [r for r in reminder_rows(engine) if r.purpose == "escalation"]
    assert (row.status, row.attempts) == ("pending", 1)
    worker.run_until_idle(later + timedelta(minutes=1))
    [row] = [r for r in reminder_rows(engine) if r.purpose == "escalation"]
    assert (row.status, row.attempts) == ("sent", 2)
    [message] = smtp_server.mailbox.messages
    assert message["To"] == "nurse@example.org" and raised.mrn in str(message["Subject"])
    with Session(engine) as session:
        found = alerts(session, later)
    assert [(a.kind, a.item_id) for a in found] == [("escalated", seeded.item_ids[0])]


@pytest.mark.both_databases
def test_a_ticked_item_cancels_its_waiting_escalation_email(app: Flask, engine: Engine) -> None:
    nurse_id = add_nurse(engine)
    seeded = seed_reminders(
        engine, 1, now=NOW, critical=True, kind="fasting", due_after=timedelta(0), nurse_id=nurse_id
    )
    with db.session_scope(engine) as session:
        escalate(session, now=NOW + timedelta(minutes=1))
    with engine.begin() as connection:
        connection.execute(
            update(ChecklistItem)
            .where(ChecklistItem.id == seeded.item_ids[0])
            .values(status="done")
        )
    ReminderScheduler(app).dispatch(NOW + timedelta(minutes=2), rearm=False)
    [row] = [r for r in reminder_rows(engine) if r.purpose == "escalation"]
    assert row.status == "cancelled"


@pytest.mark.both_databases
def test_a_patients_not_done_leaves_the_escalation_email_and_hides_it_from_the_patient(
    app: Flask, engine: Engine
) -> None:
    """The care team's email rides the patient's outbox, but it is not the patient's: their
    "couldn't do this" does not cancel it (the nurse must hear), and it is never in their
    inbox or calendar."""
    from tracker.models import Enrollment, Reminder
    from tracker.patient import ticking
    from tracker.patient.queries import sent_reminders

    nurse_id = add_nurse(engine)
    seeded = seed_reminders(
        engine, 1, now=NOW, critical=True, kind="fasting", due_after=timedelta(0), nurse_id=nurse_id
    )
    with db.session_scope(engine) as session:
        escalate(session, now=NOW + timedelta(minutes=1))
    with db.session_scope(engine) as session:
        enrollment = session.get(Enrollment, seeded.enrollment_id)
        assert enrollment is not None
        ticking.act(
            session=session,
            enrollment=enrollment,
            actor=f"link:{seeded.patient_id}",
            item_id=seeded.item_ids[0],
            action="not_done",
            note="I was sick",
            now=NOW + timedelta(minutes=2),
        )
    [email] = [r for r in reminder_rows(engine) if r.purpose == "escalation"]
    assert email.status == "pending"
    delivered = [email.id, seeded.reminder_ids[0]]  # the nurse's email and the patient's own
    with engine.begin() as connection:
        connection.execute(
            update(Reminder)
            .where(Reminder.id.in_(delivered))  # type: ignore[union-attr]
            .values(status="sent", sent_at=NOW)
        )
    with engine.connect() as connection:
        shown = sent_reminders(connection, seeded.enrollment_id, None)
    assert [row.id for row in shown] == [seeded.reminder_ids[0]]
