"""Repeats cover their whole stated span on the page, in print and in the calendar, though
the stored rows stop at the horizon (14 days ahead of now)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlmodel import Session

from tests.enrollment_helpers import NOW, custom_version, make_step, rel
from tests.patient_helpers import linked
from tracker.care.schedule_rows import items_of
from tracker.patient.calendar_feed import build_feed
from tracker.patient.page import load_page
from tracker.patient.printed_plan import printable
from tracker.patient.text import ENGLISH
from tracker.reading.timing import Recurrence

NEW_YORK = ZoneInfo("America/New_York")
TEXT = "Wear the back brace daily for 6 weeks"
# The procedure runs 08:00-09:00 EST on Mon 8 Mar 2027; the patient was enrolled on 1 Mar.
# Daily from the end (09:00 Mon 8 Mar) for 6 weeks, until 09:00 Mon 19 Apr: 42 times, the
# first on Mon 8 Mar, the last on Sun 18 Apr.
TIMES, LAST = 42, "Sun 18 Apr"
ON_THE_DAY = datetime(2027, 3, 8, 15, 0, tzinfo=UTC)  # 10:00 EST, the brace's first day


def _six_weeks(session: Session):  # type: ignore[no-untyped-def]
    step = make_step(
        TEXT,
        section="recovery",
        kind="activity",
        opens=rel("end"),
        due=rel("end", days=1),
        recurrence=Recurrence("FREQ=DAILY", rel("end", days=42)),
    )
    return linked(session, version=custom_version(session, [step]))


@pytest.mark.both_databases
def test_rows_stop_at_the_horizon_but_the_page_tells_the_whole_span(session: Session) -> None:
    plan = _six_weeks(session)
    stored = items_of(session, plan.enrollment)
    assert len(stored) < TIMES, "only the horizon's occurrences are rows"
    page = load_page(session, plan.access(session, ON_THE_DAY), now=ON_THE_DAY, words=ENGLISH)
    (entry,) = page.now
    assert entry.text == TEXT
    assert entry.span == f"{TIMES} times in all, the last {LAST}"
    # Said once in the days coming up, on the repeat's first line, not again every day.
    untils = [line.until for day in page.coming for line in day.lines]
    assert len(untils) > 1 and untils == [entry.span] + [""] * (len(untils) - 1)


@pytest.mark.both_databases
def test_the_printed_plan_counts_every_time_to_the_end(session: Session) -> None:
    plan = _six_weeks(session)
    days = printable(session, plan.access(session), now=NOW, words=ENGLISH)
    rows = [row for _, day_rows in days for row in day_rows if row.text == TEXT]
    assert [row.when for row in rows] == [f"09:00, {TIMES} times in all, until {LAST}"]


@pytest.mark.both_databases
def test_the_calendar_has_every_occurrence_to_the_end(session: Session) -> None:
    plan = _six_weeks(session)
    data = build_feed(session, plan.access(session), now=NOW, words=ENGLISH, page_url="x")
    brace = [e for e in Calendar.from_ical(data).walk("VEVENT") if str(e["SUMMARY"]) == TEXT]
    starts = sorted(e.decoded("DTSTART").astimezone(NEW_YORK) for e in brace)
    assert len(starts) == TIMES == len({str(e["UID"]) for e in brace})
    assert starts[0] == datetime(2027, 3, 8, 9, 0, tzinfo=NEW_YORK)
    assert starts[-1] == datetime(2027, 4, 18, 9, 0, tzinfo=NEW_YORK)
    # Each a short event at its time, never a 24-hour block, each with one alarm at 09:00.
    for event in brace:
        length = event.decoded("DTEND") - event.decoded("DTSTART")
        assert length.total_seconds() == 30 * 60
        (alarm,) = event.walk("VALARM")
        assert alarm.decoded("TRIGGER").astimezone(NEW_YORK).hour == 9
