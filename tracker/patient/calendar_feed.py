"""A patient's plan as an iCalendar feed, generated from the current rows on every request.

One VEVENT for the procedure and one per checklist item (a recurring step has one item per
occurrence, expanded from its stored RRULE by tracker.localtime, so one VEVENT per
occurrence: the same rows the checklist shows, nothing recomputed here to drift from them).
Each item's event runs from when it opens to when it is due, with a VALARM at each of its
reminder times. UIDs come from row ids, so a reschedule moves events in the
patient's calendar instead of duplicating them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from icalendar import Alarm, Calendar, Event
from sqlmodel import Session, col, select

from tracker.care.item_reminders import NOT_ITEM_REMINDERS
from tracker.library.patient_plan import plan_for
from tracker.models import ChecklistItem, Reminder
from tracker.patient.links import LinkAccess
from tracker.patient.text import Words

PRODID = "-//Care Pathway Tracker//Patient plan//EN"
REFRESH = timedelta(hours=1)  # how often subscribed calendars should fetch the feed again
ALARM_STATUSES = ("pending", "deferred", "claimed", "sent")  # reminders that are or were meant


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
    plan = plan_for(session, enrollment.version_id)
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
    for item in items:
        assert item.id is not None
        step = plan.steps[item.step_id]
        event = _event(item_uid(item.id), now, item.acted_at or enrollment.updated_at)
        event.add("summary", step.text)
        event.add("dtstart", item.opens_at)
        if item.due_at > item.opens_at:  # DTEND must come after DTSTART; else a moment
            event.add("dtend", item.due_at)
        event.add("description", "\n\n".join(p for p in (step.text, step.why, opening) if p))
        event.add("url", page_url)
        event.add("transp", "TRANSPARENT")  # a window to act in, not a busy appointment
        event.add("status", "CONFIRMED")
        if step.critical:
            event.add("priority", 1)
        for send_at in alarms.get(item.id, ()):
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", words.get("inbox_entry", text=step.text))
            alarm.add("trigger", send_at - item.opens_at)  # relative to DTSTART
            event.add_component(alarm)
        calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data


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
