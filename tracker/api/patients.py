"""Patients: register, read, update (If-Match), find by MRN."""

from __future__ import annotations

from flask import current_app

from tracker.api.operations import Call, get_or_404, operation, page_of, require_match
from tracker.api.schemas import PatientIn, PatientOut, PatientPage, PatientPatch, PatientQuery
from tracker.care.patients import PatientChanges, register_patient, update_patient
from tracker.clock import utcnow
from tracker.models import Patient


def patient_out(row: Patient) -> PatientOut:
    """The patient as the API shows it."""
    return PatientOut.model_validate(row, from_attributes=True)


@operation(
    "GET", "/patients", scope="read", response=PatientPage, query=PatientQuery, tag="patients"
)
def list_patients(call: Call) -> PatientPage:
    """Patients in id order; `mrn` finds one by its medical record number."""
    query: PatientQuery = call.query
    where = [] if query.mrn is None else [Patient.mrn == query.mrn.strip()]
    rows, cursor = page_of(
        call.session, Patient, limit=query.limit, cursor=query.cursor, where=where
    )
    return PatientPage(items=[patient_out(row) for row in rows], next_cursor=cursor)


@operation(
    "POST", "/patients", scope="enroll", response=PatientOut, status=201, body=PatientIn,
    tag="patients", location="/patients/{id}",
)  # fmt: skip
def create_patient(call: Call) -> PatientOut:
    """Register a patient."""
    body: PatientIn = call.body
    row = register_patient(
        session=call.session,
        now=utcnow(),
        actor=call.actor,
        default_zone=current_app.config["DEFAULT_ZONE"],
        **body.model_dump(),
    )
    return patient_out(row)


@operation(
    "GET", "/patients/<int:patient_id>", scope="read", response=PatientOut, etag=True,
    tag="patients",
)  # fmt: skip
def get_patient(call: Call, patient_id: int) -> PatientOut:
    """One patient, with an ETag for updates."""
    return patient_out(get_or_404(call.session, Patient, patient_id))


@operation(
    "PATCH", "/patients/<int:patient_id>", scope="enroll", response=PatientOut,
    body=PatientPatch, if_match=True, tag="patients",
)  # fmt: skip
def update(call: Call, patient_id: int) -> PatientOut:
    """Change the fields given; If-Match must carry the ETag read last."""
    row = get_or_404(call.session, Patient, patient_id)
    require_match(patient_out(row))
    body: PatientPatch = call.body
    # null clears only the birth date; for other fields it means "leave as it is".
    given = body.model_dump(exclude_unset=True)
    changes: PatientChanges = {  # type: ignore[assignment]
        name: value for name, value in given.items() if value is not None or name == "birth_date"
    }
    row = update_patient(
        session=call.session, patient=row, changes=changes, actor=call.actor, now=utcnow()
    )
    return patient_out(row)
