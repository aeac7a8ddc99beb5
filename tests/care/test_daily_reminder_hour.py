"""Repeats with no clock time of their own are reminded at the patient's reminder hour."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from tests.enrollment_helpers import (
    custom_version,
    enroll_patient,
    make_patient,
    make_step,
    pathways_22868_version,
    rel,
)
from tracker.care.schedule_rows import items_of, reminders_of
from tracker.models import Enrollment, Reminder, Step
from tracker.patient.ticking import act
from tracker.reading.timing import Recurrence

NEW_YORK = ZoneInfo("America/New_York")
# 19:01 local, two hours long: the procedure ends at 21:01, inside the default quiet hours.
EVENING = datetime(2027, 3, 8, 19, 1)


def _local_opens(session: Session, enrollment: Enrollment, text: str) -> list[datetime]:
    """The local times of one step's 'opens' reminders on the in-app channel, in order."""
    step_ids = {
        item.id: item.step_id for item in items_of(session, enrollment) if item.id is not None
    }
    wanted = [
        r.send_at.astimezone(NEW_YORK)
        for r in reminders_of(session, enrollment)
        if r.purpose == "opens"
        and r.channel == "inapp"
        and r.status == "pending"
        and _text(session, step_ids[r.item_id]).startswith(text)
    ]
    return sorted(wanted)


def _text(session: Session, step_id: int) -> str:
    step = session.get(Step, step_id)
    assert step is not None
    return step.text


@pytest.mark.both_databases
def test_the_seed_pathways_daily_pain_medicine_is_reminded_at_nine_each_day(
    session: Session,
) -> None:
    # "Take your prescribed pain medicine as directed for the first 1 to 2 weeks": daily, no
    # clock given. The procedure ends 21:01 on Mon 8 Mar; the reminders come at 09:00 (the
    # default reminder hour) from Tue 9 Mar, never at 21:01 and never pushed to 07:00, and
    # stay at 09:00 local across the change to summer time on Sun 14 Mar.
    enrollment = enroll_patient(session, start=EVENING, version=pathways_22868_version(session))
    times = _local_opens(session, enrollment, "Take your prescribed pain medicine")
    assert times, "the daily item has reminders"
    assert {(t.hour, t.minute) for t in times} == {(9, 0)}
    assert times[0].date() == datetime(2027, 3, 9).date()
    days = [t.date() for t in times]
    assert days == sorted(set(days)), "one reminder a day"
    assert {t.utcoffset() for t in times} == {timedelta(hours=-5), timedelta(hours=-4)}


@pytest.mark.both_databases
def test_the_patients_own_reminder_hour_is_used(session: Session) -> None:
    patient = make_patient(session, reminder_hour=7)
    enrollment = enroll_patient(
        session, patient=patient, start=EVENING, version=pathways_22868_version(session)
    )
    times = _local_opens(session, enrollment, "Take your prescribed pain medicine")
    assert {(t.hour, t.minute) for t in times} == {(7, 0)}


@pytest.mark.both_databases
def test_a_stated_clock_time_wins_over_the_reminder_hour(session: Session) -> None:
    until = rel("end", days=5)
    version = custom_version(
        session,
        [
            make_step(
                "Walk for ten minutes daily at 6 pm",
                section="recovery",
                opens=rel("end", days=1, clock="18:00"),
                due=rel("end", days=2, clock="18:00"),
                recurrence=Recurrence("FREQ=DAILY", until),
            ),
            make_step(
                "Take the tablets at 8 am and 8 pm",
                section="recovery",
                opens=rel("end"),
                due=rel("end", days=1),
                recurrence=Recurrence("FREQ=DAILY;BYHOUR=8,20;BYMINUTE=0", until),
            ),
            make_step(
                "Check the dressing daily",
                section="recovery",
                opens=rel("end"),
                due=rel("end", days=1),
                recurrence=Recurrence("FREQ=DAILY", until),
            ),
        ],
    )
    enrollment = enroll_patient(session, version=version, start=EVENING)
    walk = _local_opens(session, enrollment, "Walk")
    tablets = _local_opens(session, enrollment, "Take the tablets")
    dressing = _local_opens(session, enrollment, "Check the dressing")
    assert {(t.hour, t.minute) for t in walk} == {(18, 0)}
    assert {t.hour for t in tablets} == {8, 20}
    assert {(t.hour, t.minute) for t in dressing} == {(9, 0)}
    assert len(dressing) == 5  # Tue 9 to Sat 13 Mar: one a day


@pytest.mark.both_databases
def test_an_undone_daily_occurrence_is_reminded_at_the_next_reminder_hour_ahead(
    session: Session,
) -> None:
    enrollment = enroll_patient(session, start=EVENING, version=pathways_22868_version(session))
    item = next(
        i
        for i in items_of(session, enrollment)
        if _text(session, i.step_id).startswith("Take your prescribed pain medicine")
    )
    # The first occurrence runs 21:01 Mon to 21:01 Tue; the patient ticks and unticks it at
    # 22:00 Mon: the reminder still ahead is 09:00 Tue.
    at = datetime(2027, 3, 8, 22, 0, tzinfo=NEW_YORK)
    for action in ("done", "undo"):
        act(
            session=session,
            enrollment=enrollment,
            actor="test",
            item_id=item.id,
            action=action,
            now=at,
            allow_early=True,
        )
    session.commit()
    waiting = [
        r.send_at.astimezone(NEW_YORK)
        for r in session.exec(select(Reminder).where(Reminder.item_id == item.id))
        if r.status == "pending" and r.channel == "inapp"
    ]
    assert waiting == [datetime(2027, 3, 9, 9, 0, tzinfo=NEW_YORK)]
