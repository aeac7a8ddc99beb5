"""Patient checklist throughput: requests per second of `/p/<token>` against `/healthz`.

10,000 enrollments on the seed pathway (one enrolled through the service, then copied with
bulk SQLAlchemy core inserts, each with its own personal link) in a temporary SQLite file.
The data is built once, then served by two servers one after the other, each in processes
of its own (so the clients do not share the server's interpreter lock):

1. gunicorn with sync workers, one per core and at least 2 (the README's production recipe,
   `gunicorn -w N tracker.wsgi:app` configured by `TRACKER_*` variables, scaled to this
   machine). This is the headline: the target is about what patients get in production, so
   `run()` returns its figures as `checklist_rps`, `healthz_rps` and `ratio`.
2. Werkzeug's threaded development server (what `tracker run` uses): one process, a thread
   per connection. For information only, returned as `dev_checklist_rps`, `dev_healthz_rps`
   and `dev_ratio`.

Neither server keeps connections alive (gunicorn's sync workers and Werkzeug >= 2.1 both
answer `Connection: close`), so every request opens a new TCP connection on 127.0.0.1, for
both routes alike. On each server, 16 client threads (one Python process on the same machine:
their CPU counts for both routes alike) hammer the checklist at random tokens, then the
minimal route, each for a 1 s warm-up and then `SECONDS`, in `ROUNDS` alternating rounds;
the rates are the medians of the rounds.
Target: checklist >= 0.5 x minimal on the same server (gunicorn).
"""

from __future__ import annotations

import hashlib
import http.client
import multiprocessing
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Table, insert, select

