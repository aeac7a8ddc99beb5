"""Real servers for reminder tests (SMTP through aiosmtpd, a webhook receiver) and bulk seeding
of due reminders that bypasses enrollment (so a test controls every send time exactly)."""

from __future__ import annotations

import email
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, insert, select
from sqlmodel import Session

from tests.enrollment_helpers import custom_version, make_patient, make_step
from tracker.care.consent import record_consent
from tracker.care.item_reminders import values as reminder_values
from tracker.library.pathways import steps_of
from tracker.models import ChecklistItem, Enrollment, Reminder

_counter = itertools.count(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Mailbox:
    """aiosmtpd handler: records every accepted message; queued replies simulate failures."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.replies: deque[str] = deque()  # e.g. "451 try later", consumed one per message
        self.lock = threading.Lock()
        self.delay = 0.0
        self.peers: list[Any] = []  # the client's (address, port) of each accepted message
        self.received: list[float] = []  # time.time() each message was accepted

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            reply = self.replies.popleft() if self.replies else ""
        if reply:
            return reply
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content)
        with self.lock:
            self.messages.append(message)
            self.peers.append(session.peer)
            self.received.append(time.time())
            number = len(self.messages)
        return f"250 OK queued as Q{number}"

    def keys(self) -> list[str]:
        with self.lock:
            return [str(m["X-Reminder-Id"]) for m in self.messages]

    def counts(self) -> Counter[str]:
        return Counter(self.keys())


@dataclass
class SmtpServer:
    """A running aiosmtpd server on 127.0.0.1; `stop()` and `start()` simulate an outage."""

    port: int
    mailbox: Mailbox = field(default_factory=Mailbox)
    controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        receiver: WebhookReceiver = self.server.receiver  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        status = receiver.statuses.popleft() if receiver.statuses else 200
        if status == 200:
            receiver.requests.append((dict(self.headers), json.loads(body)))
        answer = json.dumps({"id": f"hook-{len(receiver.requests)}"}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class WebhookReceiver:
    """A ThreadingHTTPServer recording JSON bodies; queued statuses answer the next requests."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.statuses: deque[int] = deque()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
        self.server.receiver = self  # type: ignore[attr-defined]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    receiver.thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@dataclass
class Seeded:
    """What `seed_reminders` wrote."""

    enrollment_id: int
    patient_id: int
    item_ids: list[int]
    reminder_ids: list[int]


def seed_reminders(
    engine: Engine,
    count: int,
    *,
    now: datetime,
    send_at: Callable[[int], datetime] | None = None,
    due_after: timedelta = timedelta(days=1),
    expires_after: timedelta | None = None,
    channel: str = "inapp",
    items: int | None = None,
    critical: bool = False,
    kind: str = "logistics",
    quiet: tuple[str, str] = ("00:00", "00:00"),
    timezone: str = "America/New_York",
    patient_email: str = "patient@example.org",
    nurse_id: int | None = None,
    chunk: int = 20_000,
    asks: str = "do",
    phone: str = "",
    consent: bool = False,
) -> Seeded:
    """`count` pending reminders (one per item unless `items` is smaller), on one enrollment.

    `send_at(i)` gives reminder i's time (default: `now`); each item opens at its first
    reminder's time, is due `due_after` later and expires `expires_after` after opening.
    `consent` records the patient's consent to text messages (needed by webhook reminders).
    """
    timing = send_at or (lambda _i: now)
    with Session(engine, expire_on_commit=False) as session:
        patient = make_patient(
            session,
            timezone=timezone,
            email=patient_email,
            quiet_start=quiet[0],
            quiet_end=quiet[1],
            phone=phone,
        )
        if consent:
            assert patient.id is not None
            record_consent(
                session=session,
                patient_id=patient.id,
                given=True,
                method="written",
                actor="test",
                now=now,
            )
        step = make_step(f"Step {next(_counter)}", kind=kind, critical=critical)
        version = custom_version(session, [step])
        stored = steps_of(session, version)[0]
        stored.asks = asks
        step_id = stored.id
        assert patient.id is not None and version.id is not None and step_id is not None
        enrollment = Enrollment(
            patient_id=patient.id,
            version_id=version.id,
            nurse_id=nurse_id,
            procedure_start=now + timedelta(days=30),
            procedure_end=now + timedelta(days=30, hours=1),
            timezone=timezone,
            horizon=now + timedelta(days=60),
            created_at=now,
            updated_at=now,
        )
        session.add(enrollment)
        session.commit()
        enrollment_id, patient_id = enrollment.id, patient.id
    assert enrollment_id is not None
    n_items = items or count
    with engine.begin() as connection:
        for start in range(0, n_items, chunk):
            rows = []
            for i in range(start, min(start + chunk, n_items)):
                opens = timing(i)
                rows.append(
                    {
                        "enrollment_id": enrollment_id,
                        "step_id": step_id,
                        "occurrence": i,
                        "opens_at": opens,
                        "due_at": opens + due_after,
                        "expires_at": opens + expires_after if expires_after else None,
                        "status": "pending",
                        "note": "",
                        "acted_at": None,
                        "acted_by": "",
                    }
                )
            connection.execute(insert(ChecklistItem), rows)
        item_ids = list(
            connection.execute(
                select(ChecklistItem.id)
                .where(ChecklistItem.enrollment_id == enrollment_id)
                .order_by(ChecklistItem.occurrence)
            ).scalars()
        )
        for start in range(0, count, chunk):
            connection.execute(
                insert(Reminder),
                [
                    reminder_values(
                        item_ids[i % n_items], enrollment_id, "opens", timing(i), channel
                    )
                    for i in range(start, min(start + chunk, count))
                ],
            )
        reminder_ids = list(
            connection.execute(
                select(Reminder.id)
                .where(Reminder.enrollment_id == enrollment_id)
                .order_by(Reminder.id)
            ).scalars()
        )
    return Seeded(enrollment_id, patient_id, item_ids, reminder_ids)


def reminder_rows(engine: Engine, enrollment_id: int | None = None) -> list[Reminder]:
    with Session(engine) as session:
        query = select(Reminder).order_by(Reminder.id)
        if enrollment_id is not None:
            query = query.where(Reminder.enrollment_id == enrollment_id)
        return list(session.execute(query).scalars())


def statuses(engine: Engine) -> Counter[str]:
    return Counter(row.status for row in reminder_rows(engine))


# --- real processes: `tracker scheduler`, gunicorn ------------------------------------------

BIN = Path(sys.executable).parent
PROCESS_TIMEOUT = 60


def environment(url: str, tmp_path: Path, smtp: SmtpServer, **extra: str) -> dict[str, str]:
    """The environment of a tracker process on `url` sending through `smtp`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(
        TRACKER_DATABASE_URL=url,
        TRACKER_INSTANCE_PATH=str(tmp_path / "instance"),
        TRACKER_SECRET_KEY="test-secret",
        TRACKER_SMTP_URL=smtp.url,
        TRACKER_MAIL_SENDER="care@example.org",
        **extra,
    )
    return env


def start_scheduler(env: dict[str, str]) -> subprocess.Popen[str]:
    """`tracker scheduler`, returned once it says it runs."""
    process = subprocess.Popen(
        [str(BIN / "tracker"), "scheduler"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    line = process.stderr.readline()  # blocks until it runs (or dies)
    assert "reminder scheduler running" in line, line + process.stderr.read()
    return process


def stop_process(process: subprocess.Popen[str]) -> str:
    """SIGTERM, then its stderr; it must exit cleanly."""
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=PROCESS_TIMEOUT)
    assert process.returncode == 0, err
    return err


def wait_for(predicate: Callable[[], object], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except OSError:
        return 0


@contextmanager
def gunicorn(env: dict[str, str], workers: int = 2) -> Iterator[str]:
    """The web app under gunicorn on a free loopback port; yields its base URL."""
    port = free_port()
    web = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", "tracker.wsgi:app"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: http_status(base + "/auth/sign-in") == 200 or web.poll() is not None)
        assert web.poll() is None, "gunicorn did not start"
        yield base
    finally:
        web.terminate()
        web.wait(PROCESS_TIMEOUT)
