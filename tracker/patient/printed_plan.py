"""The whole plan on one printed page, by day: a recurring step is one line at its first day,
counted over its whole series (tracker.patient.series), not only the rows stored so far."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from tracker.i18n import best
from tracker.library.patient_plan import plan_for
from tracker.patient.links import LinkAccess
from tracker.patient.queries import ItemRow, items_of
from tracker.patient.reader import Reader, ending
from tracker.patient.series import whole_series
from tracker.patient.text import Words, is_day_boundary


@dataclass(frozen=True)
class PrintRow:
    """One line of the printed plan: a single item, or every occurrence of a recurring step."""

    when: str
    text: str
    critical: bool
    tickable: bool = True  # a `do` item gets a box to tick; restrictions, notes and signs none
    lang: str = ""  # "en" for a step shown in English on a page in another language


def printable(
    session: Session, access: LinkAccess, *, now: datetime, words: Words
) -> list[tuple[str, list[PrintRow]]]:
    """The whole plan for paper, by day: a recurring step is one line at its first day."""
    enrollment = access.enrollment
    plan = plan_for(session, enrollment.version_id, best(access.patient.language))
    rows = items_of(session.connection(), enrollment.id)
    reader = Reader(plan, enrollment, now=now, words=words, on_paper=True)
    series = whole_series(session, enrollment)
    by_step: dict[int, list[ItemRow]] = {}
    for row in sorted(rows, key=lambda r: (r.opens_at, r.id)):
        by_step.setdefault(
            row.step_id if plan.steps[row.step_id].recurring else -row.id, []
        ).append(row)
    days: dict[date, list[tuple[datetime, PrintRow]]] = {}
    for rows_of in by_step.values():
        step = plan.steps[rows_of[0].step_id]
        first = reader.local(rows_of[0].opens_at)
        whole = series.get(rows_of[0].step_id) if step.recurring else None
        if len(rows_of) == 1 and whole is None:
            when = _when(reader, rows_of[0], step.asks)
        else:
            # The stored rows stop at the horizon; the series runs to the step's stated end.
            count = whole.count if whole else len(rows_of)
            last = reader.local(whole.last if whole else rows_of[-1].opens_at).date()
            when = words.get(
                "print_repeats", time=words.clock(first), count=count, last=reader.day(last)
            )
        entry = PrintRow(when, step.text, step.critical, step.asks == "do", step.lang)
        days.setdefault(first.date(), []).append((first, entry))
    return [
        (reader.day(day), [entry for _, entry in sorted(lines, key=lambda p: p[0])])
        for day, lines in sorted(days.items())
    ]


def _when(reader: Reader, row: ItemRow, asks: str) -> str:
    """A one-off item's time on paper, worded as the checklist words it: a restriction until
    its end, a note as a note, an item to do by its deadline when that is not the day it opens."""
    words, opens = reader.words, reader.local(row.opens_at)
    if asks == "know":  # a note for that day, badged as the checklist badges it, no hour
        return words["note_badge"]
    at = words["all_day"] if is_day_boundary(opens) else words.clock(opens)
    if asks == "avoid":
        until = words.get("restriction_until", when=reader.by(ending(row)))
        return until if is_day_boundary(opens) else f"{at} · {until}"
    if asks == "do" and is_day_boundary(opens):  # a whole day: only the deadline matters
        return words.get("due_by", when=reader.by(row.due_at))
    later = reader.due_later(row) if asks == "do" else ""
    return f"{at} · {later}" if later else at
