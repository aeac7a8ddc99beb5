"""Enrollments per second through `POST /api/v1/enrollments` against the service layer's rate
measured in the same run, on the same fresh SQLite file (bench_enrollment's setup).

Both paths enroll the same number of patients on the seed pathway, one transaction each; the
API path adds the token check, pydantic parsing, the response (every item) and the WSGI
round trip through Flask's test client. Target: the API at least half the service's rate.

Then the FHIR export: `GET /fhir/Bundle/enrollment-{id}` for one seed-pathway enrollment with
every occurrence written (its horizon past the last recurrence) and the reminders due before
the procedure delivered, so the Bundle holds Tasks, CommunicationRequests and Communications.
p50 and p99 over N requests in-process (Flask test client, token check, reads, the audit row
and its commit, JSON). Target: p99 <= 50 ms.
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta

import time_machine
from bench_enrollment import NOW, _patients, _published_seed

from tracker import create_app, db
from tracker.api.tokens import create_token
from tracker.care.enrollment import enroll, extend_horizon
from tracker.care.schedule_rows import items_of
from tracker.library.pathways import steps_of
from tracker.models import Pathway
from tracker.reminders.channels import build_channels
from tracker.reminders.dispatch import Dispatcher
from tracker.reminders.dispatch_settings import Settings

TARGET_RATIO = 0.5
FHIR_TARGET_MS = 50.0


def _start(i: int) -> datetime:
    # Procedures spread over two months, at quarter hours between 07:00 and 15:45.
    return datetime(2027, 3, 8, 7, 0) + timedelta(days=i % 60, minutes=15 * (i % 36))


def run(n: int = 1_000) -> dict[str, float]:
    """Enroll `n` patients through the service and `n` through the API; print both rates."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.sqlite3"
        engine = db.make_engine(url)
        db.upgrade(engine)
        with db.session_scope(engine) as session:
            version = _published_seed(session)
            conditional = [s.id for s in steps_of(session, version) if s.conditional and s.id]
            patients = _patients(session, 2 * n)
            _, token = create_token(
                session=session, name="bench", scope="enroll", now=NOW, actor="b"
            )
            pathway = session.get(Pathway, version.pathway_id)
            assert pathway is not None
            slug = pathway.slug
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        service_seconds = api_seconds = 0.0
        # Alternate one of each, so a busy machine slows both paths alike.
        with time_machine.travel(NOW, tick=True):
            for i in range(n):
                began = time.perf_counter()
                with db.session_scope(engine) as session:
                    enroll(
                        session=session,
                        patient=patients[2 * i],
                        version=version,
                        start=_start(i),
                        now=NOW,
                        actor="bench",
                        confirm=conditional,
                    )
                service_seconds += time.perf_counter() - began
                body = {
                    "patient_id": patients[2 * i + 1].id,
                    "pathway": slug,
                    "start": _start(i).isoformat(timespec="minutes"),
                    "confirm": conditional,
                }
                began = time.perf_counter()
                response = client.post("/api/v1/enrollments", json=body, headers=headers)
                api_seconds += time.perf_counter() - began
                assert response.status_code == 201, response.get_data(as_text=True)
        service_rate, api_rate = n / service_seconds, n / api_seconds
        engine.dispose()
        db.get_engine(app).dispose()
    ratio = api_rate / service_rate
    verdict = "pass" if ratio >= TARGET_RATIO else "FAIL"
    print(
        f"api: {api_rate:,.0f} enrollments per second through POST /api/v1/enrollments, "
        f"{service_rate:,.0f} through the service layer in the same run: {ratio:.2f}x "
        f"(target >= {TARGET_RATIO}x: {verdict}); {n:,} each"
    )
    return {
        "api_per_second": api_rate,
        "service_per_second": service_rate,
        "ratio": ratio,
        **fhir_bundle(),
    }


def fhir_bundle(n: int = 500) -> dict[str, float]:
    """p50 and p99 of `n` FHIR Bundle requests for one full seed-pathway enrollment."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.sqlite3"
        engine = db.make_engine(url)
        db.upgrade(engine)
        with db.session_scope(engine) as session:
            version = _published_seed(session)
            conditional = [s.id for s in steps_of(session, version) if s.conditional and s.id]
            (patient,) = _patients(session, 1)
            row = enroll(
                session=session, patient=patient, version=version, start=_start(0), now=NOW,
                actor="bench", confirm=conditional,
            )  # fmt: skip
            until = row.procedure_end + timedelta(days=60)  # past every recurrence's end
            extend_horizon(session=session, enrollment=row, until=until, now=NOW)
            items = len(items_of(session, row))
            _, token = create_token(session=session, name="fhir", scope="read", now=NOW, actor="b")
            enrollment_id, procedure = row.id, row.procedure_start
        channels = build_channels(smtp_url="", webhook_url="", sender="care@example.org")
        Dispatcher(engine, channels=channels, settings=Settings(), fault="").run_until_idle(
            procedure
        )
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})
        gc.collect()
        gc.freeze()  # as tracker/wsgi.py does once the app is built (it says why)
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        address = f"/fhir/Bundle/enrollment-{enrollment_id}"
        seconds: list[float] = []
        with time_machine.travel(procedure, tick=True):
            for i in range(n + 10):  # the first 10 warm the caches and are not counted
                began = time.perf_counter()
                response = client.get(address, headers=headers)
                if i >= 10:
                    seconds.append(time.perf_counter() - began)
                assert response.status_code == 200, response.get_data(as_text=True)
        gc.unfreeze()  # the next benchmark in this process starts as it would alone
        entries = len(response.get_json(force=True)["entry"])
        engine.dispose()
        db.get_engine(app).dispose()
    p50 = statistics.median(seconds) * 1000
    p99 = statistics.quantiles(seconds, n=100)[98] * 1000
    verdict = "PASS" if p99 <= FHIR_TARGET_MS else "MISS"
    print(
        f"fhir bundle: {items} items; p50 {p50:.1f} ms, p99 {p99:.1f} ms "
        f"(target <= {FHIR_TARGET_MS:.0f} ms) {verdict}; {entries} resources, {n} requests, "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    return {"fhir_items": items, "fhir_p50_ms": p50, "fhir_p99_ms": p99}


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000)
