"""Consent to text messages: history kept as rows, the newest is current, every change audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlmodel import Session, select

from tests.enrollment_helpers import NOW, make_patient
from tracker import db
from tracker.care.consent import consent_given, current_consent, record_consent
from tracker.errors import InvalidInput
from tracker.models import AuditEvent, Consent


@pytest.mark.both_databases
def test_the_newest_row_is_the_current_consent(app: Flask, session: Session) -> None:
    patient = make_patient(session)
    assert patient.id is not None
    assert current_consent(session, patient_id=patient.id) is None
    with db.get_engine(app).connect() as connection:
        assert consent_given(connection, patient_id=patient.id) is False  # opt-in: none = no
    for minutes, given, method, actor in [
        (0, True, "written", "user:1"),
        (5, False, "text STOP", "patient by text"),
        (9, True, "verbal", "api token ehr"),
    ]:
        record_consent(
            session=session,
            patient_id=patient.id,
            given=given,
            method=method,
            actor=actor,
            now=NOW + timedelta(minutes=minutes),
        )
        session.commit()
        current = current_consent(session, patient_id=patient.id)
        assert current is not None
        assert (current.given, current.method, current.recorded_by) == (given, method, actor)
        assert current.recorded_at == NOW + timedelta(minutes=minutes)
        with db.get_engine(app).connect() as connection:
            assert consent_given(connection, patient_id=patient.id) is given
    assert len(session.exec(select(Consent)).all()) == 3  # history kept
    events = session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
    consent_events = [e for e in events if e.subject_type == "consent"]
    assert [e.action for e in consent_events] == [
        "consent.given",
        "consent.withdrawn",
        "consent.given",
    ]
    assert consent_events[1].before == {"channel": "sms", "given": True, "method": "written"}
    assert consent_events[1].actor == "patient by text"
    assert {e.patient_id for e in consent_events} == {patient.id}


def test_unknown_methods_and_channels_are_refused(session: Session) -> None:
    patient = make_patient(session)
    assert patient.id is not None
    with pytest.raises(InvalidInput) as error:
        record_consent(
            session=session,
            patient_id=patient.id,
            given=True,
            method="telepathy",
            actor="x",
            now=NOW,
        )
    assert error.value.field == "method"
    with pytest.raises(InvalidInput) as error:
        record_consent(
            session=session,
            patient_id=patient.id,
            given=True,
            method="verbal",
            actor="x",
            now=NOW,
            channel="fax",
        )
    assert error.value.field == "channel"


def test_consent_is_per_patient(session: Session) -> None:
    one, other = make_patient(session), make_patient(session)
    assert one.id is not None and other.id is not None
    record_consent(
        session=session, patient_id=one.id, given=True, method="verbal", actor="x", now=NOW
    )
    session.commit()
    assert current_consent(session, patient_id=other.id) is None
