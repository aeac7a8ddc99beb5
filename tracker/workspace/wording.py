"""How the nurse's pages word things: an item's status now, a countdown to a procedure, an
instant on the patient's wall clock, and a history row's action and values in words.

Staff pages follow the request's language (tracker.i18n). A status is a stable English key,
used in CSS classes and comparisons; `status_label` is what a nurse reads. Outside a request
(tests, the CLI) everything reads English.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask_babel import get_locale, gettext, ngettext

from tracker import i18n
from tracker.i18n import N_
from tracker.models import ChecklistItem
from tracker.patient.text import Words

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


# The display statuses as a nurse reads them; the keys stay English (CSS classes, tests).
STATUS_LABELS = {
    # TRANSLATORS: an item's status on the nurse's pages, lower case.
    "overdue": N_("overdue"),
    "not done": N_("not done"),
    "open": N_("open"),
    "missed": N_("missed"),
    "upcoming": N_("upcoming"),
    "done": N_("done"),
    "skipped": N_("skipped"),
    "cancelled": N_("cancelled"),
}


def status_label(status: str) -> str:
    """A display status in the page's language: "overdue" -> "vencido"."""
    return gettext(STATUS_LABELS[status]) if status in STATUS_LABELS else status


def status_count(status: str, n: int) -> str:
    """'3 overdue' with the label agreeing with the number ('3 atrasadas'). Each is a literal
    ngettext call so pybabel extracts the plural forms; English reads as count and label."""
    counts = {
        "overdue": lambda: ngettext("%(num)d overdue", "%(num)d overdue", n),
        "not done": lambda: ngettext("%(num)d not done", "%(num)d not done", n),
        "open": lambda: ngettext("%(num)d open", "%(num)d open", n),
        "missed": lambda: ngettext("%(num)d missed", "%(num)d missed", n),
        "upcoming": lambda: ngettext("%(num)d upcoming", "%(num)d upcoming", n),
        "done": lambda: ngettext("%(num)d done", "%(num)d done", n),
        "skipped": lambda: ngettext("%(num)d skipped", "%(num)d skipped", n),
        "cancelled": lambda: ngettext("%(num)d cancelled", "%(num)d cancelled", n),
    }
    return str(counts[status]()) if status in counts else f"{n} {status}"


def language() -> str:
    """The request's language (English outside a request)."""
    return i18n.best(str(get_locale() or i18n.DEFAULT_LANGUAGE))


def css_status(status: str) -> str:
    """A display status as a CSS class, e.g. "not done" -> "status-not-done"."""
    return "status-" + status.replace(" ", "-")


def countdown(start: datetime, end: datetime, now: datetime) -> str:
    """'in 3 days 4 hours', 'under way', or 'ended 2 days ago' (durations are Babel's)."""
    if start <= now < end:
        return str(gettext("under way"))
    if now < start:
        return str(gettext("in %(span)s", span=_span(start - now)))
    return str(gettext("ended %(span)s ago", span=_span(now - end)))


def _span(delta: timedelta) -> str:
    return Words(language()).span(delta)  # the patient pages' two largest units


# Babel (CLDR) patterns; the English ones read as the strftime text the pages always showed.
# TRANSLATORS: a Babel (CLDR) date pattern for the nurse's pages: "Sun 14 Mar 2027".
DATE_PATTERN = N_("EEE dd MMM y")
# TRANSLATORS: a Babel (CLDR) date pattern for the nurse's tables: "Sun 14 Mar".
SHORT_PATTERN = N_("EEE dd MMM")


def local_text(moment: datetime, zone: ZoneInfo) -> str:
    """E.g. 'Sun 14 Mar 2027, 21:00 EDT': an instant as the patient's wall clock reads it."""
    return _formatted(moment.astimezone(zone), gettext(DATE_PATTERN))


def short_text(moment: datetime, zone: ZoneInfo, now: datetime) -> str:
    """E.g. 'Sun 14 Mar, 21:00 EDT' for tables; the year only when it is not this year's."""
    local = moment.astimezone(zone)
    this_year = local.year == now.astimezone(zone).year
    return _formatted(local, gettext(SHORT_PATTERN if this_year else DATE_PATTERN))


def _formatted(local: datetime, pattern: str) -> str:
    day = format_datetime(local, pattern, locale=i18n.locale(language()))
    # The zone's abbreviation (EDT) from the zone database, not CLDR's long names.
    return f"{day}, {local:%H:%M} {local.tzname()}"


# The audit log's action codes as a nurse reads them (an unknown code shows as itself).
HISTORY_WORDS = {
    "patient.register": N_("Registered"),
    "patient.update": N_("Details changed"),
    "enrollment.create": N_("Enrolled"),
    "enrollment.reschedule": N_("Procedure moved"),
    "enrollment.notice_dismissed": N_("Patient read the notice of the move"),
    "enrollment.cancel": N_("Plan stopped"),
    "enrollment.complete": N_("Plan finished"),
    "enrollment.extend_horizon": N_("More repeats planned"),
    "item.done": N_("Ticked off"),
    "item.not_done": N_("Marked as not done"),
    "item.reopen": N_("Reopened"),
    "item.reschedule": N_("Item moved"),
    "escalated": N_("Care team alerted: critical step not ticked"),
    "link.issue": N_("Personal link issued"),
    "link.revoke": N_("Personal link revoked"),
    "checkin.yes": N_("Said yes to the warning signs"),
    "checkin.none": N_("No warning signs today"),
    "checkin.handled": N_("Warning signs handled"),
    "consent.given": N_("Agreed to text messages"),
    "consent.withdrawn": N_("Stopped text messages"),
}


def history_words(action: str) -> str:
    """A history row's action in words: 'item.done' -> 'Ticked off'."""
    if action in HISTORY_WORDS:
        return str(gettext(HISTORY_WORDS[action]))
    return action.replace(".", ": ").replace("_", " ").capitalize()


def value_words(value: object, zone: ZoneInfo, now: datetime) -> str:
    """A history value for people: an instant on the patient's wall clock, lists joined, none
    as a dash."""
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(value_words(v, zone, now) for v in value) or gettext("none")
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            return short_text(moment, zone, now)
    return str(value)
