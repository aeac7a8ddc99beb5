"""What the FHIR views read: a pathway version with its steps, an enrollment with its rows.

A fixed number of queries per request whatever the plan's size (no query per item or
reminder): the version and its steps, or the enrollment, its patient, version, steps,
items and reminders."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from tracker.care.schedule_rows import items_of, reminders_of
from tracker.library.pathways import steps_of
from tracker.models import (
    ChecklistItem,
    Enrollment,
    Pathway,
    PathwayVersion,
    Patient,
    Reminder,
    Step,
)


@dataclass(frozen=True)
class VersionRecords:
    """A version that machines may read (published or retired) with its pathway and steps."""

    version: PathwayVersion
    pathway: Pathway
    steps: list[Step]


@dataclass(frozen=True)
class EnrollmentRecords:
    """Everything one enrollment's CarePlan, Tasks and messages are built from."""

    enrollment: Enrollment
    patient: Patient
    plan: VersionRecords
    items: list[ChecklistItem]  # in due order, cancelled ones included
    reminders: list[Reminder]  # in send order

    @property
    def steps(self) -> dict[int, Step]:
        return {step.id: step for step in self.plan.steps if step.id is not None}


def load_version(session: Session, version_id: int) -> VersionRecords | None:
    """A published or retired version; None for an unknown id or a draft (drafts are not
    shown to machines, as in the JSON API)."""
    version = session.get(PathwayVersion, version_id)
    if version is None or version.state == "draft":
        return None
    pathway = session.get(Pathway, version.pathway_id)
    assert pathway is not None
    return VersionRecords(version, pathway, steps_of(session, version))


def load_enrollment(
    session: Session, enrollment_id: int, *, messages: bool = True
) -> EnrollmentRecords | None:
    """The enrollment and its rows (reminders only if `messages`); None for an unknown id."""
    enrollment = session.get(Enrollment, enrollment_id)
    if enrollment is None:
        return None
    patient = session.get(Patient, enrollment.patient_id)
    version = session.get(PathwayVersion, enrollment.version_id)
    assert patient is not None and version is not None
    pathway = session.get(Pathway, version.pathway_id)
    assert pathway is not None
    return EnrollmentRecords(
        enrollment=enrollment,
        patient=patient,
        plan=VersionRecords(version, pathway, steps_of(session, version)),
        items=items_of(session, enrollment),
        reminders=reminders_of(session, enrollment) if messages else [],
    )
