"""One instruction's timing: which window its phrases state, or the clinical default.

`time_phrase` reads the phrases `phrases` and `frequencies` find (an amount of time, a day, a
clock time, a frequency, "after that") and applies the window rules: which end opens, which
is due, how it repeats and how sure the reading is. Rule names and confidence factors come
from the lexicon.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache

from tracker.reading import frequencies, phrases
from tracker.reading.anchors import UNTIL_ARRIVAL, over
from tracker.reading.asks import classify
from tracker.reading.clinical_defaults import Default, default_timing, defaults, rel
from tracker.reading.lexicon import DayPhrase, KindRule, lexicon
from tracker.reading.phrases import Span
from tracker.reading.steps import Anchor, Recurrence, RelTime, Timing

__all__ = ["daily", "default_timing", "rel", "time_phrase"]

_AFTER_WORD = re.compile(r"\b(?:after|afterwards?|following|post)\b", re.IGNORECASE)
ARRIVAL_KINDS = ("logistics",)  # untimed, they are done by the time the patient checks in


_WORDS = {"within": "within ", "for": "for ", "until": "until ", "at least": "at least "}


@dataclass(frozen=True)
class _Window:
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
def _kinds() -> dict[str, KindRule]:
    return {k.name: k for k in lexicon().kinds}


def _factor(name: str) -> float:
    return lexicon().confidence[name].value


def _from_relation(
    found: phrases.Relation, anchor: Anchor, state: bool, arrival: int = 0, stay: int = 0
) -> _Window:
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
        opens, due, mark = at(low), end_of(high + grace), at(low)
    unit = span.unit.name + "s"
    way = "before" if anchor == "start" else "after"
    rule = f"{_WORDS.get(name, '')}N {unit} {way}"
    if found.direction == "wait" or found.name == "bare":
        rule += " (waiting)" if found.direction == "wait" else " (no preposition)"
    confidence = _factor("bare" if found.name == "bare" else "explicit")
    if span.amount.ranged:
        confidence = min(confidence, _factor("range"))
    if found.modified:
        confidence *= _factor("modifier")
    if span.amount.vague:
        confidence = min(confidence, span.amount.vague.confidence)
        rule += f" ({span.amount.vague.phrase!r} = {span.amount.vague.value})"
    days = high / 1440 if span.exact else high
    length = days if name == "for" or (name == "until" and anchor == "end") else 0
    if found.arrival and anchor == "start":  # "2 hours before you arrive": from check-in
        early = -arrival
        opens, mark = opens.shifted(minutes=early), mark.shifted(minutes=early)
        due = due if due == here else due.shifted(minutes=early)
        rule += " (before arrival)"
    if found.discharge and anchor == "end" and stay:  # "48 hours after you go home"
        opens, due, mark = (t.shifted(days=stay) for t in (opens, due, mark))
        until = until.shifted(days=stay) if until else None
        rule += f" (after a {stay}-day stay)"
    return _Window(opens, due, mark, until, length, rule, confidence, (found.span,))


def _from_day(
    day: phrases.DayMatch | None,
    clock: phrases.ClockMatch | None,
    anchor: Anchor,
    state: bool,
    arrival: int = 0,
) -> _Window:
    """Window rules for "the evening before", "the next day", "by 3 pm the day before"."""
    here, lead = RelTime(anchor), defaults().deadline_lead_minutes
    phrase = (
        day.phrase
        if day
        else DayPhrase(
            (), anchor, -1 if anchor == "start" else 0, None, False, "day", "a clock time alone"
        )
    )
    moment = RelTime(
        anchor,
        phrase.days,
        0,
        clock.clock if clock else phrase.clock,
        phrase.reminder and clock is None,
    )
    until: RelTime | None = here if anchor == "start" else None
    if phrase.span == "from-anchor":
        opens, due = here, RelTime(anchor, phrase.days)
        mark = until = due
    elif clock and clock.relation == "at" and not state:  # "at 6 pm": then, not before
        opens, due, mark = moment, moment, moment
    elif clock and clock.relation != "after" and not state:  # "by 3 pm": reminded ahead
        opens, due, mark = moment.shifted(minutes=-lead), moment, moment
    elif anchor == "start" and phrase.days == 0 and not state:  # done by check-in
        opens, due, mark = moment, RelTime(anchor, minutes=-arrival), moment
    elif phrase.span == "to-anchor" or (anchor == "start" and (state or phrase.days == 0)):
        opens, due, mark = moment, here, moment
    elif state and phrase.days > 0:  # "no alcohol until the next day": from the end to then
        opens, mark = here, moment
        due = RelTime(anchor, phrase.days, clock=phrase.clock or "00:00")
    elif phrase.due is not None:  # "the morning after": by noon
        opens, due, mark = moment, RelTime(anchor, phrase.days, clock=phrase.due), moment
    else:
        opens, due, mark = moment, RelTime(anchor, phrase.days + 1, clock="00:00"), moment
    parts = [f"day: {phrase.phrases[0]}"] if day else []
    parts += [f"clock: {clock.relation} {clock.clock}"] if clock else []
    confidence = _factor("clock" if clock else "day") * (1.0 if day else _factor("bare"))
    spans = tuple(m.span for m in (day, clock) if m is not None)
    return _Window(
        opens,
        due,
        mark,
        until,
        phrase.days if phrase.span == "from-anchor" else 0,
        ", ".join(parts),
        confidence,
        spans,
    )


def _overlaps(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _window(
    text: str,
    anchor: Anchor,
    state: bool,
    repeat: frequencies.Repeat | None,
    previous: RelTime | None,
    arrival: int = 0,
    stay: int = 0,
    lasting: bool = False,
) -> _Window | None:
    """The window the text states, choosing among its timing phrases."""
    day, clock = phrases.day_phrase(text, anchor), phrases.clock_time(text)
    taken = [*(repeat.spans if repeat else ()), *(m.span for m in (day, clock) if m)]
    if anchor == "start":
        across = _across(text, day, clock, taken, state, arrival)
        if across is not None:
            return across
    ways = ("before", None) if anchor == "start" else ("after", "wait", None)
    found = [
        r
        for r in phrases.relations(text)
        if r.direction in ways and not any(_overlaps(r.span, s) for s in taken)
    ]
    if repeat:  # "walk for 10 minutes three times a day": the 10 minutes is not the schedule
        found = [r for r in found if r.span[0] > repeat.spans[0][0] or not r.duration.exact]
    found.sort(key=lambda r: (r.direction is None, r.name == "bare"))
    several = _factor("several") if len(found) > 1 else 1.0
    if found and (found[0].direction is not None or not (day or clock)):
        first = found[0]
        if lasting and first.name == "bare":  # "numbness lasts a few hours": from the end
            first = replace(first, name="for", direction="after")
        chosen = _from_relation(first, anchor, state, arrival, stay)
        chosen = _phase(text, first, chosen, previous) if anchor == "end" else chosen
        return replace(chosen, confidence=chosen.confidence * several)
    if day or clock:
        return _from_day(day, clock, anchor, state, arrival)
    reference = phrases.refers_back(text)
    if previous is not None and reference is not None:
        here = RelTime(anchor)
        due = here if anchor == "start" else previous.shifted(days=1)
        until = here if anchor == "start" else None
        return _Window(
            previous,
            due,
            previous,
            until,
            0,
            "after the clause before",
            _factor("reference"),
            (reference,),
        )
    return None


_MORE = re.compile(r"\b(?:more|further|additional|extra)\b", re.IGNORECASE)
_ANOTHER_AMOUNT = re.compile(r"\b(?:another|a further|an additional)\s+$", re.IGNORECASE)


def _phase(
    text: str, found: phrases.Relation, window: _Window, previous: RelTime | None
) -> _Window:
    """A taper's later phase ("then twice a day for 3 more weeks") starts where the one
    before it ended."""
    inside = _MORE.search(text, found.span[0], found.span[1])
    more = inside or _ANOTHER_AMOUNT.search(text, 0, found.span[0])
    if previous is None or more is None or previous.anchor != "end":
        return window
    days, minutes = previous.days, previous.minutes

    def moved(point: RelTime) -> RelTime:
        return point.shifted(days=days, minutes=minutes)

    until = moved(window.until) if window.until else None
    return replace(
        window,
        opens=previous,
        due=moved(window.due),
        mark=moved(window.mark),
        until=until,
        rule=window.rule + "; after the phase before",
    )


def _across(
    text: str,
    day: phrases.DayMatch | None,
    clock: phrases.ClockMatch | None,
    taken: list[Span],
    state: bool,
    arrival: int,
) -> _Window | None:
    """A preparation instruction that runs past the procedure: "for 48 hours before and 48
    hours after", "on the day and for 2 days afterwards", "for 48 hours after the procedure"."""
    found = [r for r in phrases.relations(text) if not any(_overlaps(r.span, s) for s in taken)]
    said = (r for r in found if _AFTER_WORD.search(text, r.span[0], r.span[1]))
    before = next((r for r in found if r.direction == "before"), None)
    afters = [r for r in said if r.direction == "after" and (r.name != "point" or before)]
    if not afters:
        return None
    later = _from_relation(afters[0], "end", True)
    if before is not None:
        earlier = _from_relation(before, "start", True, arrival)
    elif day is not None and day.phrase.days == 0:
        earlier = _from_day(day, clock, "start", True, arrival)
    else:
        earlier = replace(later, opens=RelTime("end"))
    spans = tuple(sorted({*earlier.spans, *later.spans}))
    rule = f"{earlier.rule} until {later.rule}" if earlier is not later else later.rule
    sure = min(earlier.confidence, later.confidence)
    return _Window(earlier.opens, later.due, later.due, later.due, later.days, rule, sure, spans)