from tracker import create_app, db
from tracker.care.enrollment import enroll
from tracker.care.patients import register_patient
from tracker.clock import utcnow
from tracker.library.pathways import get_pathway, import_document, slug_for, steps_of, versions_of
from tracker.models import ChecklistItem, Enrollment, Patient, PatientLink, Reminder
from tracker.reading.documents import read_document

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "pathways" / "22868.txt"
ENROLLMENTS = 10_000
CLIENTS = 16
SECONDS = 4.0  # per route and round
ROUNDS = 3  # the routes alternate, so a burst of load from elsewhere hits both alike
WARM_UP = 1.0
TARGET_RATIO = 0.5
BATCH = 20_000
ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles")


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _bulk(connection: Connection, model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        connection.execute(insert(_table(model)), rows[start : start + BATCH])


def _config(url: str) -> dict[str, Any]:
    return {"DATABASE_URL": url, "SECRET_KEY": "bench", "BASE_URL": "http://127.0.0.1"}


def build(url: str, *, enrollments: int = ENROLLMENTS, seed: int = 11) -> list[str]:
    """The fixture data; returns every enrollment's token."""
    rng = random.Random(seed)
    app = create_app(_config(url))
    engine = db.get_engine(app)
    now = utcnow()
    with db.session_scope(engine) as session:
        document = read_document(SEED)
        import_document(session=session, document=document, now=now)
        pathway = get_pathway(session, slug_for(document))
        assert pathway is not None
        version = versions_of(session, pathway)[-1]
        version.state, version.published_at = "published", now
        session.add(version)
        session.flush()
        template = register_patient(
            session=session, mrn="TEMPLATE", name="Template", now=now, actor="bench"
        )
        start = (now + timedelta(days=1)).astimezone(ZoneInfo(ZONES[0]))
        enrolled = enroll(
            session=session,
            patient=template,
            version=version,
            start=start.replace(minute=0, second=0, microsecond=0, tzinfo=None),
            now=now,
            actor="bench",
            confirm=[s.id for s in steps_of(session, version) if s.conditional and s.id],
        )
        template_id = enrolled.id
    with engine.connect() as connection:
        model = (
            connection.execute(
                select(_table(Enrollment)).where(_table(Enrollment).c.id == template_id)
            )
            .one()
            ._asdict()
        )
        items = [
            row._asdict()
            for row in connection.execute(
                select(_table(ChecklistItem)).where(
                    _table(ChecklistItem).c.enrollment_id == template_id
                )
            )
        ]
        reminders = [
            row._asdict()
            for row in connection.execute(
                select(_table(Reminder)).where(_table(Reminder).c.enrollment_id == template_id)
            )
        ]
    tokens = [secrets.token_urlsafe(32) for _ in range(enrollments)]
    shifts = [timedelta(minutes=rng.randrange(-10 * 1440, 20 * 1440, 15)) for _ in tokens]
    with engine.begin() as connection:
        first_patient = _next_id(connection, Patient)
        _bulk(
            connection,
            Patient,
            [
                {
                    "mrn": f"P{i:07d}",
                    "name": f"Bench Patient {i}",
                    "timezone": ZONES[i % len(ZONES)],
                    "reminder_hour": 9,
                    "quiet_start": "21:00",
                    "quiet_end": "07:00",
                    "channels": [],
                    "language": "en",
                    "email": "",
                    "phone": "",
                    "created_at": now,
                }
                for i in range(enrollments)
            ],
        )
        first_enrollment = _next_id(connection, Enrollment)
        _bulk(
            connection,
            Enrollment,
            [
                {
                    **_moved(model, shifts[i], ("procedure_start", "procedure_end", "horizon")),
                    "id": first_enrollment + i,
                    "patient_id": first_patient + i,
                    "timezone": ZONES[i % len(ZONES)],
                }
                for i in range(enrollments)
            ],
        )
        first_item = _next_id(connection, ChecklistItem)
        item_ids = {item["id"]: n for n, item in enumerate(items)}
        copies, copied_reminders = [], []
        for i in range(enrollments):
            base = first_item + i * len(items)
            enrollment_id = first_enrollment + i
            for n, item in enumerate(items):
                copies.append(
                    {
                        **_moved(item, shifts[i], ("opens_at", "due_at", "expires_at")),
                        "id": base + n,
                        "enrollment_id": enrollment_id,
                    }
                )
            for reminder in reminders:
                moved = _moved(reminder, shifts[i], ("send_at",))
                sent = moved["send_at"] < now
                copied_reminders.append(
                    {
                        **moved,
                        "id": None,
                        "item_id": base + item_ids[reminder["item_id"]],
                        "enrollment_id": enrollment_id,
                        "status": "sent" if sent else "pending",
                        "sent_at": moved["send_at"] if sent else None,
                        "idempotency_key": uuid.uuid4().hex,
                    }
                )
        _bulk(connection, ChecklistItem, copies)
        for row in copied_reminders:
            del row["id"]
        _bulk(connection, Reminder, copied_reminders)
        _bulk(
            connection,
            PatientLink,
            [
                {
                    "enrollment_id": first_enrollment + i,
                    "token_hash": hashlib.sha256(token.encode()).hexdigest(),
                    "created_at": now,
                    "expires_at": now + timedelta(days=120),
                    "revoked_at": None,
                }
                for i, token in enumerate(tokens)
            ],
        )
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    print(
        f"patient data: {enrollments:,} enrollments, {len(copies):,} items, "
        f"{len(copied_reminders):,} reminders, {len(items)} items per checklist"
    )
    return tokens


def _next_id(connection: Connection, model: Any) -> int:
    table = _table(model)
    last = connection.execute(select(table.c.id).order_by(table.c.id.desc()).limit(1)).scalar()
    return int(last or 0) + 1


def _moved(row: dict[str, Any], shift: timedelta, names: tuple[str, ...]) -> dict[str, Any]:
    return {
        **{k: v for k, v in row.items() if k != "id"},
        **{name: row[name] + shift for name in names if row[name] is not None},
    }


# --- the servers ------------------------------------------------------------------------------


# Sync workers serve one request at a time each, so throughput comes from the number of
# worker processes: the README's recipe runs 4, scaled here to one per core (at least 2, so
# one slow request never holds the whole server), which keeps every core busy without
# workers queueing behind each other for the CPU. The clients share these cores.
WORKERS = max(2, os.cpu_count() or 2)
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class Route:
    """One route hammered for a while: 200 responses, other responses, seconds taken, and the
    server's CPU seconds meanwhile."""

    ok: int
    bad: int
    elapsed: float
    cpu: float = 0.0

    @property
    def rps(self) -> float:
        return self.ok / self.elapsed

    @property
    def cpu_ms(self) -> float:
        """Server CPU per answered request, in milliseconds."""
        return 1000 * self.cpu / self.ok if self.ok else 0.0


@dataclass(frozen=True)
class Server:
    """A running server: its port and its process (with any workers it forked)."""

    port: int
    pid: int

    def cpu_seconds(self) -> float:
        """User and system CPU of the process and its children so far (Linux /proc)."""
        pids = [self.pid] + [
            int(name)
            for name in os.listdir("/proc")
            if name.isdigit() and _parent(name) == self.pid
        ]
        return sum(_cpu(pid) for pid in pids)


def _stat(pid: int | str) -> list[str]:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rpartition(")")[2].split()
    except OSError:
        return []  # gone meanwhile


def _parent(pid: str) -> int:
    fields = _stat(pid)
    return int(fields[1]) if fields else -1


def _cpu(pid: int) -> float:
    fields = _stat(pid)  # after the name: state, ppid, ... utime is the 12th, stime the 13th
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") if fields else 0.0


@dataclass(frozen=True)
class Rates:
    """One server's figures: the checklist page and the minimal route, one Route per round;
    the rates reported are the medians of the rounds."""

    pages: list[Route]
    healths: list[Route]

    @property
    def page(self) -> float:
        return statistics.median(route.rps for route in self.pages)

    @property
    def health(self) -> float:
        return statistics.median(route.rps for route in self.healths)

    @property
    def ratio(self) -> float:
        return self.page / self.health if self.health else 0.0

    @property
    def failures(self) -> int:
        return sum(route.bad for route in self.pages + self.healths)

    @property
    def page_cpu_ms(self) -> float:
        return statistics.median(route.cpu_ms for route in self.pages)

    @property
    def health_cpu_ms(self) -> float:
        return statistics.median(route.cpu_ms for route in self.healths)


def _free_port() -> int:
    """A port nothing listens on now (the OS picks it; a tiny race with other programs)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _wait_healthy(port: int, process: subprocess.Popen[bytes]) -> None:
    """Until /healthz answers 200: the master binds at once, but workers import the app first."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {process.returncode} while starting")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass  # not listening yet, or a worker still booting
        finally:
            connection.close()
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer /healthz on port {port} within {START_TIMEOUT} s")


