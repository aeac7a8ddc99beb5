"""Enrollments per second through `POST /api/v1/enrollments` against the service layer's rate
measured in the same run, on the same fresh SQLite file (bench_enrollment's setup).

Both paths enroll the same number of patients on the seed pathway, one transaction each; the
API path adds the token check, pydantic parsing, the response (every item) and the WSGI
round trip through Flask's test client. Target: the API at least half the service's rate.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import datetime, timedelta

import time_machine
from bench_enrollment import NOW, _patients, _published_seed

from tracker import create_app, db
from tracker.api.tokens import create_token
from tracker.care.enrollment import enroll
from tracker.library.pathways import steps_of
from tracker.models import Pathway

TARGET_RATIO = 0.5


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
    return {"api_per_second": api_rate, "service_per_second": service_rate, "ratio": ratio}


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000)
