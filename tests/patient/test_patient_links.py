"""Personal links: tokens, hashing, expiry, revoking and re-issuing; the nurse's link pages."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
import qrcode  # type: ignore[import-untyped]
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from qrcode.image.svg import SvgPathImage  # type: ignore[import-untyped]
from sqlmodel import Session, col, select

from tests.auth_helpers import csrf_token, sign_in_as
from tests.enrollment_helpers import custom_version, make_patient, make_step, rel
from tests.patient_helpers import CLOCK, NOW, linked
from tracker.care.enrollment import cancel_enrollment, reschedule
from tracker.errors import InvalidInput, LinkGone, LinkNotFound
from tracker.models import AuditEvent, ChecklistItem, PatientLink
from tracker.patient.links import (
    GRACE,
    expiry_for,
    hash_token,
    issue_link,
    open_link,
    qr_svg,
    revoke_links,
)
from tracker.patient.text import words_for
from tracker.reading import timing


def links_of(session: Session, enrollment_id: int) -> list[PatientLink]:
    session.expire_all()
    query = select(PatientLink).where(PatientLink.enrollment_id == enrollment_id)
    return list(session.exec(query.order_by(col(PatientLink.id))))


# --- the service ---------------------------------------------------------------------------------


def test_token_is_random_and_only_its_hash_is_stored(session: Session) -> None:
    plan = linked(session)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", plan.token)  # 32 bytes = 256 bits
    (row,) = links_of(session, plan.id)
    assert row.token_hash == hashlib.sha256(plan.token.encode()).hexdigest()
    assert plan.token not in repr(row)
    other = linked(session)
    assert other.token != plan.token


@pytest.mark.both_databases
def test_link_lasts_for_the_plan_plus_thirty_days(session: Session) -> None:
    plan = linked(session)
    latest = max(
        item.expires_at or item.due_at
        for item in session.exec(
            select(ChecklistItem).where(ChecklistItem.enrollment_id == plan.id)
        )
    )
    assert plan.link.expires_at == latest + GRACE
    assert open_link(db=session, token=plan.token, now=latest + GRACE - timedelta(seconds=1))
    with pytest.raises(LinkGone, match="expired"):
        open_link(db=session, token=plan.token, now=latest + GRACE)


def test_recurrences_past_the_horizon_count_too(session: Session) -> None:
    daily = timing.Recurrence(rule="FREQ=DAILY", until=rel("end", days=60))
    version = custom_version(
        session,
        [
            make_step(
                "Stretch",
                section="recovery",
                opens=rel("end"),
                due=rel("end", days=60),
                recurrence=daily,
            )
        ],
    )
    plan = linked(session, version=version)
    local_end = plan.enrollment.procedure_end.astimezone(ZoneInfo("America/New_York"))
    # Sixty calendar days later at the same wall-clock time (DST starts in between).
    assert plan.link.expires_at == (local_end + timedelta(days=60)).astimezone(UTC) + GRACE


@pytest.mark.both_databases
def test_reissuing_revokes_the_old_link(session: Session) -> None:
    plan = linked(session)
    link, token = issue_link(session=session, enrollment=plan.enrollment, now=CLOCK, actor="u")
    session.commit()
    with pytest.raises(LinkGone, match="revoked"):
        open_link(db=session, token=plan.token, now=CLOCK)
    assert open_link(db=session, token=token, now=CLOCK).link.id == link.id
    old, new = links_of(session, plan.id)
    assert old.revoked_at == CLOCK and new.revoked_at is None
    actions = [
        (e.action, e.subject_id)
        for e in session.exec(select(AuditEvent).where(AuditEvent.subject_type == "patientlink"))
    ]
    assert actions == [("link.issue", old.id), ("link.revoke", old.id), ("link.issue", new.id)]


def test_revoked_link_is_gone(session: Session) -> None:
    plan = linked(session)
    revoked = revoke_links(session=session, enrollment=plan.enrollment, now=CLOCK, actor="u")
    session.commit()
    assert [r.id for r in revoked] == [plan.link.id]
    with pytest.raises(LinkGone):
        open_link(db=session, token=plan.token, now=CLOCK)
    assert revoke_links(session=session, enrollment=plan.enrollment, now=CLOCK, actor="u") == []


@pytest.mark.parametrize(
    "token", ["", "short", "x" * 43, "x" * 44, "../../etc/passwd" + "a" * 27, "é" * 43]
)
def test_forged_or_malformed_tokens_are_not_found(session: Session, token: str) -> None:
    linked(session)
    with pytest.raises(LinkNotFound):
        open_link(db=session, token=token, now=CLOCK)


def test_hash_is_not_the_token(session: Session) -> None:
    plan = linked(session)
    with pytest.raises(LinkNotFound):  # the stored hash does not open anything either
        open_link(db=session, token=hash_token(plan.token)[:43], now=CLOCK)


@pytest.mark.both_databases
def test_reschedule_later_keeps_the_link_working(session: Session) -> None:
    plan = linked(session)
    stored = plan.link.expires_at
    reschedule(
        session=session,
        enrollment=plan.enrollment,
        start=datetime(2027, 6, 1, 8, 0),
        now=NOW,
        actor="test",
    )
    session.commit()
    # Past the expiry stored at issue, the plan as it is now still needs the link.
    assert open_link(db=session, token=plan.token, now=stored + timedelta(days=1))
    assert expiry_for(session, plan.enrollment) > stored


@pytest.mark.both_databases
def test_a_finished_plan_ends_its_link_thirty_days_later(session: Session) -> None:
    plan = linked(session)
    cancel_enrollment(session=session, enrollment=plan.enrollment, actor="test", now=NOW)
    session.commit()
    assert open_link(db=session, token=plan.token, now=NOW + GRACE - timedelta(minutes=1))
    with pytest.raises(LinkGone):
        open_link(db=session, token=plan.token, now=NOW + GRACE)
    with pytest.raises(InvalidInput):
        issue_link(session=session, enrollment=plan.enrollment, now=NOW, actor="test")


def test_qr_code_is_labelled_svg_without_ids() -> None:
    # qrcode registers an "svg:" prefix globally whenever it draws; HTML would not draw that.
    qrcode.make("another code", image_factory=SvgPathImage)
    svg = qr_svg("https://care.example.org/p/" + "a" * 43, label="Your link")
    assert str(svg).startswith("<svg ") and "svg:" not in str(svg)
    root = ElementTree.fromstring(str(svg))
    assert root.tag.endswith("svg") and root.get("role") == "img"
    assert root.get("aria-label") == "Your link"
    assert not [e for e in root.iter() if "id" in e.attrib]
    assert "style=" not in str(svg)  # the CSP forbids inline styles


# --- the nurse's pages ---------------------------------------------------------------------------


@pytest.fixture
def nurse(app: Flask) -> Iterator[FlaskClient]:
    # The pages read the wall clock; the links were issued at NOW and end 30 days after the
    # plan's last item, so without this the tests would fail once that date had passed.
    with time_machine.travel(CLOCK, tick=False):
        client = app.test_client()
        sign_in_as(client, app, "nurse")
        yield client


def _patient_page(client: FlaskClient, plan_patient: int, enrollment_id: int) -> str:
    response = client.get(f"/nurse/patients/{plan_patient}?enrollment={enrollment_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_nurse_issues_prints_and_revokes(nurse: FlaskClient, session: Session) -> None:
    plan = linked(session)
    patient_id = plan.enrollment.patient_id
    html = _patient_page(nurse, patient_id, plan.id)
    assert "Patient's personal link" in html and "is <strong>working</strong>" in html
    token = csrf_token(html)
    response = nurse.post(f"/nurse/links/enrollments/{plan.id}/issue", data={"csrf_token": token})
    assert response.status_code == 200  # the sheet itself: the one time the token is shown
    assert response.headers["Cache-Control"] == "no-store"
    sheet = response.get_data(as_text=True)
    new_token = re.search(r"/p/([A-Za-z0-9_-]{43})", sheet)
    assert new_token and "<svg" in sheet and 'class="qr"' in sheet
    assert open_link(db=session, token=new_token.group(1), now=CLOCK)
    session.expire_all()
    with pytest.raises(LinkGone):
        open_link(db=session, token=plan.token, now=CLOCK)
    response = nurse.post(f"/nurse/links/enrollments/{plan.id}/revoke", data={"csrf_token": token})
    assert response.status_code == 303
    session.expire_all()
    with pytest.raises(LinkGone):
        open_link(db=session, token=new_token.group(1), now=CLOCK)
    html = _patient_page(nurse, patient_id, plan.id)
    assert "<strong>revoked</strong>" in html
    sheet = nurse.get(f"/nurse/links/{links_of(session, plan.id)[-1].id}").get_data(as_text=True)
    assert "/p/" not in sheet and "shown only once" in sheet


def test_a_spanish_speaking_patients_sheet_is_printed_in_spanish(
    nurse: FlaskClient, session: Session
) -> None:
    plan = linked(session, patient=make_patient(session, language="es"))
    html = _patient_page(nurse, plan.enrollment.patient_id, plan.id)
    response = nurse.post(
        f"/nurse/links/enrollments/{plan.id}/issue", data={"csrf_token": csrf_token(html)}
    )
    sheet = response.get_data(as_text=True)
    # What goes home with the patient is in their language, dates included...
    assert '<div class="link-sheet" lang="es" dir="ltr">' in sheet
    assert "<h1>La lista de su plan de cuidados</h1>" in sheet
    assert "procedimiento lunes 8 de marzo de 2027 a las 08:00" in sheet
    assert "Escanee este código con la cámara de su teléfono para abrir su lista." in sheet
    assert "Your care plan checklist" not in sheet and "Scan this code" not in sheet
    # ...and the notes for the nurse, never printed, stay in the nurse's.
    assert "This is the only time the link is shown: print it or send it now." in sheet
    new_link = links_of(session, plan.id)[-1]
    local = new_link.expires_at.astimezone(ZoneInfo("America/New_York"))
    expires = words_for("es").full_date(local)
    mailto = re.search(r'href="(mailto:[^"]+)"', sheet)
    assert mailto is not None
    assert f"Funciona hasta el {expires}." in unquote(mailto.group(1)) and expires in sheet


def test_another_nurse_never_sees_the_token(
    app: Flask, nurse: FlaskClient, session: Session
) -> None:
    plan = linked(session)
    token = csrf_token(_patient_page(nurse, plan.enrollment.patient_id, plan.id))
    response = nurse.post(f"/nurse/links/enrollments/{plan.id}/issue", data={"csrf_token": token})
    assert re.search(r"/p/[A-Za-z0-9_-]{43}", response.get_data(as_text=True))
    link_id = links_of(session, plan.id)[-1].id
    other = app.test_client()
    sign_in_as(other, app, "nurse")
    for client in (other, nurse):  # shown once: not again, not even to the nurse who made it
        sheet = client.get(f"/nurse/links/{link_id}")
        assert sheet.status_code == 200
        assert re.search(r"/p/[A-Za-z0-9_-]{43}", sheet.get_data(as_text=True)) is None


def test_link_pages_are_staff_only_and_csrf_protected(
    client: FlaskClient, nurse: FlaskClient, session: Session
) -> None:
    plan = linked(session)
    assert client.get(f"/nurse/links/{plan.link.id}").status_code == 302
    assert client.post(f"/nurse/links/enrollments/{plan.id}/issue").status_code in (302, 400)
    assert nurse.post(f"/nurse/links/enrollments/{plan.id}/revoke").status_code == 400
    assert open_link(db=session, token=plan.token, now=CLOCK)
    assert nurse.get("/nurse/links/999999").status_code == 404
    page = _patient_page(nurse, plan.enrollment.patient_id, plan.id)
    assert (
        nurse.post(
            "/nurse/links/enrollments/999999/issue", data={"csrf_token": csrf_token(page)}
        ).status_code
        == 404
    )


def test_no_new_link_for_a_cancelled_plan(nurse: FlaskClient, session: Session) -> None:
    plan = linked(session)
    cancel_enrollment(session=session, enrollment=plan.enrollment, actor="test", now=NOW)
    session.commit()
    page = _patient_page(nurse, plan.enrollment.patient_id, plan.id)
    assert "Make a personal link" not in page and "Replace the link" not in page
    response = nurse.post(
        f"/nurse/links/enrollments/{plan.id}/issue",
        data={"csrf_token": csrf_token(page)},
        follow_redirects=True,
    )
    assert "No link made" in response.get_data(as_text=True)
    assert len(links_of(session, plan.id)) == 1
