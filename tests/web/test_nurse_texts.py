"""The nurse's patient page: consent to text messages shown with who, when and how, and the
form that records a change (errors beside the field, every change audited)."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select
from werkzeug.test import TestResponse

from tests.auth_helpers import create_staff, csrf_token, sign_in
from tests.enrollment_helpers import make_patient
from tracker.models import AuditEvent, Consent, Patient, User


@pytest.fixture
def nurse(app: Flask, client: FlaskClient) -> FlaskClient:
    email, password = create_staff(app, "nurse", name="Nora Nurse")
    assert sign_in(client, email, password).status_code == 302
    return client


def _page(client: FlaskClient, patient: Patient) -> str:
    return client.get(f"/nurse/patients/{patient.id}").get_data(as_text=True)


def _post(client: FlaskClient, patient: Patient, data: dict[str, str]) -> TestResponse:
    token = csrf_token(_page(client, patient))
    return client.post(f"/nurse/patients/{patient.id}/consent", data={**data, "csrf_token": token})


def test_recording_consent_shows_who_when_and_how(nurse: FlaskClient, session: Session) -> None:
    patient = make_patient(session)
    assert "No consent recorded" in _page(nurse, patient)
    response = _post(nurse, patient, {"given": "given", "method": "verbal"})
    assert response.status_code == 302 and response.location.endswith("#texts")
    page = _page(nurse, patient)
    assert re.search(r"Consent given</strong> \(verbal\), recorded by Nora Nurse, ", page)
    response = _post(nurse, patient, {"given": "withdrawn", "method": "written"})
    assert response.status_code == 302
    assert "Consent withdrawn</strong> (written), recorded by Nora Nurse" in _page(nurse, patient)
    nurse_id = session.exec(select(User.id).where(User.name == "Nora Nurse")).one()
    rows = session.exec(select(Consent).order_by(Consent.id)).all()
    assert [(c.given, c.method, c.recorded_by) for c in rows] == [
        (True, "verbal", f"user:{nurse_id}"),
        (False, "written", f"user:{nurse_id}"),
    ]
    actions = session.exec(
        select(AuditEvent.action).where(AuditEvent.subject_type == "consent")
    ).all()
    assert actions == ["consent.given", "consent.withdrawn"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"given": "given", "method": ""}, "Choose how the patient gave or withdrew consent."),
        ({"given": "", "method": "verbal"}, "Choose whether consent is given or withdrawn."),
        ({"given": "maybe", "method": "text STOP"}, "Choose how the patient gave"),
    ],
)
def test_form_errors_are_shown_beside_the_field(
    nurse: FlaskClient, session: Session, data: dict[str, str], message: str
) -> None:
    patient = make_patient(session)
    response = _post(nurse, patient, data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="field-error"' in html and message in html
    assert 'aria-invalid="true"' in html
    assert session.exec(select(Consent)).all() == []


def test_only_signed_in_staff_see_or_change_consent(client: FlaskClient, session: Session) -> None:
    patient = make_patient(session)
    assert client.get(f"/nurse/patients/{patient.id}").status_code == 302  # to the sign-in
    response = client.post(f"/nurse/patients/{patient.id}/consent", data={"given": "given"})
    assert response.status_code == 400  # no CSRF token: refused before anything else
    assert session.exec(select(Consent)).all() == []
