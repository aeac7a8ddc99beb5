"""What the patient reads: checklist rows turned into sentences in their zone and language.

`Reader` formats items (when, how long is left, today's count of a recurring step), days and
sections for the checklist page (tracker.patient.page) and the printed plan
(tracker.patient.printed_plan); the named tuples it builds are what the templates render
(templates/patient/_entries.html).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from tracker.library.patient_plan import Plan
from tracker.patient.links import EnrollmentRecord
from tracker.patient.queries import ItemRow
from tracker.patient.series import Series
from tracker.patient.text import Words, due_on_a_later_day, is_day_boundary
from tracker.patient.ticking import RULES

COMING_DAYS = 7  # "Coming up" covers this many days, today included


class Entry(NamedTuple):
    """One item as the patient sees it."""

    item_id: int
    text: str
    why: str
    origin: str  # "Part of: Getting ready"
    critical: bool
    status: str  # open | overdue | upcoming | done | not_done | missed | skipped
    when: str
    left: str = ""
    today: str = ""  # "2 of 4 today" for recurring steps
    note: str = ""
    actions: tuple[str, ...] = ()
    span: str = ""  # a repeating step's whole series: "15 times in all, the last Mon 29 Mar"
    lang: str = ""  # "en" for a step shown in English on a page in another language


class Line(NamedTuple):
    """A coming-up line: one step's occurrences on one day ("08:00, 12:00 · Take the tablet"),
    or a restriction that starts that day, or a note that belongs to it."""

    item_id: int
    times: str
    text: str
    critical: bool
    asks: str = "do"  # do | avoid (a restriction starts) | know (a note for that day)
    # A restriction's end ("until end of Mon 26 Apr"), a repeat's whole span, or the deadline
    # of an item due on a later day than it opens ("Do by end of Sat 26 Dec").
    until: str = ""
    lang: str = ""  # "en" for a step shown in English on a page in another language


class Note(NamedTuple):
    """A step the patient is not asked to tick: a restriction in force (with its end), a note,
    or a warning sign to check for."""

    item_id: int
    text: str
    critical: bool
    until: str = ""  # "Until end of Mon 26 Apr" for a restriction
    lang: str = ""  # "en" for a step shown in English on a page in another language


class Day(NamedTuple):
    """A coming-up day: its label ("Tomorrow") and its lines."""

    label: str
    lines: list[Line]


class Message(NamedTuple):
    """A reminder in the inbox: when it was sent, its text, and the item it is about."""

    when: str
    text: str  # "Reminder: Book a ride home", whole
    item_id: int
    # The same text around the step's own words, so a step left in English is marked lang="en"
    # inside a sentence in the patient's language: before + step + after == text.
    before: str = ""
    step: str = ""
    after: str = ""
    lang: str = ""


def status_at(row: ItemRow, now: datetime) -> str:
    """What an item is at `now`: its stored status, or for a pending one upcoming, open,
    overdue (past due, still worth doing) or missed (past its expiry)."""
    if row.status != "pending":
        return row.status
    if row.expires_at is not None and now >= row.expires_at:
        return "missed"
    if now < row.opens_at:
        return "upcoming"
    return "overdue" if now > row.due_at else "open"


def ending(row: ItemRow) -> datetime:
    """When a restriction, note or warning sign stops applying: its expiry, else its due time."""
    return row.expires_at or row.due_at


def in_force(row: ItemRow, now: datetime) -> bool:
    """Whether a step that is not ticked (avoid, know, watch) applies at `now`."""
    return row.status == "pending" and row.opens_at <= now < ending(row)


@dataclass
class Reader:
    """Turns rows into what the patient reads, in their zone and words, at `now`."""

    plan: Plan
    enrollment: EnrollmentRecord
    now: datetime
    words: Words
    tz: ZoneInfo = field(init=False)
    today: date = field(init=False)  # in the zone
    today_starts: datetime = field(init=False)  # UTC bounds of the local today...
    today_ends: datetime = field(init=False)
    week_ends: datetime = field(init=False)  # ...and of the `COMING_DAYS` the page lists
    counts: dict[int, tuple[int, int]] = field(init=False)  # recurring step -> (done, total)
    # Repeating step -> its whole series (tracker.patient.series): rows stop at the horizon.
    series: dict[int, Series] = field(default_factory=dict)
    on_paper: bool = False  # dates as 'Tue 9 Mar', never 'Today': a printout outlives its day

    def __post_init__(self) -> None:
        self.tz = ZoneInfo(self.enrollment.timezone)
        self.today = self.now.astimezone(self.tz).date()
        self.today_starts = self._midnight(0)
        self.today_ends = self._midnight(1)
        # The short page shows everything up to the procedure's day, however far, and a week.
        procedure_day = self.enrollment.procedure_start.astimezone(self.tz).date()
        days_ahead = max(COMING_DAYS, (procedure_day - self.today).days + 1)
        self.week_ends = self._midnight(days_ahead)
        self.counts = {}

    def _midnight(self, days: int) -> datetime:
        """The UTC instant of the local midnight `days` after today's."""
        local = datetime.combine(self.today + timedelta(days=days), time(), tzinfo=self.tz)
        return local.astimezone(UTC)

    def count_today(self, rows: Iterable[ItemRow]) -> None:
        """Count today's occurrences of recurring steps, done and in all ("2 of 4 today")."""
        for row in rows:
            if self.today_starts <= row.opens_at < self.today_ends and self.recurring(row):
                done, total = self.counts.get(row.step_id, (0, 0))
                self.counts[row.step_id] = (done + (row.status == "done"), total + 1)

    def recurring(self, row: ItemRow) -> bool:
        """Whether the row is one occurrence of a repeating step."""
        return self.plan.steps[row.step_id].recurring

    def local(self, moment: datetime) -> datetime:
        """A row time in the patient's zone."""
        return moment.astimezone(self.tz)

    def at(self, moment: datetime) -> str:
        """'Today at 09:00': a row time, in the zone and relative to today."""
        local = self.local(moment)
        return self.words.get("at", day=self.day(local.date()), time=self.words.clock(local))

    def by(self, moment: datetime) -> str:
        """'Today at 16:00', or 'end of today' for a deadline at local midnight."""
        return self.words.deadline(self.local(moment), self.today, relative=not self.on_paper)

    def day(self, day: date) -> str:
        """'Today', 'Tomorrow', … for a local day, relative to the patient's today."""
        return self.words.day(day, self.today, relative=not self.on_paper)

    def due_later(self, row: ItemRow) -> str:
        """'Do by end of Sat 26 Dec' for an item whose deadline falls on a later day than it
        opens (a visit '10 to 14 days after'); "" when it is due the day it opens."""
        if not due_on_a_later_day(self.local(row.opens_at), self.local(row.due_at)):
            return ""
        return self.words.get("due_by", when=self.by(row.due_at))

    def entry(self, row: ItemRow, status: str) -> Entry:
        """The item as the patient reads it, `status` being what it is now (see status_at)."""
        words, step = self.words, self.plan.steps[row.step_id]
        left = ""
        if status == "open":
            when = words.get("due_by", when=self.by(row.due_at))
            left = words.get("left", span=words.span(row.due_at - self.now))
        elif status == "overdue":
            when = words.get("late", span=words.span(self.now - row.due_at))
            left = words.get("until", when=self.by(row.expires_at)) if row.expires_at else ""
        elif status == "upcoming":
            when = words.get(
                "opens_at", when=self.words.start(self.local(row.opens_at), self.today)
            )
        elif row.acted_at and status != "missed":
            label = words["status_" + status]
            when = words.get("done_at", status=label, when=self.at(row.acted_at))
        else:
            when = words["status_" + status]
        today = ""
        counted = self.counts.get(row.step_id)
        started_today = self.today_starts <= row.opens_at < self.today_ends
        if counted and (status in ("open", "overdue") or started_today):
            today = words.get("today_count", done=counted[0], total=counted[1])
        return Entry(
            item_id=row.id,
            text=step.text,
            why=step.why,
            origin=words.get("from_section", section=words.section(step.section)),
            critical=step.critical,
            status=status,
            when=when,
            left=left,
            today=today,
            note=row.note if status == "not_done" else "",
            actions=self._actions(row.status, status, step.recurring),
            span=self.span(row.step_id),
            lang=step.lang,
        )

    def span(self, step_id: int) -> str:
        """A repeating step's whole span, '15 times in all, the last Mon 29 Mar' ("" if none)."""
        whole = self.series.get(step_id)
        if whole is None or whole.count < 2:
            return ""
        last = self.day(self.local(whole.last).date())
        return self.words.get("repeat_span", count=whole.count, last=last)

    def _actions(self, stored: str, status: str, recurring: bool) -> tuple[str, ...]:
        """The buttons an entry offers: what ticking would accept, minus early recurring ones."""
        if self.enrollment.state != "active" or (status == "upcoming" and recurring):
            return ()
        if stored == "not_done":
            return ("undo",)
        return tuple(action for action, (starts, _) in RULES.items() if stored in starts)

    def asks(self, row: ItemRow) -> str:
        """What the row's step asks of the patient: do | avoid | know | watch."""
        return self.plan.steps[row.step_id].asks

    def note(self, row: ItemRow) -> Note:
        """A restriction, note or warning sign as the patient reads it now."""
        step = self.plan.steps[row.step_id]
        until = ""
        if step.asks == "avoid":
            until = self.words.get("restriction_until", when=self.by(ending(row)))
        return Note(row.id, step.text, step.critical, until, step.lang)

    def days(self, coming: list[ItemRow]) -> list[Day]:
        """Upcoming rows by local day, one line per step and day (its times that day); lines
        in the order of their first opening."""
        lines: dict[tuple[date, int], list[tuple[ItemRow, datetime]]] = {}
        for row in sorted(coming, key=lambda row: row.opens_at):
            local = self.local(row.opens_at)
            lines.setdefault((local.date(), row.step_id), []).append((row, local))
        by_day: dict[date, list[Line]] = {}
        spanned: set[int] = set()  # a repeat's whole span is said once, on its first line
        for (day, step_id), occurrences in lines.items():
            step = self.plan.steps[step_id]
            clocks = [local for _, local in occurrences if not is_day_boundary(local)]
            times = ", ".join(self.words.clock(local) for local in clocks) or self.words["all_day"]
            first = occurrences[0][0]
            until = ""
            if step.asks == "avoid":
                until = self.words.get("restriction_until", when=self.by(ending(first)))
            elif step.recurring and step_id not in spanned:
                until = self.span(step_id)
                spanned.add(step_id)
            elif step.asks == "do" and not step.recurring:
                until = self.due_later(first)
            line = Line(first.id, times, step.text, step.critical, step.asks, until, step.lang)
            by_day.setdefault(day, []).append(line)
        return [Day(self.day(day), day_lines) for day, day_lines in sorted(by_day.items())]
