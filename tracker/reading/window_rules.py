"""The window rules: what an amount of time ("for 48 hours before") or a named day ("the
evening before", "by 3 pm") means as opens, due and a mark, before recurrence and clamping.

`windows` chooses among the phrases of an instruction and calls these.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

from tracker.reading import phrases, time_points
from tracker.reading.anchors import from_arrival
from tracker.reading.clinical_defaults import defaults
from tracker.reading.lexicon import DayPhrase, KindRule, lexicon
from tracker.reading.phrases import Span
from tracker.reading.steps import Anchor, RelTime

_WORDS = {"within": "within ", "for": "for ", "until": "until ", "at least": "at least "}


@dataclass(frozen=True)
class TextWindow:
    """A window found in the text, before recurrence and clamping."""

    opens: RelTime
    due: RelTime
    mark: RelTime
    until: RelTime | None  # where a repeat would end, when the text says
    days: float  # how long a "for N" span lasts, in days (0 for points)
    rule: str
    confidence: float
    spans: tuple[Span, ...]


@cache
def kind_rules() -> dict[str, KindRule]:
    return {k.name: k for k in lexicon().kinds}


def factor(name: str) -> float:
    return lexicon().confidence[name].value


_START = RelTime("start")
# A clock with no day in a preparation instruction: before noon it is the procedure day's
# morning ("plan to arrive at 8:45 am", "water until 6 am"), later the evening before ("no food
# after 10 pm").
SAME_DAY_BEFORE = "12:00"


def from_relation(
    found: phrases.Relation,
    anchor: Anchor,
    state: bool,
    arrival: RelTime = _START,
    stay: int = 0,
) -> TextWindow:
    """Window rules for an amount of time: which end opens, which is due, per side."""
    span, cfg = found.duration, defaults()
    low, high = span.size(span.amount.low), span.size(span.amount.high)

    def at(n: int) -> RelTime:
        return RelTime(anchor, minutes=n) if span.exact else RelTime(anchor, n, reminder_hour=True)

    def plain(n: int) -> RelTime:
        return RelTime(anchor, minutes=n) if span.exact else RelTime(anchor, n)

    def end_of(n: int) -> RelTime:  # the end of that calendar day (exact: the moment)
        return RelTime(anchor, minutes=n) if span.exact else RelTime(anchor, n + 1, clock="00:00")

    waits = found.direction == "wait" and found.name != "for"  # not "for 2 weeks before stopping"
    here, name = RelTime(anchor), "point" if waits else found.name
    until: RelTime | None = None
    if anchor == "start":
        if name in ("within", "for"):  # a restriction starts exactly N before
            opens, due = (plain(-high) if state and name == "for" else at(-high)), here
        elif span.exact:  # an exact deadline is reminded a little ahead; a point is a point
            deadline = name in ("until", "at least")
            lead = cfg.deadline_lead_minutes if low == high and not state and deadline else 0
            ends = state and name != "until"  # "no X until 4 hours before" ends then
            opens, due = at(-high - lead), here if ends else at(-low)
        else:
            opens, due = at(-high), here if state and name != "until" else end_of(-low)
        mark, until = at(-high), here
    elif name in ("within", "for", "until") or state:
        opens, due = here, plain(high)
        mark = until = due
    else:  # "after N": not before then, due a little later
        grace = cfg.after_grace_minutes if low == high and span.exact else 0
        # "after 14 days": the moment that much time has passed, not a reminder that morning
        first = plain(low) if found.elapsed else at(low)
        opens, due, mark = first, end_of(high + grace), first
    unit = span.unit.name + "s"
    way = "before" if anchor == "start" else "after"
    rule = f"{_WORDS.get(name, '')}N {unit} {way}"
    if found.direction == "wait" or found.name == "bare":
        rule += " (waiting)" if found.direction == "wait" else " (no preposition)"
    confidence = factor("bare" if found.name == "bare" else "explicit")
    if span.amount.ranged:
        confidence = min(confidence, factor("range"))
    if found.modified:
        confidence *= factor("modifier")
    if span.amount.vague:
        confidence = min(confidence, span.amount.vague.confidence)
        rule += f" ({span.amount.vague.phrase!r} = {span.amount.vague.value})"
    days = high / 1440 if span.exact else high
    length = days if name == "for" or (name == "until" and anchor == "end") else 0
    if found.arrival and anchor == "start":  # "2 hours before you arrive": from check-in
        opens, mark = from_arrival(opens, arrival), from_arrival(mark, arrival)
        due = due if due == here else from_arrival(due, arrival)
        rule += " (before arrival)"
    if found.discharge and anchor == "end" and stay:  # "48 hours after you go home"
        # a restriction also holds in hospital ("no driving for 48 hours after you go home")
        held = state and name == "for" and not found.at_home  # not "the first week at home"
        kept = opens if held else opens.shifted(days=stay)
        opens, due, mark = kept, due.shifted(days=stay), mark.shifted(days=stay)
        until = until.shifted(days=stay) if until else None
        rule += f" (after a {stay}-day stay)"
    if found.started and anchor == "end":  # "2 hours after you swallow the capsule"
        opens, due, mark = (replace(t, anchor="start") for t in (opens, due, mark))
        until = replace(until, anchor="start") if until else None
        rule += " (from the start)"
    return TextWindow(opens, due, mark, until, length, rule, confidence, (found.span,))


def from_day(
    day: phrases.DayMatch | None,
    clock: time_points.ClockMatch | None,
    anchor: Anchor,
    state: bool,
    arrival: RelTime = _START,
    stay: int = 0,
) -> TextWindow:
    """Window rules for "the evening before", "the next day", "by 3 pm the day before"."""
    here, lead = RelTime(anchor), defaults().deadline_lead_minutes
    alone = -1 if anchor == "start" else 0
    if anchor == "start" and clock is not None and clock.clock < SAME_DAY_BEFORE:
        alone = 0  # a morning clock alone: the procedure day
    phrase = (
        day.phrase
        if day
        else DayPhrase((), anchor, alone, None, False, "day", "a clock time alone")
    )
    moment = RelTime(
        anchor,
        phrase.days,
        0,
        clock.clock if clock else phrase.clock,
        phrase.reminder and clock is None,
    )
    if state and phrase.whole_day and clock is None:
        moment = replace(moment, clock="00:00")
    until: RelTime | None = here if anchor == "start" else None
    later = clock is not None and clock.relation == "after"  # "no food after 10 pm": to the start
    if phrase.span == "from-anchor":  # its `due` clock, if any, on its last day
        opens, due = here, RelTime(anchor, phrase.days, clock=phrase.due)
        mark = until = due
    elif clock and clock.relation == "at" and not state:  # "at 6 pm": then, not before
        opens = replace(moment, clock=clock.opens) if clock.opens else moment
        due, mark = moment, opens
    elif clock and clock.relation != "after" and not state:  # "by 3 pm": reminded ahead
        opens, due, mark = moment.shifted(minutes=-lead), moment, moment
    elif phrase.within_minutes is not None and not state and clock is None:
        # "take the tablet you held as soon as the test is finished": then, not by midnight
        opens, due, mark = moment, moment.shifted(minutes=phrase.within_minutes), moment
    elif phrase.due is not None:  # "the morning after": by noon; "until midnight"
        opens, due, mark = moment, RelTime(anchor, phrase.days, clock=phrase.due), moment
    elif state and phrase.span == "day" and phrase.days < 0 and not (clock and later):
        opens, due, mark = moment, RelTime(anchor, phrase.days + 1, clock="00:00"), moment
    elif anchor == "start" and phrase.days == 0 and not state:  # done by check-in
        opens, due, mark = moment, arrival, moment
    elif phrase.span == "to-anchor" or (anchor == "start" and (state or phrase.days == 0)):
        opens, due, mark = moment, here, moment
    elif state and phrase.days > 0:  # "no alcohol until the next day": from the end to then
        opens, mark = here, moment
        due = RelTime(anchor, phrase.days, clock=phrase.clock or "00:00")
    else:
        opens, due, mark = moment, RelTime(anchor, phrase.days + 1, clock="00:00"), moment
    parts = [f"day: {phrase.phrases[0]}"] if day else []
    parts += [f"clock: {clock.relation} {clock.clock}"] if clock else []
    confidence = factor("clock" if clock else "day") * (1.0 if day else factor("bare"))
    spans = tuple(m.span for m in (day, clock) if m is not None)
    if phrase.discharge and stay:  # "the day you go home": after the usual stay
        opens, due, mark = (t.shifted(days=stay) for t in (opens, due, mark))
        until = until.shifted(days=stay) if until else None
        parts.append(f"after a {stay}-day stay")
    return TextWindow(
        opens,
        due,
        mark,
        until,
        phrase.days if phrase.span == "from-anchor" else 0,
        ", ".join(parts),
        confidence,
        spans,
    )


def from_period(
    found: time_points.PeriodMatch,
    length: phrases.Relation | None,
    anchor: Anchor,
    state: bool,
) -> TextWindow:
    """Window rules for a numbered week or day: "during weeks 3 and 4" runs from the end of
    week 2 to the end of week 4; "until the end of week 2" from the anchor to then; "from the
    start of the second week, for 3 weeks" starts there and lasts the amount. Day N is the
    Nth calendar day after the procedure's day (day 0)."""
    if found.unit == "week":
        begin, finish = RelTime(anchor, (found.first - 1) * 7), RelTime(anchor, found.last * 7)
        days = found.last * 7
    else:
        begin = RelTime(anchor, found.first, clock="00:00")
        finish, days = RelTime(anchor, found.last + 1, clock="00:00"), found.last + 1
    rule = f"{found.unit}s {found.first} to {found.last}"
    if found.edge == "end":
        opens, due, rule = RelTime(anchor), finish, f"until the end of {rule}"
    elif found.edge == "until":
        opens, due, rule = RelTime(anchor), begin, f"until {rule}"
        days = begin.days
    elif found.edge == "start" and length is not None:  # starts there, lasts the amount
        lasting = from_relation(length, anchor, state)
        opens = begin
        due = lasting.due.shifted(days=begin.days)
        days, rule = days - 7 + int(lasting.days), f"from {rule}, {lasting.rule}"
        spans = (found.span, length.span)
        return TextWindow(opens, due, due, due, days, rule, factor("explicit"), spans)
    elif found.edge == "start":  # "from day 3, walk twice a day": repeats end by default
        rule = f"from {rule}"
        return TextWindow(begin, begin, begin, None, 0, rule, factor("explicit"), (found.span,))
    else:  # the named days themselves: "day 2" lasts one day, so it is a one-off, never daily
        opens, due, days = begin, finish, finish.days - begin.days
    return TextWindow(opens, due, due, due, days, rule, factor("explicit"), (found.span,))


