"""Plain forms without a cookie: the page words an action's outcome from the database after
the redirect, and no patient page or form sets a cookie, with or without JavaScript."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from tests.auth_helpers import csrf_token
from tests.enrollment_helpers import make_patient
from tests.patient_helpers import (
    CLOCK,
    TEXTS,
    Linked,
    follow,
    item_id,
    linked,
    open_tablet,
    page_of,
    post_item,
)
from tracker.care.enrollment import cancel_enrollment
from tracker.models import Patient

JSON = {"Accept": "application/json"}


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(CLOCK, tick=False):
        yield


@pytest.fixture
def plan(session: Session) -> Linked:
    return linked(session)


def notices(html: str) -> list[str]:
    """The notice lines a page shows (the layout's `p.flash` with role status)."""
    import re

    return re.findall(r'<p class="flash flash-\w+" role="status">([^<]*)</p>', html)


def test_each_action_is_confirmed_from_the_database(
    client: FlaskClient, plan: Linked, session: Session
) -> None:
    ride = item_id(session, plan.id, "ride")
    for action, said in (
        ("done", f"Ticked off: {TEXTS['ride']}"),
        ("undo", f"Undone: {TEXTS['ride']}"),
        ("not_done", f"Noted that you could not do: {TEXTS['ride']}"),
    ):
        response = post_item(client, plan, ride, action, note="No car")
        assert TEXTS["ride"] not in response.headers["Location"]
        assert notices(follow(client, response)) == [said]
    # The plain page (no outcome in its address) shows none.
    assert notices(page_of(client, plan)) == []


def test_a_notice_the_database_does_not_bear_out_is_not_shown(
    client: FlaskClient, plan: Linked, session: Session
) -> None:
    ride = item_id(session, plan.id, "ride")
    other = linked(session)
    theirs = item_id(session, other.id, "ride")
    page = f"/p/{plan.token}"
    # Not ticked: a crafted "saved" address says nothing. Another plan's item, unknown
    # actions and ids out of range neither; none of it is an error.
    for query in (
        f"item={ride}&saved=done",
        f"item={theirs}&saved=undo",
        f"item={ride}&saved=delete",
        f"item={2**31}&saved=done",
        f"item={10**30}&refused=done",
        "item=x&saved=done",
        f"item=-{ride}&saved=done",
        "saved=done",
    ):
        response = client.get(f"{page}?{query}")
        assert response.status_code == 200, query
        assert notices(response.get_data(as_text=True)) == [], query


def test_a_refusal_says_why(client: FlaskClient, plan: Linked, session: Session) -> None:
    tablet = open_tablet(session, plan.id)
    assert tablet.id is not None
    later = tablet.id + 1  # the next occurrence: not started yet
    response = post_item(client, plan, later, "done")
    assert response.status_code == 303
    assert notices(follow(client, response)) == [
        "This can no longer be changed: this one has not started yet"
    ]
    token = csrf_token(page_of(client, plan))
    cancel_enrollment(session=session, enrollment=plan.enrollment, actor="test", now=CLOCK)
    session.commit()
    response = client.post(
        f"/p/{plan.token}/items/{tablet.id}", data={"csrf_token": token, "action": "done"}
    )
    assert notices(follow(client, response)) == [
        "This can no longer be changed: the plan is cancelled"
    ]


def _no_cookie(response: object, what: str) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    assert "Set-Cookie" not in headers, (what, headers.get("Set-Cookie"))


@pytest.mark.parametrize("headers", [{}, JSON], ids=["plain", "javascript"])
def test_no_patient_page_or_form_sets_a_cookie(
    client: FlaskClient, plan: Linked, session: Session, headers: dict[str, str]
) -> None:
    ride, walk = item_id(session, plan.id, "ride"), item_id(session, plan.id, "walk")
    token = csrf_token(page_of(client, plan))
    path = f"/p/{plan.token}"
    for url in (path, f"{path}?all=1", f"{path}/print", f"{path}/calendar.ics", "/p/" + "Z" * 43):
        _no_cookie(client.get(url, headers=headers), url)
    for item, action in ((ride, "done"), (ride, "undo"), (walk, "not_done"), (ride, "nonsense")):
        response = client.post(
            f"{path}/items/{item}",
            data={"csrf_token": token, "action": action, "note": "x"},
            headers=headers,
        )
        assert response.status_code in (200, 303, 400), response.status_code
        _no_cookie(response, action)
        if response.status_code == 303:
            _no_cookie(client.get(response.headers["Location"], headers=headers), "redirect")
    # Refused (409), forged (400) and someone else's item (404) alike.
    cancel_enrollment(session=session, enrollment=plan.enrollment, actor="test", now=CLOCK)
    session.commit()
    refused = client.post(
        f"{path}/items/{ride}", data={"csrf_token": token, "action": "done"}, headers=headers
    )
    assert refused.status_code in (303, 409)
    _no_cookie(refused, "refused")
    _no_cookie(client.post(f"{path}/items/{ride}", data={"action": "done"}, headers=headers), "x")
    other = linked(session)
    foreign = client.post(
        f"{path}/items/{item_id(session, other.id, 'ride')}",
        data={"csrf_token": token, "action": "done"},
        headers=headers,
    )
    assert foreign.status_code == 404
    _no_cookie(foreign, "foreign")
    assert client.get_cookie("session") is None


def test_the_date_of_birth_pages_set_no_cookie_until_it_matches(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    # The one cookie a patient page may set: the signed "this device is confirmed" mark,
    # after the right date of birth (tests/web/test_patient_views.py checks it).
    app.config["PATIENT_DOB_CHECK"] = True
    plan = linked(session, patient=make_patient(session, birth_date=date(1957, 3, 27)))
    page = client.get(f"/p/{plan.token}")
    _no_cookie(page, "date of birth form")
    wrong = client.post(
        f"/p/{plan.token}/confirm",
        data={"csrf_token": csrf_token(page.get_data(as_text=True)), "day": "1", "month": "1"},
    )
    assert wrong.status_code == 422
    _no_cookie(wrong, "wrong date of birth")


def test_the_date_of_birth_check_sets_no_cookie(
    app: Flask, client: FlaskClient, plan: Linked, session: Session
) -> None:
    """Issue 12: with PATIENT_DOB_CHECK on, the form, a wrong date, the right date and the page
    after it set no cookie; the server remembers the device."""
    app.config["PATIENT_DOB_CHECK"] = True
    patient = session.get(Patient, plan.enrollment.patient_id)
    assert patient is not None
    patient.birth_date = date(1957, 3, 27)
    session.commit()
    path = f"/p/{plan.token}"
    form = client.get(path)
    _no_cookie(form, "form")
    token = csrf_token(form.get_data(as_text=True))
    for day, status in (("28", 422), ("27", 303)):
        response = client.post(
            f"{path}/confirm",
            data={"csrf_token": token, "day": day, "month": "3", "year": "1957"},
        )
        assert response.status_code == status
        _no_cookie(response, f"confirm {day}")
    page = client.get(path)
    _no_cookie(page, "page")
    assert "Please confirm it is you" not in page.get_data(as_text=True)
