"""The patient's checklist page: now, coming up, done, and the inbox.

`load_page` reads one enrollment in a single round trip (tracker.checklist_queries) and
sorts the rows into the page's sections in the patient's zone and language; steps come from
the cached plan. `Reader` turns rows into what the patient reads (also for the printed plan).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Connection
from sqlmodel import Session

from tracker.checklist import RULES
from tracker.checklist_queries import INBOX_ROWS, ITEM_TIMES, ITEMS, PAGE_AND_INBOX, ItemRow
from tracker.db import connection_of
from tracker.packed_rows import unpack
from tracker.patient_links import EnrollmentRecord, LinkAccess
from tracker.patient_plan import Plan, plan_for
from tracker.patient_text import Words

COMING_DAYS = 7  # "Coming up" covers this many days, today included
DONE_SHOWN = 10  # the latest done or past items listed; the rest on the full list
FAR = datetime(9999, 1, 1)  # "no bound" for the full list


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


@dataclass(frozen=True)
class ChecklistPage:
    """Everything the checklist page shows, already in the patient's words and zone."""

    title: str
    procedure: str
    countdown: str
    zone: str
    state: str
    now: list[Entry] = field(default_factory=list)
    coming: list[Day] = field(default_factory=list)
    done: list[Entry] = field(default_factory=list)
    inbox: list[Message] = field(default_factory=list)
    hidden: int = 0  # items left out of the short lists (shown with everything=True)
    older_messages: bool = False  # reminders older than the inbox shows (ditto)


def load_page(
    db: Session | Connection,
    access: LinkAccess,
    *,
    now: datetime,
    words: Words,
    everything: bool = False,
) -> ChecklistPage:
    """The checklist of the link's enrollment at `now`: what is open now (most urgent first),
    what comes next (by day, the next `COMING_DAYS` unless `everything`), and what is done or
    over (latest first, the last `DONE_SHOWN` unless `everything`). One query returns only the
    rows shown (the database picks, sorts and counts the rest)."""
    enrollment = access.enrollment
    plan = plan_for(db, enrollment.version_id)
    reader = Reader.of(plan, enrollment, now=now, words=words)
    utc_now = reader.now
    params = {
        "enrollment": enrollment.id,
        "now": utc_now,
        "week_ends": FAR if everything else reader.week_ends,
        "today_starts": reader.today_starts,
        "today_ends": reader.today_ends,
        "done_shown": 2**31 if everything else DONE_SHOWN,
        "inbox_rows": 2**31 if everything else INBOX_ROWS + 1,  # one more: are there older?
    }
    steps = plan.steps
    now_rows: list[tuple[tuple[datetime, bool, int], ItemRow, str]] = []
    coming_rows: list[tuple[ItemRow, datetime]] = []
    done: list[tuple[datetime, ItemRow, str]] = []
    counts = reader.counts
    row = PAGE_AND_INBOX.first(connection_of(db), params)
    assert row is not None  # a select of aggregates always has its one row
    packed_items, packed_inbox = row
    sent = _newest_first(unpack(packed_inbox, (2,)))
    rows = [ItemRow._make(packed) for packed in unpack(packed_items, ITEM_TIMES)]
    counted = next(row for row in rows if row.part == "c")
    rows.remove(counted)
    rows.sort(key=lambda row: (row.due_at, row.id))  # due order: ties stay so
    for row in rows:
        part, step_id = row.part, row.step_id
        if part == "v":
            if utc_now < row.opens_at:
                coming_rows.append((row, reader.local(row.opens_at)))
            else:
                status = "overdue" if utc_now > row.due_at else "open"
                now_rows.append(((row.due_at, not steps[step_id].critical, row.id), row, status))
        elif part == "d":
            done.append(
                (
                    row.acted_at or row.expires_at or row.due_at,
                    row,
                    "missed" if row.status == "pending" else row.status,
                )
            )
        elif steps[step_id].recurring:
            _tally(counts, row)
    now_rows.sort(key=lambda triple: triple[0])
    done.sort(key=lambda triple: triple[0], reverse=True)
    return ChecklistPage(
        title=plan.title,
        procedure=words.full_date(enrollment.procedure_start.astimezone(reader.tz)),
        countdown=_countdown(enrollment, now, words),
        zone=words.zone(enrollment.timezone),
        state=enrollment.state,
        now=[reader.entry(row, status) for _, row, status in now_rows],
        coming=reader.days(_by_day_and_step(coming_rows)),
        done=[reader.entry(row, status) for _, row, status in done],
        inbox=_inbox(sent[:INBOX_ROWS] if not everything else sent, reader),
        hidden=counted.id - len(now_rows) - len(coming_rows) - len(done),
        older_messages=not everything and len(sent) > INBOX_ROWS,
    )


