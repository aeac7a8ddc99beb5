"""The SVG timeline: the axis maps time onto the page, the drawing is escaped and accessible."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.models import Step
from tracker.reading.timing import RelTime
from tracker.workspace import timeline
from tracker.workspace.timeline import Axis, Landmark, Row, Tick

SVG = "{http://www.w3.org/2000/svg}"
DAY = 24 * 60


def _axis() -> Axis:
    return Axis(knots=((-100, 0.0), (0, 0.5), (1000, 1.0)), ticks=(Tick(0, "0"),))


def test_values_between_knots_interpolate_and_outside_values_clamp() -> None:
    axis = _axis()
    assert axis.fraction(-50) == 0.25
    assert axis.fraction(500) == 0.75
    assert (axis.fraction(-1e9), axis.fraction(1e9)) == (0.0, 1.0)


@pytest.mark.parametrize(
    "knots",
    [((0, 0.0),), ((0, 0.0), (0, 1.0)), ((1, 0.0), (0, 1.0)), ((0, 1.0), (1, 0.0))],
)
def test_knots_must_increase(knots: tuple[tuple[float, float], ...]) -> None:
    with pytest.raises(ValueError):
        Axis(knots=knots, ticks=())


@given(st.integers(min_value=-400 * DAY, max_value=400 * DAY),
       st.integers(min_value=-400 * DAY, max_value=400 * DAY),
       st.integers(min_value=1, max_value=24 * 60))  # fmt: skip
def test_the_procedure_axis_keeps_order(a: int, b: int, duration: int) -> None:
    axis = timeline.procedure_axis(duration, before=abs(a), after=abs(b))
    low, high = sorted((a, b))
    assert 0 <= axis.fraction(low) <= axis.fraction(high) <= 1


def test_hours_near_the_procedure_stay_readable_beside_weeks() -> None:
    axis = timeline.procedure_axis(90)
    width = timeline.PLOT_RIGHT - timeline.PLOT_LEFT
    hour_before = (axis.fraction(0) - axis.fraction(-60)) * width
    assert hour_before > 20  # an hour gets as much room as the weeks far out
    assert axis.lo == -30 * DAY and axis.hi == 90 + 42 * DAY
    labels = [tick.label for tick in axis.ticks]
    assert {"−30d", "−1h", "start", "end", "+1h", "+6w"} <= set(labels)
    wider = timeline.procedure_axis(90, before=60 * DAY, after=100 * DAY)
    assert wider.lo <= -60 * DAY and wider.hi >= 90 + 100 * DAY


def test_the_drawing_is_valid_accessible_svg_with_everything_escaped() -> None:
    rows = [
        Row(
            "<script>alert(1)</script>",
            -60,
            0,
            marker=30,
            css_class="needs-review",
            note='a "quoted" & <b>note</b>',
            tail=500,
        ),
        Row("a very long label " * 10, 10, 10),
    ]
    marks = [Landmark("procedure", 0, 100, "tl-procedure"), Landmark("now <", 50)]
    markup = timeline.draw(
        rows, _axis(), title="T <1>", description="D & d", landmarks=marks, id_prefix="t"
    )
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    root = ET.fromstring(str(markup))
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.get("aria-labelledby") == "t-title t-desc"
    assert root.find(f"{SVG}title").text == "T <1>"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == "D & d"  # type: ignore[union-attr]
    groups = [g for g in root.iter(f"{SVG}g") if "tl-row" in (g.get("class") or "")]
    assert len(groups) == 2 and "needs-review" in (groups[0].get("class") or "")
    bars = [float(r.get("width") or 0) for r in root.iter(f"{SVG}rect")
            if r.get("class") == "tl-bar"]  # fmt: skip
    assert min(bars) >= timeline.MIN_BAR_WIDTH  # an instant is still visible
    assert len(list(root.iter(f"{SVG}polygon"))) == 1
    labels = [t.text or "" for t in root.iter(f"{SVG}text") if t.get("class") == "tl-label"]
    assert all(len(label) <= timeline.LABEL_CHARS for label in labels)
    assert not re.search(r"style=", str(markup))


def test_clock_times_land_on_the_right_calendar_day() -> None:
    # The evening before an 08:00 start is 11 hours before it.
    evening = RelTime(anchor="start", days=-1, clock="21:00")
    assert timeline.relative_minutes(evening, duration_minutes=60) == -11 * 60
    assert timeline.relative_minutes(RelTime(anchor="end", minutes=30), duration_minutes=60) == 90
    midnight = RelTime(anchor="start", clock="00:00")
    assert timeline.relative_minutes(midnight, duration_minutes=60) == -8 * 60


def test_steps_become_rows_around_the_procedure() -> None:
    step = Step(version_id=1, position=0, section="recovery", text="Walk", kind="activity",
                opens={"anchor": "end", "days": 0, "minutes": 0, "clock": None,
                       "reminder_hour": False},
                due={"anchor": "end", "days": 0, "minutes": 240, "clock": None,
                     "reminder_hour": False},
                confidence=0.4)  # fmt: skip
    [row] = timeline.step_rows([step], duration_minutes=60)
    assert (row.start, row.end, row.marker) == (60, 300, None)
    assert "needs-review" in row.css_class and row.label == "1. Walk"
    markup = timeline.step_timeline([step], duration_minutes=60, title="Walking")
    assert "Walking" in markup and ">procedure</text>" in markup
