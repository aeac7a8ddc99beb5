"""An enrollment as FHIR: its Patient, a CarePlan, and one Task per checklist item.

A Task's `restriction.period` is the item's window in UTC: from when it opens to when it can
no longer be done (its expiry, else its due time); the due time itself is the `due`
extension, since R4's Task has no due date. Its status is the item's at the time of reading.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tracker.fhir.elements import CODE_SYSTEM, Json, concept, extension, instant, reference
from tracker.fhir.queries import EnrollmentRecords
from tracker.models import ChecklistItem, Patient
from tracker.reading.timing import Step

PLAN_STATUSES = {"active": "active", "completed": "completed", "cancelled": "revoked"}
# An item's stored status -> the Task's; a pending one past its expiry is `failed` too (the
# checklist shows it as missed: tracker.patient.reader.status_at).
TASK_STATUSES = {
    "pending": "ready",
    "done": "completed",
    "not_done": "cancelled",
    "skipped": "cancelled",
    "missed": "failed",
    "cancelled": "cancelled",
}
# Why a Task is cancelled when the patient wrote no note.
NO_NOTE = {
    "not_done": "not done",
    "skipped": "skipped",
    "cancelled": "no longer part of the plan",
}


def mrn_identifier(patient: Patient, system: str) -> Json:
    """The patient's MRN as an Identifier of the site's MRN system."""
    return {
        "use": "usual",
        "type": concept("http://terminology.hl7.org/CodeSystem/v2-0203", "MR"),
        "system": system,
        "value": patient.mrn,
    }


def patient_reference(patient: Patient, system: str) -> Json:
    """Patient/{id}, with the MRN so a receiver can match its own record."""
    return reference("Patient", patient.id, identifier=mrn_identifier(patient, system))


def patient_resource(patient: Patient, *, mrn_system: str) -> Json:
    """The Patient: MRN, name, birth date, contacts and language."""
    body: Json = {
        "resourceType": "Patient",
        "id": str(patient.id),
        "identifier": [mrn_identifier(patient, mrn_system)],
        "name": [{"text": patient.name}],
        "communication": [
            {
                "language": concept("urn:ietf:bcp:47", patient.language),
                "preferred": True,
            }
        ],
    }
    telecom = [
        {"system": kind, "value": value}
        for kind, value in (("email", patient.email), ("phone", patient.phone))
        if value
    ]
    if telecom:
        body["telecom"] = telecom
    if patient.birth_date is not None:
        body["birthDate"] = patient.birth_date.isoformat()
    return body


def care_plan(records: EnrollmentRecords, *, base: str, mrn_system: str) -> Json:
    """The enrollment as a CarePlan instantiating its PlanDefinition, one activity per Task."""
    enrollment, items = records.enrollment, records.items
    body: Json = {
        "resourceType": "CarePlan",
        "id": str(enrollment.id),
        # The procedure's own time, which R4's CarePlan has no element for.
        "extension": [
            extension(
                "procedure-period",
                valuePeriod={
                    "start": instant(enrollment.procedure_start),
                    "end": instant(enrollment.procedure_end),
                },
            )
        ],
        "instantiatesCanonical": [f"{base}/fhir/PlanDefinition/{enrollment.version_id}"],
        "status": PLAN_STATUSES.get(enrollment.state, "unknown"),
        "intent": "plan",
        "title": records.plan.version.title,
        "subject": patient_reference(records.patient, mrn_system),
        "created": instant(enrollment.created_at),
    }
    if items:
        body["period"] = {
            "start": instant(min(item.opens_at for item in items)),
            "end": instant(max(_closes(item) for item in items)),
        }
        body["activity"] = [{"reference": reference("Task", item.id)} for item in items]
    return body


def task_status(item: ChecklistItem, now: datetime) -> str:
    """The Task status for an item at `now` (see TASK_STATUSES)."""
    if item.status == "pending" and item.expires_at is not None and now >= item.expires_at:
        return "failed"
    return TASK_STATUSES.get(item.status, "ready")


def task(
    item: ChecklistItem, *, step: Step, patient: Json, plan_url: str, authored: str,
    now: datetime,
) -> Json:  # fmt: skip
    """One checklist item as a Task owned by, and for, the patient (`patient` is their
    reference, `plan_url` the PlanDefinition's, `authored` when the enrollment was made)."""
    status = task_status(item, now)
    body: Json = {
        "resourceType": "Task",
        "id": str(item.id),
        "extension": [extension("due", valueDateTime=instant(item.due_at))],
        # The PlanDefinition action it comes from (Task.instantiatesCanonical may only name
        # an ActivityDefinition in R4, so the action is addressed by its URL).
        "instantiatesUri": f"{plan_url}#step-{item.step_id}",
        "basedOn": [reference("CarePlan", item.enrollment_id)],
        "status": status,
        "intent": "plan",
        "priority": "urgent" if step.critical else "routine",
        "code": concept(CODE_SYSTEM + "asks", step.asks),
        "description": step.text,
        "for": patient,
        "authoredOn": authored,
        "owner": patient,
        "restriction": {"period": {"start": instant(item.opens_at), "end": instant(_closes(item))}},
    }
    if item.occurrence:
        body["extension"].append(extension("occurrence", valueInteger=item.occurrence))
    if status == "cancelled":
        body["statusReason"] = {"text": item.note.strip() or NO_NOTE.get(item.status, "cancelled")}
    if item.acted_at is not None:
        body["lastModified"] = instant(item.acted_at)
        if status == "completed":
            body["executionPeriod"] = {"end": instant(item.acted_at)}
    return body


def tasks(records: EnrollmentRecords, *, base: str, mrn_system: str, now: datetime) -> list[Json]:
    """Every item's Task, in due order."""
    steps = records.steps
    shared: dict[str, Any] = {
        "patient": patient_reference(records.patient, mrn_system),
        "plan_url": f"{base}/fhir/PlanDefinition/{records.enrollment.version_id}",
        "authored": instant(records.enrollment.created_at),
    }
    return [task(item, step=steps[item.step_id].step, now=now, **shared) for item in records.items]


def _closes(item: ChecklistItem) -> datetime:
    """When an item can no longer be done: its expiry, else its due time."""
    return item.expires_at or item.due_at