def load_entry(
    session: Session, access: LinkAccess, item_id: int, *, now: datetime, words: Words
) -> Entry | None:
    """One item of the link's enrollment as a full entry (what the page swaps in after an
    action); None if it is not one of the enrollment's visible items."""
    plan = plan_for(session, access.enrollment.version_id)
    rows = item_rows(session, access.enrollment)
    row = next((row for row in rows if row.id == item_id), None)
    if row is None:
        return None
    reader = Reader.of(plan, access.enrollment, rows, now=now, words=words)
    return reader.entry(row, _status(row, reader.now))


def item_rows(session: Session, enrollment: EnrollmentRecord) -> list[ItemRow]:
    """The enrollment's items (cancelled ones left out) in due order."""
    packed = session.connection().execute(ITEMS, {"enrollment": enrollment.id}).scalar_one()
    rows = [ItemRow(*row) for row in unpack(packed, ITEM_TIMES)]
    rows.sort(key=lambda row: (row.due_at, row.id))
    return rows


def _naive(moment: datetime) -> datetime:
    """An aware instant as the naive UTC the item rows are read in."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def _status(row: ItemRow, now: datetime) -> str:
    """What an item is at `now` (naive UTC): stored statuses, or for pending ones upcoming,
    open, overdue (past due, still worth doing) or missed (past its expiry)."""
    stored: str = row.status
    if stored != "pending":
        return stored
    if row.expires_at is not None and now >= row.expires_at:
        return "missed"
    if now < row.opens_at:
        return "upcoming"
    return "overdue" if now > row.due_at else "open"


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
                _tally(counts, row)
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


def _by_day_and_step(
    rows: list[tuple[ItemRow, datetime]],
) -> dict[tuple[date, int], list[tuple[ItemRow, datetime]]]:
    """Coming rows grouped by (local day, step), groups in the order of their first opening."""
    rows.sort(key=lambda pair: pair[0].opens_at)
    grouped: dict[tuple[date, int], list[tuple[ItemRow, datetime]]] = {}
    for row, local in rows:
        grouped.setdefault((local.date(), row.step_id), []).append((row, local))
    return grouped


def _tally(counts: dict[int, tuple[int, int]], row: ItemRow) -> None:
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


def _countdown(enrollment: EnrollmentRecord, now: datetime, words: Words) -> str:
    if now < enrollment.procedure_start:
        return words.get("countdown_before", span=words.span(enrollment.procedure_start - now))
    if now < enrollment.procedure_end:
        return words["countdown_during"]
    return words.get("countdown_after", span=words.span(now - enrollment.procedure_end))


def _newest_first(sent: list[list[Any]]) -> list[list[Any]]:
    """Sent reminder rows (item, purpose, sent at, step, id), newest first."""
    sent.sort(key=lambda row: (row[2], row[4]), reverse=True)
    return sent


def _inbox(sent: list[list[Any]], reader: Reader) -> list[Message]:
    """Reminders sent for this enrollment, newest first; one per item and purpose (a reminder
    sent to the inbox and by email appears once, one for a cancelled item not at all)."""
    seen: set[tuple[int, str]] = set()
    texts: dict[int, str] = {}  # step -> its message: a step's reminders repeat
    messages = []
    for item_id, purpose, sent_at, step_id, _ in sent:
        if (item_id, purpose) in seen or step_id is None:
            continue
        seen.add((item_id, purpose))
        text = texts.get(step_id)
        if text is None:
            text = reader.words.get("inbox_entry", text=reader.plan.steps[step_id].text)
            texts[step_id] = text
        messages.append(Message(reader.at(sent_at), text, item_id))
    return messages
