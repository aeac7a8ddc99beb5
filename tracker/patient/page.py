"""The patient's checklist page: now, coming up, done, and the inbox.

`load_page` reads one enrollment in a single round trip (tracker.patient.queries) and
sorts the rows into the page's sections; steps come from the cached plan, and
tracker.patient.reader words them in the patient's zone and language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection
from sqlmodel import Session

from tracker.db import connection_of
from tracker.library.patient_plan import plan_for
from tracker.patient.links import EnrollmentRecord, LinkAccess
from tracker.patient.packed_rows import unpack
from tracker.patient.queries import INBOX_ROWS, ITEM_TIMES, ITEMS, PAGE_AND_INBOX, ItemRow
from tracker.patient.reader import Day, Entry, Message, Reader, tally
from tracker.patient.text import Words

DONE_SHOWN = 10  # the latest done or past items listed; the rest on the full list
FAR = datetime(9999, 1, 1)  # "no bound" for the full list


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
    what comes next (by day, the next `COMING_DAYS` of tracker.patient.reader unless
    `everything`), and what is done or over (latest first, the last `DONE_SHOWN` unless
    `everything`). One query returns only the rows shown (the database picks, sorts and
    counts the rest)."""
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
            tally(counts, row)
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


def _by_day_and_step(
    rows: list[tuple[ItemRow, datetime]],
) -> dict[tuple[date, int], list[tuple[ItemRow, datetime]]]:
    """Coming rows grouped by (local day, step), groups in the order of their first opening."""
    rows.sort(key=lambda pair: pair[0].opens_at)
    grouped: dict[tuple[date, int], list[tuple[ItemRow, datetime]]] = {}
    for row, local in rows:
        grouped.setdefault((local.date(), row.step_id), []).append((row, local))
    return grouped


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
