"""Every word the patient's pages show, with date and duration formatting, in their language.

The words are gettext messages (tracker/translations); this table names the ones Python code
picks by key, marked with N_ so pybabel extracts them. Dates, times and durations are Babel's
for the language. A patient whose language has no catalog reads English.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from babel import Locale
from babel.dates import format_date, format_time
from babel.units import format_unit

from tracker import i18n
from tracker.i18n import N_

DEFAULT_LANGUAGE = i18n.DEFAULT_LANGUAGE

# Sections of a procedure document, in the words a patient knows them by.
SECTIONS = {
    "preparation": N_("Getting ready"),
    "recovery": N_("Recovery"),
    "patient experience": N_("What to expect"),
    "risks and complications": N_("Warning signs"),
}

MESSAGES: dict[str, str] = {
    "page_title": N_("Your care plan"),
    "skip": N_("Skip to your checklist"),
    "brand": N_("Your care plan"),
    "procedure_heading": N_("Your procedure"),
    "countdown_before": N_("That is in %(span)s."),
    "countdown_during": N_("It is happening now."),
    "countdown_after": N_("It was %(span)s ago."),
    "zone_note": N_("Times are shown in %(zone)s time."),
    "plan_stopped": N_(
        "Your care team has stopped this plan. You do not need to do anything more. Contact your "
        "care team if you have questions."
    ),
    "plan_completed": N_("Your care team has marked this plan as finished. Well done."),
    "now_heading": N_("To do now"),
    "now_empty": N_("Nothing to do right now. Check back later."),
    "restrictions_heading": N_("Avoid for now"),
    "restriction_until": N_("Until %(when)s"),
    "restriction_starts": N_("Starts: avoid"),
    "watch_heading": N_("Warning signs"),
    "check_in_question": N_("Any of these today?"),
    "check_in_none": N_("No, none of these"),
    "check_in_yes": N_("Yes, I have one of these"),
    "check_in_note": N_("Which one, and since when? (optional)"),
    "check_in_none_thanks": N_(
        "Thank you: you told us none of these today. If one starts, tell us here."
    ),
    "check_in_yes_told": N_(
        "Thank you for telling us. Your care team has been alerted and will contact you."
    ),
    "check_in_call": N_("If it gets worse or you are worried, call %(team)s now:"),
    "check_in_emergency": N_("In an emergency, call 911 or your local emergency number."),
    "care_team": N_("your care team"),
    "care_team_footer": N_("Questions about your care? Call %(team)s:"),
    "care_team_contact": N_("Questions about your care? Contact your care team."),
    "notes_heading": N_("Good to know"),
    "note_badge": N_("Good to know"),
    "coming_heading": N_("Coming up"),
    "coming_empty": N_("Nothing else is planned yet."),
    "done_heading": N_("Done"),
    "done_empty": N_("Nothing ticked off yet."),
    "not_done_heading": N_("Not done"),
    "show_all": N_("Show everything (%(count)s more items)"),
    "show_all_messages": N_("Show all your messages"),
    "show_short": N_("Show the short list"),
    "inbox_heading": N_("Messages"),
    "inbox_empty": N_("No reminders sent yet."),
    "inbox_entry": N_("Reminder: %(text)s"),
    "calendar_heading": N_("Add to your calendar"),
    "calendar_subscribe": N_("Add to my calendar app (keeps itself up to date)"),
    "calendar_download": N_("Download the calendar file"),
    "print_plan": N_("Printable plan"),
    "critical": N_("Important"),
    "why": N_("From your care instructions"),
    "from_section": N_("Part of: %(section)s"),
    "opens_at": N_("Starts %(when)s"),
    "due_by": N_("Do by %(when)s"),
    "until": N_("Can still be done until %(when)s"),
    "left": N_("%(span)s left"),
    "late": N_("Late by %(span)s"),
    "today_count": N_("%(done)s of %(total)s today"),
    "repeat_span": N_("%(count)s times in all, the last %(last)s"),
    "moved_notice": N_(
        "Your procedure was moved from %(old)s to %(new)s on %(on)s. Your plan below is updated "
        "to the new time."
    ),
    "moved_dismiss": N_("OK, hide this"),
    "occurrence": N_("time %(number)s"),
    "status_done": N_("Done"),
    "status_not_done": N_("You could not do this"),
    "status_missed": N_("The time for this has passed"),
    "status_skipped": N_("Your care team said this is not needed"),
    "done_at": N_("%(status)s · %(when)s"),
    "your_note": N_("Your note: %(note)s"),
    "button_done": N_("I did this"),
    "button_undo": N_("Undo"),
    "button_not_done": N_("I couldn't do this"),
    "note_label": N_("Tell your care team why (optional)"),
    "note_send": N_("Send"),
    "saved_done": N_("Ticked off: %(text)s"),
    "saved_not_done": N_("Noted that you could not do: %(text)s"),
    "saved_undo": N_("Undone: %(text)s"),
    "cannot_change": N_("This can no longer be changed: %(reason)s"),
    "dob_heading": N_("Please confirm it is you"),
    "dob_intro": N_(
        "For your privacy, enter your date of birth. You only need to do this once on this phone "
        "or computer (again if it moves to another network)."
    ),
    "dob_legend": N_("Date of birth"),
    "dob_hint": N_("For example, 27 3 1957"),
    "dob_day": N_("Day"),
    "dob_month": N_("Month"),
    "dob_year": N_("Year"),
    "dob_submit": N_("Continue"),
    "dob_wrong": N_(
        "That date of birth does not match our records. Please try again, or contact your care "
        "team."
    ),
    "gone_title": N_("This link no longer works"),
    "gone_body": N_(
        "Your personal link has ended or been replaced. Please contact your care team and they "
        "will give you a new one."
    ),
    "missing_title": N_("We could not find this page"),
    "missing_body": N_("Please check the link you were given, or contact your care team."),
    "busy_title": N_("Please wait a moment"),
    "busy_body": N_(
        "There have been too many tries. Please wait a few minutes and try again, or contact your "
        "care team."
    ),
    "problem_title": N_("Something went wrong"),
    "problem_body": N_(
        "Please go back and try again. If it keeps happening, contact your care team."
    ),
    "back": N_("Back to your care plan"),
    "print_title": N_("Care plan for %(name)s"),
    "print_scan": N_("Scan this code with your phone camera to open your checklist:"),
    "print_when": N_("When"),
    "print_what": N_("What to do"),
    "print_tick": N_("Done"),
    "print_repeats": N_("%(time)s, %(count)s times in all, until %(last)s"),
    "print_link": N_("Or type this address:"),
    "moment": N_("less than a minute"),
    "today": N_("Today"),
    "tomorrow": N_("Tomorrow"),
    "yesterday": N_("Yesterday"),
    "at": N_("%(day)s at %(time)s"),
    "end_of": N_("end of %(day)s"),
    "all_day": N_("Any time"),
    "calendar_name": N_("Care plan: %(title)s"),
    "calendar_procedure": N_("Procedure: %(title)s"),
    "calendar_open": N_("Open your checklist: %(url)s"),
    "refused_cancelled": N_("the plan is cancelled"),
    "refused_completed": N_("the plan is completed"),
    "refused_upcoming": N_("this one has not started yet"),
    "refused_item": N_("this item is: %(status)s"),
    "language_heading": N_("Language"),
    "language_label": N_("Read this page in"),
    "language_change": N_("Change language"),
    # TRANSLATORS: a Babel (CLDR) date pattern for a day this year: "Tue 16 Mar".
    "day_pattern": N_("EEE d MMM"),
    # TRANSLATORS: a Babel (CLDR) date pattern for a day in another year: "Fri 31 Dec 2027".
    "day_year_pattern": N_("EEE d MMM y"),
    # TRANSLATORS: a Babel (CLDR) date pattern for the procedure's day: "Monday 8 March 2027".
    "full_date_pattern": N_("EEEE d MMMM y"),
}

CLOCK_PATTERN = "HH:mm"  # a 24-hour clock reads the same in every supported language


@dataclass(frozen=True)  # one instance per language
class Words:
    """One language's page words by key, and its dates and durations."""

    code: str

    @property
    def locale(self) -> Locale:
        return i18n.locale(self.code)

    @property
    def direction(self) -> str:
        return i18n.direction(self.code)

    def __getitem__(self, key: str) -> str:
        return i18n.translate(self.code, MESSAGES[key])

    def get(self, key: str, **values: object) -> str:
        """The text for `key` with its %(name)s placeholders filled."""
        return i18n.translate(self.code, MESSAGES[key], **values)

    def amount(self, number: int, unit: str) -> str:
        """'1 day', '3 horas': Babel's plural rules for the language."""
        return format_unit(number, f"duration-{unit}", length="long", locale=self.locale)

    def span(self, delta: timedelta) -> str:
        """A duration in its two largest units: '2 days 3 hours', '45 minutes'."""
        minutes = max(int(delta.total_seconds() // 60), 0)
        days, rest = divmod(minutes, 24 * 60)
        hours, minutes = divmod(rest, 60)
        pairs = [(days, "day"), (hours, "hour")] if days else [(hours, "hour"), (minutes, "minute")]
        words = [self.amount(n, unit) for n, unit in pairs if n]
        return " ".join(words) or self["moment"]

    def day(self, day: date, today: date, *, relative: bool = True) -> str:
        """'Today', 'Tomorrow', 'Yesterday', else 'Wed 10 Mar' (with the year if not this one);
        never the relative words with `relative=False` (paper outlives the day it is printed)."""
        word = {0: "today", 1: "tomorrow", -1: "yesterday"}.get((day - today).days)
        if word and relative:
            return self[word]
        return self.calendar_day(day, today)

    def calendar_day(self, day: date, today: date) -> str:
        """'Wed 10 Mar' (with the year if not this one), never 'Today'."""
        pattern = self["day_pattern" if day.year == today.year else "day_year_pattern"]
        return format_date(day, pattern, locale=self.locale)

    def clock(self, local: datetime) -> str:
        return format_time(local, CLOCK_PATTERN, locale=self.locale)

    def deadline(self, local: datetime, today: date, *, relative: bool = True) -> str:
        """When something must be done by. A deadline at local midnight is the end of the day
        before ("end of Tue 16 Mar"): "Wed 17 Mar at 00:00" reads as a day too late."""
        if is_day_boundary(local):
            day = local.date() - timedelta(days=1)
            worded = relative and (day - today).days in (-1, 0, 1)
            label = self.day(day, today, relative=relative)
            return self.get("end_of", day=label.lower() if worded else label)
        day_label = self.day(local.date(), today, relative=relative)
        return self.get("at", day=day_label, time=self.clock(local))

    def start(self, local: datetime, today: date) -> str:
        """When something opens: a bare day when it opens at midnight (the whole day)."""
        if is_day_boundary(local):
            return self.day(local.date(), today)
        return self.get("at", day=self.day(local.date(), today), time=self.clock(local))

    def full_date(self, local: datetime) -> str:
        """'Monday 8 March 2027 at 08:00' for the procedure itself."""
        day = format_date(local, self["full_date_pattern"], locale=self.locale)
        return self.get("at", day=day, time=self.clock(local))

    def zone(self, key: str) -> str:
        """An IANA zone as people say it: 'America/New_York' -> 'New York'."""
        return key.rsplit("/", 1)[-1].replace("_", " ")

    def section(self, name: str) -> str:
        found = SECTIONS.get(name.lower())
        return i18n.translate(self.code, found) if found else name


def is_day_boundary(local: datetime) -> bool:
    """Whether a local time is a midnight: the edge between two days, not a clock time."""
    return (local.hour, local.minute, local.second) == (0, 0, 0)


def due_on_a_later_day(opens: datetime, due: datetime) -> bool:
    """Whether a deadline (local) falls on a later day than the opening: a visit '10 to 14 days
    after', or a late start's extended deadline. A midnight deadline ends the day before."""
    last_day = due.date() - timedelta(days=1) if is_day_boundary(due) else due.date()
    return last_day > opens.date()


def words_for(language: str | None) -> Words:
    """The patient's language ('es-MX' reads Spanish), else English."""
    return _words(i18n.best(language))


@cache
def _words(code: str) -> Words:
    return Words(code)


ENGLISH = words_for(DEFAULT_LANGUAGE)
