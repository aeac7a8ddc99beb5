"""Items that would start out late: a procedure booked at short notice leaves some preparation
already past its deadline ("stop blood thinners 5 days before" with the procedure in 3 days).

Enrollment warns the nurse about them first, and can give them a short window from now
instead (`caught_up`), so the patient's plan does not open with "Late by 9 days".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tracker.care.schedule_rows import StepPlan
from tracker.localtime import Window

CATCH_UP = timedelta(hours=24)  # a late item is given this long from now (never past the start)

Planned = list[tuple[StepPlan, int, Window]]


@dataclass(frozen=True)
class LateItem:
    """A `do` item whose deadline would already have passed when the plan starts."""

    step_id: int
    text: str
    critical: bool
    due: datetime
    caught_up_due: datetime  # its deadline if given a short window from now


def catch_up_due(*, now: datetime, start: datetime) -> datetime:
    """A late item's new deadline: a day from now, but before the procedure if it is ahead."""
    due = now + CATCH_UP
    return min(due, start) if start > now else due


def late(planned: Planned, *, now: datetime, start: datetime) -> list[LateItem]:
    """The `do` items due before `now` (what the patient could still do, or has missed).
    None for a procedure already past (recorded after the fact): there is no time to give."""
    if start <= now:
        return []
    new_due = catch_up_due(now=now, start=start)
    return [
        LateItem(plan.id, plan.step.text, plan.step.critical, window.due, new_due)
        for plan, _, window in planned
        if plan.step.asks == "do" and window.due < now
    ]


def caught_up(planned: Planned, *, now: datetime, start: datetime) -> Planned:
    """The same windows, each late `do` item open from now and due `catch_up_due`."""
    new_due = catch_up_due(now=now, start=start)
    if new_due <= now:
        return planned  # the procedure is now or past: nothing left to give time to
    result: Planned = []
    for plan, number, window in planned:
        if plan.step.asks == "do" and window.due < now:
            expires = None if window.expires is None else max(window.expires, new_due)
            window = Window(min(window.opens, now), new_due, expires)
        result.append((plan, number, window))
    return result
