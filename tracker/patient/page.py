"""The patient's checklist page: now, restrictions, warning signs, notes, coming up, done and
not done, and the inbox.

`load_page` reads one enrollment's items and sent reminders (tracker.patient.queries) and
sorts them into the page's sections; steps come from the cached plan, and
tracker.patient.reader words them in the patient's zone and language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection
from sqlmodel import Session

from tracker.db import connection_of
from tracker.i18n import best
from tracker.library.patient_plan import plan_for
from tracker.patient.check_ins import answer_on
from tracker.patient.links import EnrollmentRecord, LinkAccess
from tracker.patient.moved_notice import moved_notice
from tracker.patient.queries import INBOX_ROWS, ItemRow, SentRow, items_of, sent_reminders
from tracker.patient.reader import (
    Day,
    Entry,
    Message,
    Note,
    Reader,
    ending,
    in_force,
    status_at,
)
from tracker.patient.series import whole_series
from tracker.patient.text import MESSAGES, Words

DONE_SHOWN = 10  # the latest done or past items listed; the rest on the full list
_STEP = "\x00"  # stands for the step's words while the sentence around them is translated
# What an item shows once an action on it went through (undo: whatever it is again).
SHOWN_AFTER = {
    "done": {"done"},
    "not_done": {"not_done"},
    "undo": {"open", "overdue", "upcoming", "missed"},
}


# The page's list an item belongs in by its status (after an action, the page moves it there).
SECTION_OF = {
    "open": "now",
    "overdue": "now",
    "upcoming": "coming",
    "done": "done",
    "not_done": "not_done",
    "missed": "not_done",
    "skipped": "not_done",
}


@dataclass(frozen=True)
class ChecklistPage:
    """Everything the checklist page shows, already in the patient's words and zone.

    Steps are placed by what they ask (tracker.reading.asks): `do` items are ticked (now,
    coming up, done or not done); `avoid` ones are restrictions in force, with their end;
    `know` ones are notes, never tasks; `watch` ones are the warning signs to check for."""

    title: str
    procedure: str
    countdown: str
    zone: str
    state: str
    now: list[Entry] = field(default_factory=list)
    restrictions: list[Note] = field(default_factory=list)
    watch: list[Note] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    coming: list[Day] = field(default_factory=list)
    done: list[Entry] = field(default_factory=list)
    not_done: list[Entry] = field(default_factory=list)  # couldn't do, missed, not needed
    inbox: list[Message] = field(default_factory=list)
    hidden: int = 0  # items left out of the short lists (shown with everything=True)
    older_messages: bool = False  # reminders older than the inbox shows (ditto)
    check_in: str = ""  # today's answer about the warning signs: "" | none | yes
    title_lang: str = ""  # "en": the title has no reviewed translation (marked lang="en")
    moved: str = ""  # "Your procedure was moved from … to … on …" (tracker.patient.moved_notice)


def load_page(
    db: Session | Connection,
    access: LinkAccess,
    *,
    now: datetime,
    words: Words,
    everything: bool = False,
) -> ChecklistPage:
    """The checklist of the link's enrollment at `now`: what is open now (most urgent first),
    the restrictions, warning signs and notes that apply now, what comes next (by day, up to
    the procedure's day and at least a week, unless `everything`), and what is over (latest
    first, the last `DONE_SHOWN` of each kind unless `everything`)."""
    enrollment = access.enrollment
    connection = connection_of(db)
    plan = plan_for(db, enrollment.version_id, best(access.patient.language))
    reader = Reader(plan, enrollment, now=now, words=words, series=whole_series(db, enrollment))
    rows = items_of(connection, enrollment.id)
    reader.count_today(rows)
    open_now: list[ItemRow] = []
    coming: list[ItemRow] = []
    over: list[ItemRow] = []
    applying: dict[str, dict[int, ItemRow]] = {"avoid": {}, "know": {}, "watch": {}}
    later = 0
    for row in rows:
        asks, status = reader.asks(row), status_at(row, now)
        if asks != "do":
            if in_force(row, now):  # one entry per step: the occurrence that applies now
                applying[asks].setdefault(row.step_id, row)
            elif status == "upcoming" and asks != "watch":
                if everything or row.opens_at < reader.week_ends:
                    coming.append(row)
                else:
                    later += 1
        elif status in ("open", "overdue"):
            open_now.append(row)
        elif status != "upcoming":
            over.append(row)
        elif everything or row.opens_at < reader.week_ends:
            coming.append(row)
        else:
            later += 1
    # Most urgent first: by deadline, critical before the rest at the same deadline.
    open_now.sort(key=lambda row: (row.due_at, not plan.steps[row.step_id].critical, row.id))
    over.sort(key=_finished, reverse=True)  # latest first; a stable sort keeps due order
    done = [row for row in over if row.status == "done"]
    not_done = [row for row in over if row.status != "done"]
    shown_done = done if everything else done[:DONE_SHOWN]
    shown_not_done = not_done if everything else not_done[:DONE_SHOWN]
    sent = sent_reminders(connection, enrollment.id, limit=None if everything else INBOX_ROWS + 1)
    restrictions = sorted(applying["avoid"].values(), key=lambda row: (ending(row), row.id))
    answered = answer_on(connection, enrollment.id, reader.today) if applying["watch"] else None
    return ChecklistPage(
        title=plan.title,
        title_lang=plan.title_lang,
        procedure=words.full_date(enrollment.procedure_start.astimezone(reader.tz)),
        countdown=_countdown(enrollment, now, words),
        zone=words.zone(enrollment.timezone),
        state=enrollment.state,
        now=[reader.entry(row, status_at(row, now)) for row in open_now],
        restrictions=[reader.note(row) for row in restrictions],
        watch=[reader.note(row) for row in applying["watch"].values()],
        notes=[reader.note(row) for row in applying["know"].values()],
        coming=reader.days(coming),
        done=[reader.entry(row, status_at(row, now)) for row in shown_done],
        not_done=[reader.entry(row, status_at(row, now)) for row in shown_not_done],
        inbox=_inbox(sent if everything else sent[:INBOX_ROWS], reader),
        hidden=later + len(done) - len(shown_done) + len(not_done) - len(shown_not_done),
        older_messages=not everything and len(sent) > INBOX_ROWS,
        check_in=answered.answer if answered else "",
        moved=moved_notice(connection, enrollment, now=now, words=words),
    )


def load_entry(
    db: Session | Connection, access: LinkAccess, item_id: int, *, now: datetime, words: Words
) -> Entry | None:
    """One item of the link's enrollment as a full entry (what the page swaps in after an
    action); None if it is not one of the enrollment's visible items."""
    rows = items_of(connection_of(db), access.enrollment.id)
    row = next((row for row in rows if row.id == item_id), None)
    if row is None:
        return None
    plan = plan_for(db, access.enrollment.version_id, best(access.patient.language))
    reader = Reader(plan, access.enrollment, now, words, series=whole_series(db, access.enrollment))
    reader.count_today(rows)
    return reader.entry(row, status_at(row, now))


