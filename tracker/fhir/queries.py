"""What the FHIR views read: a pathway version with its steps, an enrollment with its rows.

A fixed number of queries per request whatever the plan's size (none per item or reminder):
the version with its pathway, or the enrollment with its patient, version and pathway, in one
joined query; then the items and reminders. Steps come typed from the published version's
cache (tracker.care.schedule_rows.version_plans: published steps never change).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from tracker.care.schedule_rows import StepPlan, items_of, reminders_of, version_plans
from tracker.models import ChecklistItem, Enrollment, Pathway, PathwayVersion, Patient, Reminder


@dataclass(frozen=True)
class VersionRecords:
    """A version that machines may read (published or retired) with its pathway and steps."""

    version: PathwayVersion
    pathway: Pathway
    steps: tuple[StepPlan, ...]  # in the version's order


@dataclass(frozen=True)
class EnrollmentRecords:
    """Everything one enrollment's CarePlan, Tasks and messages are built from."""

    enrollment: Enrollment
    patient: Patient
    plan: VersionRecords
    items: list[ChecklistItem]  # in due order, cancelled ones included
    reminders: list[Reminder]  # in send order

    @property
    def steps(self) -> dict[int, StepPlan]:
        """The version's steps by id."""
        return {plan.id: plan for plan in self.plan.steps}


def load_version(session: Session, version_id: int) -> VersionRecords | None:
    """A published or retired version; None for an unknown id or a draft (drafts are not
    shown to machines, as in the JSON API)."""
    query = (
        select(PathwayVersion, Pathway)
        .join(Pathway, col(Pathway.id) == PathwayVersion.pathway_id)
        .where(PathwayVersion.id == version_id)
    )
    found = session.exec(query).first()
    if found is None or found[0].state == "draft":
        return None
    version, pathway = found
    return VersionRecords(version, pathway, version_plans(session, version))


def load_enrollment(
    session: Session, enrollment_id: int, *, messages: bool = True
) -> EnrollmentRecords | None:
    """The enrollment and its rows (reminders only if `messages`); None for an unknown id."""
    query = (
        select(Enrollment, Patient, PathwayVersion, Pathway)
        .join(Patient, col(Patient.id) == Enrollment.patient_id)
        .join(PathwayVersion, col(PathwayVersion.id) == Enrollment.version_id)
        .join(Pathway, col(Pathway.id) == PathwayVersion.pathway_id)
        .where(Enrollment.id == enrollment_id)
    )
    found = session.exec(query).first()
    if found is None:
        return None
    enrollment, patient, version, pathway = found
    return EnrollmentRecords(
        enrollment=enrollment,
        patient=patient,
        plan=VersionRecords(version, pathway, version_plans(session, version)),
        items=items_of(session, enrollment),
        reminders=reminders_of(session, enrollment) if messages else [],
    )
