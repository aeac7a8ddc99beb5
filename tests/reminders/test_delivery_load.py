"""Issue 12 with real processes: delivery never blocks a patient, a crash on PostgreSQL
returns its claims within a minute, and an SMTP outage loses no reminder nor escalation.

These run for tens of seconds each and measure latency, so they share one xdist group (run
one after another, never beside each other).
"""

from __future__ import annotations

import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from tests import reminder_helpers
from tests.conftest import POSTGRES_URL, postgres_schema
from tests.reminder_helpers import (
    SmtpServer,
    environment,
    gunicorn,
    reminder_rows,
    seed_reminders,
    start_scheduler,
    stop_process,
    wait_for,
)
from tracker import db
from tracker.models import ChecklistItem, Enrollment, User
from tracker.patient.links import form_token, issue_link

smtp_server = reminder_helpers.smtp_server  # a fixture
pytestmark = pytest.mark.xdist_group("delivery_load")

CLIENTS = 8
TICKING_SECONDS = 30.0
THINK_SECONDS = 0.1  # a patient's pause between two taps
SLOW_SMTP_SECONDS = 2.0
TICK_P99_BOUND = 0.5  # seconds: a correctness bound under contention, not a speed target
BASELINE_SECONDS = 10.0
# On a machine busy with other work the bound is relative: ticks with the dispatcher sending
# may take at most this many times the p99 measured just before, with it stopped.
BUSY_MACHINE_FACTOR = 2.0


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = db.make_engine(database_url)
    yield engine
    engine.dispose()


def due_now() -> datetime:
    return datetime.now(UTC) - timedelta(minutes=1)


@dataclass
class Patient:
    """One client: a patient with a link, items whose email reminders are all due."""

    token: str
    form: str
    items: list[int]
    told_done: dict[int, float] = field(default_factory=dict)  # item -> when the 200 came
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def patients(engine: Engine, count: int, items: int) -> list[Patient]:
    made = []
    for _ in range(count):
        seeded = seed_reminders(engine, items, now=due_now(), channel="email")
        with Session(engine, expire_on_commit=False) as session:
            enrollment = session.get(Enrollment, seeded.enrollment_id)
            assert enrollment is not None
            link, token = issue_link(
                session=session, enrollment=enrollment, now=datetime.now(UTC), actor="test"
            )
            session.commit()
            assert link.id is not None
        made.append(Patient(token, form_token("test-secret", link.id, "items"), seeded.item_ids))
    return made


def tick_for(base: str, patient: Patient, stop: threading.Event) -> None:
    """Tick the patient's items one by one (shuffled by their order of sending: every other
    one), as the JSON page does, until told to stop."""
    order = patient.items[1::2] + patient.items[0::2]
    for item_id in order:
        if stop.is_set():
            return
        body = urllib.parse.urlencode({"csrf_token": patient.form, "action": "done"}).encode()
        request = urllib.request.Request(
            f"{base}/p/{patient.token}/items/{item_id}",
            data=body,
            headers={"Accept": "application/json"},
        )
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status = response.status
                response.read()
        except OSError as error:
            patient.errors.append(f"item {item_id}: {error}")
            continue
        patient.latencies.append(time.perf_counter() - started)
        if status == 200:
            patient.told_done[item_id] = time.time()
        else:
            patient.errors.append(f"item {item_id}: HTTP {status}")
        stop.wait(THINK_SECONDS)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@pytest.mark.both_databases
