"""Patient checklist throughput: requests per second of `/p/<token>` against `/healthz`.

10,000 enrollments on the seed pathway (one enrolled through the service, then copied with
bulk SQLAlchemy core inserts, each with its own personal link) in a temporary SQLite file.
The app is served by Werkzeug's threaded WSGI server with HTTP/1.1 keep-alive in a separate
process (so the clients do not share its interpreter lock), and 16 client threads with
keep-alive connections hammer each route for `SECONDS`: the checklist at random tokens, then
the minimal route. Target: checklist >= 0.5 x minimal.
"""

from __future__ import annotations

import hashlib
import http.client
import multiprocessing
import os
import random
import secrets
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Table, insert, select

from tracker import create_app, db
from tracker.clock import utcnow
from tracker.documents import read_document
from tracker.enrollment import enroll
from tracker.models import ChecklistItem, Enrollment, Patient, PatientLink, Reminder
from tracker.pathways import get_pathway, import_document, slug_for, steps_of, versions_of
from tracker.patients import register_patient

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "pathways" / "22868.txt"
ENROLLMENTS = 10_000
CLIENTS = 16
SECONDS = 10.0
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


# --- the server -------------------------------------------------------------------------------


def _serve(url: str, instance: str, ready: Any) -> None:
    """Run in a child process: the app under Werkzeug's threaded server, keep-alive on."""
    import logging

    from werkzeug.serving import WSGIRequestHandler, make_server

    class KeepAlive(WSGIRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_request(self, *args: Any, **kwargs: Any) -> None:
            pass  # a line per request would measure the terminal

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    os.environ["TRACKER_INSTANCE_PATH"] = instance
    app = create_app(_config(url))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=KeepAlive)
    ready.put(server.port)
    server.serve_forever()


def _hammer(port: int, paths: list[str], seconds: float) -> tuple[int, int, float]:
    """CLIENTS threads, one keep-alive connection each: (ok responses, failures, elapsed)."""
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
    return sum(c[0] for c in counts), sum(c[1] for c in counts), elapsed


def run(enrollments: int = ENROLLMENTS, seconds: float = SECONDS) -> dict[str, float]:
    """Build, serve, measure both routes; print and return the rates and their ratio."""
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
        context = multiprocessing.get_context("spawn")
        ready = context.Queue()
        server = context.Process(target=_serve, args=(url, instance, ready), daemon=True)
        server.start()
        try:
            port = ready.get(timeout=60)
            pages = [f"/p/{token}" for token in tokens]
            _hammer(port, pages, WARM_UP)
            page_ok, page_bad, page_time = _hammer(port, pages, seconds)
            _hammer(port, ["/healthz"], WARM_UP)
            health_ok, health_bad, health_time = _hammer(port, ["/healthz"], seconds)
        finally:
            server.terminate()
            server.join(timeout=10)
    page_rate, health_rate = page_ok / page_time, health_ok / health_time
    ratio = page_rate / health_rate
    print(
        f"checklist page: {page_rate:8.1f} requests/s ({page_ok:,} in {page_time:.1f} s, "
        f"{page_bad} not 200) with {CLIENTS} clients"
    )
    print(
        f"/healthz:       {health_rate:8.1f} requests/s ({health_ok:,} in {health_time:.1f} s, "
        f"{health_bad} not 200)"
    )
    print(f"ratio:          {ratio:8.2f} (target >= {TARGET_RATIO})")
    return {"checklist_rps": page_rate, "healthz_rps": health_rate, "ratio": ratio}


if __name__ == "__main__":
    run()
