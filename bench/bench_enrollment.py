"""Enrollments per second through the service layer, each its own transaction, on fresh SQLite."""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, func, select

from tracker import db
from tracker.care.enrollment import enroll
from tracker.care.patients import register_patient
from tracker.library.pathways import get_pathway, import_document, steps_of, versions_of
from tracker.models import ChecklistItem, PathwayVersion, Patient, Reminder
from tracker.reading.documents import read_document

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "pathways" / "22868.txt"
TARGET_PER_SECOND = 200
NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
ZONES = ("America/New_York", "America/Chicago", "Europe/London", "Asia/Tokyo")


def _published_seed(session: Session) -> PathwayVersion:
    result = import_document(session=session, document=read_document(SEED), now=NOW)
    pathway = get_pathway(session, result.slug)
    assert pathway is not None
    version = versions_of(session, pathway)[-1]
    version.state, version.published_at = "published", NOW
    session.add(version)
    return version


def _patients(session: Session, n: int) -> list[Patient]:
    return [
        register_patient(
            session=session,
            mrn=f"B{i:07d}",
            name=f"Bench Patient {i}",
            timezone=ZONES[i % len(ZONES)],
            channels=["email"] if i % 2 else [],
            email=f"p{i}@example.org",
            now=NOW,
            actor="bench",
        )
        for i in range(n)
    ]


def run(n: int = 10_000) -> dict[str, float]:
    """Enroll `n` patients one transaction each; print and return the rate and row counts."""
    with tempfile.TemporaryDirectory() as folder:
        engine = db.make_engine(f"sqlite:///{folder}/bench.sqlite3")
        db.upgrade(engine)
        with db.session_scope(engine) as session:
            version = _published_seed(session)
            conditional = [s.id for s in steps_of(session, version) if s.conditional and s.id]
            patients = _patients(session, n)
        began, began_cpu = time.perf_counter(), time.process_time()
        for i, patient in enumerate(patients):
            # Procedures spread over the next two months, at quarter hours between 07:00 and 15:45.
            start = datetime(2027, 3, 8, 7, 0) + timedelta(days=i % 60, minutes=15 * (i % 36))
            with db.session_scope(engine) as session:
                enroll(
                    session=session,
                    patient=patient,
                    version=version,
                    start=start,
                    now=NOW,
                    actor="bench",
                    confirm=conditional,
                )
        seconds = time.perf_counter() - began
        cpu_seconds = time.process_time() - began_cpu
        with Session(engine) as session:
            items = session.exec(select(func.count()).select_from(ChecklistItem)).one()
            reminders = session.exec(select(func.count()).select_from(Reminder)).one()
        engine.dispose()
    rate, cpu_rate = n / seconds, n / cpu_seconds
    print(
        f"enrollment: {rate:,.0f} enrollments per second through the service layer, one "
        f"transaction each (target >= {TARGET_PER_SECOND}: {rate / TARGET_PER_SECOND:.1f}x); "
        f"{cpu_rate:,.0f} per CPU-second (steadier on a busy machine); "
        f"{n:,} enrollments, {items:,} items, {reminders:,} reminders in {seconds:.1f} s"
    )
    return {
        "enrollments_per_second": rate,
        "enrollments_per_cpu_second": cpu_rate,
        "items": float(items),
        "reminders": float(reminders),
        "seconds": seconds,
    }


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
