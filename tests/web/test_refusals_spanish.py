"""Refusals in the reader's language (issue 15): what a service refuses reaches a Spanish staff
page (Accept-Language: es) and a Spanish-speaking patient in Spanish, beside the field it names,
with none of the English words; the English pages keep their sentences (test_nurse_views)."""

from __future__ import annotations

import re
from datetime import UTC, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, col, delete, select

from tests.auth_helpers import create_staff, csrf_token, sign_in, sign_in_as
from tests.enrollment_helpers import make_patient, published_seed_version
from tests.patient_helpers import CLOCK, follow, items_by_text, linked, post_item
from tracker.care.enrollment import cancel_enrollment
from tracker.clock import utcnow
from tracker.db import get_engine, session_scope
from tracker.errors import InvalidInput, Word
from tracker.library import pathways
from tracker.models import PathwayVersion, Patient, Step
from tracker.reading.documents import read_document

SPANISH = {"Accept-Language": "es-MX,es;q=0.9"}
JSON = {"Accept": "application/json", **SPANISH}
GOOD_PATIENT = {
    "mrn": "MRN-200",
    "name": "Lucía Gómez",
    "birth_date": "1960-04-30",
    "email": "lg@example.org",
    "phone": "+1 555 010 0199",
    "timezone": "America/Chicago",
    "reminder_hour": "8",
    "quiet_start": "21:00",
    "quiet_end": "07:00",
    "language": "es",
    "channels": ["email"],
}
PAST = (
    "La hora del procedimiento ya ha pasado; "
    "para registrar una hora pasada, permítalo expresamente."
)
# The English refusals these posts would show on an English page.
ENGLISH = (
    "is not a date like",
    "already exists",
    "email reminders need",
    "is in the future",
    "is required",
    "is not a local date",
    "The date of birth",
    "The MRN",
    "unknown time zone",
    "is not one of",
    "has no steps",
    "has not started",
    "the plan is",
    "can no longer",
)


def _html(response: Any) -> str:
    text: str = response.get_data(as_text=True)
    return unescape(text)


def _no_english(html: str) -> None:
    found = [words for words in ENGLISH if words in html]
    assert not found, found


def _field_error(html: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
    assert found, f"no error beside {field}"
    return found.group(1).strip()


@pytest.fixture
def nurse(app: Flask, client: FlaskClient) -> FlaskClient:
    email, password = create_staff(app, "nurse", name="Nora Nurse")
    assert sign_in(client, email, password).status_code == 302
    return client


def _post(client: FlaskClient, path: str, data: dict[str, Any], page: str) -> Any:
    token = csrf_token(client.get(page, headers=SPANISH).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token}, headers=SPANISH)


def _register(nurse: FlaskClient, **changes: Any) -> str:
    page = "/nurse/patients/new"
    response = _post(nurse, page, {**GOOD_PATIENT, **changes}, page)
    assert response.status_code == 422
    return _html(response)


# --- the nurse's forms ----------------------------------------------------------------------


def test_registration_refusals_read_spanish_beside_their_fields(
    nurse: FlaskClient, session: Session
) -> None:
    html = _register(nurse, mrn="", birth_date="30/04/1960")
    assert _field_error(html, "mrn") == "El MRN es un dato obligatorio."
    assert _field_error(html, "birth_date") == "'30/04/1960' no es una fecha como 1960-04-30."
    _no_english(html)

    no_email = _register(nurse, channels=["email"], email="")  # checked once the fields are
    assert _field_error(no_email, "channels") == (
        "Los recordatorios por correo electrónico necesitan una dirección de correo electrónico."
    )
    _no_english(no_email)

    future = _register(nurse, birth_date="2999-01-01")
    assert _field_error(future, "birth_date") == "2999-01-01 es una fecha futura."
    _no_english(future)

    make_patient(session, now=utcnow(), mrn="DUP-7")
    taken = _register(nurse, mrn="DUP-7")
    assert _field_error(taken, "mrn") == "Ya existe un paciente con el MRN 'DUP-7'."
    _no_english(taken)
    assert session.exec(select(Patient).where(Patient.mrn == "MRN-200")).first() is None


