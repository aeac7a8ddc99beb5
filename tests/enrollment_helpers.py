"""Helpers other test modules can import: published pathways, patients, enrollments.

Each helper commits, so command-line tests (a separate connection) see the rows and a test's
own rollback undoes only what the code under test wrote.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from tests.conftest import PATHWAYS_DIR, SEED
from tracker.care.enrollment import enroll
from tracker.care.patients import register_patient
from tracker.library.pathways import get_pathway, import_document, step_row, steps_of, versions_of
from tracker.models import Enrollment, Pathway, PathwayVersion, Patient, Step
from tracker.reading import timing
from tracker.reading.documents import read_document

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)  # the injected clock most tests use
# Local (EST) procedure time a week after NOW, so recurring items fit the horizon.
START = datetime(2027, 3, 8, 8, 0)
_mrns = itertools.count(1)


def publish(session: Session, version: PathwayVersion, *, now: datetime = NOW) -> PathwayVersion:
    """Publish directly (admin review is another module's job)."""
    version.state, version.published_at = "published", now
    session.add(version)
    session.commit()
    return version


def published_seed_version(session: Session, *, now: datetime = NOW) -> PathwayVersion:
    """The seed document (22868) imported and published."""
    result = import_document(session=session, document=read_document(SEED), now=now)
    pathway = get_pathway(session, result.slug)
    assert pathway is not None
    return publish(session, versions_of(session, pathway)[-1], now=now)


def pathways_22868_version(session: Session, *, now: datetime = NOW) -> PathwayVersion:
    """The 22868 document shipped in pathways/ (the one `make run` imports), published."""
    document = read_document(PATHWAYS_DIR / "22868.txt")
    result = import_document(session=session, document=document, now=now)
    pathway = get_pathway(session, result.slug)
    assert pathway is not None
    return publish(session, versions_of(session, pathway)[-1], now=now)


def rel(
    anchor: str = "start",
    days: int = 0,
    minutes: int = 0,
    clock: str | None = None,
    reminder_hour: bool = False,
) -> timing.RelTime:
    return timing.RelTime(
        anchor=anchor,
        days=days,
        minutes=minutes,
        clock=clock,  # type: ignore[arg-type]
        reminder_hour=reminder_hour,
    )


def make_step(
    text: str = "A step",
    *,
    section: str = "preparation",
    kind: str = "logistics",
    opens: timing.RelTime | None = None,
    due: timing.RelTime | None = None,
    expires: timing.RelTime | None = None,
    recurrence: timing.Recurrence | None = None,
    critical: bool = False,
    conditional: bool = False,
) -> timing.Step:
    """A timing.Step with sensible defaults: opens a day before the start, due at the start."""
    return timing.Step(
        section=section,
        line=1,
        text=text,
        kind=kind,
        critical=critical,
        conditional=conditional,
        opens=opens or rel(days=-1),
        due=due or rel(),
        expires=expires,
        recurrence=recurrence,
        evidence=text,
        rule="test",
        confidence=1.0,
    )


def custom_version(
    session: Session,
    steps: Sequence[timing.Step],
    *,
    duration_minutes: int = 60,
    state: str = "published",
    slug: str | None = None,
    now: datetime = NOW,
) -> PathwayVersion:
    """A pathway version with exactly these steps, in `state` (published by default)."""
    slug = slug or f"custom-{next(_mrns)}"
    pathway = Pathway(slug=slug, title=slug, short_name=slug, created_at=now)
    session.add(pathway)
    session.flush()
    assert pathway.id is not None
    version = PathwayVersion(
        pathway_id=pathway.id,
        number=1,
        state=state,
        title=slug,
        source_text="test",
        source_hash="0" * 64,
        duration_minutes=duration_minutes,
        created_at=now,
        published_at=now if state == "published" else None,
    )
    session.add(version)
    session.flush()
    assert version.id is not None
    session.add_all(step_row(version.id, position, step) for position, step in enumerate(steps))
    session.commit()
    return version


def step_rows(session: Session, version: PathwayVersion) -> list[Step]:
    return steps_of(session, version)


def make_patient(session: Session, **overrides: Any) -> Patient:
    """A registered patient (committed); any register_patient argument can be overridden."""
    number = next(_mrns)
    values: dict[str, Any] = {
        "mrn": f"MRN{number:05d}",
        "name": f"Patient {number}",
        "timezone": "America/New_York",
        "email": f"patient{number}@example.org",
        "now": NOW,
        "actor": "test",
    }
    values.update(overrides)
    patient = register_patient(session=session, **values)
    session.commit()
    return patient


def enroll_patient(
    session: Session,
    *,
    patient: Patient | None = None,
    version: PathwayVersion | None = None,
    start: datetime = START,
    now: datetime = NOW,
    confirm_all: bool = True,
    **overrides: Any,
) -> Enrollment:
    """An enrollment (committed); conditional steps confirmed unless `confirm_all=False`."""
    patient = patient or make_patient(session)
    version = version or published_seed_version(session)
    conditional = [s.id for s in steps_of(session, version) if s.conditional and s.id]
    values: dict[str, Any] = {"actor": "test", "confirm": conditional if confirm_all else ()}
    values.update(overrides)
    enrollment = enroll(
        session=session, patient=patient, version=version, start=start, now=now, **values
    )
    session.commit()
    return enrollment
