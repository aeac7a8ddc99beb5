"""The iCalendar feed, parsed back: every item's times and alarms, stable across reschedules."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask.testing import FlaskClient
from icalendar import Calendar, Event
from sqlmodel import Session, col, select

from tests.enrollment_helpers import custom_version, make_step, rel
from tests.patient_helpers import CLOCK, NOW, TEXTS, Linked, item_id, linked, patient_acts
from tracker.care.enrollment import reschedule
from tracker.care.item_reminders import NOT_ITEM_REMINDERS
from tracker.models import ChecklistItem, Reminder, Step
from tracker.patient.calendar_feed import build_feed, item_uid, procedure_uid
from tracker.patient.text import ENGLISH
from tracker.reminders.rules import quiet_end

PAGE = "https://care.example.org/p/token"
ZONE = "America/New_York"


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
    """Item id -> the distinct times of its reminders that are still meant to go out (or went),
    moved out of the patient's quiet hours (21:00-07:00 here) unless the step is critical."""
    query = (
        select(Reminder, Step.critical, ChecklistItem.due_at)
        .join(ChecklistItem, col(ChecklistItem.id) == Reminder.item_id)
        .join(Step, col(Step.id) == ChecklistItem.step_id)
        .where(
            Reminder.enrollment_id == plan.id,
            col(Reminder.status).in_(("pending", "deferred", "claimed", "sent")),
            col(Reminder.purpose).not_in(NOT_ITEM_REMINDERS),  # e.g. 'your procedure moved'
        )
    )
    times: dict[int, set[datetime]] = defaultdict(set)
    for reminder, critical, due_at in session.exec(query):
        held = None if critical else quiet_end(reminder.send_at, ZONE, "21:00", "07:00")
        in_time = held is not None and held <= due_at  # else it goes at once (rules.decide)
        times[reminder.item_id].add(held if held is not None and in_time else reminder.send_at)
    return times


def fired_at(event: Event) -> set[datetime]:
    """When each alarm goes off (absolute triggers; a relative one counts from DTSTART)."""
    start = event.decoded("DTSTART")
    triggers = [alarm.decoded("TRIGGER") for alarm in event.walk("VALARM")]
    return {t if isinstance(t, datetime) else start + t for t in triggers}


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
        # Every step here is a `do` at a clock time: a short event at its opening.
        assert event.decoded("DTSTART") == item.opens_at
        assert event.decoded("DTEND") == min(item.opens_at + timedelta(minutes=30), item.due_at)
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


def test_restrictions_are_whole_days_notes_stay_out_and_a_could_not_is_cancelled(
    session: Session,
) -> None:
    """Issue 13: a `do` item at a clock time is a short event; one that names only a day and
    a restriction are all-day; notes and warning signs are not in the calendar; "I couldn't do
    this" is CANCELLED; a non-critical alarm in quiet hours moves to their end."""
    lifting = make_step(
        "No lifting",
        section="recovery",
        opens=rel("end", 1, clock="00:00"),
        due=rel("end", 15, clock="00:00"),
    )
    shopping = make_step(
        "Buy dressings", opens=rel(days=-3, clock="00:00"), due=rel(days=-1, clock="00:00")
    )
    steps = [
        make_step("Walk", section="recovery", opens=rel("end", minutes=120), due=rel("end", 1)),
        replace(lifting, asks="avoid"),
        shopping,
        replace(make_step("Expect soreness", opens=rel("end"), due=rel("end", 3)), asks="know"),
        replace(make_step("Call if fever", opens=rel("end"), due=rel("end", 14)), asks="watch"),
    ]
    plan = linked(session, version=custom_version(session, steps))
    by_text = {str(e["SUMMARY"]): e for e in events(feed(session, plan)).values()}
    shown = {text for text in by_text if not text.startswith("Procedure: ")}
    assert shown == {"Walk", "No lifting", "Buy dressings"}
    walk = by_text["Walk"]
    assert walk.decoded("DTEND") - walk.decoded("DTSTART") == timedelta(minutes=30)
    # The procedure is Mon 8 Mar 2027 08:00-09:00 in New York.
    restriction, errand = by_text["No lifting"], by_text["Buy dressings"]
    assert restriction.decoded("DTSTART") == date(2027, 3, 9)  # the day after, all day
    assert restriction.decoded("DTEND") == date(2027, 3, 23)  # through Mon 22 Mar
    assert errand.decoded("DTSTART") == date(2027, 3, 5)
    assert errand.decoded("DTEND") == date(2027, 3, 7)  # due by the end of Sat 6 Mar
    # Its opening reminder at local midnight (not critical) would wake the patient: 07:00.
    tz = ZoneInfo(ZONE)
    alarms = {moment.astimezone(tz).replace(tzinfo=None) for moment in fired_at(errand)}
    assert datetime(2027, 3, 5, 7, 0) in alarms and datetime(2027, 3, 5, 0, 0) not in alarms
    walk_id = item_id_of(session, plan, "Walk")
    patient_acts(session, plan.access(session), walk_id, "not_done", CLOCK)
    session.commit()
    status = {str(e["SUMMARY"]): str(e.get("STATUS")) for e in events(feed(session, plan)).values()}
    assert status["Walk"] == "CANCELLED" and status["No lifting"] == "CONFIRMED"


def item_id_of(session: Session, plan: Linked, text: str) -> int:
    found = session.exec(
        select(ChecklistItem.id)
        .join(Step, col(Step.id) == ChecklistItem.step_id)
        .where(ChecklistItem.enrollment_id == plan.id, Step.text == text)
    ).first()
    assert found is not None
    return found


def test_an_item_due_on_a_later_day_says_by_when(session: Session) -> None:
    """Its event sits where it opens; the description gives the deadline the checklist gives."""
    steps = [
        make_step(
            "Wound check 10 to 14 days after",
            opens=rel("end", days=10, clock="09:00"),
            due=rel("end", days=15, clock="00:00"),
        ),
        make_step("Walk a little", opens=rel("end", minutes=120), due=rel("end", minutes=360)),
    ]
    plan = linked(session, version=custom_version(session, steps))
    by_text = {
        str(e["summary"]): str(e["description"]) for e in events(feed(session, plan)).values()
    }
    assert "Do by end of Mon 22 Mar" in by_text["Wound check 10 to 14 days after"]
    assert "Do by" not in by_text["Walk a little"]  # due the day it opens: its time says it
