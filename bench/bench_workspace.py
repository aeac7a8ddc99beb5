"""Nurse workspace speed: the dashboard and a patient page over 10,000 active enrollments.

The fixture data (patients, enrollments, ~150,000 items and their reminders) is written with
bulk SQLAlchemy core inserts, around the real clock so every dashboard list has rows; the
pages are then timed through the Flask test client, signed in as a nurse.
"""

from __future__ import annotations

import os
import random
import re
import statistics
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, Table, insert, select
from sqlmodel import select as sqlmodel_select

from tracker import create_app, db
from tracker.auth import create_user
from tracker.care.enrollment import enroll
from tracker.care.patients import register_patient
from tracker.care.schedule_rows import items_of
from tracker.clock import utcnow
from tracker.library.pathways import (
    get_pathway,
    import_document,
    read_all,
    slug_for,
    steps_of,
    versions_of,
)
from tracker.models import (
    AuditEvent,
    ChecklistItem,
    Enrollment,
    PathwayVersion,
    Patient,
    Reminder,
    Step,
    User,
)
from tracker.reading.documents import read_document

ROOT = Path(__file__).resolve().parents[1]
PATHWAYS = ROOT / "pathways"
SEED = PATHWAYS / "22868.txt"
ENROLLMENTS = 10_000
ITEMS_PER_ENROLLMENT = 15
NURSES = 25
ROUNDS = 30
TARGET_DASHBOARD_MS = 150
TARGET_PATIENT_MS = 50
ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles")
PASSWORD = "bench nurse password"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
BATCH = 20_000


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _bulk(connection: Connection, model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        connection.execute(insert(_table(model)), rows[start : start + BATCH])


def _published_versions(app: Flask, now: datetime) -> list[tuple[int, list[tuple[int, bool]]]]:
    """Import and publish every document in pathways/: (version id, [(step id, critical)])."""
    with db.session_scope(db.get_engine(app)) as session:
        for document in read_all(PATHWAYS, code=None):
            if not isinstance(document, Exception):
                import_document(session=session, document=document, now=now)
        for version in session.exec(sqlmodel_select(PathwayVersion)):
            version.state, version.published_at = "published", now
            session.add(version)
    with db.get_engine(app).connect() as connection:
        steps = connection.execute(
            select(_table(Step).c.version_id, _table(Step).c.id, _table(Step).c.critical)
        ).all()
    by_version: dict[int, list[tuple[int, bool]]] = {}
    for version_id, step_id, critical in steps:
        by_version.setdefault(version_id, []).append((step_id, bool(critical)))
    return sorted(by_version.items())


def build(app: Flask, *, enrollments: int = ENROLLMENTS, seed: int = 7) -> dict[str, int]:
    """Patients, nurses, active enrollments around now, their items, reminders and history."""
    rng = random.Random(seed)
    now = utcnow()
    versions = _published_versions(app, now)
    hashed = "$argon2id$v=19$m=65536,t=3,p=4$bench$bench"  # never used to sign in
    users = [
        {
            "email": f"nurse{i}@bench.invalid",
            "name": f"Nurse {i}",
            "password_hash": hashed,
            "role": "nurse",
            "active": True,
            "created_at": now,
        }
        for i in range(NURSES)
    ]
    patients = [
        {
            "mrn": f"B{i:07d}",
            "name": f"Bench Patient {i}",
            "email": f"p{i}@example.org",
            "phone": "",
            "timezone": ZONES[i % len(ZONES)],
            "reminder_hour": 9,
            "quiet_start": "21:00",
            "quiet_end": "07:00",
            "channels": [],
            "language": "en",
            "created_at": now,
        }
        for i in range(enrollments)
    ]
    engine = db.get_engine(app)
    with engine.begin() as connection:
        _bulk(connection, User, users)
        _bulk(connection, Patient, patients)
        first_user = connection.execute(select(_table(User).c.id).order_by("id")).scalars().first()
        first_patient = (
            connection.execute(select(_table(Patient).c.id).order_by("id")).scalars().first()
        )
        assert first_user is not None and first_patient is not None
        rows: list[dict[str, Any]] = []
        for i in range(enrollments):
            version_id, _ = versions[i % len(versions)]
            start = now + timedelta(minutes=rng.randrange(-10 * 1440, 60 * 1440, 15))
            rows.append(
                {
                    "patient_id": first_patient + i,
                    "version_id": version_id,
                    "nurse_id": first_user + rng.randrange(NURSES),
                    "procedure_start": start,
                    "procedure_end": start + timedelta(hours=2),
                    "timezone": ZONES[i % len(ZONES)],
                    "state": "active",
                    "dropped_steps": [],
                    "horizon": start + timedelta(days=14),
                    "created_at": now - timedelta(days=30),
                    "updated_at": now,
                }
            )
        _bulk(connection, Enrollment, rows)
        first_enrollment = (
            connection.execute(select(_table(Enrollment).c.id).order_by("id")).scalars().first()
        )
        assert first_enrollment is not None
        items = _items(rows, first_enrollment, dict(versions), now, rng)
        _bulk(connection, ChecklistItem, items)
        first_item = (
            connection.execute(select(_table(ChecklistItem).c.id).order_by("id")).scalars().first()
        )
        assert first_item is not None
        reminders = _reminders(items, first_item, now, rng)
        _bulk(connection, Reminder, reminders)
        _bulk(
            connection,
            AuditEvent,
            [
                {
                    "at": now - timedelta(days=30),
                    "actor": "system",
                    "action": "enrollment.create",
                    "subject_type": "enrollment",
                    "subject_id": first_enrollment + i,
                    "patient_id": first_patient + i,
                    "before": None,
                    "after": {"items": 15},
                }
                for i in range(enrollments)
            ],
        )
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
    return {"enrollments": enrollments, "items": len(items), "reminders": len(reminders)}


def _items(
    enrollments: list[dict[str, Any]],
    first_id: int,
    steps: dict[int, list[tuple[int, bool]]],
    now: datetime,
    rng: random.Random,
) -> list[dict[str, Any]]:
    """Fifteen items per enrollment from a week before the procedure to a month after it;
    past ones mostly done, some left pending (overdue) or missed."""
    items = []
    for offset, enrollment in enumerate(enrollments):
        start: datetime = enrollment["procedure_start"]
        version_steps = steps[enrollment["version_id"]]
        for n in range(ITEMS_PER_ENROLLMENT):
            step_id, _ = version_steps[n % len(version_steps)]
            opens = start + timedelta(hours=rng.randrange(-7 * 24, 30 * 24))
            due = opens + timedelta(hours=rng.choice((2, 6, 12, 24)))
            expires = due + timedelta(days=2) if n % 3 == 0 else None
            status, acted_at, acted_by = "pending", None, ""
            if due < now:
                roll = rng.random()
                if roll < 0.85:
                    status, acted_at, acted_by = "done", due - timedelta(hours=1), "link:1"
                elif roll < 0.9:
                    status, acted_at, acted_by = "missed", expires or due, "system"
            items.append(
                {
                    "enrollment_id": first_id + offset,
                    "step_id": step_id,
                    "occurrence": n // len(version_steps),
                    "opens_at": opens,
                    "due_at": due,
                    "expires_at": expires,
                    "status": status,
                    "note": "",
                    "acted_at": acted_at,
                    "acted_by": acted_by,
                }
            )
    return items


def _reminders(
    items: list[dict[str, Any]], first_id: int, now: datetime, rng: random.Random
) -> list[dict[str, Any]]:
    rows = []
    for offset, item in enumerate(items):
        sent = item["opens_at"] < now
        status = "sent" if sent else "pending"
        if sent and rng.random() < 0.01:
            status = rng.choice(("failed", "expired"))
        rows.append(
            {
                "item_id": first_id + offset,
                "enrollment_id": item["enrollment_id"],
                "send_at": item["opens_at"],
                "purpose": "opens",
                "channel": "inapp",
                "status": status,
                "attempts": 1 if sent else 0,
                "idempotency_key": uuid.uuid4().hex,
                "last_error": "550 mailbox unavailable" if status == "failed" else "",
                "provider_id": "",
                "sent_at": item["opens_at"] if status == "sent" else None,
                "late": False,
            }
        )
    return rows


def _seed_enrollment(app: Flask) -> tuple[int, int]:
    """One more patient, on the seed pathway through the enrollment service: (id, items)."""
    now = utcnow()
    with db.session_scope(db.get_engine(app)) as session:
        pathway = get_pathway(session, slug_for(read_document(SEED)))
        assert pathway is not None
        version = versions_of(session, pathway)[-1]
        patient = register_patient(
            session=session, mrn="SEED-1", name="Seed Patient", now=now, actor="bench"
        )
        conditional = [s.id for s in steps_of(session, version) if s.conditional and s.id]
        start = (now + timedelta(days=3)).astimezone(ZoneInfo("America/New_York"))
        enrollment = enroll(
            session=session,
            patient=patient,
            version=version,
            start=start.replace(hour=8, minute=0, second=0, microsecond=0, tzinfo=None),
            now=now,
            actor="bench",
            confirm=conditional,
        )
        items = len(items_of(session, enrollment))
        assert patient.id is not None
        return patient.id, items


def _signed_in(app: Flask) -> FlaskClient:
    with db.session_scope(db.get_engine(app)) as session:
        create_user(
            session=session,
            email="bench@example.org",
            role="nurse",
            name="Bench",
            password=PASSWORD,
            now=utcnow(),
        )
    client = app.test_client()
    token = CSRF.search(client.get("/auth/sign-in").get_data(as_text=True))
    assert token is not None
    response = client.post(
        "/auth/sign-in",
        data={"email": "bench@example.org", "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert response.status_code == 302, response.status_code
    return client


def _median_ms(client: FlaskClient, paths: list[str]) -> float:
    times = []
    for path in paths:
        began = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(times)


def run(enrollments: int = ENROLLMENTS) -> dict[str, float]:
    """Build the data, time both pages (median of 30 requests each), print and return."""
    with tempfile.TemporaryDirectory() as folder:
        os.environ.setdefault("TRACKER_INSTANCE_PATH", str(Path(folder) / "instance"))
        url = f"sqlite:///{folder}/workspace.sqlite3"
        engine = db.make_engine(url)
        db.upgrade(engine)
        engine.dispose()
        app = create_app(
            {
                "DATABASE_URL": url,
                "SECRET_KEY": "bench",
                "TESTING": True,
                "RATELIMIT_ENABLED": False,
            }
        )
        began = time.perf_counter()
        counts = build(app, enrollments=enrollments)
        built = time.perf_counter() - began
        client = _signed_in(app)
        _median_ms(client, ["/nurse/", "/nurse/patients/1"])  # warm caches and templates
        dashboard = _median_ms(client, ["/nurse/"] * ROUNDS)
        patient_ids = random.Random(1).sample(range(1, enrollments + 1), ROUNDS)
        patient = _median_ms(client, [f"/nurse/patients/{i}" for i in patient_ids])
        overdue = _median_ms(client, ["/nurse/overdue"] * ROUNDS)
        seed_patient, seed_items = _seed_enrollment(app)
        seed_page = _median_ms(client, [f"/nurse/patients/{seed_patient}"] * ROUNDS)
        db.get_engine(app).dispose()
    print(
        f"workspace data: {counts['enrollments']:,} active enrollments, {counts['items']:,} "
        f"items, {counts['reminders']:,} reminders, built in {built:.1f} s"
    )
    print(
        f"dashboard:    {dashboard:6.1f} ms median of {ROUNDS} "
        f"(target <= {TARGET_DASHBOARD_MS}; {dashboard / TARGET_DASHBOARD_MS:.2f} of budget)"
    )
    print(
        f"patient page: {patient:6.1f} ms median of {ROUNDS} "
        f"(target <= {TARGET_PATIENT_MS}; {patient / TARGET_PATIENT_MS:.2f} of budget)"
    )
    print(
        f"patient page: {seed_page:6.1f} ms median of {ROUNDS} for the seed pathway enrolled "
        f"through the service ({seed_items} items; {seed_page / TARGET_PATIENT_MS:.2f} of budget)"
    )
    print(f"overdue list: {overdue:6.1f} ms median of {ROUNDS} (50 rows and the count)")
    return {
        "dashboard_ms": dashboard,
        "patient_page_ms": patient,
        "overdue_list_ms": overdue,
        "seed_patient_page_ms": seed_page,
        "items": float(counts["items"]),
    }


if __name__ == "__main__":
    run()
