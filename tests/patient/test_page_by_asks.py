"""The checklist page places each step by what it asks (issue 13): `do` items are ticked,
`avoid` ones are restrictions with their end, `know` ones are notes, `watch` ones the warning
signs; none but `do` is ever a task, late or missed."""

from __future__ import annotations

from dataclasses import replace

import pytest
import time_machine
from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from tests.enrollment_helpers import custom_version, make_step, rel
from tests.patient_helpers import CLOCK, linked, page_of
from tracker.models import ChecklistItem, PathwayVersion, Reminder, Step
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
