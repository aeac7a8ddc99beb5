"""The patient's checklist: sections, recurring counts, zones, and the tick services."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select

from tests.enrollment_helpers import custom_version, make_step, rel
from tests.patient_helpers import (
    CLOCK,
    NOW,
    TEXTS,
    item_id,
    items_by_text,
    linked,
    open_tablet,
    patient_acts,
    small_version,
    tick,
)
from tracker.care.enrollment import DUE_SOON_BEFORE, cancel_enrollment
from tracker.errors import InvalidInput, ItemNotFound
from tracker.models import AuditEvent, ChecklistItem, Reminder
from tracker.patient import page as page_module
from tracker.patient.page import ChecklistPage, load_entry, load_page
from tracker.patient.printed_plan import printable
from tracker.patient.queries import INBOX_ROWS
from tracker.patient.text import ENGLISH, words_for
from tracker.patient.ticking import act


def reminders_of(session: Session, item: int) -> list[Reminder]:
    session.expire_all()
    query = select(Reminder).where(Reminder.item_id == item).order_by(col(Reminder.id))
    return list(session.exec(query))


def audit_of(session: Session, item: int) -> list[AuditEvent]:
    query = select(AuditEvent).where(
        AuditEvent.subject_type == "checklistitem", AuditEvent.subject_id == item
    )
    return list(session.exec(query.order_by(col(AuditEvent.id))))


# --- the page --------------------------------------------------------------------------------


@pytest.mark.both_databases
def test_sections_now_coming_done(session: Session) -> None:
    plan = linked(session)
    page = load_page(session, plan.access(session), now=CLOCK, words=ENGLISH)
    # Most urgent first: the ride (due Sunday), the walk (due Monday), the 12:00 tablet.
    assert [e.text for e in page.now] == [TEXTS["ride"], TEXTS["walk"], TEXTS["tablet"]]
    assert [e.status for e in page.now] == ["overdue", "overdue", "open"]
    assert page.now[0].when == "Late by 2 days 5 hours"
    assert page.now[2].when == "Do by Today at 16:00" and page.now[2].left == "3 hours left"
    # Coming up: one line per step and day, with its times.
    assert [
        (day.label, [(line.times, line.text) for line in day.lines]) for day in page.coming
    ] == [
        ("Today", [("16:00, 20:00", TEXTS["tablet"])]),
        ("Tomorrow", [("08:00", TEXTS["tablet"])]),
    ]
    # What was not done (missed, here) is listed apart from what was done.
    assert page.done == []
    not_done = [(e.text, e.status) for e in page.not_done]
    assert (TEXTS["fast"], "missed") in not_done
    assert not_done.count((TEXTS["tablet"], "missed")) == 4
    assert page.countdown == "It was 1 day 4 hours ago."
    assert page.procedure == "Monday 8 March 2027 at 08:00"


def _items_shown(page: ChecklistPage) -> int:
    coming = sum(len(line.times.split(", ")) for day in page.coming for line in day.lines)
    return len(page.now) + coming + len(page.done) + len(page.not_done)


@pytest.mark.both_databases
@pytest.mark.parametrize("moment", [NOW, CLOCK + timedelta(days=5)], ids=["later", "many_done"])
def test_the_short_page_counts_what_it_leaves_out(
    session: Session, moment: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hidden: items coming after the listed days (at NOW), or, of those over, the done and
    the not-done ones past the latest few of each (once the ride and the walk are ticked too,
    eleven are over: two done, nine missed; the short lists keep five of each here)."""
    plan = linked(session)
    access = plan.access(session)
    if moment > CLOCK:
        monkeypatch.setattr(page_module, "DONE_SHOWN", 5)
        for key in ("ride", "walk"):
            tick(session, access, item_id(session, plan.id, key), moment)
    short = load_page(session, access, now=moment, words=ENGLISH)
    full = load_page(session, access, now=moment, words=ENGLISH, everything=True)
    every = session.exec(
        select(ChecklistItem).where(
            ChecklistItem.enrollment_id == plan.id, ChecklistItem.status != "cancelled"
        )
    ).all()
    assert _items_shown(full) == len(every) and full.hidden == 0
    assert short.hidden == len(every) - _items_shown(short) > 0


