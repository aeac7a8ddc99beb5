"""Every word the patient's pages show, per language, with date and duration formatting.

Adding a language is adding one `Words` entry to `LANGUAGES`; a patient whose language has
none reads English (and the page says `lang="en"`, so screen readers pronounce it right).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)  # one instance per language
class Words:
    """One language: page text by key, plus the pieces dates and durations are built from."""

    code: str
    text: dict[str, str]
    weekdays: tuple[str, ...]  # Monday first
    months: tuple[str, ...]  # January first
    units: dict[str, tuple[str, str]]  # unit -> (singular, plural)
    sections: dict[str, str] = field(default_factory=dict)  # document section -> plain words

    def __getitem__(self, key: str) -> str:
        return self.text[key]

    def get(self, key: str, **values: object) -> str:
        """The text for `key` with `{name}` placeholders filled."""
        return self.text[key].format(**values)

    def amount(self, number: int, unit: str) -> str:
        one, many = self.units[unit]
        return f"{number} {one if number == 1 else many}"

    def span(self, delta: timedelta) -> str:
        """A duration in its two largest units: '2 days 3 hours', '45 minutes'."""
        minutes = max(int(delta.total_seconds() // 60), 0)
        days, rest = divmod(minutes, 24 * 60)
        hours, minutes = divmod(rest, 60)
        pairs = [(days, "day"), (hours, "hour")] if days else [(hours, "hour"), (minutes, "minute")]
        words = [self.amount(n, unit) for n, unit in pairs if n]
        return " ".join(words) or self.text["moment"]

    def day(self, day: date, today: date) -> str:
        """'Today', 'Tomorrow', 'Yesterday', else 'Wed 10 Mar' (with the year if not this one)."""
        relative = {0: "today", 1: "tomorrow", -1: "yesterday"}.get((day - today).days)
        if relative:
            return self.text[relative]
        return self.calendar_day(day, today)

    def calendar_day(self, day: date, today: date) -> str:
        """'Wed 10 Mar' (with the year if not this one), never 'Today'."""
        year = f" {day.year}" if day.year != today.year else ""
        return f"{self.weekdays[day.weekday()]} {day.day} {self.months[day.month - 1]}{year}"

    def clock(self, local: datetime) -> str:
        return local.strftime("%H:%M")

    def deadline(self, local: datetime, today: date) -> str:
        """When something must be done by. A deadline at local midnight is the end of the day
        before ("end of Tue 16 Mar"): "Wed 17 Mar at 00:00" reads as a day too late."""
        if is_day_boundary(local):
            day = local.date() - timedelta(days=1)
            relative = (day - today).days in (-1, 0, 1)
            label = self.day(day, today)
            return self.get("end_of", day=label.lower() if relative else label)
        return self.get("at", day=self.day(local.date(), today), time=self.clock(local))

    def start(self, local: datetime, today: date) -> str:
        """When something opens: a bare day when it opens at midnight (the whole day)."""
        if is_day_boundary(local):
            return self.day(local.date(), today)
        return self.get("at", day=self.day(local.date(), today), time=self.clock(local))

    def full_date(self, local: datetime) -> str:
        """'Monday 8 March 2027 at 08:00' for the procedure itself."""
        weekday = self.text["weekday_names"].split(",")[local.weekday()]
        return self.get(
            "full_date",
            weekday=weekday,
            day=local.day,
            month=self.text["month_names"].split(",")[local.month - 1],
            year=local.year,
            time=self.clock(local),
        )

    def zone(self, key: str) -> str:
        """An IANA zone as people say it: 'America/New_York' -> 'New York'."""
        return key.rsplit("/", 1)[-1].replace("_", " ")

    def section(self, name: str) -> str:
        return self.sections.get(name.lower(), name)


def is_day_boundary(local: datetime) -> bool:
    """Whether a local time is a midnight: the edge between two days, not a clock time."""
    return (local.hour, local.minute, local.second) == (0, 0, 0)


ENGLISH = Words(
    code="en",
    weekdays=("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    months=("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    units={"day": ("day", "days"), "hour": ("hour", "hours"), "minute": ("minute", "minutes")},
    sections={
        "preparation": "Getting ready",
        "recovery": "Recovery",
        "patient experience": "What to expect",
        "risks and complications": "Warning signs",
    },
    text={
        "page_title": "Your care plan",
        "skip": "Skip to your checklist",
        "brand": "Your care plan",
        "procedure_heading": "Your procedure",
        "procedure_at": "{when}",
        "countdown_before": "That is in {span}.",
        "countdown_during": "It is happening now.",
        "countdown_after": "It was {span} ago.",
        "zone_note": "Times are shown in {zone} time.",
        "plan_stopped": "Your care team has stopped this plan. You do not need to do anything "
        "more. Contact your care team if you have questions.",
        "plan_completed": "Your care team has marked this plan as finished. Well done.",
        "now_heading": "To do now",
        "now_empty": "Nothing to do right now. Check back later.",
        "restrictions_heading": "Avoid for now",
        "restriction_until": "Until {when}",
        "restriction_starts": "Starts: avoid",
        "watch_heading": "Warning signs",
        "check_in_question": "Any of these today?",
        "check_in_none": "No, none of these",
        "check_in_yes": "Yes, I have one of these",
        "check_in_note": "Which one, and since when? (optional)",
        "check_in_none_thanks": "Thank you: you told us none of these today. If one starts, "
        "tell us here.",
        "check_in_yes_told": "Thank you for telling us. Your care team has been alerted and "
        "will contact you.",
        "check_in_call": "If it gets worse or you are worried, call {team} now:",
        "check_in_emergency": "In an emergency, call 911 or your local emergency number.",
        "care_team": "your care team",
        "care_team_footer": "Questions about your care? Call {team}:",
        "care_team_contact": "Questions about your care? Contact your care team.",
        "notes_heading": "Good to know",
        "note_badge": "Good to know",
        "coming_heading": "Coming up",
        "coming_empty": "Nothing else is planned yet.",
        "done_heading": "Done",
        "done_empty": "Nothing ticked off yet.",
        "not_done_heading": "Not done",
        "show_all": "Show everything ({count} more items)",
        "show_all_messages": "Show all your messages",
        "show_short": "Show the short list",
        "inbox_heading": "Messages",
        "inbox_empty": "No reminders sent yet.",
        "inbox_entry": "Reminder: {text}",
        "calendar_heading": "Add to your calendar",
        "calendar_subscribe": "Add to my calendar app (keeps itself up to date)",
        "calendar_download": "Download the calendar file",
        "print_plan": "Printable plan",
        "critical": "Important",
        "why": "From your care instructions",
        "from_section": "Part of: {section}",
        "opens_at": "Starts {when}",
        "due_by": "Do by {when}",
        "until": "Can still be done until {when}",
        "left": "{span} left",
        "late": "Late by {span}",
        "today_count": "{done} of {total} today",
        "repeat_span": "{count} times in all, the last {last}",
        "moved_notice": "Your procedure was moved from {old} to {new} on {on}. Your plan below "
        "is updated to the new time.",
        "moved_dismiss": "OK, hide this",
        "occurrence": "time {number}",
        "status_done": "Done",
        "status_not_done": "You could not do this",
        "status_missed": "The time for this has passed",
        "status_skipped": "Your care team said this is not needed",
        "done_at": "{status} · {when}",
        "your_note": "Your note: {note}",
        "button_done": "I did this",
        "button_undo": "Undo",
        "button_not_done": "I couldn't do this",
        "note_label": "Tell your care team why (optional)",
        "note_send": "Send",
        "saved_done": "Ticked off: {text}",
        "saved_not_done": "Noted that you could not do: {text}",
        "saved_undo": "Undone: {text}",
        "cannot_change": "This can no longer be changed: {reason}",
        "dob_heading": "Please confirm it is you",
        "dob_intro": "For your privacy, enter your date of birth. You only need to do this "
        "once on this phone or computer (again if it moves to another network).",
        "dob_legend": "Date of birth",
        "dob_hint": "For example, 27 3 1957",
        "dob_day": "Day",
        "dob_month": "Month",
        "dob_year": "Year",
        "dob_submit": "Continue",
        "dob_wrong": "That date of birth does not match our records. Please try again, or "
        "contact your care team.",
        "gone_title": "This link no longer works",
        "gone_body": "Your personal link has ended or been replaced. Please contact your care "
        "team and they will give you a new one.",
        "missing_title": "We could not find this page",
        "missing_body": "Please check the link you were given, or contact your care team.",
        "busy_title": "Please wait a moment",
        "busy_body": "There have been too many tries. Please wait a few minutes and try again, "
        "or contact your care team.",
        "problem_title": "Something went wrong",
        "problem_body": "Please go back and try again. If it keeps happening, contact your "
        "care team.",
        "back": "Back to your care plan",
        "print_title": "Care plan for {name}",
        "print_scan": "Scan this code with your phone camera to open your checklist:",
        "print_when": "When",
        "print_what": "What to do",
        "print_tick": "Done",
        "print_repeats": "{time}, {count} times in all, until {last}",
        "print_link": "Or type this address:",
        "moment": "less than a minute",
        "today": "Today",
        "tomorrow": "Tomorrow",
        "yesterday": "Yesterday",
        "at": "{day} at {time}",
        "end_of": "end of {day}",
        "all_day": "Any time",
        "full_date": "{weekday} {day} {month} {year} at {time}",
        "weekday_names": "Monday,Tuesday,Wednesday,Thursday,Friday,Saturday,Sunday",
        "month_names": "January,February,March,April,May,June,July,August,September,October,"
        "November,December",
        "calendar_name": "Care plan: {title}",
        "calendar_procedure": "Procedure: {title}",
        "calendar_open": "Open your checklist: {url}",
    },
)

LANGUAGES: dict[str, Words] = {ENGLISH.code: ENGLISH}


def words_for(language: str) -> Words:
    """The patient's language ('es-MX' tries 'es-MX', then 'es'), else English."""
    tag = (language or "").strip()
    return LANGUAGES.get(tag) or LANGUAGES.get(tag.split("-")[0].lower()) or ENGLISH