def daily(until: RelTime) -> Recurrence:
    """Once a day, at the clock time the step opens, until `until`."""
    return Recurrence("FREQ=DAILY", 1, None, until)


def _after_start(point: RelTime) -> bool:
    """Always after the procedure start, whatever its clock time (a preparation step can't)."""
    exact = point.clock is None and not point.reminder_hour
    return point.anchor == "start" and (
        point.days > 0 or (point.days == 0 and exact and point.minutes > 0)
    )


def _default_window(kind: str, anchor: Anchor) -> tuple[_Window, Default]:
    """The clinical default as a window (a default that repeats ends at its due time)."""
    chosen, opens, due, _ = default_timing(kind, anchor)
    until = due if chosen.recurrence else None
    return _Window(opens, due, opens, until, 0, chosen.rule, chosen.confidence, ()), chosen


def time_phrase(
    text: str,
    *,
    anchor: Anchor,
    kind: str | None = None,
    previous: RelTime | None = None,
    arrival: int = 60,
    stay: int = 0,
) -> Timing:
    """Read one instruction: its kind, flags, window, recurrence, evidence and confidence.

    `kind` overrides the keyword reading; `previous` is the moment the clause before named,
    for "after that".
    """
    lex, cfg, here = lexicon(), defaults(), RelTime(anchor)
    name = kind or phrases.kind(text) or lex.fallback[anchor]
    rules = _kinds()[name]
    if anchor == "end" and rules.recovery:  # no fasting after the procedure: that is diet
        name, rules = rules.recovery, _kinds()[rules.recovery]
    critical = rules.critical == "always" or (rules.critical == "hold" and phrases.holds(text))
    conditional = phrases.hedged(text)
    repeat = frequencies.repeat(text)
    asks = classify(text)
    state = asks == "avoid"  # a restriction lasts until the procedure
    lasting = asks == "know"  # a statement's bare amount says how long it lasts
    window = _window(text, anchor, state, repeat, previous, arrival, stay, lasting)
    chosen: Default | None = None
    if window is None:
        window, chosen = _default_window(name, anchor)
        conditional = conditional or chosen.conditional
        if anchor == "start" and (name in ARRIVAL_KINDS or UNTIL_ARRIVAL.search(text)):
            window = replace(window, due=RelTime(anchor, minutes=-arrival))  # by check-in
    opens, due, until = window.opens, window.due, window.until
    if asks == "know":  # never reminded: a stated day keeps the anchor's own clock
        opens, due = replace(opens, reminder_hour=False), replace(due, reminder_hour=False)
    if (length := over(text)) is not None and not state and window.spans:
        due = opens.shifted(minutes=length)  # "at 6 pm, drink it over 2 hours"
    rule, confidence, spans = window.rule, window.confidence, window.spans
    expires = rel(anchor, chosen.expires) if chosen and chosen.expires else None
    expires = expires or (here if anchor == "start" else None)
    ongoing = rules.ongoing and window.days >= cfg.implied_daily_min_days
    if repeat is None and until is not None and (ongoing or (chosen and chosen.recurrence)):
        implied = _factor("implied_daily") if chosen is None else 1.0
        repeat = frequencies.Repeat((), "DAILY", times_per_day=1, confidence=implied)
        rule = f"daily (implied); {rule}" if chosen is None else rule
    elif repeat is not None:
        if chosen is not None or until is None:
            confidence *= _factor("default_until")
        if until is None:
            until = here if anchor == "start" else RelTime(anchor, opens.days + cfg.until_days)
            rule += f"; until: default {cfg.until_days} days" if anchor == "end" else ""
        confidence = min(confidence, _factor("range") if repeat.ranged else 1.0)
        rule = f"{frequencies.describe(repeat)}; {rule}"
    recurrence = None
    if repeat is not None and until is not None:
        confidence = min(confidence, repeat.confidence)
        recurrence = Recurrence(
            frequencies.rrule(repeat),
            repeat.times_per_day,
            repeat.every_minutes,
            until,
            repeat.times_per_week,
            repeat.while_awake,
            repeat.during_sleep,
        )
        spans, due = spans + repeat.spans, until
    if anchor == "start" and (_after_start(opens) or _after_start(due)):
        opens, due = (here if _after_start(opens) else opens), (here if _after_start(due) else due)
        rule += "; clamped to the start"
        confidence *= _factor("clamped")
    evidence = text[min(s[0] for s in spans) : max(s[1] for s in spans)] if spans else ""
    confidence = round(min(max(confidence, 0.0), 1.0), 2)
    return Timing(
        name,
        critical,
        conditional,
        opens,
        due,
        expires,
        recurrence,
        evidence,
        rule[:200],
        confidence,
        window.mark,
    )