def test_recurring_items_show_todays_occurrences(session: Session) -> None:
    plan = linked(session)
    access = plan.access(session)
    tablets = items_by_text(session, plan.id)[TEXTS["tablet"]]
    morning = next(t for t in tablets if t.opens_at == CLOCK - timedelta(hours=5))
    assert morning.id is not None
    tick(session, access, morning.id, CLOCK)
    page = load_page(session, access, now=CLOCK, words=ENGLISH)
    tablet = next(e for e in page.now if e.text == TEXTS["tablet"])
    assert tablet.today == "1 of 4 today"
    # Upcoming occurrences cannot be ticked yet (tomorrow's dose is not for today).
    later = open_tablet(session, plan.id, CLOCK + timedelta(hours=3))
    assert later.id is not None
    upcoming = load_entry(session, access, later.id, now=CLOCK, words=ENGLISH)
    assert upcoming and upcoming.status == "upcoming" and not upcoming.actions
    assert upcoming.today == "1 of 4 today"
    with pytest.raises(InvalidInput, match="not started"):
        patient_acts(session, access, later.id, "done", CLOCK)


def test_ticking_one_occurrence_ticks_only_that_one(session: Session) -> None:
    plan = linked(session)
    current = open_tablet(session, plan.id)
    assert current.id is not None
    patient_acts(session, plan.access(session), current.id, "done", CLOCK)
    session.commit()
    statuses = {t.id: t.status for t in items_by_text(session, plan.id)[TEXTS["tablet"]]}
    assert statuses.pop(current.id) == "done"
    assert "done" not in statuses.values()


def test_times_follow_the_patients_zone(session: Session) -> None:
    plan = linked(session, timezone="Asia/Tokyo", start=START_TOKYO)
    page = load_page(session, plan.access(session), now=CLOCK, words=ENGLISH)
    assert page.procedure == "Monday 8 March 2027 at 08:00"
    assert page.zone == "Tokyo"
    # 18:00 UTC is 03:00 on Wednesday in Tokyo: the next tablet is at 08:00 "Today".
    assert page.coming[0].label == "Today"
    assert page.coming[0].lines[0].times == "08:00"


@pytest.mark.both_databases
def test_every_sent_reminder_can_be_read_on_the_page(session: Session) -> None:
    # More messages than the short page lists: the newest INBOX_ROWS there, with a way to
    # all of them (the full page), so no reminder sent is ever out of the patient's reach.
    plan = linked(session)
    items = session.exec(
        select(ChecklistItem).where(
            ChecklistItem.enrollment_id == plan.id, ChecklistItem.status != "cancelled"
        )
    ).all()
    sent = [
        Reminder(
            item_id=item.id,
            enrollment_id=plan.id,
            send_at=NOW,
            purpose=purpose,
            channel="inapp",
            status="sent",
            sent_at=NOW + timedelta(minutes=len(items) * number + position),
            idempotency_key=f"sent-{item.id}-{purpose}",
        )
        for number, purpose in enumerate(("opens", "due_soon"))
        for position, item in enumerate(items)
    ]
    assert len(sent) > INBOX_ROWS
    session.add_all(sent)
    session.commit()
    access = plan.access(session)
    short = load_page(session, access, now=CLOCK, words=ENGLISH)
    assert len(short.inbox) == INBOX_ROWS and short.older_messages
    newest = sorted(sent, key=lambda reminder: reminder.sent_at, reverse=True)[:INBOX_ROWS]
    assert [m.item_id for m in short.inbox] == [reminder.item_id for reminder in newest]
    full = load_page(session, access, now=CLOCK, words=ENGLISH, everything=True)
    assert len(full.inbox) == len(sent) and not full.older_messages


START_TOKYO = datetime(2027, 3, 8, 8, 0)  # local time in Tokyo


@pytest.mark.both_databases
def test_inbox_lists_sent_reminders_once_per_item(session: Session) -> None:
    plan = linked(session)
    ride = item_id(session, plan.id, "ride")
    rows = reminders_of(session, ride)
    assert rows, "the ride has reminders"
    for reminder in rows:
        reminder.status, reminder.sent_at = "sent", NOW + timedelta(hours=1)
        session.add(reminder)
    session.add(
        Reminder(
            item_id=ride,
            enrollment_id=plan.id,
            send_at=rows[0].send_at,
            purpose=rows[0].purpose,
            channel="email",
            status="sent",
            sent_at=NOW + timedelta(hours=1),
            idempotency_key="email-copy",
        )
    )
    session.commit()
    page = load_page(session, plan.access(session), now=CLOCK, words=ENGLISH)
    assert [(m.text, m.item_id) for m in page.inbox] == [(f"Reminder: {TEXTS['ride']}", ride)]


