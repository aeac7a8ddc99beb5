"""Timelines as server-rendered inline SVG: rows of bars on a piecewise (log-ish) time axis.

The core (`Axis`, `Row`, `Landmark`, `draw`) knows nothing about steps: values are plain
numbers (minutes from some origin) and the axis maps them onto the page. `procedure_axis`
and `step_rows` adapt a pathway version's relative steps to it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext, ngettext
from markupsafe import Markup

from tracker.i18n import N_
from tracker.models import Step
from tracker.reading import wording
from tracker.reading.timing import REVIEW_THRESHOLD, RelTime

MINUTES_PER_DAY = 24 * 60
# Drawing geometry, in SVG user units (the viewBox scales to the page width).
WIDTH = 960
LABEL_WIDTH = 290
PLOT_LEFT = LABEL_WIDTH + 10
PLOT_RIGHT = WIDTH - 24
HEADER_HEIGHT = 46
ROW_HEIGHT = 24
BAR_HEIGHT = 12
MIN_BAR_WIDTH = 4
MARKER_HALF = 6
FOOTER_HEIGHT = 8
LABEL_CHARS = 40


@dataclass(frozen=True)
class Tick:
    """A labelled value on the axis."""

    value: float
    label: str


@dataclass(frozen=True)
class Axis:
    """Values map to [0, 1] by linear interpolation between knots (value, fraction).

    Evenly spaced knots at growing distances make a log-ish scale that keeps hours near
    the origin readable beside weeks further out.
    """

    knots: tuple[tuple[float, float], ...]
    ticks: tuple[Tick, ...]

    def __post_init__(self) -> None:
        values = [v for v, _ in self.knots]
        fractions = [f for _, f in self.knots]
        if len(self.knots) < 2 or values != sorted(set(values)) or fractions != sorted(fractions):
            raise ValueError("axis knots must be at least two, increasing in value and fraction")

    @property
    def lo(self) -> float:
        return self.knots[0][0]

    @property
    def hi(self) -> float:
        return self.knots[-1][0]

    def fraction(self, value: float) -> float:
        """Where a value falls, 0 at the left edge and 1 at the right; outside values clamp."""
        if value <= self.lo:
            return self.knots[0][1]
        if value >= self.hi:
            return self.knots[-1][1]
        i = bisect_right([v for v, _ in self.knots], value)
        (v0, f0), (v1, f1) = self.knots[i - 1], self.knots[i]
        return f0 + (f1 - f0) * (value - v0) / (v1 - v0)


@dataclass(frozen=True)
class Row:
    """One bar from start to end, an optional marker (e.g. expiry) and an optional tail."""

    label: str
    start: float
    end: float
    marker: float | None = None
    css_class: str = ""
    note: str = ""  # shown on hover: the row's full wording
    tail: float | None = None  # a thin line on from the bar, e.g. "repeats until"


@dataclass(frozen=True)
class Landmark:
    """A labelled instant (a line) or span (a band) across every row."""

    label: str
    start: float
    end: float | None = None
    css_class: str = ""


def draw(
    rows: Sequence[Row],
    axis: Axis,
    *,
    title: str,
    description: str,
    landmarks: Sequence[Landmark] = (),
    id_prefix: str = "timeline",
) -> Markup:
    """The timeline as an accessible inline SVG (`role="img"`, `<title>`, `<desc>`)."""
    height = HEADER_HEIGHT + ROW_HEIGHT * max(len(rows), 1) + FOOTER_HEIGHT
    bottom = height - FOOTER_HEIGHT
    ids = f"{id_prefix}-title {id_prefix}-desc"
    parts = [
        Markup(
            '<svg xmlns="http://www.w3.org/2000/svg" class="timeline" role="img" '
            'viewBox="0 0 {w} {h}" aria-labelledby="{ids}">'
        ).format(w=WIDTH, h=height, ids=ids),
        Markup('<title id="{p}-title">{t}</title><desc id="{p}-desc">{d}</desc>').format(
            p=id_prefix, t=title, d=description
        ),
        _ticks(axis, bottom),
        *(_landmark(mark, axis, bottom) for mark in landmarks),
        *(_row(row, axis, HEADER_HEIGHT + i * ROW_HEIGHT) for i, row in enumerate(rows)),
        Markup("</svg>"),
    ]
    return Markup("").join(parts)


def _x(axis: Axis, value: float) -> float:
    return round(PLOT_LEFT + (PLOT_RIGHT - PLOT_LEFT) * axis.fraction(value), 1)


def _ticks(axis: Axis, bottom: int) -> Markup:
    parts = [Markup('<g class="tl-axis">')]
    for tick in axis.ticks:
        x = _x(axis, tick.value)
        parts.append(
            Markup(
                '<line class="tl-grid" x1="{x}" x2="{x}" y1="{top}" y2="{bottom}" />'
                '<text class="tl-tick" x="{x}" y="{y}" text-anchor="middle">{label}</text>'
            ).format(
                x=x, top=HEADER_HEIGHT - 4, bottom=bottom, y=HEADER_HEIGHT - 8, label=tick.label
            )
        )
    parts.append(Markup("</g>"))
    return Markup("").join(parts)


def _landmark(mark: Landmark, axis: Axis, bottom: int) -> Markup:
    x0 = _x(axis, mark.start)
    x1 = x0 if mark.end is None else max(_x(axis, mark.end), x0 + 1)
    label = Markup(
        '<text class="tl-landmark-label" x="{x}" y="12" text-anchor="middle">{label}</text>'
    ).format(x=round((x0 + x1) / 2, 1), label=mark.label)
    if mark.end is None:
        shape = Markup(
            '<line class="tl-landmark {c}" x1="{x}" x2="{x}" y1="18" y2="{bottom}" />'
        ).format(c=mark.css_class, x=x0, bottom=bottom)
    else:
        shape = Markup(
            '<rect class="tl-band {c}" x="{x}" y="18" width="{w}" height="{h}" />'
        ).format(c=mark.css_class, x=x0, w=round(x1 - x0, 1), h=bottom - 18)
    return shape + label


def _row(row: Row, axis: Axis, top: int) -> Markup:
    start, end = sorted((row.start, row.end))
    x0, x1 = _x(axis, start), _x(axis, end)
    if x1 - x0 < MIN_BAR_WIDTH:
        x0, x1 = x0 - MIN_BAR_WIDTH / 2, x0 + MIN_BAR_WIDTH / 2
    middle = top + ROW_HEIGHT // 2
    label = row.label if len(row.label) <= LABEL_CHARS else row.label[: LABEL_CHARS - 1] + "…"
    parts = [
        Markup('<g class="tl-row {c}"><title>{note}</title>').format(
            c=row.css_class, note=row.note or row.label
        ),
        Markup('<text class="tl-label" x="{x}" y="{y}" text-anchor="end">{label}</text>').format(
            x=LABEL_WIDTH, y=middle + 4, label=label
        ),
    ]
    if row.tail is not None:
        parts.append(
            Markup('<line class="tl-tail" x1="{x0}" x2="{x1}" y1="{y}" y2="{y}" />').format(
                x0=x1, x1=max(_x(axis, row.tail), x1), y=middle
            )
        )
    parts.append(
        Markup('<rect class="tl-bar" x="{x}" y="{y}" width="{w}" height="{h}" rx="2" />').format(
            x=round(x0, 1), y=middle - BAR_HEIGHT // 2, w=round(x1 - x0, 1), h=BAR_HEIGHT
        )
    )
    if row.marker is not None:
        mx = _x(axis, row.marker)
        points = (
            f"{mx},{middle - MARKER_HALF} {mx + MARKER_HALF},{middle} "
            f"{mx},{middle + MARKER_HALF} {mx - MARKER_HALF},{middle}"
        )
        parts.append(Markup('<polygon class="tl-marker" points="{p}" />').format(p=points))
    parts.append(Markup("</g>"))
    return Markup("").join(parts)


# --- A pathway version's relative steps on an axis around the procedure -------------------

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
