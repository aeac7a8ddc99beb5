"""Windows borrowed from the clause before: "after that", "at the same time", "before then",
"during that week", "a second sample 4 weeks after the first".

`windows` passes the moment the clause before named (its mark, or the end of the step before
for "then ..."); these rules read the clause's words that point back to it.
"""

from __future__ import annotations

import re
from dataclasses import replace

from tracker.reading import context, phrases
from tracker.reading.phrase_grammar import number
from tracker.reading.steps import Anchor, RelTime
from tracker.reading.window_rules import TextWindow, factor, from_relation

_FIRST = re.compile(
    r"\s*(?:you\s+(?:finish|complete|have\s+finished|take|drink|start)\s+)?(?:the\s+)?first"
    r"(?:\s+(?:one|dose|sample|test|tablet|pill|half))?\b",
    re.IGNORECASE,
)
_DURING_THAT = re.compile(
    r"\b(?:during|for|throughout)\s+(?:that|this|the same)\s+(?:week|time|period|days)\b", re.I
)
_SAME_TIME = re.compile(r"\b(?:at|around)\s+the\s+same\s+time\b", re.IGNORECASE)
_BEFORE_THEN = re.compile(r"\b(?:before|until)\s+then\b", re.IGNORECASE)
# "do not swim for the first week; for the week after that, swim only with goggles"
_NEXT_PERIOD = re.compile(
    r"\b(?:for|during|in)\s+the\s+(?:(?P<n>\w+)\s+)?(?P<unit>days?|weeks?)\s+after\s+"
    r"(?:that|this|then)\b",
    re.IGNORECASE,
)
_UNIT_DAYS = {"day": 1, "week": 7}


def after_the_first(text: str, state: bool, previous: RelTime | None) -> TextWindow | None:
    """ "Bring a second sample 4 weeks after the first", "one hour after you finish the first
    half": the amount counts from the moment the clause before named."""
    found = next((r for r in phrases.relations(text) if _FIRST.match(text, r.span[1])), None)
    if previous is None or found is None or found.direction != "other":
        return None
    chosen = from_relation(replace(found, name="point", direction="after"), "end", state)

    def moved(point: RelTime) -> RelTime:
        if previous.clock is not None and point.clock is None and not point.reminder_hour:
            # "at 5 pm, drink the first half; the second half 3 hours after the first": 8 pm
            return RelTime(
                previous.anchor,
                previous.days + point.days,
                previous.minutes + point.minutes,
                clock=previous.clock,
            )
        return replace(point, anchor=previous.anchor).shifted(
            days=previous.days, minutes=previous.minutes
        )

    opens = moved(chosen.opens)
    due = opens if found.duration.exact else moved(chosen.due)  # a dose N hours after: then
    rule = f"{chosen.rule} the first (the clause before)"
    return TextWindow(opens, due, opens, None, 0, rule, factor("reference"), chosen.spans)


def from_previous(
    text: str, anchor: Anchor, state: bool, previous: RelTime | None, timed: bool
) -> TextWindow | None:
    """A clause with no time of its own that points back to the clause before (`timed`: it
    states an amount the rules did not use)."""
    if previous is None:
        return None
    here, sure = RelTime(anchor), factor("reference")
    during = _DURING_THAT.search(text)
    if during is not None and anchor == "end" and not timed:
        # "twice a day for 1 week; also rinse after each meal during that week"
        rule = "during the time the clause before names"
        return TextWindow(
            here, previous, previous, previous, previous.days, rule, sure, (during.span(),)
        )
    same = _SAME_TIME.search(text)
    if same is not None:  # "take the tablets 1 hour before; rinse at the same time"
        rule = "at the time the clause before names"
        return TextWindow(previous, previous, previous, None, 0, rule, sure, (same.span(),))
    before_then = _BEFORE_THEN.search(text)
    if before_then is not None and anchor == "end":
        # "pull the stent out 5 to 7 days after; do not tug on the string before then"
        rule = "before the time the clause before names"
        return TextWindow(here, previous, previous, previous, 0, rule, sure, (before_then.span(),))
    following = _NEXT_PERIOD.search(text)
    if following is not None and anchor == "end":
        try:
            count = int(number(following["n"])) if following["n"] else 1
        except (KeyError, ValueError):
            count = 1
        days = count * _UNIT_DAYS[following["unit"].lower().rstrip("s")]
        ends = previous.shifted(days=days)
        rule = "the period after the clause before"
        return TextWindow(previous, ends, previous, ends, days, rule, sure, (following.span(),))
    reference = phrases.refers_back(text)
    if reference is None:
        return None
    due = here if anchor == "start" else previous.shifted(days=1)
    if anchor == "start" and not state and previous.days < 0 and previous.clock is None:
        due = RelTime(anchor, previous.days + 1, clock="00:00")  # "also stop iron from that day"
    until = here if anchor == "start" else None
    return TextWindow(
        previous, due, previous, until, 0, "after the clause before", sure, (reference,)
    )


def between(
    found: list[phrases.Relation], chosen: TextWindow, state: bool, arrival: RelTime
) -> TextWindow:
    """ "No later than 3 days before, and not more than 30 days ahead of it": opens at the
    farther bound, due by the nearer one (in either order)."""
    before = [r for r in found if r.direction == "before"]
    wide = next((r for r in before if r.name == "within"), None)
    near = next((r for r in before if r.name in ("until", "at least")), None)
    if wide is None or near is None or context.longest(wide) <= context.longest(near):
        return chosen
    opens = from_relation(wide, "start", state, arrival).opens
    due = from_relation(near, "start", state, arrival)
    return replace(due, opens=opens, rule=f"{due.rule}; opens at the farther bound")
