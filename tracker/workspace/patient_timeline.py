"""One enrollment's SVG timeline: each item's window around the procedure, coloured by status.

It reuses `tracker.workspace.timeline.draw` on an axis of minutes from the procedure start.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext, ngettext
from markupsafe import Markup

from tracker.models import ChecklistItem, Enrollment, PathwayVersion, Step
from tracker.workspace import procedure_timeline, timeline
from tracker.workspace.wording import (
    URGENCY,
    css_status,
    local_text,
    status_count,
    status_label,
)

MAX_SEPARATE_OCCURRENCES = 3  # a recurring step with more occurrences is drawn as one row


@dataclass(frozen=True)
class ItemView:
    """A checklist row: the item, its step, what to call its status, who acted."""

    item: ChecklistItem
    step: Step
    status: str
    acted_by: str

    @property
    def css(self) -> str:
        return css_status(self.status)

    @property
    def label(self) -> str:
        return self.step.text + (f" (#{self.item.occurrence + 1})" if self.step.recurrence else "")


def draw(
    items: Sequence[ItemView], *, enrollment: Enrollment, version: PathwayVersion, now: datetime
) -> Markup:
    """Each item's window (opens to due, expiry marked) coloured by status, around the
    procedure, with a line at now. Long-recurring steps are drawn as one row."""
    start = enrollment.procedure_start
    duration = max(int((enrollment.procedure_end - start).total_seconds() // 60), 1)

    def at(moment: datetime) -> float:
        return (moment - start).total_seconds() / 60

    zone = ZoneInfo(enrollment.timezone)
    rows = [_row(group, at, zone) for group in _groups(items)]
    now_at = at(now)
    values = [v for row in rows for v in (row.start, row.end, row.marker) if v is not None]
    values.append(now_at)
    axis = procedure_timeline.procedure_axis(
        duration, before=-min(values), after=max(values) - duration
    )
    counts = Counter(item.status for item in items)
    summary = _tally((status, n) for status in URGENCY if (n := counts.get(status)))
    description = " ".join(
        (
            ngettext(
                "%(num)d item (%(summary)s).",
                "%(num)d items (%(summary)s).",
                len(items),
                summary=summary or gettext("none"),
            ),
            gettext(
                "Times count back from the procedure start and forward from its end; each bar "
                "runs from when an item opens to when it is due, a diamond marks its expiry, the "
                "vertical line marks now. Recurring steps with many occurrences share one row. "
                "The checklist below lists every item."
            ),
        )
    )
    marks = [
        timeline.Landmark(gettext("procedure"), 0, duration, "tl-procedure"),
        timeline.Landmark(gettext("now"), now_at, None, "tl-now"),
    ]
    return timeline.draw(
        rows,
        axis,
        title=gettext("Timeline: %(title)s", title=version.title),
        description=description,
        landmarks=marks,
        id_prefix="patient-timeline",
    )


def _tally(counts: Iterable[tuple[str, int]]) -> str:
    """'2 overdue, 1 done' in the page's language."""
    return ", ".join(status_count(status, n) for status, n in counts)


def _urgency(status: str) -> int:
    return URGENCY.index(status) if status in URGENCY else len(URGENCY)


def _groups(items: Sequence[ItemView]) -> list[list[ItemView]]:
    """Items in order, one group each, except a step with many occurrences: one group."""
    by_step: dict[int, list[ItemView]] = {}
    for item in items:
        by_step.setdefault(item.step.id or 0, []).append(item)
    groups: list[list[ItemView]] = []
    seen: set[int] = set()
    for item in items:
        occurrences = by_step[item.step.id or 0]
        if len(occurrences) <= MAX_SEPARATE_OCCURRENCES:
            groups.append([item])
        elif item.step.id not in seen:
            seen.add(item.step.id or 0)
            groups.append(occurrences)
    return groups


def _row(group: list[ItemView], at: Callable[[datetime], float], zone: ZoneInfo) -> timeline.Row:
    first = group[0]
    critical = " critical" if first.step.critical else ""
    if len(group) == 1:
        item = first.item
        return timeline.Row(
            label=first.label,
            start=at(item.opens_at),
            end=at(item.due_at),
            marker=at(item.expires_at) if item.expires_at else None,
            css_class=f"{first.css}{critical}",
            note=gettext(
                "%(label)s: %(status)s; opens %(opens)s, due %(due)s",
                label=first.label,
                status=status_label(first.status),
                opens=local_text(item.opens_at, zone),
                due=local_text(item.due_at, zone),
            ),
        )
    statuses = Counter(view.status for view in group)
    worst = next((status for status in URGENCY if statuses.get(status)), first.status)
    tally = _tally(sorted(statuses.items(), key=lambda p: _urgency(p[0])))
    return timeline.Row(
        label=f"{first.step.text} (×{len(group)})",
        start=at(min(v.item.opens_at for v in group)),
        end=at(max(v.item.due_at for v in group)),
        css_class=f"{css_status(worst)}{critical}",
        note=gettext(
            "%(text)s: %(num)s occurrences; %(tally)s",
            text=first.step.text,
            num=len(group),
            tally=tally,
        ),
    )