def test_a_field_named_in_a_sentence_takes_its_spanish_subject(nurse: FlaskClient) -> None:
    html = _register(nurse, name="x" * 201, timezone="Mars/Olympus")
    assert _field_error(html, "name") == (
        "El nombre debe tener como máximo 200 caracteres (tiene 201)."
    )
    assert _field_error(html, "timezone") == "Zona horaria desconocida: 'Mars/Olympus'."
    _no_english(html)


def test_enrollment_refusals_read_spanish(nurse: FlaskClient, session: Session) -> None:
    version = published_seed_version(session)
    patient = make_patient(session, now=utcnow(), name="Lucía Gómez")
    page = f"/nurse/patients/{patient.id}/enroll?version={version.id}"
    past = utcnow().astimezone(UTC) - timedelta(days=2)
    conditional = select(Step).where(Step.version_id == version.id, col(Step.conditional))
    confirm = [step.id for step in session.exec(conditional)]
    data = {
        "version": version.id,
        "date": f"{past:%Y-%m-%d}",
        "time": "08:00",
        "timezone": "UTC",
        "confirm": confirm,
    }
    response = _post(nurse, f"/nurse/patients/{patient.id}/enroll", data, page)
    assert response.status_code == 422
    html = _html(response)
    assert _field_error(html, "start") == PAST
    _no_english(html)


def test_reschedule_refusals_read_spanish(nurse: FlaskClient, session: Session) -> None:
    plan = linked(session, patient=make_patient(session, now=utcnow(), name="Lucía Gómez"))
    page = f"/nurse/enrollments/{plan.id}/reschedule"
    form = nurse.get(page, headers=SPANISH)
    assert form.status_code == 200, form.status_code
    past = utcnow().astimezone(UTC) - timedelta(days=30)
    response = _post(nurse, page, {"date": f"{past:%Y-%m-%d}", "time": "08:00"}, page)
    assert response.status_code == 422
    html = _html(response)
    assert _field_error(html, "start") == PAST
    _no_english(html)


# --- the admin's pages ----------------------------------------------------------------------


def test_an_admin_refusal_reads_spanish(app: Flask, client: FlaskClient, seed_path: Path) -> None:
    with session_scope(get_engine(app)) as session:
        slug = pathways.import_document(
            session=session, document=read_document(seed_path), now=utcnow()
        ).slug
        version = session.exec(select(PathwayVersion)).one()
        session.exec(delete(Step).where(col(Step.version_id) == version.id))
    sign_in_as(client, app, "admin")
    base = f"/admin/pathways/{slug}/v1"
    token = csrf_token(client.get(base, headers=SPANISH).get_data(as_text=True))
    data = {"csrf_token": token, "allow_unreviewed": "y"}
    response = client.post(f"{base}/publish", data=data, headers=SPANISH)
    assert response.status_code == 303
    html = _html(client.get(response.headers["Location"], headers=SPANISH))
    assert "la v1 no tiene pasos: añada uno antes de publicarla" in html
    _no_english(html)


def test_a_step_editor_refusal_reads_spanish(
    app: Flask, client: FlaskClient, seed_path: Path
) -> None:
    with session_scope(get_engine(app)) as session:
        slug = pathways.import_document(
            session=session, document=read_document(seed_path), now=utcnow()
        ).slug
        step = session.exec(select(Step).order_by(col(Step.id))).first()
        assert step is not None
        edit = f"/admin/pathways/{slug}/v1/steps/{step.id}/edit"
    sign_in_as(client, app, "admin")
    token = csrf_token(client.get(edit, headers=SPANISH).get_data(as_text=True))
    point = {"days": "0", "minutes": "0", "anchor": "start", "clock": ""}
    data = {
        "csrf_token": token,
        "text": "Dúchese con el jabón antiséptico",
        "section": "preparation",
        "kind": "hygiene",
        "asks": "do",
        **{f"opens-{k}": v for k, v in {**point, "days": "-1", "clock": "20:00"}.items()},
        **{f"due-{k}": v for k, v in {**point, "days": "-3"}.items()},
        **{f"expires-{k}": v for k, v in point.items()},
        **{f"until-{k}": v for k, v in point.items()},
        "repeat": "none",
        "count": "",
    }
    response = client.post(edit, data=data, headers=SPANISH)
    assert response.status_code == 422
    html = _html(response)
    assert _field_error(html, "due") == (
        "El plazo del paso no puede vencer antes de que el paso se abra."
    )