def point_until(found: list[phrases.Relation], chosen: TextWindow, state: bool) -> TextWindow:
    """ "Start the massage 1 week after surgery, 3 times a day, until your 3-month visit": opens
    at the point, runs until the later amount (after the procedure)."""
    first = found[0]
    if first.name != "point" or first.direction != "after":
        return chosen
    ends = [r for r in found[1:] if r.name == "until" and r.span[0] > first.span[1]]
    if not ends or ends[0].direction != "after":
        return chosen
    last = from_relation(ends[0], "end", state)
    rule, spans = f"{chosen.rule}, {last.rule}", (*chosen.spans, *last.spans)
    return replace(chosen, due=last.due, until=last.due, days=last.days, rule=rule, spans=spans)


def overlaps(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def on_counted_day(window: TextWindow, clock: time_points.ClockMatch) -> TextWindow:
    """ "At 4 pm two days before": the clock on the day the amount counts back to.

    Only a whole-day window is moved (opens that day, due by its end or that day); a window of
    exact hours ("24 hours before") already has its own clock.
    """
    opens, due = window.opens, window.due
    whole = not opens.minutes and not due.minutes and opens.days < 0
    same_day = due.days == opens.days or (due.days == opens.days + 1 and due.clock == "00:00")
    if not whole or not same_day or clock.relation not in ("at", "by"):
        return window
    at = RelTime(opens.anchor, opens.days, clock=clock.clock)
    start = at if clock.relation == "at" else opens
    rule = f"{window.rule}; at {clock.clock} that day"
    return replace(window, opens=start, due=at, mark=at, rule=rule)
