"""Timelines as server-rendered inline SVG: rows of bars on a piecewise (log-ish) time axis.

The core (`Axis`, `Row`, `Landmark`, `draw`) knows nothing about steps: values are plain
numbers (minutes from some origin) and the axis maps them onto the page.
`tracker.workspace.procedure_timeline` adapts a pathway version's relative steps to it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

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
