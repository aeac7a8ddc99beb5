"""A step as an admin edits it in review: its fields, the limits they keep, and its repeats.

`check_fields` refuses what no step can have (InvalidStep names the field to fix), and the
editor's repeat choice maps to and from a Recurrence; tracker.web.review_forms builds its form
from the limits here, and tracker.library.review applies the fields.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from dataclasses import fields as dataclass_fields
from typing import Any

from tracker.errors import InvalidStep
from tracker.library import pathways
from tracker.models import Step
from tracker.reading import rrules
from tracker.reading.clinical_defaults import defaults
from tracker.reading.steps import ASKS
from tracker.reading.timing import KINDS, Recurrence, RelTime

SECTIONS = ("preparation", "recovery", "patient experience", "risks and complications")
MINUTES_PER_DAY = 24 * 60
MAX_DAYS = 365  # a window further than a year from the procedure is a typing mistake
MAX_MINUTES = 30 * MINUTES_PER_DAY  # longer offsets belong in days
MAX_TEXT = 1000
# Recurrence field -> (lowest, highest, what the number means).
REPEATS: dict[str, tuple[int, int, str]] = {
    "times_per_day": (1, 12, "times per day"),
    "every_minutes": (5, MINUTES_PER_DAY, "minutes between repeats"),
    "times_per_week": (1, 7, "times per week"),
}


@dataclass(frozen=True)
class StepFields:
    """What an admin sets on a step (everything else about it comes from the document)."""

    section: str
    text: str
    kind: str
    critical: bool
    conditional: bool
    opens: RelTime
    due: RelTime
    expires: RelTime | None
    recurrence: Recurrence | None
    asks: str = "do"  # what it asks of the patient: one of ASKS

    @classmethod
    def of(cls, step: Step) -> StepFields:
        """A stored step's editable fields, e.g. to fill the editor."""
        typed = pathways.timing_step(step)
        return cls(**{field.name: getattr(typed, field.name) for field in dataclass_fields(cls)})

    def columns(self) -> dict[str, Any]:
        """The fields as Step column values (times and recurrences as their dicts)."""
        return asdict(self)


def check_fields(fields: StepFields, *, duration_minutes: int) -> None:
    """Refuse fields no step can have, or a window whose times are in the wrong order."""
    if not fields.text.strip() or len(fields.text) > MAX_TEXT:
        raise InvalidStep("text", "Use 1 to %(max)s characters.", max=MAX_TEXT)
    if fields.kind not in KINDS:
        raise InvalidStep("kind", "Choose one of the listed kinds.")
    if fields.section not in SECTIONS:
        raise InvalidStep("section", "Choose one of the listed sections.")
    if fields.asks not in ASKS:
        raise InvalidStep("asks", "Choose what the step asks of the patient.")
    if fields.asks == "know" and fields.recurrence is not None:
        raise InvalidStep("repeat", "A step that only informs is never repeated or reminded.")
    opens, due = _span(fields.opens, duration_minutes), _span(fields.due, duration_minutes)
    if due[1] < opens[0]:
        raise InvalidStep("due", "The step cannot be due before it opens.")
    if fields.expires is not None and _span(fields.expires, duration_minutes)[1] < due[0]:
        raise InvalidStep("expires", "The step cannot expire before it is due.")
    if fields.recurrence is not None:
        if _span(fields.recurrence.until, duration_minutes)[1] < opens[0]:
            raise InvalidStep("until", "Repeats cannot end before the step opens.")


def _span(point: RelTime, duration_minutes: int) -> tuple[int, int]:
    """Earliest and latest minute from the procedure start the point can mean.

    Exact points are one minute. A clock time (or the reminder hour) is on a calendar day
    counted from the anchor's day, so where it falls depends on the procedure's own clock
    time: anywhere in the day before the clock time at the anchor.
    """
    base = 0 if point.anchor == "start" else duration_minutes
    offset = base + point.days * MINUTES_PER_DAY + point.minutes
    if point.clock is not None:
        hours, minutes = point.clock.split(":")
        at = offset + int(hours) * 60 + int(minutes)
        return at - MINUTES_PER_DAY + 1, at
    if point.reminder_hour:  # the patient's hour: any time of day
        return offset - MINUTES_PER_DAY + 1, offset + MINUTES_PER_DAY - 1
    return offset, offset


def repetition(
    how: str,
    count: int,
    *,
    until: RelTime,
    while_awake: bool = False,
    keep: Recurrence | None = None,
) -> Recurrence:
    """A recurrence from the editor's choice (a REPEATS key) and its number.

    `keep` is the step's current recurrence: when the choice still describes it, only
    `until` and the waking hours change, so what the editor cannot show (every other day,
    nightly) survives an edit. Otherwise the rule is built as the reader builds it, with the
    clinical defaults' dose times, weekdays and waking hours.
    """
    table = defaults()
    awake = table.waking_hours() if while_awake else ()
    if keep is not None and repeat_choice(keep) == (how, count):
        parts = keep.parts
        if parts.sub_daily:  # its own waking hours stay while the box stays ticked
            parts = replace(parts, hours=(parts.hours or awake) if while_awake else ())
        return Recurrence(parts.text(), until)
    if how == "every_minutes":
        parts = rrules.every_minutes(count, hours=awake)
    elif how == "times_per_week":
        parts = rrules.RuleParts("WEEKLY", weekdays=table.weekdays[count - 1] if count > 1 else ())
    else:
        parts = (
            rrules.daily_at(table.dose_minutes(count)) if count > 1 else rrules.RuleParts("DAILY")
        )
    return Recurrence(parts.text(), until)


def repeat_choice(recurrence: Recurrence) -> tuple[str, int]:
    """How the editor shows a recurrence: a REPEATS key and its number."""
    if recurrence.every_minutes:
        return "every_minutes", recurrence.every_minutes
    if recurrence.times_per_week:
        return "times_per_week", recurrence.times_per_week
    return "times_per_day", recurrence.times_per_day or 1
