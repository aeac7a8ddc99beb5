"""Pages in the reader's language: a patient's pages follow Patient.language (and the switch
on their page), staff and error pages follow Accept-Language; English stays the default."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine
from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from tests.auth_helpers import sign_in_as
from tests.enrollment_helpers import make_patient
from tests.patient_helpers import (
    CLOCK,
    TEXTS,
    Linked,
    follow,
    linked,
    open_tablet,
    page_of,
    post_item,
)
from tracker.models import AuditEvent, Patient
from tracker.web.patient_access import link_form_token

SPANISH = {"Accept-Language": "es-MX,es;q=0.9"}


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(CLOCK, tick=False):
        yield


@pytest.fixture
def plan(session: Session) -> Linked:
    return linked(session, patient=make_patient(session, language="es"))


def _token(client: FlaskClient, plan: Linked, session: Session) -> str:
    with client.application.test_request_context():
        return link_form_token(plan.access(session), "items")


def test_a_spanish_patients_page_is_in_spanish(client: FlaskClient, plan: Linked) -> None:
    html = page_of(client, plan)
    assert '<html lang="es" dir="ltr">' in html
    for words in ("Para hacer ahora", "Próximamente", "Su procedimiento", "Mensajes", "Idioma"):
        assert words in html
    # Babel's dates: the procedure, and the count of today's doses.
    assert "lunes 8 de marzo de 2027 a las 08:00" in html and "0 de 4 hoy" in html
    assert "To do now" not in html and TEXTS["ride"] in html  # step texts stay as written
    printed = client.get(f"/p/{plan.token}/print").get_data(as_text=True)
    assert "Plan de cuidados de" in printed and "Cuándo" in printed


def test_the_answer_to_a_tick_is_in_spanish(
    client: FlaskClient, plan: Linked, session: Session
) -> None:
    tablet = open_tablet(session, plan.id)
    assert tablet.id is not None
    response = post_item(client, plan, tablet.id, "done", headers={"Accept": "application/json"})
    body = response.get_json()
    assert body["message"] == f"Marcado como hecho: {TEXTS['tablet']}"
    assert "Deshacer" in body["html"] and "1 de 4 hoy" in body["html"]


def test_the_patient_switches_language_and_it_is_kept_and_audited(
    client: FlaskClient, plan: Linked, session: Session
) -> None:
    form = {"language": "en", "csrf_token": _token(client, plan, session)}
    response = client.post(f"/p/{plan.token}/language", data=form)
    html = follow(client, response)
    assert '<html lang="en" dir="ltr">' in html and "To do now" in html
    assert "Set-Cookie" not in response.headers
    patient_id = plan.enrollment.patient_id
    session.expire_all()
    patient = session.get(Patient, patient_id)
    assert patient is not None and patient.language == "en"
    (event,) = session.exec(
        select(AuditEvent)
        .where(AuditEvent.action == "patient.update", AuditEvent.patient_id == patient_id)
        .order_by(col(AuditEvent.id))
    ).all()
    assert (event.before, event.after) == ({"language": "es"}, {"language": "en"})
    assert event.actor == f"link:{plan.link.id}"


@pytest.mark.parametrize(
    "form",
    [{"language": "fr"}, {"language": ""}, {}, {"language": "es" * 600}],
)
def test_a_language_not_offered_is_refused_and_changes_nothing(
    client: FlaskClient, plan: Linked, session: Session, form: dict[str, str]
) -> None:
    form = form | {"csrf_token": _token(client, plan, session)}
    assert client.post(f"/p/{plan.token}/language", data=form).status_code == 400
    session.expire_all()
    patient = session.get(Patient, plan.enrollment.patient_id)
    assert patient is not None and patient.language == "es"


def test_the_language_switch_needs_the_links_form_token(
    client: FlaskClient, plan: Linked, session: Session
) -> None:
    response = client.post(f"/p/{plan.token}/language", data={"language": "en"})
    assert response.status_code == 400
    session.expire_all()
    patient = session.get(Patient, plan.enrollment.patient_id)
    assert patient is not None and patient.language == "es"


def test_an_unknown_link_answers_in_the_browsers_language(client: FlaskClient) -> None:
    html = client.get("/p/" + "A" * 43, headers=SPANISH).get_data(as_text=True)
    assert "No encontramos esta página" in html and 'lang="es"' in html
    english = client.get("/p/" + "A" * 43).get_data(as_text=True)
    assert "We could not find this page" in english


def test_staff_and_error_pages_follow_accept_language(client: FlaskClient, app: object) -> None:
    sign_in = client.get("/auth/sign-in", headers=SPANISH).get_data(as_text=True)
    assert '<html lang="es" dir="ltr">' in sign_in and "Iniciar sesión" in sign_in
    assert "Contraseña" in sign_in  # a form label
    assert "Sign in" in client.get("/auth/sign-in").get_data(as_text=True)
    missing = client.get("/no-such-page", headers=SPANISH)
    assert missing.status_code == 404
    assert "No hay ninguna página en esta dirección." in missing.get_data(as_text=True)


def test_a_nurse_reads_the_dashboard_in_spanish(client: FlaskClient, app: object) -> None:
    sign_in_as(client, app, "nurse")  # type: ignore[arg-type]
    html = client.get("/nurse/", headers=SPANISH).get_data(as_text=True)
    assert "Panel de enfermería" in html and "Cerrar sesión" in html
