"""The checklist page places each step by what it asks (issue 13): `do` items are ticked,
`avoid` ones are restrictions with their end, `know` ones are notes, `watch` ones the warning
signs; none but `do` is ever a task, late or missed."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, col, select
from werkzeug.test import TestResponse

from tests.auth_helpers import csrf_token
from tests.enrollment_helpers import custom_version, make_step, rel
from tests.patient_helpers import CLOCK, Linked, linked, page_of
from tracker.models import AuditEvent, CheckIn, ChecklistItem, PathwayVersion, Reminder, Step
from tracker.patient.page import load_page
from tracker.patient.text import ENGLISH

WALK = "Walk to the end of the hall"
LIFTING = "No heavy lifting"
SWIMMING = "No swimming or baths"
FASTING = "Nothing to eat after midnight"
SORENESS = "Expect some soreness"
BRUISING = "Bruising fades over a week or so"
FEVER = "Call us if you have a fever over 38 C"


def _version(session: Session) -> PathwayVersion:
    # The procedure: Mon 8 Mar 2027, 08:00-09:00 in New York; the page is read at CLOCK,
    # Tue 9 Mar 13:00.
    steps = [
        make_step(WALK, section="recovery", opens=rel("end"), due=rel("end", minutes=36 * 60)),
        replace(
            make_step(
                LIFTING, section="recovery", opens=rel("end"), due=rel("end", 15, clock="00:00")
            ),
            asks="avoid",
        ),
        replace(
            make_step(
                SWIMMING,
                section="recovery",
                opens=rel("end", 3, clock="00:00"),
                due=rel("end", 10, clock="00:00"),
            ),
            asks="avoid",
        ),
        replace(
            make_step(FASTING, kind="fasting", critical=True, opens=rel(clock="00:00"), due=rel()),
            asks="avoid",
        ),
        replace(make_step(SORENESS, opens=rel("end"), due=rel("end", 3)), asks="know"),
        replace(
            make_step(BRUISING, opens=rel("end", 2, clock="00:00"), due=rel("end", 9)),
            asks="know",
        ),
        replace(make_step(FEVER, opens=rel("end"), due=rel("end", 14)), asks="watch"),
    ]
    return custom_version(session, steps)


@pytest.mark.both_databases
def test_each_step_is_placed_by_what_it_asks(session: Session) -> None:
    plan = linked(session, version=_version(session))
    page = load_page(session, plan.access(session), now=CLOCK, words=ENGLISH)
    # Only the walk is a task to tick.
    assert [(e.text, e.when) for e in page.now] == [(WALK, "Do by Today at 21:00")]
    assert page.done == [] and page.not_done == []
    # The restriction in force, with its end (a midnight deadline is the end of the day
    # before); the fast is over and gone, not "missed".
    assert [(n.text, n.until) for n in page.restrictions] == [(LIFTING, "Until end of Mon 22 Mar")]
    assert [n.text for n in page.notes] == [SORENESS]
    assert [n.text for n in page.watch] == [FEVER]
    # Coming up: the note on its day, the restriction from the day it starts.
    assert [
        (day.label, [(line.asks, line.times, line.text, line.until) for line in day.lines])
        for day in page.coming
    ] == [
        ("Tomorrow", [("know", "Any time", BRUISING, "")]),
        ("Thu 11 Mar", [("avoid", "Any time", SWIMMING, "Until end of Wed 17 Mar")]),
    ]


def test_the_page_shows_no_button_for_a_restriction_note_or_warning_sign(
    session: Session, client: FlaskClient
) -> None:
    plan = linked(session, version=_version(session))
    with time_machine.travel(CLOCK, tick=False):
        html = page_of(client, plan)
    for text in (LIFTING, SORENESS, FEVER):
        start = html.index(text)
        item = html[html.rindex("<li", 0, start) : html.index("</li>", start)]
        assert "<button" not in item and "<form" not in item, text
    assert html.count('name="action" value="done"') == 1  # the walk's


@pytest.mark.both_databases
def test_notes_are_never_reminded(session: Session) -> None:
    plan = linked(session, version=_version(session))
    know = (
        select(ChecklistItem.id)
        .join(Step)
        .where(ChecklistItem.enrollment_id == plan.id, Step.asks == "know")
    )
    know_items = session.exec(know).all()
    assert len(know_items) == 2
    reminded = session.exec(select(Reminder).where(col(Reminder.item_id).in_(know_items))).all()
    assert reminded == []


# --- the warning-signs check-in -------------------------------------------------------------


def _check_in(client: FlaskClient, plan: Linked, answer: str, note: str = "") -> TestResponse:
    with time_machine.travel(CLOCK, tick=False):
        token = csrf_token(page_of(client, plan))
        return client.post(
            f"/p/{plan.token}/check-in",
            data={"csrf_token": token, "answer": answer, "note": note},
        )


def test_a_yes_to_the_warning_signs_is_recorded_and_shows_whom_to_call(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    app.config.update(CARE_TEAM_NAME="the Ward 5 nurses", CARE_TEAM_PHONE="+1 555 0100")
    plan = linked(session, version=_version(session))
    with time_machine.travel(CLOCK, tick=False):
        html = page_of(client, plan)
    assert "Any of these today?" in html and "No, none of these" in html
    none = _check_in(client, plan, "none")
    assert none.status_code == 303 and "Set-Cookie" not in none.headers
    with time_machine.travel(CLOCK, tick=False):
        html = page_of(client, plan)
    assert "you told us none of these today" in html and "No, none of these" not in html
    assert _check_in(client, plan, "yes", "fever since this morning").status_code == 303
    with time_machine.travel(CLOCK, tick=False):
        html = page_of(client, plan)
    assert "Your care team has been alerted" in html
    assert "call the Ward 5 nurses now:" in html and 'href="tel:+15550100"' in html
    rows = session.exec(select(CheckIn).order_by(col(CheckIn.id))).all()
    assert [(r.answer, r.note, r.day) for r in rows] == [
        ("none", "", date(2027, 3, 9)),
        ("yes", "fever since this morning", date(2027, 3, 9)),
    ]
    audits = session.exec(
        select(AuditEvent.action, AuditEvent.actor).where(
            col(AuditEvent.action).startswith("checkin.")
        )
    ).all()
    assert audits == [("checkin.none", plan.access(session).actor)] + [
        ("checkin.yes", plan.access(session).actor)
    ]


def test_a_bad_check_in_is_refused_and_writes_nothing(
    client: FlaskClient, session: Session
) -> None:
    plan = linked(session, version=_version(session))
    assert _check_in(client, plan, "maybe").status_code == 400
    assert _check_in(client, plan, "yes", "x" * 501).status_code == 400
    with time_machine.travel(CLOCK, tick=False):
        forged = client.post(f"/p/{plan.token}/check-in", data={"answer": "yes"})
    assert forged.status_code == 400
    assert session.exec(select(CheckIn)).all() == []


def test_the_care_team_is_on_every_patient_page(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    plan = linked(session, version=_version(session))
    with time_machine.travel(CLOCK, tick=False):
        assert "Contact your care team." in page_of(client, plan)
    app.config.update(CARE_TEAM_NAME="Ward 5", CARE_TEAM_PHONE="+1 555 0100")
    with time_machine.travel(CLOCK, tick=False):
        pages = [
            page_of(client, plan),
            client.get(f"/p/{plan.token}/print").get_data(as_text=True),
            client.get("/p/" + "Z" * 43).get_data(as_text=True),  # an unknown link's page
        ]
    for html in pages:
        assert "Questions about your care? Call Ward 5:" in html and "+1 555 0100" in html