@contextmanager
def _gunicorn(url: str, instance: str) -> Iterator[Server]:
    """The production server as a subprocess, configured like production: by environment."""
    port = _free_port()
    env = {
        **os.environ,
        **{f"TRACKER_{key}": value for key, value in _config(url).items()},
        "TRACKER_INSTANCE_PATH": instance,
    }
    command = [sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-b", f"127.0.0.1:{port}"]
    command += ["--log-level", "warning", "tracker.wsgi:app"]
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    try:
        _wait_healthy(port, process)
        yield Server(port, process.pid)
    finally:
        process.terminate()  # SIGTERM: gunicorn's graceful shutdown of master and workers
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _serve(url: str, instance: str, ready: Any) -> None:
    """Run in a child process: the app under Werkzeug's threaded server, as `tracker run`.

    Werkzeug (>= 2.1) sends `Connection: close` with every response, so each request is a new
    connection and a new server thread: there is no keep-alive to turn on.
    """
    import logging

    from werkzeug.serving import make_server

    # The default handler logs a line per request; a terminal that slow would be measured too.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    os.environ["TRACKER_INSTANCE_PATH"] = instance
    app = create_app(_config(url))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    ready.put(server.port)
    server.serve_forever()


@contextmanager
def _werkzeug(url: str, instance: str) -> Iterator[Server]:
    """The development server in a spawned process (a fresh interpreter, not a fork)."""
    context = multiprocessing.get_context("spawn")
    ready = context.Queue()
    server = context.Process(target=_serve, args=(url, instance, ready), daemon=True)
    server.start()
    try:
        port = ready.get(timeout=START_TIMEOUT)
        assert server.pid is not None
        yield Server(port, server.pid)
    finally:
        server.terminate()
        server.join(timeout=STOP_TIMEOUT)
        if server.is_alive():
            server.kill()
            server.join()


# --- the clients ------------------------------------------------------------------------------


def _hammer(port: int, paths: list[str], seconds: float) -> Route:
    """CLIENTS threads, one HTTPConnection each, for `seconds`.

    Both servers close the connection after each response; http.client then reconnects on the
    next request, so every request pays for a new connection.
    """
    counts = [[0, 0] for _ in range(CLIENTS)]
    start = threading.Barrier(CLIENTS + 1)
    deadline = [0.0]

    def client(number: int) -> None:
        rng = random.Random(number)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        start.wait()
        while time.perf_counter() < deadline[0]:
            connection.request("GET", rng.choice(paths))
            response = connection.getresponse()
            response.read()
            counts[number][0 if response.status == 200 else 1] += 1
        connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    deadline[0] = began + seconds
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return Route(sum(c[0] for c in counts), sum(c[1] for c in counts), elapsed)


def _measure(server: Server, pages: list[str], seconds: float) -> Rates:
    """Both routes on one server, in alternating rounds, each after its own warm-up."""
    rates = Rates([], [])
    for _ in range(ROUNDS):
        for paths, routes in ((pages, rates.pages), (["/healthz"], rates.healths)):
            _hammer(server.port, paths, WARM_UP)
            before = server.cpu_seconds()
            route = _hammer(server.port, paths, seconds)
            routes.append(replace(route, cpu=server.cpu_seconds() - before))
    return rates


def _report(title: str, rates: Rates) -> None:
    print(f"-- {title}")
    rounds = f"median of {ROUNDS} rounds of {SECONDS:.0f} s, {CLIENTS} clients"
    print(f"checklist page: {rates.page:8.1f} requests/s ({rounds})")
    print(f"/healthz:       {rates.health:8.1f} requests/s")
    pairs = zip(rates.pages, rates.healths, strict=True)
    each = ", ".join(f"{page.rps / health.rps:.2f}" for page, health in pairs)
    print(f"ratio:          {rates.ratio:8.2f} (target >= {TARGET_RATIO}; rounds: {each})")
    print(f"not 200:        {rates.failures:8d}")
    # The clients share the machine: their CPU counts in both rates. The server's own CPU per
    # request says what each route costs it alone.
    page_ms, health_ms = rates.page_cpu_ms, rates.health_cpu_ms
    print(
        f"server CPU:     {page_ms:8.3f} ms per page, {health_ms:.3f} ms per /healthz "
        f"(ratio {health_ms / page_ms:.2f})"
    )


def run(enrollments: int = ENROLLMENTS, seconds: float = SECONDS) -> dict[str, float]:
    """Build once, then serve with gunicorn and with Werkzeug in turn; print and return both.

    The unprefixed figures are gunicorn's (the target); `dev_*` are Werkzeug's.
    """
    with tempfile.TemporaryDirectory() as folder:
        instance = str(Path(folder) / "instance")
        os.environ.setdefault("TRACKER_INSTANCE_PATH", instance)
        url = f"sqlite:///{folder}/patient.sqlite3"
        engine = db.make_engine(url)
        db.upgrade(engine)
        engine.dispose()
        began = time.perf_counter()
        tokens = build(url, enrollments=enrollments)
        print(f"built in {time.perf_counter() - began:.1f} s")
        pages = [f"/p/{token}" for token in tokens]
        # One server at a time: both would otherwise compete for the same cores.
        with _gunicorn(url, instance) as server:
            production = _measure(server, pages, seconds)
        _report(f"gunicorn (production, {WORKERS} sync workers): the target", production)
        with _werkzeug(url, instance) as server:
            development = _measure(server, pages, seconds)
        _report("werkzeug dev server, threaded (information)", development)
    return {
        "checklist_rps": production.page,
        "healthz_rps": production.health,
        "ratio": production.ratio,
        "dev_checklist_rps": development.page,
        "dev_healthz_rps": development.health,
        "dev_ratio": development.ratio,
    }


if __name__ == "__main__":
    run()
