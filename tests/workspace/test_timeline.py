"""The SVG timeline: the axis maps time onto the page, the drawing is escaped and accessible."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

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
