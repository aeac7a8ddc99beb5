"""One instruction's timing: which window its phrases state, or the clinical default.

`time_phrase` reads the phrases `phrases` and `frequencies` find (an amount of time, a day, a
clock time, a frequency, "after that") and applies the window rules (`window_rules`): which
end opens, which is due, how it repeats and how sure the reading is. Rule names and confidence
factors come from the lexicon.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from tracker.reading import context, events, frequencies, phrases, references, time_points
from tracker.reading.anchors import AT_THE_START, DURING_PROCEDURE, UNTIL_ARRIVAL, over
from tracker.reading.asks import classify
from tracker.reading.clinical_defaults import Default, default_timing, defaults, rel
from tracker.reading.events import Removal
from tracker.reading.lexicon import lexicon
from tracker.reading.phrases import Span
from tracker.reading.steps import Anchor, Recurrence, RelTime, Timing
from tracker.reading.window_rules import (
    TextWindow,
    factor,
    from_period,
    from_relation,
    kind_rules,
    on_counted_day,
    overlaps,
    point_until,
)

__all__ = ["daily", "default_timing", "rel", "time_phrase"]

ARRIVAL_KINDS = ("logistics",)  # untimed, they are done by the time the patient checks in


def _window(
    text: str,
    anchor: Anchor,
    state: bool,
    repeat: frequencies.Repeat | None,
    previous: RelTime | None,
    arrival: RelTime,
    stay: int = 0,
    lasting: bool = False,
    known: Mapping[str, Removal] | None = None,
) -> TextWindow | None:
    """The window the text states, choosing among its timing phrases."""
    named = events.reference(text, known) if anchor == "end" and known else None
    own = [r for r in phrases.relations(text) if r.name in ("until", "for") and r.direction]
    if named is not None and not (named[0].until and own):  # not "..., up to 2 weeks later"
        return context.from_removal(text, *named)  # "until the stent comes out"
    during = DURING_PROCEDURE.search(text) if anchor == "end" else None
    if during is not None and not own:  # "while you are wearing the monitor": the recording
        start, end = RelTime("start"), RelTime("end")
        rule, sure = "while the procedure lasts", factor("reference")
        return TextWindow(start, end, end, end, 0, rule, sure, (during.span(),))
    day, clock = phrases.day_phrase(text, anchor), time_points.clock_time(text)
    numbered = time_points.period(text) if anchor == "end" else None
    taken = [*(repeat.spans if repeat else ()), *(m.span for m in (day, clock, numbered) if m)]
    if anchor == "start":
        across = context.across(text, day, clock, taken, state, arrival)
        if across is not None:
            return across
    found = _amounts(text, anchor, repeat, taken, lasting, known, day)
    if numbered is not None:  # "during weeks 3 and 4", "from the start of the second week"
        length = next((r for r in found if r.name == "for"), None)
        chosen = from_period(numbered, length, anchor, state)
        return context.starting(text, day, context.then(text, chosen, previous), counted=False)
    counted = references.after_the_first(text, state, previous)
    if counted is not None:  # "bring a second sample 4 weeks after the first"
        return counted
    starts = day is not None and context.STARTING.search(text, 0, day.span[0]) is not None
    lasts = bool(found) and found[0].name == "for" and anchor == "end"
    # "lie on your side for 1 to 2 hours straight after the biopsy": the amount, from the end
    today = day is not None and context.RIGHT_AFTER.match(text, day.span[0]) is not None
    if found and (
        found[0].direction is not None or not (day or clock) or (lasts and (starts or today))
    ):
        chosen = _from_amount(text, found, day, anchor, state, previous, arrival, stay, lasting)
        if during is not None:  # "during treatment and for 2 weeks after": from the start
            chosen = replace(chosen, opens=RelTime("start"), rule=f"{chosen.rule}; during it")
        if clock is not None and day is None and anchor == "start" and not state:
            chosen = on_counted_day(chosen, clock)  # "at 4 pm two days before"
        if today and day is not None and day.phrase.discharge and stay:
            # "as soon as you get home, ice it for half an hour": from going home
            chosen = replace(
                chosen,
                opens=chosen.opens.shifted(days=stay),
                due=chosen.due.shifted(days=stay),
                mark=chosen.mark.shifted(days=stay),
                until=chosen.until.shifted(days=stay) if chosen.until else None,
                rule=f"{chosen.rule} (after a {stay}-day stay)",
            )
        return chosen
    if day or clock:
        chosen = context.from_named_day(text, day, clock, anchor, state, arrival, stay)
        other = phrases.or_day(text, day) if day is not None and clock is None else None
        if day is not None and other is not None and other.phrase.days > day.phrase.days:
            # "the night before or the morning of surgery": open at the first, due by the later
            later = context.from_named_day(text, other, None, anchor, state, arrival, stay)
            rule = f"{chosen.rule} or {other.phrase.phrases[0]}"
            chosen = replace(chosen, due=later.due, rule=rule, spans=(*chosen.spans, other.span))
        return context.then(text, chosen, previous)
    return references.from_previous(text, anchor, state, previous, bool(found))


def _amounts(
    text: str,
    anchor: Anchor,
    repeat: frequencies.Repeat | None,
    taken: list[Span],
    lasting: bool,
    known: Mapping[str, Removal] | None,
    day: phrases.DayMatch | None = None,
) -> list[phrases.Relation]:
    """The amounts of time that may give the window, the likeliest first."""
    ways = ("before", None) if anchor == "start" else ("after", "wait", None)
    # "for 2 to 5 days before giving the sample on the morning of the procedure": the other
    # activity happens on the procedure day, so the amount counts back from the procedure
    on_the_day = day is not None and anchor == "start" and day.phrase.days == 0
    said = [
        replace(r, direction="before")
        if on_the_day and day is not None and r.direction == "wait" and r.span[1] < day.span[0]
        else r
        for r in phrases.relations(text)
    ]
    found = [
        context.as_said(text, r, lasting)
        for r in (events.at_the_end(text, anchor, r, known) for r in said)
        if r.direction in ways
        and not any(overlaps(r.span, s) for s in taken)
        and not context.threshold(text, r)
    ]
    if repeat:  # "walk for 10 minutes three times a day": the 10 minutes is not the schedule
        begins = repeat.spans[0][0]
        found = [
            r
            for r in found
            if r.span[0] > begins or not r.duration.exact or r.direction or r.name == "point"
        ]
    found.sort(key=lambda r: (phrases.aside(text, r), r.direction is None, r.name == "bare"))
    return found


def _from_amount(
    text: str,
    found: list[phrases.Relation],
    day: phrases.DayMatch | None,
    anchor: Anchor,
    state: bool,
    previous: RelTime | None,
    arrival: RelTime,
    stay: int,
    lasting: bool,
) -> TextWindow:
    """The window of the chosen amount, with what the words around it change."""
    several = factor("several") if len(found) > 1 else 1.0
    first = found[0]
    spans = [r for r in found if r.name in ("for", "until", "bare") and not r.duration.amount.vague]
    if lasting and anchor == "end" and len(spans) > 1:  # "normal for the first 24 hours and
        first = max(spans, key=context.longest)  # can last up to three days": the longest
    if lasting and first.name == "bare":  # "numbness lasts a few hours": from the end
        first = replace(first, name="for", direction="after")
    chosen = from_relation(first, anchor, state, arrival, stay)
    if anchor == "start":
        chosen = references.between(found, chosen, state, arrival)
    if anchor == "end":
        chosen = point_until(found, context.phase(text, first, chosen, previous), state)
        if first.name == "for":
            chosen = context.starting(text, day, chosen)
        after = phrases.refers_back(text)
        leads = after is not None and after[0] < first.span[0]  # not "..., after which ..."
        if leads and previous is not None and previous.anchor == anchor == "end":
            if chosen.opens == RelTime(anchor):  # "after that, walk every 2 hours for 2 weeks"
                rule = chosen.rule + "; after the clause before"
                chosen = replace(chosen, opens=previous, rule=rule)
    return replace(chosen, confidence=chosen.confidence * several)


_MORNINGS = re.compile(r"\b(?:every|each)\s+morning\b", re.IGNORECASE)
_AT_BEDTIME = re.compile(r"at\s+(?:bedtime|night)", re.IGNORECASE)


def daily(until: RelTime) -> Recurrence:
    """Once a day, at the clock time the step opens, until `until`."""
    return Recurrence("FREQ=DAILY", until)


def _after_start(point: RelTime) -> bool:
    """A day after the procedure start's day (a preparation step can't be). An exact time after
    the start ("the second tablet 8 hours after the first", 1 hour before) stays: `timing`
    says it from the end, as a recovery time, once the duration is known."""
    return point.anchor == "start" and point.days > 0


def _default_window(kind: str, anchor: Anchor) -> tuple[TextWindow, Default]:
    """The clinical default as a window (a default that repeats ends at its due time)."""
    chosen, opens, due, _ = default_timing(kind, anchor)
    until = due if chosen.recurrence else None
    return TextWindow(opens, due, opens, until, 0, chosen.rule, chosen.confidence, ()), chosen


def time_phrase(
    text: str,
    *,
    anchor: Anchor,
    kind: str | None = None,
    previous: RelTime | None = None,
    arrival: int | RelTime = 60,
    stay: int = 0,
    known: Mapping[str, Removal] | None = None,
) -> Timing:
    """Read one instruction: its kind, flags, window, recurrence, evidence and confidence.

    `kind` overrides the keyword reading; `previous` is the moment the clause before named,
    for "after that"; `arrival` when the patient checks in (minutes before the start, or a
    point); `known` the removals the document times (see `events`).
    """
    lex, cfg, here = lexicon(), defaults(), RelTime(anchor)
    if isinstance(arrival, int):
        arrival = RelTime("start", minutes=-arrival)
    name = kind or phrases.kind(text) or lex.fallback[anchor]
    rules = kind_rules()[name]
    if anchor == "end" and rules.recovery:  # no fasting after the procedure: that is diet
        name, rules = rules.recovery, kind_rules()[rules.recovery]
    critical = rules.critical == "always" or (rules.critical == "hold" and phrases.holds(text))
    conditional = phrases.hedged(text)
    repeat = frequencies.repeat(text)
    if anchor == "start" and repeat is not None and repeat.during_sleep:
        said = text[repeat.spans[0][0] : repeat.spans[0][1]]
        if _AT_BEDTIME.fullmatch(said) and phrases.day_phrase(text, anchor) is not None:
            repeat = None  # "at bedtime the night before": a time on that day, not nightly
    asks = classify(text)
    state = asks == "avoid"  # a restriction lasts until the procedure
    lasting = asks == "know"  # a statement's bare amount says how long it lasts
    window = _window(text, anchor, state, repeat, previous, arrival, stay, lasting, known)
    chosen: Default | None = None
    if window is None:
        window, chosen = _default_window(name, anchor)
        conditional = conditional or chosen.conditional
        if anchor == "start" and AT_THE_START.search(text):
            rule = "worn in, taken out when the procedure begins"
            window = replace(window, opens=arrival, due=here, mark=arrival, rule=rule)
        elif anchor == "start" and (name in ARRIVAL_KINDS or UNTIL_ARRIVAL.search(text)):
            window = replace(window, due=arrival)  # by check-in
        elif (ends := context.UNTIL_EVENT.search(text)) is not None and anchor == "start":
            # "plain water is allowed right up to your appointment"
            to = RelTime("end") if ends["after"] else RelTime("start")
            window = replace(window, due=to, until=to, spans=(ends.span(),))
    opens, due, until = window.opens, window.due, window.until
    if anchor == "end" and repeat is not None and opens == here and _MORNINGS.search(text):
        opens = RelTime(anchor, 1, reminder_hour=True)  # "every morning": from the next one
    if asks == "know":  # never reminded: a stated day keeps the anchor's own clock
        opens, due = replace(opens, reminder_hour=False), replace(due, reminder_hour=False)
    if (length := over(text)) is not None and not state and window.spans:
        due = opens.shifted(minutes=length)  # "at 6 pm, drink it over 2 hours"
        until = due if repeat is not None else until  # "a glass every 15 minutes" until done
    rule, confidence, spans = window.rule, window.confidence, window.spans
    expires = rel(anchor, chosen.expires) if chosen and chosen.expires else None
    expires = expires or (here if anchor == "start" else None)
    ongoing = rules.ongoing and window.days >= cfg.implied_daily_min_days
    if repeat is None and until is not None and (ongoing or (chosen and chosen.recurrence)):
        implied = factor("implied_daily") if chosen is None else 1.0
        repeat = frequencies.Repeat((), "DAILY", times_per_day=1, confidence=implied)
        rule = f"daily (implied); {rule}" if chosen is None else rule
    elif repeat is not None:
        if chosen is not None or until is None:
            confidence *= factor("default_until")
        if until is None:
            until = here if anchor == "start" else RelTime(anchor, opens.days + cfg.until_days)
            rule += f"; until: default {cfg.until_days} days" if anchor == "end" else ""
        confidence = min(confidence, factor("range") if repeat.ranged else 1.0)
        rule = f"{frequencies.describe(repeat)}; {rule}"
    recurrence = None
    if repeat is not None and until is not None:
        confidence = min(confidence, repeat.confidence)
        recurrence = Recurrence(frequencies.rrule(repeat), until)
        spans, due = spans + repeat.spans, until
    if anchor == "start" and (_after_start(opens) or _after_start(due)):
        opens, due = (here if _after_start(opens) else opens), (here if _after_start(due) else due)
        rule += "; clamped to the start"
        confidence *= factor("clamped")
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