# --- the patient's page ---------------------------------------------------------------------


@pytest.fixture
def spanish_plan(session: Session) -> Any:
    return linked(session, patient=make_patient(session, language="es", name="Lucía Gómez"))


def _tablet_to_come(session: Session, enrollment_id: int) -> int:
    """A tablet occurrence that has not opened yet at CLOCK."""
    tablets = items_by_text(session, enrollment_id)["Take the tablet"]
    later = next(item for item in tablets if item.opens_at > CLOCK)
    assert later.id is not None
    return later.id


def test_a_patient_reads_a_refused_tick_in_their_language(
    client: FlaskClient, session: Session, spanish_plan: Any
) -> None:
    with time_machine.travel(CLOCK, tick=False):
        later = _tablet_to_come(session, spanish_plan.id)
        # The page's script asks for JSON: its message is the patient's language, whatever
        # the browser says.
        response = post_item(client, spanish_plan, later, "done", headers=JSON)
        assert response.status_code == 409
        body = response.get_json()
        assert body["message"] == "Esto ya no se puede cambiar: todavía no ha empezado"
        english = post_item(
            client, spanish_plan, later, "done", headers={"Accept": "application/json"}
        )
        assert english.get_json()["message"] == body["message"]
        # Without JavaScript the form's redirect leads to the page, which says the same.
        page = follow(client, post_item(client, spanish_plan, later, "done"))
        assert "Esto ya no se puede cambiar: todavía no ha empezado" in unescape(page)


def test_a_patient_reads_a_cancelled_plan_refusal_in_their_language(
    client: FlaskClient, session: Session, spanish_plan: Any
) -> None:
    with time_machine.travel(CLOCK, tick=False):
        ride = items_by_text(session, spanish_plan.id)["Book a ride home"][0].id
        assert ride is not None
        cancel_enrollment(session=session, enrollment=spanish_plan.enrollment, actor="t", now=CLOCK)
        session.commit()
        response = post_item(client, spanish_plan, ride, "done", headers=JSON)
        assert response.status_code == 409
        message = response.get_json()["message"]
        assert message == "Esto ya no se puede cambiar: su equipo de cuidados detuvo el plan"
        _no_english(message)


def test_an_english_patient_still_reads_english(client: FlaskClient, session: Session) -> None:
    plan = linked(session, patient=make_patient(session, language="en"))
    with time_machine.travel(CLOCK, tick=False):
        later = _tablet_to_come(session, plan.id)
        response = post_item(client, plan, later, "done", headers=JSON)
        assert response.get_json()["message"] == (
            "This can no longer be changed: this one has not started yet"
        )


def test_a_refusal_outside_a_request_is_english() -> None:
    error = InvalidInput("enrollment", "enrollment %(id)s is %(state)s", id=4, state=Word("done"))
    assert error.message == error.translated == "enrollment 4 is done"
    assert str(error) == "enrollment: enrollment 4 is done"


def test_a_spanish_request_translates_the_words_in_a_refusal(app: Flask) -> None:
    error = InvalidInput(
        "enrollment", "enrollment %(id)s is %(state)s", id=4, state=Word("cancelled")
    )
    with app.test_request_context(headers=SPANISH):
        assert error.translated == "la inscripción 4 está cancelada"
    assert error.message == "enrollment 4 is cancelled"


# --- the reader's notes stay English, marked so ---------------------------------------------


def test_the_readers_english_notes_are_marked_english_on_a_spanish_page(
    app: Flask, client: FlaskClient, seed_path: Path
) -> None:
    with session_scope(get_engine(app)) as session:
        slug = pathways.import_document(
            session=session, document=read_document(seed_path), now=utcnow()
        ).slug
        rules = [step.rule for step in session.exec(select(Step)) if step.rule]
    assert rules, "the reader notes how it read each step"
    sign_in_as(client, app, "admin")
    page = f"/admin/pathways/{slug}/v1"
    spanish = client.get(page, headers=SPANISH).get_data(as_text=True)
    assert '<html lang="es"' in spanish
    marked = re.findall(r'<span class="muted block" lang="en">([^<]*)</span>', spanish)
    assert {unescape(text) for text in marked} >= set(rules)
    english = client.get(page, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="en"' in english and english.count('lang="en"') == 1
