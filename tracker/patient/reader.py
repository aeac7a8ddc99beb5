"""What the patient reads: checklist rows turned into sentences in their zone and language.

`Reader` formats items (when, how long is left, today's count of a recurring step), days and
sections for the checklist page (tracker.patient.page) and the printed plan
(tracker.patient.printed_plan); the named tuples it builds are what tracker.patient.html renders.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from tracker.library.patient_plan import Plan
from tracker.patient.links import EnrollmentRecord
from tracker.patient.queries import ItemRow
from tracker.patient.text import Words
from tracker.patient.ticking import RULES

COMING_DAYS = 7  # "Coming up" covers this many days, today included


# The page's pieces are named tuples: a page builds dozens of them per view and tuples are
# the cheapest objects to build; templates read them by name all the same.
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


class Line(NamedTuple):
    """A coming-up line: one step's occurrences on one day ("08:00, 12:00 · Take the tablet")."""

    item_id: int
    times: str
    text: str
    critical: bool


class Day(NamedTuple):
    label: str
    lines: list[Line]


class Message(NamedTuple):
    when: str
    text: str
    item_id: int


class Reader(NamedTuple):
    """Turns rows into what the patient reads, in their zone and words (a named tuple: one
    is built per page view)."""

    plan: Plan
    tz: ZoneInfo
    now: datetime  # naive UTC, like the rows
    today: date  # in the zone
    today_starts: datetime  # naive UTC bounds of the local today...
    today_ends: datetime
    week_ends: datetime  # ...and of the `COMING_DAYS` the page lists
    words: Words
    active: bool
    counts: dict[int, tuple[int, int]]  # recurring step -> (done, total) starting today
    origins: dict[str, str]  # section -> "Part of: …", as met
    labels: dict[date, str]  # local day -> "Tomorrow", as met

    @classmethod
    def of(
        cls,
        plan: Plan,
        enrollment: EnrollmentRecord,
        rows: list[ItemRow] = (),  # type: ignore[assignment]
        *,
        now: datetime,
        words: Words,
    ) -> Reader:
        """A reader at `now`; its today counts come from `rows` (or are filled by the caller)."""
        tz = ZoneInfo(enrollment.timezone)
        today = now.astimezone(tz).date()
        starts, ends, week_ends = _midnights(enrollment.timezone, today)
        counts: dict[int, tuple[int, int]] = {}
        for row in rows:
            if starts <= row.opens_at < ends and plan.steps[row.step_id].recurring:
                tally(counts, row)
        return cls(
            plan,
            tz,
            _naive(now),
            today,
            starts,
            ends,
            week_ends,
            words,
            enrollment.state == "active",
            counts,
            {},
            {},
        )

    def local(self, moment: datetime) -> datetime:
        """A naive UTC row time in the patient's zone (fromutc: astimezone without the detour
        through UTC's own offset; a page converts dozens)."""
        return self.tz.fromutc(moment.replace(tzinfo=self.tz))

    def at(self, moment: datetime) -> str:
        """'Today at 09:00': a naive UTC row time, in the zone and relative to today."""
        local = self.local(moment)
        return self.words.get("at", day=self.day(local.date()), time=self.words.clock(local))

    def day(self, day: date) -> str:
        label = self.labels.get(day)
        if label is None:
            label = self.labels[day] = self.words.day(day, self.today)
        return label

    def entry(self, row: ItemRow, status: str) -> Entry:
        words, step = self.words, self.plan.steps[row.step_id]
        left = ""
        if status == "open":
            when = words.get("due_by", when=self.at(row.due_at))
            left = words.get("left", span=words.span(row.due_at - self.now))
        elif status == "overdue":
            when = words.get("late", span=words.span(self.now - row.due_at))
            left = words.get("until", when=self.at(row.expires_at)) if row.expires_at else ""
        elif status == "upcoming":
            when = words.get("opens_at", when=self.at(row.opens_at))
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
        return Entry(  # positional: a page builds several, and keywords cost twice as much
            row.id,
            step.text,
            step.why,
            self.origin(step.section),
            step.critical,
            status,
            when,
            left,
            today,
            row.note if status == "not_done" else "",
            _actions(row.status, status, step.recurring, self.active),
        )

    def origin(self, section: str) -> str:
        origin = self.origins.get(section)
        if origin is None:
            words = self.words
            origin = words.get("from_section", section=words.section(section))
            self.origins[section] = origin
        return origin

    def days(self, coming: dict[tuple[date, int], list[tuple[ItemRow, datetime]]]) -> list[Day]:
        """Upcoming rows (with their local opening) by local day, one line per step (its
        times that day), in the order they arrived (opening order)."""
        by_day: dict[date, list[Line]] = {}
        clock, steps = self.words.clock, self.plan.steps
        for (day, step_id), rows in coming.items():
            step = steps[step_id]
            times = ", ".join([clock(local) for _, local in rows])
            by_day.setdefault(day, []).append(Line(rows[0][0].id, times, step.text, step.critical))
        return [Day(self.day(day), lines) for day, lines in sorted(by_day.items())]


@lru_cache(maxsize=4096)  # every patient in a zone shares its day; asked on every view
def _midnights(zone: str, today: date) -> tuple[datetime, datetime, datetime]:
    """Naive UTC instants of the local midnights that start today, tomorrow, and the day after
    the `COMING_DAYS` the page lists."""
    tz = ZoneInfo(zone)

    def midnight(days: int) -> datetime:
        return _naive(datetime.combine(today + timedelta(days=days), time(), tzinfo=tz))

    return midnight(0), midnight(1), midnight(COMING_DAYS)


def tally(counts: dict[int, tuple[int, int]], row: ItemRow) -> None:
    """Count one of today's occurrences of a recurring step: (done, total) per step."""
    done, total = counts.get(row.step_id, (0, 0))
    counts[row.step_id] = (done + (row.status == "done"), total + 1)


@lru_cache(maxsize=256)  # a handful of combinations, asked for on every entry
def _actions(stored: str, status: str, recurring: bool, active: bool) -> tuple[str, ...]:
    """The buttons an entry offers: what `act` would accept, minus early recurring ones."""
    if not active or (status == "upcoming" and recurring):
        return ()
    if stored == "not_done":
        return ("undo",)
    return tuple(action for action, (starts, _) in RULES.items() if stored in starts)


def _naive(moment: datetime) -> datetime:
    """An aware instant as the naive UTC the item rows are read in."""
    return moment.astimezone(UTC).replace(tzinfo=None)