def test_printable_plan_collapses_recurring_steps(session: Session) -> None:
    plan = linked(session)
    days = printable(session, plan.access(session), now=CLOCK, words=ENGLISH)
    lines = [(day, row.when, row.text) for day, rows in days for row in rows]
    # Paper outlives the day it is printed: dates, never "Yesterday" or "Tomorrow".
    assert lines == [
        ("Mon 1 Mar", "08:00 · Do by Sun 7 Mar at 08:00", TEXTS["ride"]),
        ("Sun 7 Mar", "20:00 · Do by Mon 8 Mar at 08:00", TEXTS["fast"]),
        ("Mon 8 Mar", "11:00", TEXTS["walk"]),
        ("Mon 8 Mar", "12:00, 8 times in all, until Wed 10 Mar", TEXTS["tablet"]),
    ]


def test_the_printed_plan_words_each_kind_of_step_as_the_checklist_does(
    session: Session,
) -> None:
    """A restriction runs until its end, a note has no deadline, and a visit with a window of
    days says by when (the checklist's words), instead of only the hour it opens."""
    steps = [
        replace(make_step("Nothing to eat", opens=rel(clock="00:00"), due=rel()), asks="avoid"),
        replace(make_step("No lifting", opens=rel("end"), due=rel("end", days=42)), asks="avoid"),
        replace(
            make_step("Expect soreness", opens=rel("end"), due=rel("end", days=14)), asks="know"
        ),
        make_step(
            "Wound check 10 to 14 days after",
            opens=rel("end", days=10, clock="09:00"),
            due=rel("end", days=15, clock="00:00"),
        ),
    ]
    plan = linked(session, version=custom_version(session, steps))
    days = printable(session, plan.access(session), now=CLOCK, words=ENGLISH)
    assert [(day, row.when, row.text, row.tickable) for day, rows in days for row in rows] == [
        ("Mon 8 Mar", "Until Mon 8 Mar at 08:00", "Nothing to eat", False),
        ("Mon 8 Mar", "09:00 · Until Mon 19 Apr at 09:00", "No lifting", False),
        ("Mon 8 Mar", "Good to know", "Expect soreness", False),
        ("Thu 18 Mar", "09:00 · Do by end of Mon 22 Mar", "Wound check 10 to 14 days after", True),
    ]
    # The checklist's coming-up line for the visit says the same.
    page = load_page(session, plan.access(session), now=CLOCK, words=ENGLISH, everything=True)
    visit = [line for day in page.coming for line in day.lines if line.text.startswith("Wound")]
    assert [(line.times, line.until) for line in visit] == [("09:00", "Do by end of Mon 22 Mar")]
    spanish = printable(session, plan.access(session), now=CLOCK, words=words_for("es"))
    assert spanish[-1][1][0].when == (
        "09:00 · Hágalo antes de: lunes 22 de marzo (hasta el final del día)"
    )


def test_a_deadline_at_midnight_is_the_end_of_the_day_before() -> None:
    """Issue 10 and 13: "due Wed 00:00" means "by the end of Tuesday"; a midnight opening is
    the whole day, not a clock time."""
    zone = ZoneInfo("America/New_York")
    today = date(2027, 3, 9)  # a Tuesday
    at = partial(datetime, tzinfo=zone)
    assert ENGLISH.deadline(at(2027, 3, 10), today) == "end of today"
    assert ENGLISH.deadline(at(2027, 3, 11), today) == "end of tomorrow"
    assert ENGLISH.deadline(at(2027, 3, 17), today) == "end of Tue 16 Mar"
    assert ENGLISH.deadline(at(2028, 1, 1), today) == "end of Fri 31 Dec"
    assert ENGLISH.deadline(at(2027, 3, 10, 0, 1), today) == "Tomorrow at 00:01"
    assert ENGLISH.start(at(2027, 3, 11), today) == "Thu 11 Mar"
    assert ENGLISH.start(at(2027, 3, 11, 7, 30), today) == "Thu 11 Mar at 07:30"