def test_ticks_never_wait_for_a_slow_smtp_server(
    database_url: str, engine: Engine, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    """8 patients tick for 30 s through gunicorn (2 workers) while one `tracker scheduler`
    sends through an SMTP server taking 2 s per message: 0 tick errors, p99 within bound,
    every tick committed exactly when the client was told so, no reminder for an item whose
    tick had been acknowledged before the dispatcher's last look at it. The bound is the
    issue's 500 ms, or twice the p99 of the same ticks with no dispatcher running when the
    machine is too busy for that (the old design made ticks wait 30 s and fail)."""
    smtp_server.mailbox.delay = SLOW_SMTP_SECONDS
    clients = patients(engine, CLIENTS, 300)
    quiet = patients(engine, CLIENTS, 300)  # the same load with no dispatcher, for a baseline
    env = environment(database_url, tmp_path, smtp_server, TRACKER_REMINDER_BATCH="100")
    with gunicorn(env) as base:
        stop = threading.Event()
        threads = [threading.Thread(target=tick_for, args=(base, p, stop)) for p in quiet]
        for thread in threads:
            thread.start()
        stop.wait(BASELINE_SECONDS)
        stop.set()
        for thread in threads:
            thread.join(60)
        baseline = percentile([s for p in quiet for s in p.latencies], 0.99)
        scheduler = start_scheduler(env)
        stop = threading.Event()
        threads = [threading.Thread(target=tick_for, args=(base, p, stop)) for p in clients]
        try:
            for thread in threads:
                thread.start()
            stop.wait(TICKING_SECONDS)
        finally:
            stop.set()
            for thread in threads:
                thread.join(60)
            stop_process(scheduler)
    errors = [error for p in clients + quiet for error in p.errors]
    latencies = [seconds for p in clients for seconds in p.latencies]
    assert errors == []
    assert len(latencies) >= CLIENTS * 5  # every client ticked all along
    p99 = percentile(latencies, 0.99)
    bound = max(TICK_P99_BOUND, BUSY_MACHINE_FACTOR * baseline)
    assert p99 <= bound, f"tick p99 {p99 * 1000:.0f} ms, without delivery {baseline * 1000:.0f}"
    told = {item: at for p in clients + quiet for item, at in p.told_done.items()}
    with Session(engine) as session:
        done = set(
            session.execute(
                select(ChecklistItem.id).where(ChecklistItem.status == "done")
            ).scalars()
        )
    assert done == set(told)  # committed exactly when the client was told so
    rows = reminder_rows(engine)
    sent = [r for r in rows if r.status == "sent"]
    assert len(sent) >= 50  # the dispatcher was busy meanwhile
    received = smtp_server.mailbox.counts()
    assert set(received.values()) == {1} and set(received) == {r.idempotency_key for r in sent}
    for row in sent:
        assert row.checked_at is not None and row.sent_at is not None
        acknowledged = told.get(row.item_id)
        if acknowledged is not None:  # ticked: only in the window after the last look
            assert acknowledged >= row.checked_at.timestamp(), row.idempotency_key
    # A ticked item's reminders were sent before the tick (checked above), or never: cancelled,
    # or pending again when the scheduler was stopped holding its claim (the next pass's last
    # look cancels it).
    for row in rows:
        if row.item_id in told:
            assert row.status in ("sent", "cancelled", "pending"), row.status
            assert row.status != "pending" or row.sent_at is None


def test_a_dead_dispatchers_claims_return_within_a_minute_on_postgres(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    """Two dispatchers on PostgreSQL; one is killed (-9) mid-burst holding claims. The other
    takes them over when their lease lapses: everything is delivered within 60 s of the kill,
    nothing lost, duplicates only of the dead one's messages in flight, same key and
    Message-ID."""
    if not POSTGRES_URL:
        pytest.fail("TRACKER_TEST_POSTGRES_URL is not set")
    workers = 8
    for url in postgres_schema(migrate=True):
        engine = db.make_engine(url)
        try:
            seed_reminders(engine, 400, now=due_now(), channel="email")
            smtp_server.mailbox.delay = 0.05
            env = environment(
                url,
                tmp_path,
                smtp_server,
                TRACKER_REMINDER_BATCH="100",
                TRACKER_REMINDER_WORKERS=str(workers),
            )
            doomed = start_scheduler({**env, "TRACKER_FAULT": "after_send:30"})
            survivor = start_scheduler(env)
            try:
                doomed.communicate(timeout=90)
                killed_at = time.monotonic()
                assert doomed.returncode == -9
                wait_for(lambda e=engine: _all_sent(e), timeout=90)
                resumed_within = time.monotonic() - killed_at
            finally:
                if doomed.poll() is None:
                    doomed.kill()
                    doomed.communicate()
                stop_process(survivor)
            rows = reminder_rows(engine)
        finally:
            engine.dispose()
    assert resumed_within <= 60, f"{resumed_within:.1f} s"
    counts = smtp_server.mailbox.counts()
    assert set(counts) == {r.idempotency_key for r in rows}  # 0 lost
    assert set(counts.values()) <= {1, 2}
    assert sum(1 for n in counts.values() if n == 2) <= workers
    for message in smtp_server.mailbox.messages:
        assert message["Message-ID"] == f"<{message['X-Reminder-Id']}@tracker.invalid>"


def _all_sent(engine: Engine) -> bool:
    statuses = Counter(r.status for r in reminder_rows(engine))
    return set(statuses) == {"sent"}


@pytest.mark.both_databases
def test_every_reminder_and_escalation_goes_out_after_an_smtp_outage(
    database_url: str, engine: Engine, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    """SMTP is down when the scheduler starts and for some seconds after (the retry backoff is
    the REMINDER_BACKOFF_SECONDS setting: 1 s here, 60 s by default, so this outage stands
    for a minute's); once it is back, every reminder and every escalation email goes out,
    each once."""
    with Session(engine) as session:
        nurse = User(
            email="nurse@example.org", password_hash="x", role="nurse", created_at=due_now()
        )
        session.add(nurse)
        session.commit()
        nurse_id = nurse.id
    seed_reminders(engine, 20, now=due_now(), channel="email")
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    critical = [
        seed_reminders(
            engine,
            1,
            now=hour_ago,
            critical=True,
            kind="fasting",
            due_after=timedelta(0),
            nurse_id=nurse_id,
            channel="email",
        )
        for _ in range(2)
    ]
    smtp_server.stop()
    env = environment(database_url, tmp_path, smtp_server, TRACKER_REMINDER_BACKOFF_SECONDS="1")
    scheduler = start_scheduler(env)
    try:
        wait_for(lambda: _tried(engine) >= 22)  # reminders and escalations failed at least once
        time.sleep(4)  # the outage goes on for a few retries
        smtp_server.start()
        wait_for(lambda: _escalations_sent(engine) == 2 and _waiting(engine) == 0, timeout=60)
    finally:
        stop_process(scheduler)
    rows = reminder_rows(engine)
    counts = smtp_server.mailbox.counts()
    sent = {r.idempotency_key for r in rows if r.status == "sent"}
    assert len(sent) == 22 and set(counts) == sent and set(counts.values()) == {1}
    escalated = {r.idempotency_key for r in rows if r.purpose == "escalation"}
    assert escalated == {f"escalation-{c.item_ids[0]}" for c in critical}
    to_nurse = [m for m in smtp_server.mailbox.messages if m["To"] == "nurse@example.org"]
    assert {m["X-Reminder-Id"] for m in to_nurse} == escalated
    assert all(r.attempts >= 2 for r in rows if r.status == "sent")  # they had failed before


def _tried(engine: Engine) -> int:
    return sum(1 for r in reminder_rows(engine) if r.attempts >= 1 and r.status == "pending")


def _waiting(engine: Engine) -> int:
    return sum(1 for r in reminder_rows(engine) if r.status in ("pending", "claimed", "deferred"))


def _escalations_sent(engine: Engine) -> int:
    return sum(1 for r in reminder_rows(engine) if r.purpose == "escalation" and r.status == "sent")
