"""How the nurse's pages word things: an item's status now, a countdown to a procedure, an
instant on the patient's wall clock, and a history row's action and values in words."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tracker.models import ChecklistItem

# Display statuses from most to least in need of attention (a collapsed row shows the first).
URGENCY = ("overdue", "not done", "open", "missed", "upcoming", "done", "skipped", "cancelled")
STORED_STATUS_WORDS = {
    "done": "done",
    "skipped": "skipped",
    "missed": "missed",
    "not_done": "not done",
    "cancelled": "cancelled",
}


def display_status(item: ChecklistItem, now: datetime) -> str:
    """What a nurse should read for an item now: stored statuses, or for pending ones
    upcoming, open, overdue (past due, still worth doing) or missed (past expiry)."""
    return status_word(
        item.status, opens_at=item.opens_at, due_at=item.due_at, expires_at=item.expires_at, now=now
    )


def status_word(
    status: str, *, opens_at: datetime, due_at: datetime, expires_at: datetime | None, now: datetime
) -> str:
    """display_status from the bare columns (for rows read without their model)."""
    if status != "pending":
        return STORED_STATUS_WORDS.get(status, status)
    if expires_at is not None and now >= expires_at:
        return "missed"
    if now > due_at:
        return "overdue"
    return "open" if now >= opens_at else "upcoming"


def css_status(status: str) -> str:
    """A display status as a CSS class, e.g. "not done" -> "status-not-done"."""
    return "status-" + status.replace(" ", "-")


def countdown(start: datetime, end: datetime, now: datetime) -> str:
    """'in 3 days 4 hours', 'under way', or 'ended 2 days ago'."""
    if start <= now < end:
        return "under way"
    if now < start:
        return "in " + _span(start - now)
    return "ended " + _span(now - end) + " ago"


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [(days, "day"), (hours, "hour")] if days else [(hours, "hour"), (minutes, "minute")]
    words = [f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in parts if n]
    return " ".join(words) or "less than a minute"


def local_text(moment: datetime, zone: ZoneInfo) -> str:
    """E.g. 'Sun 14 Mar 2027, 21:00 EDT': an instant as the patient's wall clock reads it."""
    local = moment.astimezone(zone)
    return f"{local:%a %d %b %Y, %H:%M} {local.tzname()}"


def short_text(moment: datetime, zone: ZoneInfo, now: datetime) -> str:
    """E.g. 'Sun 14 Mar, 21:00 EDT' for tables; the year only when it is not this year's."""
    local = moment.astimezone(zone)
    year = "" if local.year == now.astimezone(zone).year else f" {local:%Y}"
    return f"{local:%a %d %b}{year}, {local:%H:%M} {local.tzname()}"


# The audit log's action codes as a nurse reads them (an unknown code shows as itself).
HISTORY_WORDS = {
    "patient.register": "Registered",
    "patient.update": "Details changed",
    "enrollment.create": "Enrolled",
    "enrollment.reschedule": "Procedure moved",
    "enrollment.notice_dismissed": "Patient read the notice of the move",
    "enrollment.cancel": "Plan stopped",
    "enrollment.complete": "Plan finished",
    "enrollment.extend_horizon": "More repeats planned",
    "item.done": "Ticked off",
    "item.not_done": "Marked as not done",
    "item.reopen": "Reopened",
    "item.reschedule": "Item moved",
    "escalated": "Care team alerted: critical step not ticked",
    "link.issue": "Personal link issued",
    "link.revoke": "Personal link revoked",
    "checkin.yes": "Said yes to the warning signs",
    "checkin.none": "No warning signs today",
    "checkin.handled": "Warning signs handled",
    "consent.given": "Agreed to text messages",
    "consent.withdrawn": "Stopped text messages",
}


def history_words(action: str) -> str:
    """A history row's action in words: 'item.done' -> 'Ticked off'."""
    if action in HISTORY_WORDS:
        return HISTORY_WORDS[action]
    return action.replace(".", ": ").replace("_", " ").capitalize()


def value_words(value: object, zone: ZoneInfo, now: datetime) -> str:
    """A history value for people: an instant on the patient's wall clock, lists joined, none
    as a dash."""
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(value_words(v, zone, now) for v in value) or "none"
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            return short_text(moment, zone, now)
    return str(value)