@pytest.mark.both_databases
def test_pages_word_a_midnight_deadline_as_the_end_of_the_day(session: Session) -> None:
    plan = linked(session)
    zone = ZoneInfo("America/New_York")
    walk_id, ride_id = item_id(session, plan.id, "walk"), item_id(session, plan.id, "ride")
    walk, ride = session.get(ChecklistItem, walk_id), session.get(ChecklistItem, ride_id)
    assert walk is not None and ride is not None
    walk.due_at = datetime(2027, 3, 10, tzinfo=zone).astimezone(UTC)  # Wed 00:00, local
    walk.expires_at = None
    ride.opens_at = datetime(2027, 3, 11, tzinfo=zone).astimezone(UTC)  # Thu, the whole day
    ride.due_at = datetime(2027, 3, 12, tzinfo=zone).astimezone(UTC)
    ride.expires_at = None
    session.commit()
    page = load_page(session, plan.access(session), now=CLOCK, words=ENGLISH)
    entries = {entry.text: entry for entry in page.now}
    assert entries[TEXTS["walk"]].when == "Do by end of today"
    thursday = [d for d in page.coming if d.label == "Thu 11 Mar"]
    assert [(line.times, line.text) for line in thursday[0].lines] == [("Any time", TEXTS["ride"])]
    upcoming = load_entry(session, plan.access(session), ride_id, now=CLOCK, words=ENGLISH)
    assert upcoming is not None and upcoming.when == "Starts Thu 11 Mar"
    lines = printable(session, plan.access(session), now=CLOCK, words=ENGLISH)
    printed = {row.text: (day, row.when) for day, rows in lines for row in rows}
    assert printed[TEXTS["ride"]] == ("Thu 11 Mar", "Do by end of Thu 11 Mar")


def test_unknown_language_falls_back_to_english() -> None:
    assert words_for("fr") is ENGLISH
    assert words_for("") is ENGLISH
    assert words_for("es-MX").code == "es"
    assert ENGLISH.span(timedelta(seconds=20)) == "less than a minute"
    assert ENGLISH.span(timedelta(days=1, hours=1, minutes=5)) == "1 day 1 hour"


# --- ticking ---------------------------------------------------------------------------------


@pytest.mark.both_databases
def test_tick_records_who_when_and_cancels_waiting_reminders(session: Session) -> None:
    plan = linked(session)
    ride = item_id(session, plan.id, "ride")
    waiting = reminders_of(session, ride)
    waiting[0].status = "deferred"
    session.add(
        Reminder(
            item_id=ride,
            enrollment_id=plan.id,
            send_at=NOW,
            status="sent",
            idempotency_key="already-sent",
        )
    )
    session.commit()
    item = patient_acts(session, plan.access(session), ride, "done", CLOCK)
    session.commit()
    assert (item.status, item.acted_at, item.acted_by) == ("done", CLOCK, f"link:{plan.link.id}")
    statuses = sorted(r.status for r in reminders_of(session, ride))
    assert statuses == sorted(["cancelled"] * len(waiting) + ["sent"])
    (event,) = audit_of(session, ride)
    assert (event.actor, event.action, event.at) == (f"link:{plan.link.id}", "item.done", CLOCK)
    assert event.before and event.before["status"] == "pending"
    assert event.after and event.after["reminders_cancelled"] == len(waiting)


def test_tick_twice_changes_nothing_more(session: Session) -> None:
    plan = linked(session)
    ride = item_id(session, plan.id, "ride")
    access = plan.access(session)
    for _ in range(2):
        tick(session, access, ride, CLOCK)
    assert len(audit_of(session, ride)) == 1


@pytest.mark.both_databases
def test_untick_reopens_and_rearms_only_future_reminders(session: Session) -> None:
    plan = linked(session)
    fast = item_id(session, plan.id, "fast")
    access = plan.access(session)
    evening = NOW + timedelta(days=6, hours=7)  # Sun 7 Mar 14:00 EST, before the fast opens
    tick(session, access, fast, evening)
    assert {r.status for r in reminders_of(session, fast)} == {"cancelled"}
    item = patient_acts(session, access, fast, "undo", evening)
    session.commit()
    assert (item.status, item.acted_at, item.acted_by) == ("pending", None, "")
    pending = [r for r in reminders_of(session, fast) if r.status == "pending"]
    assert sorted((r.purpose, r.send_at) for r in pending) == [
        ("due_soon", item.due_at - DUE_SOON_BEFORE),
        ("opens", item.opens_at),
    ]
    # Nothing is deleted: the cancelled rows are still there beside the new ones.
    assert len(reminders_of(session, fast)) == 2 * len(pending)
    assert [e.action for e in audit_of(session, fast)] == ["item.done", "item.reopen"]


def test_untick_after_the_window_rearms_nothing(session: Session) -> None:
    plan = linked(session)
    ride = item_id(session, plan.id, "ride")
    access = plan.access(session)
    patient_acts(session, access, ride, "done", CLOCK)
    item = patient_acts(session, access, ride, "undo", CLOCK)
    session.commit()
    assert item.status == "pending"  # no expiry: still worth doing
    assert {r.status for r in reminders_of(session, ride)} == {"cancelled"}


