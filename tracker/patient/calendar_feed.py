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
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event
from sqlmodel import Session, col, select

from tracker.care.item_reminders import NOT_ITEM_REMINDERS
from tracker.i18n import best
from tracker.library.patient_plan import plan_for
from tracker.models import ChecklistItem, Patient, Reminder
from tracker.patient.links import LinkAccess
from tracker.patient.text import Words, is_day_boundary
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
        .where(ChecklistItem.enrollment_id == enrollment.id, ChecklistItem.status != "cancelled")
        .order_by(col(ChecklistItem.opens_at), col(ChecklistItem.id))
    ).all()
    alarms = _alarm_times(session, enrollment.id)
    patient = session.get(Patient, enrollment.patient_id)
    assert patient is not None
    tz = ZoneInfo(enrollment.timezone)
    for item in items:
        assert item.id is not None
        step = plan.steps[item.step_id]
        if step.asks not in IN_CALENDAR:
            continue
        event = _event(item_uid(item.id), now, item.acted_at or enrollment.updated_at)
        # RFC 5545's LANGUAGE marks a step left in English in a calendar in another language.
        event.add("summary", step.text, parameters={"LANGUAGE": step.lang} if step.lang else {})
        _timed(event, item, step.asks, tz)
        event.add("description", "\n\n".join(p for p in (step.text, step.why, opening) if p))
        event.add("url", page_url)
        event.add("transp", "TRANSPARENT")  # a window to act in, not a busy appointment
        event.add("status", "CANCELLED" if item.status in NOT_DONE else "CONFIRMED")
        if step.critical:
            event.add("priority", 1)
        for send_at in alarms.get(item.id, ()):
            send_at = (
                held_until(
                    send_at,
                    due_at=item.due_at,
                    critical=step.critical,
                    zone=enrollment.timezone,
                    begins=patient.quiet_start,
                    ends=patient.quiet_end,
                )
                or send_at
            )
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", words.get("inbox_entry", text=step.text))
            alarm.add("trigger", send_at)  # an absolute time: right for all-day events too
            event.add_component(alarm)
        calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data


def _timed(event: Event, item: ChecklistItem, asks: str, tz: ZoneInfo) -> None:
    """DTSTART and DTEND: a short event at a `do` item's time; whole days for a restriction,
    and for a `do` item that names only a day (it opens at local midnight)."""
    opens = item.opens_at.astimezone(tz)
    if asks == "do" and not is_day_boundary(opens):
        event.add("dtstart", item.opens_at)
        event.add("dtend", min(item.opens_at + SHORT_EVENT, max(item.due_at, item.opens_at)))
        return
    ends = (item.expires_at or item.due_at).astimezone(tz)
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
