"""The nurse workspace through the Flask test client: every route, role and form error.

Data is built relative to the real clock (the views read `tracker.clock.utcnow()`).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from html import unescape as html_unescape
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import event
from sqlmodel import Session, col, func, select

from tests.auth_helpers import create_staff, csrf_token, sign_in
from tests.enrollment_helpers import (
    custom_version,
    enroll_patient,
    make_patient,
    make_step,
    published_seed_version,
    rel,
)
from tracker.clock import utcnow
from tracker.db import get_engine
from tracker.models import (
    AuditEvent,
    ChecklistItem,
    Enrollment,
    PathwayVersion,
    Patient,
    Reminder,
    Step,
    User,
)
from tracker.workspace.wording import countdown, css_status, display_status
from tracker.workspace.work_list_pages import PAGE_SIZE, day_bounds

ZONE = ZoneInfo("America/New_York")
SCRIPT = "<script>alert(1)</script>"


# --- fixtures -------------------------------------------------------------------------------


def _text(response: Any) -> str:
    text: str = response.get_data(as_text=True)
    return text


@pytest.fixture
def nurse(app: Flask, client: FlaskClient) -> FlaskClient:
    """`client`, signed in as a nurse called Nora."""
    email, password = create_staff(app, "nurse", name="Nora Nurse")
    assert sign_in(client, email, password).status_code == 302
    return client


def _nurse_id(session: Session, name: str = "Nora Nurse") -> int:
    user = session.exec(select(User).where(User.name == name)).one()
    assert user.id is not None
    return user.id


def _token(client: FlaskClient, path: str = "/nurse/patients/new") -> str:
    return csrf_token(_text(client.get(path)))


def _post(client: FlaskClient, path: str, data: dict[str, Any], *, page: str | None = None) -> Any:
    """POST with the CSRF token of `page` (default the path itself)."""
    token = _token(client, page or "/nurse/patients/new")
    return client.post(path, data={**data, "csrf_token": token})


def _local(days: int, hour: int = 8, minute: int = 0) -> datetime:
    """A naive local time in New York `days` from today."""
    today = utcnow().astimezone(ZONE).date()
    return datetime.combine(today + timedelta(days=days), datetime.min.time()).replace(
        hour=hour, minute=minute
    )


@pytest.fixture
def version(session: Session) -> PathwayVersion:
    return published_seed_version(session)


@pytest.fixture
def enrolled(session: Session, version: PathwayVersion) -> Enrollment:
    """A patient enrolled on the seed pathway, procedure in three days at 08:00 New York."""
    patient = make_patient(session, now=utcnow(), name="Ada Lovelace", mrn="MRN-ADA")
    return enroll_patient(session, patient=patient, version=version, start=_local(3), now=utcnow())


def _items(session: Session, enrollment: Enrollment) -> list[ChecklistItem]:
    session.expire_all()
    query = select(ChecklistItem).where(ChecklistItem.enrollment_id == enrollment.id)
    return list(session.exec(query.order_by(col(ChecklistItem.due_at))))


def _count(session: Session, model: Any) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def _invalid(html: str, name: str) -> bool:
    """Whether field `name` is marked invalid and points at its error message."""
    tag = re.search(rf'<(?:input|select)[^>]*name="{name}"[^>]*>', html)
    assert tag, f"no field {name}"
    return 'aria-invalid="true"' in tag.group() and "-error" in tag.group()


# --- access ----------------------------------------------------------------------------------

GET_ROUTES = [
    "/nurse/",
    "/nurse/today",
    "/nurse/tomorrow",
    "/nurse/overdue",
    "/nurse/critical",
    "/nurse/reminders",
    "/nurse/patients",
    "/nurse/patients/new",
    "/nurse/patients/1",
    "/nurse/patients/1/enroll",
    "/nurse/enrollments/1/reschedule",
    "/nurse/enrollments/1/cancel",
    "/nurse/enrollments/1/complete",
]
POST_ROUTES = [
    "/nurse/patients/new",
    "/nurse/patients/1/enroll",
    "/nurse/enrollments/1/reschedule",
    "/nurse/enrollments/1/reschedule/confirm",
    "/nurse/enrollments/1/cancel",
    "/nurse/enrollments/1/complete",
    "/nurse/items/1",
]


@pytest.mark.parametrize("path", GET_ROUTES)
def test_signed_out_gets_are_sent_to_sign_in(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/sign-in?next=")


@pytest.mark.parametrize("path", POST_ROUTES)
def test_signed_out_posts_are_sent_to_sign_in(client: FlaskClient, path: str) -> None:
    token = csrf_token(_text(client.get("/auth/sign-in")))
    response = client.post(path, data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/sign-in")


@pytest.mark.parametrize("path", POST_ROUTES)
def test_posts_without_csrf_token_are_rejected(
    nurse: FlaskClient, enrolled: Enrollment, session: Session, path: str
) -> None:
    before = _count(session, AuditEvent)
    response = nurse.post(path, data={"action": "done", "confirm": "yes", "mrn": "X", "name": "Y"})
    assert response.status_code == 400
    assert _count(session, AuditEvent) == before


def test_admins_use_the_workspace_too(app: Flask, client: FlaskClient) -> None:
    email, password = create_staff(app, "admin")
    sign_in(client, email, password)
    assert client.get("/nurse/").status_code == 200


def test_sign_in_lands_on_the_dashboard(app: Flask, client: FlaskClient) -> None:
    email, password = create_staff(app, "nurse")
    assert sign_in(client, email, password).headers["Location"] == "/nurse/"


def test_nav_links_to_dashboard_and_patients(nurse: FlaskClient) -> None:
    html = _text(nurse.get("/nurse/"))
    assert 'href="/nurse/"' in html and 'href="/nurse/patients"' in html


def test_pages_send_the_strict_content_security_policy(nurse: FlaskClient) -> None:
    response = nurse.get("/nurse/")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "<script" not in _text(response) and "style=" not in _text(response)


# --- dashboard -------------------------------------------------------------------------------


@pytest.fixture
def busy(session: Session, app: Flask) -> dict[str, Any]:
    """Two pathways, two nurses, procedures today and tomorrow, overdue and critical items,
    a failed reminder."""
    now = utcnow()
    create_staff(app, "nurse", name="Other Nurse")
    nora = _nurse_id(session)
    other = _nurse_id(session, "Other Nurse")
    fasting = make_step(
        "Stop eating", kind="fasting", critical=True, opens=rel(days=-1), due=rel(minutes=-360)
    )
    walk = make_step(
        "Walk the corridor",
        section="recovery",
        kind="activity",
        opens=rel("end", minutes=60),
        due=rel("end", minutes=240),
    )
    a = custom_version(session, [fasting, walk], slug="alpha")
    b = custom_version(session, [make_step("Bring your papers")], slug="beta")
    p1 = make_patient(session, now=now, name="Today Patient")
    p2 = make_patient(session, now=now, name="Tomorrow Patient")
    p3 = make_patient(session, now=now, name="Late Patient")
    # Today, one hour ago: fasting is overdue and critical, walking is ahead. Taken from the
    # instant, not the wall clock, so the night the clocks change it still names a real time.
    hour_ago = (now - timedelta(hours=1)).astimezone(ZONE)
    e1 = enroll_patient(
        session,
        patient=p1,
        version=a,
        now=now - timedelta(days=2),
        start=hour_ago.replace(tzinfo=None),
        fold=hour_ago.fold,
        nurse_id=nora,
    )
    e2 = enroll_patient(
        session, patient=p2, version=b, start=_local(1, 10), now=now, nurse_id=other
    )
    e3 = enroll_patient(session, patient=p3, version=a, start=_local(20), now=now, nurse_id=other)
    reminder = session.exec(select(Reminder).where(Reminder.enrollment_id == e3.id)).first()
    assert reminder is not None
    reminder.status, reminder.last_error, reminder.attempts = "failed", "550 mailbox <b>", 3
    reminder.send_at = now - timedelta(hours=1)  # tried an hour ago and gave up
    session.add(reminder)
    session.commit()
    if hour_ago.date() != now.astimezone(ZONE).date():  # just after midnight
        pytest.skip("the 'today' procedure would fall yesterday")
    return {"alpha": a, "beta": b, "nora": nora, "other": other, "e1": e1, "e2": e2, "e3": e3}


@pytest.mark.both_databases
def test_dashboard_lists_counts_and_links(nurse: FlaskClient, busy: dict[str, Any]) -> None:
    html = _text(nurse.get("/nurse/"))
    for name in ("today", "tomorrow", "overdue", "critical", "reminders"):
        assert f'href="/nurse/{name}"' in html
    assert "Today Patient" in html and "Tomorrow Patient" in html
    assert "Stop eating" in html  # overdue and critical
    assert "550 mailbox &lt;b&gt;" in html  # the failed reminder, escaped
    counts = re.findall(r'<span class="count">(\d+)</span>\s*([^<]+)</a>', html)
    assert {html_unescape(title.strip()): int(n) for n, title in counts} == {
        "Today's procedures": 1,
        "Tomorrow's procedures": 1,
        "Overdue items": 1,
        "Critical items not confirmed": 1,
        "Failed or expired reminders": 1,
    }


@pytest.mark.parametrize(
    ("query", "present", "absent"),
    [
        ({"pathway": "alpha"}, ["Today Patient"], ["Tomorrow Patient"]),
        ({"pathway": "beta"}, ["Tomorrow Patient"], ["Today Patient", "Stop eating"]),
        ({"nurse": "nora"}, ["Today Patient", "Stop eating"], ["Tomorrow Patient", "550 mailbox"]),
        ({"nurse": "other"}, ["Tomorrow Patient", "550 mailbox"], ["Today Patient"]),
    ],
)
def test_dashboard_filters(
    nurse: FlaskClient,
    busy: dict[str, Any],
    session: Session,
    query: dict[str, str],
    present: list[str],
    absent: list[str],
) -> None:
    args = {}
    for key, name in query.items():
        if key == "pathway":
            args[key] = busy[name].pathway_id
        else:
            args[key] = busy[name]
    html = _text(nurse.get("/nurse/", query_string=args))
    for text in present:
        assert text in html
    for text in absent:
        assert text not in html
    # The count links keep the filter.
    assert f"/nurse/overdue?{next(iter(query))}=" in html


@pytest.mark.parametrize("name", ["today", "tomorrow", "overdue", "critical", "reminders"])
def test_each_list_has_its_own_page(nurse: FlaskClient, busy: dict[str, Any], name: str) -> None:
    response = nurse.get(f"/nurse/{name}")
    assert response.status_code == 200
    assert "<h1>" in _text(response)


def test_overdue_puts_critical_first(
    nurse: FlaskClient, busy: dict[str, Any], session: Session
) -> None:
    now = utcnow()
    plain = make_step("Drink water", opens=rel(days=-2), due=rel(days=-1))
    v = custom_version(session, [plain], slug="gamma")
    patient = make_patient(session, now=now, name="Water Patient")
    enroll_patient(
        session, patient=patient, version=v, start=_local(0, 23, 59), now=now - timedelta(days=3)
    )
    html = _text(nurse.get("/nurse/overdue"))
    assert html.index("Stop eating") < html.index("Drink water")


@pytest.mark.parametrize("query", ["pathway=abc", "nurse=-1", "nurse=1.5", "page=0", "page=x"])
def test_malformed_filters_are_bad_requests(nurse: FlaskClient, query: str) -> None:
    assert nurse.get(f"/nurse/?{query}").status_code in (200, 400)
    assert nurse.get(f"/nurse/overdue?{query}").status_code == 400


def test_unknown_list_is_404(nurse: FlaskClient) -> None:
    assert nurse.get("/nurse/nothing").status_code == 404


# --- patients ---------------------------------------------------------------------------------


@pytest.mark.both_databases
def test_patient_list_searches_name_and_mrn(nurse: FlaskClient, session: Session) -> None:
    make_patient(session, now=utcnow(), name="Grace Hopper", mrn="GH-1")
    make_patient(session, now=utcnow(), name=f"Evil {SCRIPT}", mrn="EV_%1")
    html = _text(nurse.get("/nurse/patients"))
    assert "Grace Hopper" in html and "&lt;script&gt;" in html and SCRIPT not in html
    assert "Grace" in _text(nurse.get("/nurse/patients?q=hopper"))
    assert "Grace" not in _text(nurse.get("/nurse/patients?q=evil"))
    assert "Grace" in _text(nurse.get("/nurse/patients?q=gh-1"))
    # % and _ are literal characters, not wildcards.
    assert "Evil" in _text(nurse.get("/nurse/patients?q=_%25"))
    assert "Grace" not in _text(nurse.get("/nurse/patients?q=%25"))
    assert nurse.get("/nurse/patients?q=" + "x" * 201).status_code == 400


GOOD_PATIENT = {
    "mrn": "MRN-100",
    "name": "Katherine Johnson",
    "birth_date": "1960-04-30",
    "email": "kj@example.org",
    "phone": "+1 555 010 0199",
    "timezone": "America/Chicago",
    "reminder_hour": "8",
    "quiet_start": "21:00",
    "quiet_end": "07:00",
    "language": "en",
    "channels": ["email"],
}


def test_register_patient(nurse: FlaskClient, session: Session) -> None:
    form = nurse.get("/nurse/patients/new")
    assert form.status_code == 200 and 'value="America/New_York"' in _text(form)
    response = _post(nurse, "/nurse/patients/new", GOOD_PATIENT)
    assert response.status_code == 302
    patient = session.exec(select(Patient).where(Patient.mrn == "MRN-100")).one()
    assert response.headers["Location"] == f"/nurse/patients/{patient.id}"
    assert patient.timezone == "America/Chicago" and patient.channels == ["email"]
    assert patient.birth_date == date(1960, 4, 30) and patient.reminder_hour == 8
    page = _text(nurse.get(response.headers["Location"]))
    assert "Katherine Johnson" in page and 'title="patient.register">Registered<' in page
    assert "not enrolled" in page


def test_the_zone_and_the_language_are_picked_from_lists(
    nurse: FlaskClient, session: Session
) -> None:
    """Issue 13: a searchable list of IANA zones (a datalist the browser filters as one types,
    no JavaScript needed) and a list of languages, not free text."""
    html = _text(nurse.get("/nurse/patients/new"))
    assert 'list="zone-names"' in html and '<datalist id="zone-names">' in html
    zones = re.findall(r'<datalist id="zone-names">(.*?)</datalist>', html, re.S)[0]
    assert '<option value="America/Chicago">' in zones and '<option value="UTC">' in zones
    assert "posix/" not in zones and '"EST"' not in zones
    assert re.search(r'<select[^>]*id="language"', html)
    assert '<option selected value="en">English</option>' in html
    assert '<option value="es">Español (Spanish)</option>' in html
    response = _post(nurse, "/nurse/patients/new", {**GOOD_PATIENT, "language": "es"})
    assert response.status_code == 302
    patient = session.exec(select(Patient).where(Patient.mrn == "MRN-100")).one()
    assert patient.language == "es"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"mrn": ""}, "mrn"),
        ({"name": "  "}, "name"),
        ({"birth_date": "30/04/1960"}, "birth_date"),
        ({"birth_date": "2999-01-01"}, "birth_date"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"reminder_hour": "25"}, "reminder_hour"),
        ({"reminder_hour": "nine"}, "reminder_hour"),
        ({"quiet_start": "9pm"}, "quiet_start"),
        ({"language": "english!"}, "language"),
        ({"name": "x" * 201}, "name"),
        ({"name": "bad\x07name"}, "name"),
    ],
)
def test_register_patient_errors(
    nurse: FlaskClient, session: Session, changes: dict[str, str], field: str
) -> None:
    before = _count(session, Patient), _count(session, AuditEvent)
    response = _post(nurse, "/nurse/patients/new", {**GOOD_PATIENT, **changes})
    assert response.status_code == 422
    html = _text(response)
    assert _invalid(html, field)
    assert f'id="{field}-error"' in html
    # What was typed stays in the form.
    assert 'value="Katherine Johnson"' in html or field == "name"
    assert (_count(session, Patient), _count(session, AuditEvent)) == before


def test_a_nul_character_is_refused_before_the_form_is_read(
    nurse: FlaskClient, session: Session
) -> None:
    before = _count(session, Patient), _count(session, AuditEvent)
    response = _post(nurse, "/nurse/patients/new", {**GOOD_PATIENT, "name": "bad\x00name"})
    assert response.status_code == 400 and "NUL character" in _text(response)
    assert (_count(session, Patient), _count(session, AuditEvent)) == before


def test_register_patient_duplicate_mrn_and_escaping(nurse: FlaskClient, session: Session) -> None:
    make_patient(session, now=utcnow(), mrn="DUP-1")
    response = _post(nurse, "/nurse/patients/new", {**GOOD_PATIENT, "mrn": "DUP-1", "name": SCRIPT})
    assert response.status_code == 422
    html = _text(response)
    assert _invalid(html, "mrn") and SCRIPT not in html and "&lt;script&gt;" in html


def test_register_patient_email_channel_needs_email(nurse: FlaskClient) -> None:
    response = _post(nurse, "/nurse/patients/new", {**GOOD_PATIENT, "email": ""})
    assert response.status_code == 422
    assert 'id="channels-error"' in _text(response)


def test_register_patient_unknown_channel_is_malformed(nurse: FlaskClient) -> None:
    response = _post(nurse, "/nurse/patients/new", {**GOOD_PATIENT, "channels": ["pigeon"]})
    assert response.status_code == 400


def _problems(html: str) -> list[str]:
    """The links of the error summary above a form: one per problem, to its field."""
    summary = re.search(
        r'<div class="flash flash-error error-summary"[^>]*>(.*?)</div>', html, re.S
    )
    return re.findall(r'<a href="#([^"]+)">', summary.group(1)) if summary else []


def test_every_registration_error_is_shown_at_once_beside_its_field(
    nurse: FlaskClient, session: Session
) -> None:
    wrong = {
        "mrn": "",
        "name": "x" * 201,
        "birth_date": "30/04/1960",
        "email": "not-an-email",
        "phone": "call me",
        "timezone": "Mars/Olympus",
        "reminder_hour": "nine",
        "quiet_start": "9pm",
        "quiet_end": "late",
        "language": "english!",
    }
    before = _count(session, Patient), _count(session, AuditEvent)
    response = _post(nurse, "/nurse/patients/new", {**GOOD_PATIENT, **wrong})
    assert response.status_code == 422
    html = _text(response)
    for field in wrong:
        assert _invalid(html, field), field
        assert re.search(rf'<p class="field-error" id="{field}-error">[^<]+</p>', html), field
    assert _problems(html) == list(wrong)  # the summary links each, in the form's order
    assert "The MRN is required." in html
    assert (_count(session, Patient), _count(session, AuditEvent)) == before


# --- the patient page ------------------------------------------------------------------------


@pytest.mark.both_databases
def test_patient_page_shows_procedure_timeline_checklist_and_logs(
    nurse: FlaskClient, enrolled: Enrollment, session: Session
) -> None:
    response = nurse.get(f"/nurse/patients/{enrolled.patient_id}")
    assert response.status_code == 200
    html = _text(response)
    assert "Ada Lovelace" in html and "in 2 days" in html or "in 3 days" in html
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'role="img"' in svg and "tl-now" in svg and "tl-procedure" in svg
    items = _items(session, enrolled)
    assert svg.count('class="tl-bar"') >= 1
    for item in items:
        assert f'id="item-{item.id}"' in html
    assert "Reminder log" in html and 'title="enrollment.create">Enrolled<' in html
    assert "<script" not in html
    # Issue 13: history in words and on the patient's clock, never raw UTC text.
    history = html[html.index('id="h-history"') :]
    assert "procedure start" in history and "+00:00" not in history
    local = enrolled.procedure_start.astimezone(ZONE)
    assert f"{local:%H:%M} {local.tzname()}" in history


def test_patient_page_404s(nurse: FlaskClient, enrolled: Enrollment, session: Session) -> None:
    assert nurse.get("/nurse/patients/999999").status_code == 404
    other = make_patient(session, now=utcnow())
    assert nurse.get(f"/nurse/patients/{other.id}?enrollment={enrolled.id}").status_code == 404
    assert nurse.get(f"/nurse/patients/{other.id}?enrollment=x").status_code == 400


def test_patient_page_escapes_what_people_typed(
    nurse: FlaskClient, session: Session, version: PathwayVersion
) -> None:
    patient = make_patient(session, now=utcnow(), name=SCRIPT, phone="+1 555 010 0199")
    enroll_patient(session, patient=patient, version=version, start=_local(5), now=utcnow())
    html = _text(nurse.get(f"/nurse/patients/{patient.id}"))
    assert SCRIPT not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- enroll ------------------------------------------------------------------------------------


def _conditional(session: Session, version: PathwayVersion) -> list[Step]:
    query = select(Step).where(Step.version_id == version.id, col(Step.conditional).is_(True))
    return list(session.exec(query))


def _enroll_form(version: PathwayVersion, when: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "version": version.id,
        "date": f"{when:%Y-%m-%d}",
        "time": f"{when:%H:%M}",
        "timezone": "America/New_York",
        **extra,
    }


@pytest.fixture
def patient(session: Session) -> Patient:
    return make_patient(session, now=utcnow(), name="Mary Jackson")


def test_enroll_is_two_steps(
    nurse: FlaskClient, patient: Patient, version: PathwayVersion, session: Session
) -> None:
    first = _text(nurse.get(f"/nurse/patients/{patient.id}/enroll"))
    assert f'<option value="{version.id}"' in first and 'method="get"' in first
    second = _text(nurse.get(f"/nurse/patients/{patient.id}/enroll?version={version.id}"))
    conditional = _conditional(session, version)
    assert conditional, "the seed pathway has conditional steps"
    for step in conditional:
        assert f'name="confirm" value="{step.id}"' in second
        # Issue 13: critical conditional steps (fasting) start ticked; the others do not.
        ticked = f'name="confirm" value="{step.id}" checked' in second
        assert ticked == step.critical, step.text
    assert 'name="allow_past"' in second and 'value="America/New_York"' in second


def test_enroll_confirms_and_drops_conditional_steps(
    nurse: FlaskClient, patient: Patient, version: PathwayVersion, session: Session
) -> None:
    conditional = _conditional(session, version)
    keep = conditional[0].id
    page = f"/nurse/patients/{patient.id}/enroll?version={version.id}"
    form = _enroll_form(version, _local(10), confirm=[keep], nurse=_nurse_id(session))
    assert any(s.critical and s.id != keep for s in conditional), "a critical step is dropped"
    # Dropping a critical step needs a reason: refused beside the field, nothing written.
    refused = _post(nurse, f"/nurse/patients/{patient.id}/enroll", form, page=page)
    assert refused.status_code == 422 and _invalid(_text(refused), "drop_reason")
    assert _count(session, Enrollment) == 0
    reason = "Cardiology says keep the blood thinner"
    response = _post(
        nurse, f"/nurse/patients/{patient.id}/enroll", {**form, "drop_reason": reason}, page=page
    )
    assert response.status_code == 302, _text(response)
    created = session.exec(select(AuditEvent).where(AuditEvent.action == "enrollment.create"))
    assert created.one().after["drop_reason"] == reason  # type: ignore[index]
    enrollment = session.exec(select(Enrollment).where(Enrollment.patient_id == patient.id)).one()
    assert enrollment.dropped_steps == sorted(s.id for s in conditional if s.id != keep)
    assert enrollment.nurse_id == _nurse_id(session)
    assert enrollment.procedure_start == _local(10).replace(tzinfo=ZONE).astimezone(UTC)
    assert response.headers["Location"].endswith(f"enrollment={enrollment.id}")


def test_enrolling_at_short_notice_warns_about_late_items_and_can_give_them_time(
    nurse: FlaskClient, patient: Patient, version: PathwayVersion, session: Session
) -> None:
    """Issue 13: a procedure the day after tomorrow leaves some preparation already past its
    deadline; the nurse is told which, and chooses to give them time or keep them late."""
    conditional = _conditional(session, version)
    page = f"/nurse/patients/{patient.id}/enroll?version={version.id}"
    form = _enroll_form(version, _local(2), confirm=[s.id for s in conditional])
    warned = _post(nurse, f"/nurse/patients/{patient.id}/enroll", form, page=page)
    assert warned.status_code == 422
    html = _text(warned)
    assert "would already be late" in html and 'name="late" value="catch_up"' in html
    assert _count(session, Enrollment) == 0
    response = _post(
        nurse, f"/nurse/patients/{patient.id}/enroll", {**form, "late": "catch_up"}, page=page
    )
    assert response.status_code == 302, _text(response)
    now = utcnow()
    items = session.exec(select(ChecklistItem)).all()
    assert items and all(item.due_at > now - timedelta(minutes=5) for item in items)
    assert all(item.status == "pending" for item in items)
    bad = _post(nurse, f"/nurse/patients/{patient.id}/enroll", {**form, "late": "x"}, page=page)
    assert bad.status_code == 400


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"date": ""}, "date"),
        ({"date": "15/03/2027"}, "date"),
        ({"time": "8am"}, "time"),
        ({"time": "24:00"}, "time"),
        ({"timezone": "Nowhere/Land"}, "timezone"),
    ],
)
def test_enroll_field_errors(
    nurse: FlaskClient,
    patient: Patient,
    version: PathwayVersion,
    session: Session,
    changes: dict[str, str],
    field: str,
) -> None:
    before = _count(session, Enrollment), _count(session, ChecklistItem)
    page = f"/nurse/patients/{patient.id}/enroll?version={version.id}"
    data = {**_enroll_form(version, _local(10)), **changes}
    response = _post(nurse, f"/nurse/patients/{patient.id}/enroll", data, page=page)
    assert response.status_code == 422
    html = _text(response)
    assert _invalid(html, field)
    assert f'name="{field}"' in html
    assert (_count(session, Enrollment), _count(session, ChecklistItem)) == before


def test_enroll_in_the_past_needs_the_confirmation_box(
    nurse: FlaskClient, patient: Patient, version: PathwayVersion, session: Session
) -> None:
    page = f"/nurse/patients/{patient.id}/enroll?version={version.id}"
    data = _enroll_form(version, _local(-2), confirm=[s.id for s in _conditional(session, version)])
    response = _post(nurse, f"/nurse/patients/{patient.id}/enroll", data, page=page)
    assert response.status_code == 422
    html = _text(response)
    assert 'id="start-error"' in html and _invalid(html, "date")
    assert _count(session, Enrollment) == 0
    response = _post(
        nurse, f"/nurse/patients/{patient.id}/enroll", {**data, "allow_past": "yes"}, page=page
    )
    assert response.status_code == 302
    assert _count(session, Enrollment) == 1


def _next_transition(kind: str) -> datetime:
    """The next local wall time in New York that is in a DST gap ('gap') or repeated ('fold')."""
    day = utcnow().astimezone(ZONE).date() + timedelta(days=1)
    for _ in range(800):
        local = datetime.combine(day, datetime.min.time()).replace(hour=2, minute=30)
        roundtrip = local.replace(tzinfo=ZONE).astimezone(UTC).astimezone(ZONE).replace(tzinfo=None)
        if kind == "gap" and roundtrip != local:
            return local
        folded = local.replace(hour=1, minute=30)
        first = folded.replace(tzinfo=ZONE, fold=0).utcoffset()
        if kind == "fold" and first != folded.replace(tzinfo=ZONE, fold=1).utcoffset():
            return folded
        day += timedelta(days=1)
    raise AssertionError("no transition found")


def test_enroll_in_a_dst_gap_asks_which_time(
    nurse: FlaskClient, patient: Patient, session: Session
) -> None:
    v = custom_version(
        session,
        [make_step("Bring your papers", opens=rel(days=-200), due=rel(minutes=-30))],
        slug="gap",
    )
    gap = _next_transition("gap")
    page = f"/nurse/patients/{patient.id}/enroll?version={v.id}"
    data = _enroll_form(v, gap)
    response = _post(nurse, f"/nurse/patients/{patient.id}/enroll", data, page=page)
    assert response.status_code == 422
    html = _text(response)
    choices = re.findall(r'name="dst_choice" value="([^"]+)"', html)
    assert len(choices) == 2 and "does not exist" in html
    assert _count(session, Enrollment) == 0
    later = max(choices)
    response = _post(
        nurse, f"/nurse/patients/{patient.id}/enroll", {**data, "dst_choice": later}, page=page
    )
    assert response.status_code == 302
    enrollment = session.exec(select(Enrollment)).one()
    local = enrollment.procedure_start.astimezone(ZONE)
    assert f"{local:%Y-%m-%dT%H:%M}" == later == f"{gap:%Y-%m-%d}T03:30"
    # A stale choice (not one of the offered readings) asks again.
    response = _post(
        nurse,
        f"/nurse/patients/{patient.id}/enroll",
        {**data, "dst_choice": "2000-01-01T00:00"},
        page=page,
    )
    assert response.status_code == 422


def test_enroll_in_a_repeated_hour_asks_which_one(
    nurse: FlaskClient, patient: Patient, session: Session
) -> None:
    v = custom_version(
        session,
        [make_step("Bring your papers", opens=rel(days=-400), due=rel(minutes=-30))],
        slug="fold",
    )
    repeated = _next_transition("fold")
    page = f"/nurse/patients/{patient.id}/enroll?version={v.id}"
    data = _enroll_form(v, repeated)
    response = _post(nurse, f"/nurse/patients/{patient.id}/enroll", data, page=page)
    assert response.status_code == 422
    assert re.findall(r'name="fold" value="([01])"', _text(response)) == ["0", "1"]
    response = _post(
        nurse, f"/nurse/patients/{patient.id}/enroll", {**data, "fold": "1"}, page=page
    )
    assert response.status_code == 302
    enrollment = session.exec(select(Enrollment)).one()
    assert enrollment.procedure_start == repeated.replace(tzinfo=ZONE, fold=1).astimezone(UTC)


@pytest.mark.parametrize(
    "changes",
    [
        {"version": "abc"},
        {"confirm": ["x"]},
        {"confirm": ["999999"]},
        {"fold": "2"},
        {"nurse": "boss"},
    ],
)
def test_enroll_malformed_requests(
    nurse: FlaskClient,
    patient: Patient,
    version: PathwayVersion,
    session: Session,
    changes: dict[str, Any],
) -> None:
    page = f"/nurse/patients/{patient.id}/enroll?version={version.id}"
    data = {**_enroll_form(version, _local(10)), **changes}
    response = _post(nurse, f"/nurse/patients/{patient.id}/enroll", data, page=page)
    assert response.status_code == 400
    assert _count(session, Enrollment) == 0


def test_enroll_unknown_or_draft_version(
    nurse: FlaskClient, patient: Patient, version: PathwayVersion, session: Session
) -> None:
    draft = custom_version(session, [make_step()], state="draft", slug="draft")
    for version_id in (draft.id, 999999):
        response = nurse.get(f"/nurse/patients/{patient.id}/enroll?version={version_id}")
        assert response.status_code == 422
        assert _invalid(_text(response), "version")
    assert nurse.get("/nurse/patients/999999/enroll").status_code == 404


def test_enroll_unknown_nurse_is_a_field_error(
    nurse: FlaskClient, patient: Patient, version: PathwayVersion
) -> None:
    page = f"/nurse/patients/{patient.id}/enroll?version={version.id}"
    data = _enroll_form(version, _local(10), nurse="999999")
    response = _post(nurse, f"/nurse/patients/{patient.id}/enroll", data, page=page)
    assert response.status_code == 422 and _invalid(_text(response), "nurse")


def test_every_enroll_error_is_shown_at_once_beside_its_field(
    nurse: FlaskClient, patient: Patient, version: PathwayVersion, session: Session
) -> None:
    page = f"/nurse/patients/{patient.id}/enroll?version={version.id}"
    wrong = {"date": "soon", "time": "8am", "timezone": "Nowhere/Land", "nurse": "999999"}
    data = {**_enroll_form(version, _local(10)), **wrong}
    response = _post(nurse, f"/nurse/patients/{patient.id}/enroll", data, page=page)
    assert response.status_code == 422
    html = _text(response)
    for field in wrong:
        assert _invalid(html, field) and f'id="{field}-error"' in html, field
    assert sorted(_problems(html)) == sorted(wrong)
    assert 'value="soon"' in html and 'value="Nowhere/Land"' in html  # kept as typed
    assert _count(session, Enrollment) == 0


# --- reschedule ----------------------------------------------------------------------------------


def test_reschedule_previews_then_applies(
    nurse: FlaskClient, enrolled: Enrollment, session: Session
) -> None:
    path = f"/nurse/enrollments/{enrolled.id}/reschedule"
    form = _text(nurse.get(path))
    assert f'value="{_local(3):%Y-%m-%d}"' in form and 'value="08:00"' in form
    before = [(i.id, i.due_at) for i in _items(session, enrolled)]
    audits = _count(session, AuditEvent)
    new = _local(5, 14)
    preview = _post(nurse, path, {"date": f"{new:%Y-%m-%d}", "time": "14:00"}, page=path)
    assert preview.status_code == 200
    html = _text(preview)
    assert "Confirm the new time" in html and "→" not in html or "Due after the move" in html
    assert [(i.id, i.due_at) for i in _items(session, enrolled)] == before  # nothing written
    assert _count(session, AuditEvent) == audits
    data = dict(
        re.findall(
            r'<input type="hidden" name="(start|fold|allow_past|token)" value="([^"]*)"', html
        )
    )
    assert data["start"] == f"{new:%Y-%m-%dT%H:%M}"
    response = _post(nurse, path + "/confirm", data, page=path)
    assert response.status_code == 302
    told = _text(nurse.get(response.headers["Location"]))
    assert "The patient is told (in the app" in told and "notice of the move" in told
    session.expire_all()
    moved = session.get(Enrollment, enrolled.id)
    assert moved is not None
    assert moved.procedure_start == new.replace(tzinfo=ZONE).astimezone(UTC)
    assert [(i.id, i.due_at) for i in _items(session, enrolled)] != before
    assert _count(session, AuditEvent) > audits


def test_reschedule_errors(nurse: FlaskClient, enrolled: Enrollment, session: Session) -> None:
    path = f"/nurse/enrollments/{enrolled.id}/reschedule"
    for data, field in (
        ({"date": "soon", "time": "08:00"}, "date"),
        ({"date": f"{_local(5):%Y-%m-%d}", "time": "99:00"}, "time"),
        ({"date": f"{_local(-3):%Y-%m-%d}", "time": "08:00"}, "date"),
    ):
        response = _post(nurse, path, data, page=path)
        assert response.status_code == 422
        html = _text(response)
        assert _invalid(html, field)
        assert f'value="{data["date"]}"' in html  # kept as typed
    assert nurse.get("/nurse/enrollments/999999/reschedule").status_code == 404


def test_reschedule_confirm_with_a_stale_preview_previews_again(
    nurse: FlaskClient, enrolled: Enrollment, session: Session
) -> None:
    path = f"/nurse/enrollments/{enrolled.id}/reschedule"
    new = _local(6)
    data = {
        "start": f"{new:%Y-%m-%dT%H:%M}",
        "fold": "",
        "allow_past": "",
        "token": "2000-01-01T00:00:00+00:00",
    }
    response = _post(nurse, path + "/confirm", data, page=path)
    assert response.status_code == 409
    assert "changed since the preview" in _text(response)
    session.expire_all()
    assert session.get(Enrollment, enrolled.id).procedure_start == enrolled.procedure_start  # type: ignore[union-attr]


def test_reschedule_confirm_malformed(nurse: FlaskClient, enrolled: Enrollment) -> None:
    path = f"/nurse/enrollments/{enrolled.id}/reschedule"
    token = enrolled.updated_at.isoformat()
    for data in (
        {"start": "tomorrow", "token": token},
        {"start": f"{_local(6):%Y-%m-%dT%H:%M}", "token": token, "reopen": ["x"]},
        {"start": f"{_local(6):%Y-%m-%dT%H:%M}", "token": token, "fold": "7"},
    ):
        assert _post(nurse, path + "/confirm", data, page=path).status_code == 400


def test_reschedule_offers_to_reopen_done_preparation(
    nurse: FlaskClient, session: Session, patient: Patient
) -> None:
    now = utcnow()
    prep = make_step(
        "Stop blood thinners",
        kind="medication",
        critical=True,
        opens=rel(days=-5),
        due=rel(days=-1),
    )
    v = custom_version(session, [prep], slug="prep")
    enrollment = enroll_patient(session, patient=patient, version=v, start=_local(3), now=now)
    item = _items(session, enrollment)[0]
    path = f"/nurse/enrollments/{enrollment.id}/reschedule"
    assert (
        _post(
            nurse,
            f"/nurse/items/{item.id}",
            {"action": "done"},
            page=f"/nurse/patients/{patient.id}",
        ).status_code
        == 302
    )
    session.expire_all()
    enrollment = session.get(Enrollment, enrollment.id)  # type: ignore[assignment]
    new = _local(9)
    html = _text(_post(nurse, path, {"date": f"{new:%Y-%m-%d}", "time": "08:00"}, page=path))
    assert f'name="reopen" value="{item.id}"' in html and "no longer counts" in html
    # Issue 13: what matters comes first, then the changes by day, not one flat table.
    attention = html.index("Needs your attention")
    assert (
        attention < html.index(f'name="reopen" value="{item.id}"') < html.index('<h2 class="day">')
    )
    data = dict(
        re.findall(
            r'<input type="hidden" name="(start|fold|allow_past|token)" value="([^"]*)"', html
        )
    )
    # An item that is not this enrollment's cannot be reopened: the preview again, with why.
    response = _post(nurse, path + "/confirm", {**data, "reopen": ["999999"]}, page=path)
    assert response.status_code == 422 and 'id="reopen-error"' in _text(response)
    response = _post(nurse, path + "/confirm", {**data, "reopen": [str(item.id)]}, page=path)
    assert response.status_code == 302
    assert _items(session, enrollment)[0].status == "pending"


# --- cancel, complete ----------------------------------------------------------------------


@pytest.mark.parametrize(("action", "state"), [("cancel", "cancelled"), ("complete", "completed")])
def test_finish_needs_confirmation(
    nurse: FlaskClient, enrolled: Enrollment, session: Session, action: str, state: str
) -> None:
    path = f"/nurse/enrollments/{enrolled.id}/{action}"
    assert nurse.get(path).status_code == 200
    response = _post(nurse, path, {}, page=path)
    assert response.status_code == 422 and _invalid(_text(response), "confirm")
    session.expire_all()
    assert session.get(Enrollment, enrolled.id).state == "active"  # type: ignore[union-attr]
    response = _post(nurse, path, {"confirm": "yes"}, page=path)
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Enrollment, enrolled.id).state == state  # type: ignore[union-attr]
    # Finished: the page says so, a second POST is refused.
    assert "already" in _text(nurse.get(path))
    other = f"/nurse/enrollments/{enrolled.id}/reschedule"
    response = _post(nurse, path, {"confirm": "yes"}, page=other)
    assert response.status_code == 422


# --- ticking items -------------------------------------------------------------------------------


@pytest.mark.both_databases
def test_nurse_ticks_items_for_the_patient(
    nurse: FlaskClient, enrolled: Enrollment, session: Session
) -> None:
    item = _items(session, enrolled)[0]
    page = f"/nurse/patients/{enrolled.patient_id}"
    response = _post(nurse, f"/nurse/items/{item.id}", {"action": "done"}, page=page)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"#item-{item.id}")
    ticked = _items(session, enrolled)[0]
    assert ticked.status == "done" and ticked.acted_by == f"user:{_nurse_id(session)}"
    html = _text(nurse.get(page))
    assert "Nora Nurse" in html
    assert (
        _post(nurse, f"/nurse/items/{item.id}", {"action": "reopen"}, page=page).status_code == 302
    )
    assert _items(session, enrolled)[0].status in ("pending", "missed")
    assert (
        _post(nurse, f"/nurse/items/{item.id}", {"action": "not_done"}, page=page).status_code
        == 302
    )
    assert _items(session, enrolled)[0].status == "not_done"


def test_tick_errors(nurse: FlaskClient, enrolled: Enrollment, session: Session) -> None:
    item = _items(session, enrolled)[0]
    page = f"/nurse/patients/{enrolled.patient_id}"
    assert (
        _post(nurse, f"/nurse/items/{item.id}", {"action": "explode"}, page=page).status_code == 400
    )
    assert _post(nurse, "/nurse/items/999999", {"action": "done"}, page=page).status_code == 404
    # Reopening a pending item: nothing to reopen, said beside the item.
    response = _post(nurse, f"/nurse/items/{item.id}", {"action": "reopen"}, page=page)
    assert response.status_code == 422 and 'role="alert"' in _text(response)
    # Done twice (a double submit) is still done; a done item is reopened before "not done".
    for _ in range(2):
        assert (
            _post(nurse, f"/nurse/items/{item.id}", {"action": "done"}, page=page).status_code
            == 302
        )
    audits = _count(session, AuditEvent)
    response = _post(nurse, f"/nurse/items/{item.id}", {"action": "not_done"}, page=page)
    assert response.status_code == 422 and "reopen it first" in _text(response)
    assert _items(session, enrolled)[0].status == "done" and _count(session, AuditEvent) == audits
    # A finished enrollment's items no longer change.
    enrollment_path = f"/nurse/enrollments/{enrolled.id}/complete"
    _post(nurse, enrollment_path, {"confirm": "yes"}, page=enrollment_path)
    response = _post(nurse, f"/nurse/items/{item.id}", {"action": "reopen"}, page=page)
    assert response.status_code == 422 and "completed" in _text(response)


# --- any input at all ----------------------------------------------------------------------

FORM_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(field=st.sampled_from(sorted(set(GOOD_PATIENT) - {"channels"})), value=FORM_TEXT)
@example(field="timezone", value="<script>alert(1)</script>")
@example(field="birth_date", value="<b>1970</b>")
def test_any_registration_input_is_saved_or_refused_beside_its_field(
    nurse: FlaskClient, session: Session, field: str, value: str
) -> None:
    before = _count(session, Patient)
    mrn = f"P-{uuid.uuid4().hex[:10]}"
    data = {**GOOD_PATIENT, "mrn": mrn, field: value}
    response = _post(nurse, "/nurse/patients/new", data)
    if "\x00" in value:  # refused before any form reads it (tracker.web.security)
        assert response.status_code == 400 and _count(session, Patient) == before
        return
    assert response.status_code in (302, 422)
    if response.status_code == 422:
        html = _text(response)
        assert "field-error" in html
        assert _count(session, Patient) == before
        if re.search(r"<[A-Za-z/!?]", value):  # something a browser would read as markup
            assert value not in html  # shown back escaped


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(day=FORM_TEXT, clock=FORM_TEXT, zone=st.sampled_from(["", "Europe/Paris", "x/../y"]))
def test_any_enrollment_time_is_enrolled_or_refused(
    nurse: FlaskClient,
    patient: Patient,
    version: PathwayVersion,
    session: Session,
    day: str,
    clock: str,
    zone: str,
) -> None:
    page = f"/nurse/patients/{patient.id}/enroll?version={version.id}"
    data = {**_enroll_form(version, _local(10)), "date": day, "time": clock, "timezone": zone}
    response = _post(nurse, f"/nurse/patients/{patient.id}/enroll", data, page=page)
    if "\x00" in day + clock:  # refused before any form reads it (tracker.web.security)
        assert response.status_code == 400
        return
    assert response.status_code in (302, 422)
    if response.status_code == 422:
        assert 'aria-invalid="true"' in _text(response)


# Every nurse form endpoint, its method, and the names its form (or query string) reads.
FORM_ENDPOINTS = {
    "register": ("POST", "/nurse/patients/new", [*GOOD_PATIENT]),
    "choose": ("GET", "/nurse/patients/{patient}/enroll", ["version"]),
    "enroll": (
        "POST",
        "/nurse/patients/{patient}/enroll",
        ["version", "date", "time", "timezone", "nurse", "allow_past", "dst_choice", "fold"]
        + ["confirm"],
    ),
    "reschedule_form": ("GET", "/nurse/enrollments/{enrollment}/reschedule", ["date", "time"]),
    "reschedule": (
        "POST",
        "/nurse/enrollments/{enrollment}/reschedule",
        ["date", "time", "allow_past", "dst_choice", "fold"],
    ),
    "confirm": (
        "POST",
        "/nurse/enrollments/{enrollment}/reschedule/confirm",
        ["start", "fold", "allow_past", "token", "reopen"],
    ),
    "cancel": ("POST", "/nurse/enrollments/{enrollment}/cancel", ["confirm"]),
    "complete": ("POST", "/nurse/enrollments/{enrollment}/complete", ["confirm"]),
    "item": ("POST", "/nurse/items/{item}", ["action"]),
    "dashboard": ("GET", "/nurse/", ["pathway", "nurse", "page"]),
    "work_list": ("GET", "/nurse/overdue", ["pathway", "nurse", "page"]),
    "search": ("GET", "/nurse/patients", ["q", "page"]),
    "patient": ("GET", "/nurse/patients/{patient}", ["enrollment"]),
}


@st.composite
def _submissions(draw: Any) -> tuple[str, dict[str, str]]:
    name = draw(st.sampled_from(sorted(FORM_ENDPOINTS)))
    fields = FORM_ENDPOINTS[name][2]
    values = draw(st.dictionaries(st.sampled_from(fields), FORM_TEXT, min_size=1))
    return name, values


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(submission=_submissions())
@example(submission=("enroll", {"nurse": "²"}))
@example(submission=("dashboard", {"page": "١٢"}))
@example(submission=("confirm", {"start": "2027-03-15T08:00+99:00"}))
@example(submission=("register", {"reminder_hour": "²"}))
def test_any_text_in_any_nurse_form_is_answered_never_a_crash(
    nurse: FlaskClient, enrolled: Enrollment, session: Session, submission: Any
) -> None:
    """Arbitrary text in any field of any nurse form: an answer, a field error or a 400, never
    a 500; and a refused POST writes nothing."""
    name, values = submission
    method, template, _ = FORM_ENDPOINTS[name]
    item = _items(session, enrolled)[0]
    path = template.format(patient=enrolled.patient_id, enrollment=enrolled.id, item=item.id)
    if method == "GET":
        response = nurse.get(path, query_string=values)
        assert response.status_code in (200, 400, 422), _text(response)[:500]
        return
    good = {
        "register": {**GOOD_PATIENT, "mrn": f"P-{uuid.uuid4().hex[:10]}"},
        "enroll": _enroll_form(enrolled_version(session, enrolled), _local(10)),
    }.get(name, {})
    before = _count(session, AuditEvent)
    response = _post(nurse, path, {**good, **values}, page=f"/nurse/patients/{enrolled.patient_id}")
    # 200: an enroll POST naming no pathway is answered with the choice of pathways.
    assert response.status_code in (200, 302, 400, 409, 422), _text(response)[:500]
    if response.status_code != 302:
        assert _count(session, AuditEvent) == before


def enrolled_version(session: Session, enrollment: Enrollment) -> PathwayVersion:
    version = session.get(PathwayVersion, enrollment.version_id)
    assert version is not None
    return version


# --- pages of long lists ---------------------------------------------------------------------


def test_long_lists_are_paged(nurse: FlaskClient, session: Session) -> None:
    for i in range(PAGE_SIZE + 3):
        session.add(
            Patient(mrn=f"PG-{i:03d}", name=f"Paged {i:03d}", timezone="UTC", created_at=utcnow())
        )
    session.commit()
    first = _text(nurse.get("/nurse/patients?q=Paged"))
    assert f"{PAGE_SIZE + 3} patients" in first and "Paged 049" in first
    assert "Paged 050" not in first and "page=2" in first
    second = _text(nurse.get("/nurse/patients?q=Paged&page=2"))
    assert "Paged 050" in second and "Paged 052" in second and "Paged 049" not in second


def test_work_lists_are_paged(nurse: FlaskClient, session: Session) -> None:
    now = utcnow()
    v = custom_version(session, [make_step("Bring your papers")], slug="many")
    for _ in range(PAGE_SIZE + 1):
        enroll_patient(session, version=v, start=_local(1, 9), now=now)
    html = _text(nurse.get("/nurse/tomorrow"))
    assert html.count("<tr>") == PAGE_SIZE + 1  # the header row and one page
    assert "page=2" in html
    assert _text(nurse.get("/nurse/tomorrow?page=2")).count("<tr>") == 2


def test_overdue_older_than_the_lookback_stays_on_the_patient_page(
    nurse: FlaskClient, session: Session
) -> None:
    now = utcnow()
    old = make_step(
        "Send the consent form",
        section="recovery",
        opens=rel("end", days=1),
        due=rel("end", days=2),
    )
    v = custom_version(session, [old], slug="old")
    enrollment = enroll_patient(session, version=v, start=_local(-40), now=now - timedelta(days=41))
    assert "Send the consent form" not in _text(nurse.get("/nurse/overdue"))
    page = _text(nurse.get(f"/nurse/patients/{enrollment.patient_id}"))
    assert "Send the consent form" in page and "overdue" in page


# --- the helpers behind the pages --------------------------------------------------------------


def _item(status: str = "pending", **times: datetime | None) -> ChecklistItem:
    base = datetime(2027, 3, 10, 12, tzinfo=UTC)
    values: dict[str, Any] = {
        "opens_at": base,
        "due_at": base + timedelta(hours=2),
        "expires_at": base + timedelta(hours=4),
    }
    values.update(times)
    return ChecklistItem(enrollment_id=1, step_id=1, status=status, **values)


@pytest.mark.parametrize(
    ("item", "hours", "expected"),
    [
        (_item(), -1, "upcoming"),
        (_item(), 1, "open"),
        (_item(), 3, "overdue"),
        (_item(), 5, "missed"),
        (_item(expires_at=None), 500, "overdue"),
        (_item("done"), 5, "done"),
        (_item("not_done"), 1, "not done"),
        (_item("skipped"), 1, "skipped"),
        (_item("missed"), 1, "missed"),
        (_item("cancelled"), 1, "cancelled"),
    ],
)
def test_display_status(item: ChecklistItem, hours: int, expected: str) -> None:
    now = datetime(2027, 3, 10, 12, tzinfo=UTC) + timedelta(hours=hours)
    assert display_status(item, now) == expected
    assert css_status(expected) == "status-" + expected.replace(" ", "-")


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (-(3 * 1440 + 4 * 60), "in 3 days 4 hours"),
        (-90, "in 1 hour 30 minutes"),
        (-1, "in 1 minute"),
        (0, "under way"),
        (59, "under way"),
        (60, "ended less than a minute ago"),
        (60 + 2 * 1440, "ended 2 days ago"),
    ],
)
def test_countdown(minutes: int, expected: str) -> None:
    start = datetime(2027, 3, 15, 12, tzinfo=UTC)
    now = start + timedelta(minutes=minutes)
    assert countdown(start, start + timedelta(hours=1), now) == expected


def test_day_bounds_follow_the_local_calendar_across_dst() -> None:
    zone = ZoneInfo("America/New_York")
    now = datetime(2027, 3, 14, 3, 30, tzinfo=UTC)  # still 13 March in New York
    start, end = day_bounds(now, zone)
    assert start == datetime(2027, 3, 13, 5, tzinfo=UTC)
    assert end == datetime(2027, 3, 14, 5, tzinfo=UTC)
    tomorrow = day_bounds(now, zone, 1)
    assert tomorrow == (datetime(2027, 3, 14, 5, tzinfo=UTC), datetime(2027, 3, 15, 4, tzinfo=UTC))


# --- a fixed number of queries per page ----------------------------------------------------------


def _statements(app: Flask, client: FlaskClient, path: str) -> int:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    engine = get_engine(app)
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_pages_run_a_fixed_number_of_queries(
    app: Flask, nurse: FlaskClient, busy: dict[str, Any], enrolled: Enrollment
) -> None:
    # The seed enrollment has dozens of items, reminders and audit rows: still a handful of
    # statements (the sign-in check, the patient, enrollments, history, names, items, reminders,
    # and for text messages the current consent, its recorder's name and the patient's notes).
    assert _statements(app, nurse, f"/nurse/patients/{enrolled.patient_id}") <= 11
    # Five lists, each a page and at most one count, plus the filter choices and the user.
    assert _statements(app, nurse, "/nurse/") <= 13