def test_untick_of_an_expired_item_makes_it_missed(session: Session) -> None:
    plan = linked(session)
    fast = item_id(session, plan.id, "fast")
    access = plan.access(session)
    patient_acts(session, access, fast, "done", CLOCK)
    item = patient_acts(session, access, fast, "undo", CLOCK)
    assert item.status == "missed"


def test_not_done_keeps_the_note_and_cancels_reminders(session: Session) -> None:
    plan = linked(session)
    walk = item_id(session, plan.id, "walk")
    item = patient_acts(
        session, plan.access(session), walk, "not_done", CLOCK, note="  Too dizzy <b>today</b>  "
    )
    session.commit()
    assert (item.status, item.note) == ("not_done", "Too dizzy <b>today</b>")
    assert {r.status for r in reminders_of(session, walk)} <= {"cancelled"}
    entry = load_entry(session, plan.access(session), walk, now=CLOCK, words=ENGLISH)
    assert entry and entry.note == "Too dizzy <b>today</b>" and entry.actions == ("undo",)
    # Changing one's mind: "I did it after all" is allowed straight from not done.
    patient_acts(session, plan.access(session), walk, "done", CLOCK)
    assert [e.action for e in audit_of(session, walk)] == ["item.not_done", "item.done"]


@pytest.mark.parametrize("note", ["x" * 501, "bell\x07", 42])
def test_bad_notes_are_refused(session: Session, note: object) -> None:
    plan = linked(session)
    walk = item_id(session, plan.id, "walk")
    with pytest.raises(InvalidInput):
        patient_acts(session, plan.access(session), walk, "not_done", CLOCK, note=note)


def test_a_missed_item_can_still_be_recorded_as_done(session: Session) -> None:
    plan = linked(session)
    fast = item_id(session, plan.id, "fast")
    item = patient_acts(session, plan.access(session), fast, "done", CLOCK)
    assert item.status == "done"


def test_future_occurrences_cannot_be_ticked_early(session: Session) -> None:
    plan = linked(session)
    tablets = items_by_text(session, plan.id)[TEXTS["tablet"]]
    later = tablets[-1]
    assert later.id is not None and later.opens_at > CLOCK
    with pytest.raises(InvalidInput, match="not started"):
        patient_acts(session, plan.access(session), later.id, "done", CLOCK)


def test_a_nurse_may_record_a_future_occurrence_done(session: Session) -> None:
    # The patient cannot tick tomorrow's dose; a nurse told on the phone that it was taken
    # early can record it (checklist.act with allow_early, as the nurse's page does).
    plan = linked(session)
    later = items_by_text(session, plan.id)[TEXTS["tablet"]][-1]
    assert later.id is not None and later.opens_at > CLOCK
    item = act(
        session=session,
        enrollment=plan.enrollment,
        actor="user:1",
        item_id=later.id,
        action="done",
        now=CLOCK,
        allow_early=True,
    )
    session.commit()
    assert (item.status, item.acted_by, item.acted_at) == ("done", "user:1", CLOCK)
    reminders = reminders_of(session, later.id)
    assert reminders and all(reminder.status == "cancelled" for reminder in reminders)


@pytest.mark.both_databases
def test_another_enrollments_item_is_not_found(session: Session) -> None:
    version = small_version(session)
    mine, theirs = linked(session, version=version), linked(session, version=version)
    foreign = item_id(session, theirs.id, "ride")
    with pytest.raises(ItemNotFound):
        patient_acts(session, mine.access(session), foreign, "done", CLOCK)
    assert items_by_text(session, theirs.id)[TEXTS["ride"]][0].status == "pending"


def test_unknown_action_and_wrong_state_are_refused(session: Session) -> None:
    plan = linked(session)
    ride = item_id(session, plan.id, "ride")
    access = plan.access(session)
    with pytest.raises(InvalidInput):
        patient_acts(session, access, ride, "delete", CLOCK)
    patient_acts(session, access, ride, "done", CLOCK)
    with pytest.raises(InvalidInput, match="done"):
        patient_acts(session, access, ride, "not_done", CLOCK)


def test_a_cancelled_plan_cannot_change(session: Session) -> None:
    plan = linked(session)
    cancel_enrollment(session=session, enrollment=plan.enrollment, actor="test", now=CLOCK)
    session.commit()
    ride = item_id(session, plan.id, "ride")
    access = plan.access(session, now=CLOCK + timedelta(hours=1))
    with pytest.raises(InvalidInput, match="cancelled"):
        patient_acts(session, access, ride, "done", CLOCK)
    page = load_page(session, access, now=CLOCK, words=ENGLISH)
    assert page.state == "cancelled"
    assert all(not entry.actions for entry in [*page.now, *page.done])
