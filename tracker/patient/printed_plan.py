"""The whole plan on one printed page, by day: a recurring step is one line at its first day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from tracker.i18n import best
from tracker.library.patient_plan import plan_for
from tracker.patient.links import LinkAccess
from tracker.patient.queries import ItemRow, items_of
from tracker.patient.reader import Reader
from tracker.patient.text import Words, is_day_boundary


@dataclass(frozen=True)
class PrintRow:
    """One line of the printed plan: a single item, or every occurrence of a recurring step."""

    when: str
    text: str
    critical: bool
    lang: str = ""  # "en" for a step shown in English on a page in another language


def printable(
    session: Session, access: LinkAccess, *, now: datetime, words: Words
) -> list[tuple[str, list[PrintRow]]]:
    """The whole plan for paper, by day: a recurring step is one line at its first day."""
    enrollment = access.enrollment
    plan = plan_for(session, enrollment.version_id, best(access.patient.language))
    rows = items_of(session.connection(), enrollment.id)
    reader = Reader(plan, enrollment, now=now, words=words)
    today = reader.today
    by_step: dict[int, list[ItemRow]] = {}
    for row in sorted(rows, key=lambda r: (r.opens_at, r.id)):
        by_step.setdefault(
            row.step_id if plan.steps[row.step_id].recurring else -row.id, []
        ).append(row)
    days: dict[date, list[tuple[datetime, PrintRow]]] = {}
    for series in by_step.values():
        step = plan.steps[series[0].step_id]
        first = reader.local(series[0].opens_at)
        if len(series) == 1 and is_day_boundary(first):  # a whole day: say when it is due by
            when = words.get("due_by", when=words.deadline(reader.local(series[0].due_at), today))
        elif len(series) == 1:
            when = words.clock(first)
        else:
            last = reader.local(series[-1].opens_at).date()
            when = words.get(
                "print_repeats",
                time=words.clock(first),
                count=len(series),
                last=words.day(last, today),
            )
        entry = PrintRow(when, step.text, step.critical, step.lang)
        days.setdefault(first.date(), []).append((first, entry))
    return [
        (words.day(day, today), [entry for _, entry in sorted(lines, key=lambda p: p[0])])
        for day, lines in sorted(days.items())
    ]