@dataclass(frozen=True)
class Notice:
    """The line a page shows after a plain (no JavaScript) form was sent."""

    kind: str  # success | error
    text: str


def notice_after(
    db: Session | Connection,
    access: LinkAccess,
    *,
    item_id: int,
    action: str,
    refused: bool,
    now: datetime,
    words: Words,
) -> Notice | None:
    """What the page says after a plain form's `action` on an item, read from the database
    (the redirect names only the item and the action, never a text): "Ticked off: …", or why
    the item could not be changed. None for an item not on this link's plan, or one that is
    no longer as the action left it (the page was reloaded after another change)."""
    if action not in SHOWN_AFTER:
        return None
    state = access.enrollment.state
    if refused and state != "active":  # its items may be cancelled with it: the plan says
        reason = words["refused_" + state] if "refused_" + state in MESSAGES else state
        return Notice("error", words.get("cannot_change", reason=reason))
    entry = load_entry(db, access, item_id, now=now, words=words)
    if entry is None:
        return None
    if refused:
        return Notice("error", words.get("cannot_change", reason=_refusal(entry, words)))
    if entry.status not in SHOWN_AFTER[action]:
        return None
    return Notice("success", words.get("saved_" + action, text=entry.text))


def _refusal(entry: Entry, words: Words) -> str:
    """Why an item of an active plan cannot change, as tracker.patient.ticking words it."""
    if entry.status == "upcoming":
        return words["refused_upcoming"]
    key = "status_" + entry.status  # open and overdue items have no label of their own
    label = words[key] if key in MESSAGES else entry.status.replace("_", " ")
    return words.get("refused_item", status=label.lower())


def _finished(row: ItemRow) -> datetime:
    """When an item stopped being to do: acted on, else expired, else due."""
    return row.acted_at or row.expires_at or row.due_at


def _countdown(enrollment: EnrollmentRecord, now: datetime, words: Words) -> str:
    if now < enrollment.procedure_start:
        return words.get("countdown_before", span=words.span(enrollment.procedure_start - now))
    if now < enrollment.procedure_end:
        return words["countdown_during"]
    return words.get("countdown_after", span=words.span(now - enrollment.procedure_end))


def _inbox(sent: list[SentRow], reader: Reader) -> list[Message]:
    """Reminders sent for this enrollment, newest first; one per item and purpose (a reminder
    sent to the inbox and by email appears once, one for a cancelled item not at all)."""
    seen: set[tuple[int, str]] = set()
    messages = []
    # The sentence around a step's words, in the patient's language ("Recordatorio: …").
    before, _, after = reader.words.get("inbox_entry", text=_STEP).partition(_STEP)
    for row in sent:
        if (row.item_id, row.purpose) in seen or row.step_id is None:
            continue
        seen.add((row.item_id, row.purpose))
        step = reader.plan.steps[row.step_id]
        text = before + step.text + after
        when = reader.at(row.at)
        messages.append(Message(when, text, row.item_id, before, step.text, after, step.lang))
    return messages
