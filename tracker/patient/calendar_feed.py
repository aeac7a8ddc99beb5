"""A patient's plan as an iCalendar feed, generated from the current rows on every request.

One VEVENT for the procedure and one per checklist item the patient acts on or keeps to (a
recurring step has one item per occurrence, expanded from its stored RRULE by
tracker.localtime: the same rows the checklist shows, nothing recomputed here to drift):
- a `do` item is a short event at its time (an all-day one when it names only a day);
- an `avoid` item is an all-day span, from the day it starts to the day it ends;
- notes and warning signs (`know`, `watch`) stay on the page, not in the calendar.
Alarms are the item's reminder times, moved out of the patient's quiet hours as the
dispatcher moves them, unless the item is critical. "I couldn't do this" is CANCELLED.
UIDs come from row ids, so a reschedule moves events instead of duplicating them.
Stored rows of a repeating step stop at a horizon; its later occurrences (expanded from the
stored RRULE by tracker.patient.series) are events too, so the calendar holds the whole span.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event
from sqlmodel import Session, col, select

from tracker.care.item_reminders import NOT_ITEM_REMINDERS, Occasion, wanted
from tracker.i18n import best
from tracker.library.patient_plan import StepInfo, plan_for
from tracker.localtime import Window
from tracker.models import ChecklistItem, Patient, Reminder
from tracker.patient.links import LinkAccess
from tracker.patient.series import Series, whole_series
from tracker.patient.text import Words, due_on_a_later_day, is_day_boundary
from tracker.reminders.rules import held_until

PRODID = "-//Care Pathway Tracker//Patient plan//EN"
REFRESH = timedelta(hours=1)  # how often subscribed calendars should fetch the feed again
ALARM_STATUSES = ("pending", "deferred", "claimed", "sent")  # reminders that are or were meant
IN_CALENDAR = ("do", "avoid")  # notes and warning signs stay on the page
NOT_DONE = ("not_done", "skipped")  # "I couldn't do this", or the care team said not needed
SHORT_EVENT = timedelta(minutes=30)  # a `do` item's event, when its window is longer


def item_uid(item_id: int) -> str:
    return f"item-{item_id}@tracker"


def procedure_uid(enrollment_id: int) -> str:
    return f"enrollment-{enrollment_id}@tracker"


def build_feed(
    session: Session, access: LinkAccess, *, now: datetime, words: Words, page_url: str
) -> bytes:
    """The enrollment's calendar as iCalendar bytes."""
    enrollment = access.enrollment
    assert enrollment.id is not None
    plan = plan_for(session, enrollment.version_id, best(access.patient.language))
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", words.get("calendar_name", title=plan.title))
    calendar.add("x-wr-timezone", enrollment.timezone)
    calendar.add("refresh-interval", REFRESH)
    calendar.add("x-published-ttl", "PT1H")
    opening = words.get("calendar_open", url=page_url)

    procedure = _event(procedure_uid(enrollment.id), now, enrollment.updated_at)
    procedure.add("summary", words.get("calendar_procedure", title=plan.title))
    procedure.add("dtstart", enrollment.procedure_start)
    procedure.add("dtend", enrollment.procedure_end)
    procedure.add("description", opening)
    procedure.add("url", page_url)
    calendar.add_component(procedure)

    items = session.exec(
        select(ChecklistItem)
        .where(ChecklistItem.enrollment_id == enrollment.id)
        .order_by(col(ChecklistItem.opens_at), col(ChecklistItem.id))
    ).all()
    patient = session.get(Patient, enrollment.patient_id)
    assert patient is not None
    feed = _Feed(now, ZoneInfo(enrollment.timezone), patient, words, opening, page_url)
    alarms = _alarm_times(session, enrollment.id)
    for item in items:
        assert item.id is not None
        step = plan.steps[item.step_id]
        if step.asks not in IN_CALENDAR or item.status == "cancelled":
            continue
        window = Window(item.opens_at, item.due_at, item.expires_at)
        modified = item.acted_at or enrollment.updated_at
        event = feed.event(item_uid(item.id), modified, window, step, item.status)
        feed.alarms(event, alarms.get(item.id, []), window, step)
        calendar.add_component(event)
    # Occurrences past the stored rows' horizon: no rows yet, but the patient's whole span.
    stored = {(item.step_id, item.occurrence) for item in items}
    later = whole_series(session, enrollment) if enrollment.state == "active" else {}
    for step_id, series in later.items():
        step = plan.steps[step_id]
        if step.asks not in IN_CALENDAR or not any(sid == step_id for sid, _ in stored):
            continue
        for number, window in enumerate(series.windows):
            if (step_id, number) in stored:
                continue
            uid = occurrence_uid(enrollment.id, step_id, number)
            event = feed.event(uid, enrollment.updated_at, window, step, "pending")
            feed.alarms(event, _planned_alarms(window, step, series, now), window, step)
            calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data


