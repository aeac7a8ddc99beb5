"""A version's relative steps around the procedure: the axis keeps hours readable beside
weeks, clock times land on their day, steps become rows."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tracker.models import Step
from tracker.reading.timing import RelTime
from tracker.workspace import procedure_timeline, timeline

DAY = 24 * 60


@given(st.integers(min_value=-400 * DAY, max_value=400 * DAY),
       st.integers(min_value=-400 * DAY, max_value=400 * DAY),
       st.integers(min_value=1, max_value=24 * 60))  # fmt: skip
def test_the_procedure_axis_keeps_order(a: int, b: int, duration: int) -> None:
    axis = procedure_timeline.procedure_axis(duration, before=abs(a), after=abs(b))
    low, high = sorted((a, b))
    assert 0 <= axis.fraction(low) <= axis.fraction(high) <= 1


def test_hours_near_the_procedure_stay_readable_beside_weeks() -> None:
    axis = procedure_timeline.procedure_axis(90)
    width = timeline.PLOT_RIGHT - timeline.PLOT_LEFT
    hour_before = (axis.fraction(0) - axis.fraction(-60)) * width
    assert hour_before > 20  # an hour gets as much room as the weeks far out
    assert axis.lo == -30 * DAY and axis.hi == 90 + 42 * DAY
    labels = [tick.label for tick in axis.ticks]
    assert {"−30d", "−1h", "start", "end", "+1h", "+6w"} <= set(labels)
    wider = procedure_timeline.procedure_axis(90, before=60 * DAY, after=100 * DAY)
    assert wider.lo <= -60 * DAY and wider.hi >= 90 + 100 * DAY


def test_clock_times_land_on_the_right_calendar_day() -> None:
    # The evening before an 08:00 start is 11 hours before it.
    evening = RelTime(anchor="start", days=-1, clock="21:00")
    assert procedure_timeline.relative_minutes(evening, duration_minutes=60) == -11 * 60
    assert (
        procedure_timeline.relative_minutes(RelTime(anchor="end", minutes=30), duration_minutes=60)
        == 90
    )
    midnight = RelTime(anchor="start", clock="00:00")
    assert procedure_timeline.relative_minutes(midnight, duration_minutes=60) == -8 * 60


def test_steps_become_rows_around_the_procedure() -> None:
    step = Step(version_id=1, position=0, section="recovery", text="Walk", kind="activity",
                opens={"anchor": "end", "days": 0, "minutes": 0, "clock": None,
                       "reminder_hour": False},
                due={"anchor": "end", "days": 0, "minutes": 240, "clock": None,
                     "reminder_hour": False},
                confidence=0.4)  # fmt: skip
    [row] = procedure_timeline.step_rows([step], duration_minutes=60)
    assert (row.start, row.end, row.marker) == (60, 300, None)
    assert "needs-review" in row.css_class and row.label == "1. Walk"
    markup = procedure_timeline.step_timeline([step], duration_minutes=60, title="Walking")
    assert "Walking" in markup and ">procedure</text>" in markup
