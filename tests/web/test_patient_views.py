"""The patient's pages through the Flask test client: links, ticking, calendar, paper, limits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, col, select

from tests.auth_helpers import csrf_token, sign_in_as
from tests.enrollment_helpers import make_patient
from tests.patient_helpers import (
    CLOCK,
    TEXTS,
    Linked,
    follow,
    item_id,
    items_by_text,
    linked,
    open_tablet,
    page_of,
    post_item,
    small_version,
)
from tracker import create_app, db
from tracker.care.enrollment import cancel_enrollment
from tracker.models import AuditEvent, ConfirmedDevice, Patient, Reminder
from tracker.patient.confirmed_devices import device_digest
from tracker.patient.links import revoke_links

JSON = {"Accept": "application/json"}


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(CLOCK, tick=False):
        yield


@pytest.fixture
def plan(session: Session) -> Linked:
    return linked(session)


# --- opening the page ------------------------------------------------------------------------


def test_checklist_page(client: FlaskClient, plan: Linked) -> None:
    response = client.get(f"/p/{plan.token}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for heading in ("To do now", "Coming up", "Done", "Messages", "Your procedure"):
        assert heading in html
    assert "Monday 8 March 2027 at 08:00" in html and "0 of 4 today" in html
    assert response.headers["Cache-Control"] == "no-store"
    assert "noindex" in response.headers["X-Robots-Tag"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert '<script src="/static/patient.js" defer></script>' in html
    assert not re.search(r"<script>|<script [^>]*>[^<]+</script>| style=", html)
    assert html.count('name="csrf_token"') >= 3
    assert f"webcal://127.0.0.1:5000/p/{plan.token}/calendar.ics" in html


@pytest.mark.parametrize("token", ["A" * 43, "not-a-token", "A" * 200])
def test_forged_tokens_get_a_calm_404(client: FlaskClient, plan: Linked, token: str) -> None:
    response = client.get(f"/p/{token}")
    assert response.status_code == 404
    assert "contact your care team" in response.get_data(as_text=True)


def test_revoked_link_gets_410(client: FlaskClient, plan: Linked, session: Session) -> None:
    revoke_links(session=session, enrollment=plan.enrollment, now=CLOCK, actor="test")
    session.commit()
    for path in ("", "/print", "/calendar.ics"):
        response = client.get(f"/p/{plan.token}{path}")
        assert response.status_code == 410, path
        assert "contact your care team" in response.get_data(as_text=True)


def test_expired_link_gets_410(client: FlaskClient, plan: Linked) -> None:
    with time_machine.travel(plan.link.expires_at + timedelta(seconds=1), tick=False):
        response = client.get(f"/p/{plan.token}")
    assert response.status_code == 410
    assert "This link no longer works" in response.get_data(as_text=True)


def test_health_check(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "ok")


# --- acting on items -------------------------------------------------------------------------


def test_tick_untick_and_not_done_without_javascript(
    client: FlaskClient, plan: Linked, session: Session
) -> None:
    ride = item_id(session, plan.id, "ride")
    response = post_item(client, plan, ride, "done")
    assert response.status_code == 303
    # Back to the item on the page; the address names the item and the action, not a text.
    location = urlsplit(response.headers["Location"])
    assert location.path.endswith(f"/p/{plan.token}") and location.fragment == f"item-{ride}"
    assert parse_qs(location.query) == {"item": [str(ride)], "saved": ["done"]}
    html = follow(client, response)
    assert f"Ticked off: {TEXTS['ride']}" in html
    (item,) = items_by_text(session, plan.id)[TEXTS["ride"]]
    assert (item.status, item.acted_by, item.acted_at) == ("done", f"link:{plan.link.id}", CLOCK)

    assert post_item(client, plan, ride, "undo").status_code == 303
    assert items_by_text(session, plan.id)[TEXTS["ride"]][0].status == "pending"

    assert post_item(client, plan, ride, "not_done", note="No one can drive me").status_code == 303
    (item,) = items_by_text(session, plan.id)[TEXTS["ride"]]
    assert (item.status, item.note) == ("not_done", "No one can drive me")
    assert "Your note: No one can drive me" in page_of(client, plan)
    events = session.exec(
        select(AuditEvent)
        .where(AuditEvent.subject_type == "checklistitem", AuditEvent.subject_id == ride)
        .order_by(col(AuditEvent.id))
    ).all()
    assert [(e.action, e.actor) for e in events] == [
        ("item.done", f"link:{plan.link.id}"),
        ("item.reopen", f"link:{plan.link.id}"),
        ("item.not_done", f"link:{plan.link.id}"),
    ]


def test_tick_with_javascript_returns_the_fresh_item(
    client: FlaskClient, plan: Linked, session: Session
) -> None:
    tablet = open_tablet(session, plan.id)
    assert tablet.id is not None
    response = post_item(client, plan, tablet.id, "done", headers=JSON)
    assert response.status_code == 200
    body = response.get_json()
    assert body["ok"] and body["message"] == f"Ticked off: {TEXTS['tablet']}"
    assert f'id="item-{tablet.id}"' in body["html"] and "1 of 4 today" in body["html"]
    assert 'value="undo"' in body["html"] and 'value="done"' not in body["html"]


def test_the_fresh_item_is_the_pages_own_markup(
    client: FlaskClient, plan: Linked, session: Session
) -> None:
    """The in-place answer and the page build an entry the same way (patient/_entries.html)."""
    tablet = open_tablet(session, plan.id)
    assert post_item(client, plan, tablet.id or 0, "done").status_code == 303
    body = post_item(client, plan, tablet.id or 0, "undo", headers=JSON).get_json()
    page = page_of(client, plan)
    start = page.index(f'<li class="entry status-open" id="item-{tablet.id}">')
    end = page.index("</li>", start) + len("</li>")
    assert body["ok"] and page[start:end] == body["html"].strip()


def test_ticking_cancels_the_items_reminders(
    client: FlaskClient, plan: Linked, session: Session
) -> None:
    walk = item_id(session, plan.id, "walk")
    before = session.exec(select(Reminder).where(Reminder.item_id == walk)).all()
    assert any(r.status == "pending" for r in before)
    post_item(client, plan, walk, "done")
    session.expire_all()
    after = session.exec(select(Reminder).where(Reminder.item_id == walk)).all()
    assert {r.status for r in after} == {"cancelled"}


def test_another_patients_item_is_404(client: FlaskClient, session: Session) -> None:
    version = small_version(session)
    mine, theirs = linked(session, version=version), linked(session, version=version)
    for key in ("ride", "walk", "fast"):
        foreign = item_id(session, theirs.id, key)
        for headers in ({}, JSON):
            assert post_item(client, mine, foreign, "done", headers=headers).status_code == 404
    assert {i[0].status for i in items_by_text(session, theirs.id).values()} <= {
        "pending",
        "missed",
    }
    assert not session.exec(
        select(AuditEvent).where(AuditEvent.actor == f"link:{mine.link.id}")
    ).all()
    # Their own token still works on their own item.
    assert post_item(client, theirs, item_id(session, theirs.id, "ride"), "done").status_code == 303


def test_posts_without_csrf_token_are_rejected(
    client: FlaskClient, plan: Linked, session: Session
) -> None:
    ride = item_id(session, plan.id, "ride")
    page_of(client, plan)
    response = client.post(f"/p/{plan.token}/items/{ride}", data={"action": "done"})
    assert response.status_code == 400
    wrong = client.post(
        f"/p/{plan.token}/items/{ride}", data={"action": "done", "csrf_token": "forged"}
    )
    assert wrong.status_code == 400
    assert items_by_text(session, plan.id)[TEXTS["ride"]][0].status == "pending"


def test_the_form_token_belongs_to_one_link(client: FlaskClient, session: Session) -> None:
    mine, theirs = linked(session), linked(session)
    ride = item_id(session, mine.id, "ride")
    their_token = csrf_token(page_of(client, theirs))
    forged = client.post(
        f"/p/{mine.token}/items/{ride}", data={"action": "done", "csrf_token": their_token}
    )
    assert forged.status_code == 400
    assert items_by_text(session, mine.id)[TEXTS["ride"]][0].status == "pending"
    # The header fetch() sends is accepted in place of the form field.
    response = client.post(
        f"/p/{mine.token}/items/{ride}",
        data={"action": "done"},
        headers={**JSON, "X-CSRFToken": csrf_token(page_of(client, mine))},
    )
    assert response.status_code == 200 and response.get_json()["ok"] is True


def test_patient_pages_set_no_cookie(client: FlaskClient, plan: Linked) -> None:
    # The forms' token comes from the link itself: reading the plan leaves nothing behind on
    # a shared phone or computer.
    for path in ("", "/print", "/calendar.ics"):
        response = client.get(f"/p/{plan.token}{path}")
        assert response.status_code == 200, path
        assert "Set-Cookie" not in response.headers, path
        assert response.headers["Cache-Control"] == "no-store"


def test_the_page_reads_without_a_session_and_returns_its_connection(
    app: Flask, client: FlaskClient, plan: Linked
) -> None:
    # The checklist only reads: it uses a plain connection (tracker.db.get_connection), which
    # goes back to the pool when the request ends, like the session's does.
    engine = db.get_engine(app)
    before = engine.pool.checkedout()  # type: ignore[attr-defined]
    for _ in range(3):
        page_of(client, plan)
    assert engine.pool.checkedout() == before  # type: ignore[attr-defined]


def test_unknown_action_is_a_bad_request(
    client: FlaskClient, plan: Linked, session: Session
) -> None:
    assert post_item(client, plan, item_id(session, plan.id, "ride"), "delete").status_code == 400


def test_a_stopped_plan_refuses_changes_calmly(
    client: FlaskClient, plan: Linked, session: Session
) -> None:
    ride = item_id(session, plan.id, "ride")
    post_item(client, plan, ride, "done")
    token = csrf_token(page_of(client, plan))
    cancel_enrollment(session=session, enrollment=plan.enrollment, actor="test", now=CLOCK)
    session.commit()
    html = page_of(client, plan)
    assert "stopped this plan" in html and 'value="undo"' not in html
    path, data = f"/p/{plan.token}/items/{ride}", {"csrf_token": token, "action": "undo"}
    response = client.post(path, data=data, headers=JSON)
    assert response.status_code == 409 and not response.get_json()["ok"]
    response = client.post(path, data=data)
    assert response.status_code == 303
    assert "can no longer be changed: the plan is cancelled" in follow(client, response)


def test_sent_reminders_appear_in_the_inbox(
    client: FlaskClient, plan: Linked, session: Session
) -> None:
    ride = item_id(session, plan.id, "ride")
    reminder = session.exec(select(Reminder).where(Reminder.item_id == ride)).first()
    assert reminder is not None
    reminder.status, reminder.sent_at = "sent", CLOCK - timedelta(days=2)
    session.add(reminder)
    session.commit()
    html = page_of(client, plan)
    assert f'<a href="#item-{ride}">Reminder: {TEXTS["ride"]}</a>' in html


def test_the_nurse_sees_what_the_patient_did(app: Flask, plan: Linked, session: Session) -> None:
    patient_client = app.test_client()
    post_item(patient_client, plan, item_id(session, plan.id, "ride"), "done")
    nurse = app.test_client()
    sign_in_as(nurse, app)
    html = nurse.get(f"/nurse/patients/{plan.enrollment.patient_id}?enrollment={plan.id}").get_data(
        as_text=True
    )
    assert "the patient (personal link)" in html


# --- property: the tick endpoint never fails -------------------------------------------------

FORM_KEYS = st.sampled_from(["action", "note", "item", "enrollment", "token"]) | st.text(max_size=8)
FORM_VALUES = st.sampled_from(["done", "undo", "not_done", "", "-1"]) | st.text(max_size=600)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    form=st.dictionaries(FORM_KEYS, FORM_VALUES, max_size=5),
    which=st.sampled_from(["ride", "walk", "fast", "other", "huge", "zero"]),
    wants_json=st.booleans(),
)
def test_any_form_data_to_the_tick_endpoint_is_handled(
    client: FlaskClient,
    plan: Linked,
    session: Session,
    form: dict[str, str],
    which: str,
    wants_json: bool,
) -> None:
    ids = {"other": 10**6, "huge": 10**30, "zero": 0}
    target = ids[which] if which in ids else item_id(session, plan.id, which)
    data = {**form, "csrf_token": csrf_token(page_of(client, plan))}
    response = client.post(
        f"/p/{plan.token}/items/{target}", data=data, headers=JSON if wants_json else {}
    )
    assert response.status_code in (200, 303, 400, 404, 409), response.status_code


# --- calendar and paper ----------------------------------------------------------------------


def test_calendar_download(client: FlaskClient, plan: Linked) -> None:
    response = client.get(f"/p/{plan.token}/calendar.ics?download=1")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.get_data(as_text=True).startswith("BEGIN:VCALENDAR")


def test_printable_plan_has_the_qr_code_and_link(client: FlaskClient, plan: Linked) -> None:
    html = client.get(f"/p/{plan.token}/print").get_data(as_text=True)
    svg = re.search(r"<svg [^>]*>", html)
    assert (
        svg and 'xmlns="http://www.w3.org/2000/svg"' in svg.group() and 'role="img"' in svg.group()
    )
    assert f"http://127.0.0.1:5000/p/{plan.token}" in html
    assert "8 times in all" in html and TEXTS["fast"] in html


# --- date of birth ---------------------------------------------------------------------------


@pytest.fixture
def dob_plan(app: Flask, session: Session) -> Linked:
    app.config["PATIENT_DOB_CHECK"] = True
    return linked(session, patient=_patient_born(session, date(1957, 3, 27)))


def _patient_born(session: Session, born: date) -> Patient:
    return make_patient(session, birth_date=born)


def _confirm(client: FlaskClient, plan: Linked, day: str, month: str, year: str) -> Any:
    page = client.get(f"/p/{plan.token}").get_data(as_text=True)
    return client.post(
        f"/p/{plan.token}/confirm",
        data={"csrf_token": csrf_token(page), "day": day, "month": month, "year": year},
    )


def test_date_of_birth_is_asked_once_per_device(
    app: Flask, client: FlaskClient, dob_plan: Linked, session: Session
) -> None:
    html = client.get(f"/p/{dob_plan.token}").get_data(as_text=True)
    assert "Please confirm it is you" in html and "To do now" not in html
    assert "webcal://" not in html
    ride = item_id(session, dob_plan.id, "ride")
    for path in ("/print",):
        assert client.get(f"/p/{dob_plan.token}{path}").status_code == 303
    assert client.get(f"/p/{dob_plan.token}/calendar.ics").status_code == 403
    wrong = _confirm(client, dob_plan, "28", "3", "1957")
    assert wrong.status_code == 422 and "does not match" in wrong.get_data(as_text=True)
    assert _confirm(client, dob_plan, "x", "", "1957").status_code == 422
    right = _confirm(client, dob_plan, "27", "03", "1957")
    assert right.status_code == 303 and "Set-Cookie" not in right.headers
    html = page_of(client, dob_plan)
    assert "To do now" in html and "webcal://" not in html
    assert post_item(client, dob_plan, ride, "done").status_code == 303
    assert client.get(f"/p/{dob_plan.token}/calendar.ics").status_code == 200
    # The server remembers the device, not a cookie: a fresh client from the same address and
    # browser goes straight in; another browser, or another address, is asked again.
    assert "To do now" in page_of(app.test_client(), dob_plan)
    for other in (
        {"headers": {"User-Agent": "Another phone"}},
        {"environ_base": {"REMOTE_ADDR": "192.0.2.7"}},
    ):
        html = app.test_client().get(f"/p/{dob_plan.token}", **other).get_data(as_text=True)
        assert "Please confirm it is you" in html


def test_a_confirmed_device_is_kept_as_a_digest_until_the_link_ends(
    client: FlaskClient, dob_plan: Linked, session: Session
) -> None:
    assert _confirm(client, dob_plan, "27", "3", "1957").status_code == 303
    (row,) = session.exec(select(ConfirmedDevice)).all()
    assert row.link_id == dob_plan.link.id and re.fullmatch(r"[0-9a-f]{64}", row.device)
    assert "127.0.0.1" not in row.device
    assert row.expires_at <= dob_plan.link.expires_at
    # The site's secret keys the digest: the same device gives another digest on another site.
    assert row.device != device_digest("another secret", "127.0.0.1", "Werkzeug")


def test_the_date_of_birth_form_token_cannot_tick(
    client: FlaskClient, dob_plan: Linked, session: Session
) -> None:
    # Someone holding only the link sees the date-of-birth form and its token; that token
    # must not work on the checklist's forms (those appear only after the date is confirmed).
    page = client.get(f"/p/{dob_plan.token}").get_data(as_text=True)
    dob_token = csrf_token(page)
    assert client.post(f"/p/{dob_plan.token}/confirm", data={"day": "27"}).status_code == 400
    assert _confirm(client, dob_plan, "27", "3", "1957").status_code == 303
    ride = item_id(session, dob_plan.id, "ride")
    response = client.post(
        f"/p/{dob_plan.token}/items/{ride}", data={"action": "done", "csrf_token": dob_token}
    )
    assert response.status_code == 400
    assert items_by_text(session, dob_plan.id)[TEXTS["ride"]][0].status == "pending"
    items_token = csrf_token(page_of(client, dob_plan))
    assert items_token != dob_token
    response = client.post(
        f"/p/{dob_plan.token}/items/{ride}", data={"action": "done", "csrf_token": items_token}
    )
    assert response.status_code == 303
    assert items_by_text(session, dob_plan.id)[TEXTS["ride"]][0].status == "done"


def test_the_old_dob_cookie_earns_nothing(client: FlaskClient, dob_plan: Linked) -> None:
    client.set_cookie(f"tracker_dob_{dob_plan.link.id}", "forged", path=f"/p/{dob_plan.token}")
    html = client.get(f"/p/{dob_plan.token}").get_data(as_text=True)
    assert "Please confirm it is you" in html


# --- rate limits -----------------------------------------------------------------------------


@pytest.fixture
def limited(
    session: Session,  # first: the plain app's set-up turns the shared limiter off
    app_config: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Flask]:
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "limited"))
    application = create_app(
        {
            **app_config,
            "RATELIMIT_ENABLED": True,
            "PATIENT_LINK_LIMIT": "3 per minute",
            "PATIENT_DOB_LIMIT": "2 per 15 minutes",
            "PATIENT_DOB_CHECK": True,
        }
    )
    yield application
    db.get_engine(application).dispose()


def test_wrong_tokens_are_rate_limited(limited: Flask, session: Session) -> None:
    plan = linked(session)
    client = limited.test_client()
    assert client.get(f"/p/{plan.token}").status_code == 200  # successes cost nothing
    for _ in range(3):
        assert client.get(f"/p/{'B' * 43}").status_code == 404
    response = client.get(f"/p/{'C' * 43}")
    assert response.status_code == 429
    assert "too many tries" in response.get_data(as_text=True)


def test_probing_other_patients_items_is_rate_limited(limited: Flask, session: Session) -> None:
    mine, theirs = linked(session), linked(session)
    client = limited.test_client()
    confirm_page = client.get(f"/p/{mine.token}").get_data(as_text=True)
    # The limited app asks for the date of birth only when one is on file: none here.
    token = csrf_token(confirm_page)
    other = item_id(session, theirs.id, "ride")
    for expected in (404, 404, 404, 429):
        response = client.post(
            f"/p/{mine.token}/items/{other}", data={"action": "done", "csrf_token": token}
        )
        assert response.status_code == expected
    assert client.get(f"/p/{'D' * 43}").status_code == 429  # wrong links too, from here
    # The patient's own link still opens: a 256-bit token is not guessed by luck.
    assert client.get(f"/p/{mine.token}").status_code == 200
    elsewhere = limited.test_client()
    response = elsewhere.get(f"/p/{'D' * 43}", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert response.status_code == 404  # another address has its own count


def test_wrong_dates_of_birth_are_rate_limited(limited: Flask, session: Session) -> None:
    plan = linked(session, patient=_patient_born(session, date(1960, 1, 2)))
    client = limited.test_client()
    for _ in range(2):
        assert _confirm(client, plan, "1", "1", "1960").status_code == 422
    assert _confirm(client, plan, "2", "1", "1960").status_code == 429