@dataclass(frozen=True)
class _Feed:
    """What every item's event is written with: the instant, zone, patient and words."""

    now: datetime
    tz: ZoneInfo
    patient: Patient
    words: Words
    opening: str  # "Open your checklist: <url>"
    page_url: str

    def event(
        self, uid: str, modified: datetime, window: Window, step: StepInfo, status: str
    ) -> Event:
        """The VEVENT of one occurrence, without its alarms."""
        event = _event(uid, self.now, modified)
        # RFC 5545's LANGUAGE marks a step left in English in a calendar in another language.
        event.add("summary", step.text, parameters={"LANGUAGE": step.lang} if step.lang else {})
        _timed(event, window, step.asks, self.tz)
        due = self._deadline(window, step)
        parts = (step.text, step.why, due, self.opening)
        event.add("description", "\n\n".join(p for p in parts if p))
        event.add("url", self.page_url)
        event.add("transp", "TRANSPARENT")  # a window to act in, not a busy appointment
        event.add("status", "CANCELLED" if status in NOT_DONE else "CONFIRMED")
        if step.critical:
            event.add("priority", 1)
        return event

    def _deadline(self, window: Window, step: StepInfo) -> str:
        """'Do by Mon 22 Mar at 09:00' when an item to do is due on a later day than its event
        (which sits where it opens), as the checklist says it; "" otherwise."""
        opens, due = window.opens.astimezone(self.tz), window.due.astimezone(self.tz)
        if step.asks != "do" or not due_on_a_later_day(opens, due):
            return ""
        today = self.now.astimezone(self.tz).date()
        return self.words.get("due_by", when=self.words.deadline(due, today, relative=False))

    def alarms(self, event: Event, times: list[datetime], window: Window, step: StepInfo) -> None:
        """One alarm per reminder time, held out of quiet hours as the dispatcher holds it."""
        for send_at in times:
            held = held_until(
                send_at,
                due_at=window.due,
                critical=step.critical,
                zone=self.tz.key,
                begins=self.patient.quiet_start,
                ends=self.patient.quiet_end,
            )
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", self.words.get("inbox_entry", text=step.text))
            alarm.add("trigger", held or send_at)  # an absolute time: right for all-day events
            event.add_component(alarm)


def _planned_alarms(
    window: Window, step: StepInfo, series: Series, now: datetime
) -> list[datetime]:
    """The reminder times an occurrence with no row yet will get (the one place decides)."""
    want = wanted(
        status="pending",
        opens=window.opens,
        due=window.due,
        critical=step.critical,
        asks=step.asks,
        channels=("inapp",),
        now=now,
        occasion=Occasion.PLANNED,
        at_hour=series.at_hour,
    )
    return sorted(want.values())


def occurrence_uid(enrollment_id: int, step_id: int, number: int) -> str:
    """A later occurrence with no row yet (once its row is written, the row's UID is used)."""
    return f"occurrence-{enrollment_id}-{step_id}-{number}@tracker"


def _timed(event: Event, window: Window, asks: str, tz: ZoneInfo) -> None:
    """DTSTART and DTEND: a short event at a `do` item's time; whole days for a restriction,
    and for a `do` item that names only a day (it opens at local midnight)."""
    opens = window.opens.astimezone(tz)
    if asks == "do" and not is_day_boundary(opens):
        event.add("dtstart", window.opens)
        event.add("dtend", min(window.opens + SHORT_EVENT, max(window.due, window.opens)))
        return
    ends = (window.expires or window.due).astimezone(tz)
    # DTEND of an all-day event is the day after the last: a midnight end is that day itself.
    last = ends.date() if is_day_boundary(ends) else ends.date() + timedelta(days=1)
    event.add("dtstart", opens.date())
    event.add("dtend", max(last, opens.date() + timedelta(days=1)))


def _event(uid: str, now: datetime, modified: datetime) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now)
    event.add("last-modified", modified)
    return event


def _alarm_times(session: Session, enrollment_id: int) -> dict[int, list[datetime]]:
    """Item id -> its distinct reminder times (one alarm however many channels send it)."""
    rows = session.exec(
        select(Reminder.item_id, Reminder.send_at).where(
            Reminder.enrollment_id == enrollment_id,
            col(Reminder.status).in_(ALARM_STATUSES),
            # The care team's email and text digests or replies are not the item's alarms.
            col(Reminder.purpose).not_in(NOT_ITEM_REMINDERS),
        )
    )
    times: defaultdict[int, set[datetime]] = defaultdict(set)
    for item_id, send_at in rows:
        times[item_id].add(send_at)
    return {item_id: sorted(moments) for item_id, moments in times.items()}
