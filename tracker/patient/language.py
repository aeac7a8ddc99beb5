"""The patient's own choice of language on their page: stored on the patient (so it goes
with the link and their reminders), audited like any change to the patient."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from tracker import i18n
from tracker.care.patients import update_patient
from tracker.errors import InvalidInput
from tracker.models import Patient


def choose_language(
    *, session: Session, patient_id: int, language: str, actor: str, now: datetime
) -> Patient:
    """Set the language the patient reads their pages and reminders in (a supported one);
    the caller commits."""
    if language not in i18n.SUPPORTED:
        raise InvalidInput(
            "language",
            "%(language)s is not one of %(languages)s",
            language=repr(language),
            languages=", ".join(i18n.SUPPORTED),
        )
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise InvalidInput("patient", "no patient %(id)s", id=patient_id)
    return update_patient(
        session=session, patient=patient, changes={"language": language}, actor=actor, now=now
    )
