"""A pathway version's relative steps on a timeline around the procedure: the axis
(`procedure_axis`, minutes from the procedure start) and the rows (`step_rows`), drawn by
`tracker.workspace.timeline.draw`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext, ngettext
from markupsafe import Markup

from tracker.i18n import N_
from tracker.models import Step
from tracker.reading import wording
from tracker.reading.timing import REVIEW_THRESHOLD, RelTime
from tracker.workspace.timeline import MINUTES_PER_DAY, Axis, Landmark, Row, Tick, draw

# Distances from the procedure drawn as evenly spaced ticks, with their short labels.
DISTANCES: tuple[tuple[int, str], ...] = (
    (60, "1h"),
    (4 * 60, "4h"),
    (12 * 60, "12h"),
    (MINUTES_PER_DAY, "1d"),
    (3 * MINUTES_PER_DAY, "3d"),
    (7 * MINUTES_PER_DAY, "1w"),
    (14 * MINUTES_PER_DAY, "2w"),
    (30 * MINUTES_PER_DAY, "30d"),
    (42 * MINUTES_PER_DAY, "6w"),
    (91 * MINUTES_PER_DAY, "13w"),
    (182 * MINUTES_PER_DAY, "26w"),
    (365 * MINUTES_PER_DAY, "1y"),
)
DEFAULT_BEFORE = 30 * MINUTES_PER_DAY
DEFAULT_AFTER = 42 * MINUTES_PER_DAY
# Relative steps have no calendar: clock times are drawn as if the procedure started here.
ASSUMED_START_CLOCK = 8 * 60
ASSUMED_REMINDER_CLOCK = 9 * 60
PROCEDURE_SLOTS = 1.0  # the procedure itself gets the width of one tick interval


def procedure_axis(duration_minutes: int, *, before: float = 0, after: float = 0) -> Axis:
    """Minutes from the procedure start: at least 30 days before it to 6 weeks after its end.

    `before` and `after` (minutes beyond the start and the end) widen it to fit the data.
    """
    duration = max(duration_minutes, 1)
    left = _distances(max(DEFAULT_BEFORE, before))
    right = _distances(max(DEFAULT_AFTER, after))
    slots = len(left) + PROCEDURE_SLOTS + len(right)
    knots: list[tuple[float, float]] = []
    ticks: list[Tick] = []
    for i, (distance, label) in enumerate(reversed(left)):
        knots.append((-distance, i / slots))
        ticks.append(Tick(-distance, f"−{_short(label)}"))
    knots.append((0, len(left) / slots))
    knots.append((duration, (len(left) + PROCEDURE_SLOTS) / slots))
    # TRANSLATORS: short tick labels on a timeline axis: the procedure's start and end.
    ticks += [Tick(0, gettext("start")), Tick(duration, gettext("end"))]
    for i, (distance, label) in enumerate(right, start=1):
        knots.append((duration + distance, (len(left) + PROCEDURE_SLOTS + i) / slots))
        ticks.append(Tick(duration + distance, f"+{_short(label)}"))
    return Axis(knots=tuple(knots), ticks=tuple(ticks))


# The tick labels' units, translated when drawn (DISTANCES is built before any request).
UNITS = {
    # TRANSLATORS: a timeline axis tick, e.g. "4h": hours, days, weeks, years. Keep it short.
    "h": N_("%(n)sh"),
    "d": N_("%(n)sd"),
    "w": N_("%(n)sw"),
    "y": N_("%(n)sy"),
}


def _short(label: str) -> str:
    """'2w' in the page's language: '2 sem' in Spanish."""
    return str(gettext(UNITS[label[-1]], n=label[:-1]))


def _distances(reach: float) -> list[tuple[int, str]]:
    """The tick distances needed to reach `reach` minutes (the last one covers it)."""
    chosen: list[tuple[int, str]] = []
    for distance, label in DISTANCES:
        chosen.append((distance, label))
        if distance >= reach:
            break
    return chosen


def relative_minutes(point: RelTime, *, duration_minutes: int) -> float:
    """Minutes from the procedure start; clock times assume a start at 08:00."""
    base = 0 if point.anchor == "start" else duration_minutes
    offset = point.days * MINUTES_PER_DAY + point.minutes
    clock = _clock_minutes(point)
    if clock is None:
        return base + offset
    # Day-granular: that calendar day (counted from the anchor's day) at the clock time.
    anchor_day_start = base - (ASSUMED_START_CLOCK + base) % MINUTES_PER_DAY
    return anchor_day_start + offset + clock


def _clock_minutes(point: RelTime) -> int | None:
    if point.clock:
        hours, minutes = point.clock.split(":")
        return int(hours) * 60 + int(minutes)
    return ASSUMED_REMINDER_CLOCK if point.reminder_hour else None


def step_rows(steps: Sequence[Step], *, duration_minutes: int) -> list[Row]:
    """One row per step: a bar from opens to due, a marker at expiry, a tail while it repeats."""

    def at(data: dict[str, Any]) -> float:
        return relative_minutes(RelTime.from_dict(data), duration_minutes=duration_minutes)

    rows = []
    for number, step in enumerate(steps, start=1):
        classes = ["kind-" + step.kind]
        if step.confidence < REVIEW_THRESHOLD:
            classes.append("needs-review")
        if step.critical:
            classes.append("critical")
        until = step.recurrence.get("until") if step.recurrence else None
        rows.append(
            Row(
                label=f"{number}. {step.text}",
                start=at(step.opens),
                end=at(step.due),
                marker=at(step.expires) if step.expires else None,
                css_class=" ".join(classes),
                note=f"{number}. {step.text} — {wording.step_window(step)}",
                tail=at(until) if isinstance(until, dict) else None,
            )
        )
    return rows


def step_timeline(steps: Sequence[Step], *, duration_minutes: int, title: str) -> Markup:
    """A version's steps around the procedure, the procedure itself as a band."""
    rows = step_rows(steps, duration_minutes=duration_minutes)
    ends = (value for row in rows for value in (row.start, row.end, row.marker, row.tail))
    values = [value for value in ends if value is not None]
    before = -min(values, default=0)
    after = max(values, default=0) - duration_minutes
    axis = procedure_axis(duration_minutes, before=before, after=after)
    description = " ".join(
        (
            ngettext("%(num)d step.", "%(num)d steps.", len(rows)),
            gettext(
                "Before the procedure, times count back from its start; after it, forward from "
                "its end. Bars run from when a step opens to when it is due; a diamond marks "
                "when it expires; a thin line shows how long it repeats. Clock times are drawn "
                "as if the procedure started at 08:00. The table below lists the same steps."
            ),
        )
    )
    marks = [Landmark(gettext("procedure"), 0, duration_minutes, "tl-procedure")]
    return draw(
        rows,
        axis,
        title=title,
        description=description,
        landmarks=marks,
        id_prefix="steps-timeline",
    )
