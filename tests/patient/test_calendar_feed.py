"""The iCalendar feed, parsed back: every item's times and alarms, stable across reschedules."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import pytest
import time_machine
from flask.testing import FlaskClient
from icalendar import Calendar, Event
from sqlmodel import Session, col, select

from tests.patient_helpers import CLOCK, NOW, TEXTS, Linked, item_id, linked, patient_acts
from tracker.care.enrollment import reschedule
from tracker.models import ChecklistItem, Reminder
from tracker.patient.calendar_feed import build_feed, item_uid, procedure_uid
from tracker.patient.text import ENGLISH

PAGE = "https://care.example.org/p/token"


def feed(session: Session, plan: Linked) -> Calendar:
    data = build_feed(session, plan.access(session), now=CLOCK, words=ENGLISH, page_url=PAGE)
    return Calendar.from_ical(data)


def events(calendar: Calendar) -> dict[str, Event]:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def items(session: Session, plan: Linked) -> list[ChecklistItem]:
    session.expire_all()
    query = select(ChecklistItem).where(ChecklistItem.enrollment_id == plan.id)
    return list(session.exec(query.order_by(col(ChecklistItem.id))))


def alarm_times(session: Session, plan: Linked) -> dict[int, set[datetime]]:
    """Item id -> the distinct times of its reminders that are still meant to go out (or went)."""
    query = select(Reminder).where(
        Reminder.enrollment_id == plan.id,
        col(Reminder.status).in_(("pending", "deferred", "claimed", "sent")),
    )
    times: dict[int, set[datetime]] = defaultdict(set)
    for reminder in session.exec(query):
        times[reminder.item_id].add(reminder.send_at)
    return times


def fired_at(event: Event) -> set[datetime]:
    start = event.decoded("DTSTART")
    return {start + alarm.decoded("TRIGGER") for alarm in event.walk("VALARM")}


@pytest.mark.both_databases
def test_every_item_has_its_times_and_alarms(session: Session) -> None:
    plan = linked(session)
    calendar = feed(session, plan)
    assert str(calendar["VERSION"]) == "2.0" and "Care plan" in str(calendar["X-WR-CALNAME"])
    found = events(calendar)
    rows = items(session, plan)
    assert set(found) == {item_uid(i.id or 0) for i in rows} | {procedure_uid(plan.id)}
    expected_alarms = alarm_times(session, plan)
    assert expected_alarms, "the plan has reminders"
    for item in rows:
        event = found[item_uid(item.id or 0)]
        assert event.decoded("DTSTART") == item.opens_at
        if item.due_at > item.opens_at:
            assert event.decoded("DTEND") == item.due_at
        else:
            assert "DTEND" not in event
        assert fired_at(event) == expected_alarms.get(item.id or 0, set())
        assert "RRULE" not in event  # one event per occurrence row
        assert PAGE in str(event["DESCRIPTION"]) and str(event["TRANSP"]) == "TRANSPARENT"
    procedure = found[procedure_uid(plan.id)]
    assert procedure.decoded("DTSTART") == plan.enrollment.procedure_start
    assert procedure.decoded("DTEND") == plan.enrollment.procedure_end


def test_recurring_steps_get_one_event_per_occurrence(session: Session) -> None:
    plan = linked(session)
    tablets = [
        e for e in events(feed(session, plan)).values() if str(e["SUMMARY"]) == TEXTS["tablet"]
    ]
    assert len(tablets) == 8
    assert len({e.decoded("DTSTART") for e in tablets}) == 8


@pytest.mark.both_databases
def test_reschedule_moves_times_and_keeps_uids(session: Session) -> None:
    plan = linked(session)
    before = events(feed(session, plan))
    reschedule(
        session=session,
        enrollment=plan.enrollment,
        start=datetime(2027, 3, 8, 10, 0),  # two hours later
        now=NOW,
        actor="test",
    )
    session.commit()
    after = events(feed(session, plan))
    assert set(after) == set(before)  # same UIDs: calendars update the events in place
    alarms = alarm_times(session, plan)
    for item in items(session, plan):
        event = after[item_uid(item.id or 0)]
        assert event.decoded("DTSTART") == item.opens_at
        assert fired_at(event) == alarms.get(item.id or 0, set())
    for uid in (item_uid(item_id(session, plan.id, "walk")), procedure_uid(plan.id)):
        moved = after[uid].decoded("DTSTART") - before[uid].decoded("DTSTART")
        assert moved == timedelta(hours=2), uid


def test_a_ticked_item_loses_its_alarms(session: Session) -> None:
    plan = linked(session)
    walk = item_id(session, plan.id, "walk")
    assert fired_at(events(feed(session, plan))[item_uid(walk)])
    patient_acts(session, plan.access(session), walk, "done", NOW)
    session.commit()
    assert fired_at(events(feed(session, plan))[item_uid(walk)]) == set()


def test_the_feed_over_http(client: FlaskClient, session: Session) -> None:
    plan = linked(session)
    with time_machine.travel(CLOCK, tick=False):
        response = client.get(f"/p/{plan.token}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "Content-Disposition" not in response.headers  # subscribed to, not downloaded
    calendar = Calendar.from_ical(response.get_data())
    assert len(list(calendar.walk("VEVENT"))) == len(items(session, plan)) + 1
    assert f"/p/{plan.token}" in str(events(calendar)[procedure_uid(plan.id)]["URL"])
