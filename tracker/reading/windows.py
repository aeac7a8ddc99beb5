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

from tracker.reading import events, frequencies, phrases
from tracker.reading.anchors import UNTIL_ARRIVAL, over
from tracker.reading.asks import classify
from tracker.reading.events import Removal
from tracker.reading.clinical_defaults import Default, default_timing, defaults, rel
from tracker.reading.lexicon import lexicon
from tracker.reading.phrases import Span
from tracker.reading.steps import Anchor, Recurrence, RelTime, Timing
from tracker.reading.window_rules import (
    TextWindow,
    factor,
    from_day,
    from_period,
    from_relation,
    kind_rules,
    overlaps,
)

__all__ = ["daily", "default_timing", "rel", "time_phrase"]

_AFTER_WORD = re.compile(r"\b(?:after|afterwards?|following|post)\b", re.IGNORECASE)
ARRIVAL_KINDS = ("logistics",)  # untimed, they are done by the time the patient checks in


def _window(
    text: str,
    anchor: Anchor,
    state: bool,
    repeat: frequencies.Repeat | None,
    previous: RelTime | None,
    arrival: int = 0,
    stay: int = 0,
    lasting: bool = False,
    known: Mapping[str, Removal] | None = None,
) -> TextWindow | None:
    """The window the text states, choosing among its timing phrases."""
    named = events.reference(text, known) if anchor == "end" and known else None
    own = [r for r in phrases.relations(text) if r.name in ("until", "for") and r.direction]
    if named is not None and not (named[0].until and own):  # "..., up to two weeks later"  # "until the stent comes out", "for 7 days after the wrap comes off"
        return _from_removal(text, *named)
    day, clock = phrases.day_phrase(text, anchor), phrases.clock_time(text)
    numbered = phrases.period(text) if anchor == "end" else None
    taken = [*(repeat.spans if repeat else ()), *(m.span for m in (day, clock, numbered) if m)]
    if anchor == "start":
        across = _across(text, day, clock, taken, state, arrival)
        if across is not None:
            return across
    ways = ("before", None) if anchor == "start" else ("after", "wait", None)
    found = [
        _as_said(text, r, lasting)
        for r in phrases.relations(text)
        if r.direction in ways and not any(overlaps(r.span, s) for s in taken)
        and not _threshold(text, r)
    ]
    if repeat:  # "walk for 10 minutes three times a day": the 10 minutes is not the schedule
        begins = repeat.spans[0][0]
        found = [
            r
            for r in found
            if r.span[0] > begins or not r.duration.exact or r.direction or r.name == "point"
        ]
    found.sort(key=lambda r: (r.direction is None, r.name == "bare"))
    if numbered is not None:  # "during weeks 3 and 4", "from the start of the second week"
        length = next((r for r in found if r.name == "for"), None)
        chosen = from_period(numbered, length, anchor, state)
        return _starting(text, day, _then(text, chosen, previous), counted=False)
    after_first = next((r for r in phrases.relations(text) if _FIRST.match(text, r.span[1])), None)
    if previous is not None and after_first is not None and after_first.direction == "other":
        # "bring a second sample 4 weeks after the first": from the moment the clause before named
        chosen = from_relation(replace(after_first, name="point", direction="after"), "end", state)
        exact = after_first.duration.exact

        def moved(point: RelTime) -> RelTime:
            return replace(point, anchor=previous.anchor).shifted(
                days=previous.days, minutes=previous.minutes
            )

        opens = moved(chosen.opens)
        due = opens if exact else moved(chosen.due)  # a dose N hours after the first: then
        rule = f"{chosen.rule} the first (the clause before)"
        return TextWindow(opens, due, opens, None, 0, rule, factor("reference"), chosen.spans)
    several = factor("several") if len(found) > 1 else 1.0
    starts = day is not None and _STARTING.search(text, 0, day.span[0]) is not None
    lasts = bool(found) and found[0].name == "for" and anchor == "end"
    # "lie on your side for 1 to 2 hours straight after the biopsy": the amount, from the end
    today = day is not None and day.phrase.days == 0 and day.phrase.clock is None and not clock
    if found and (found[0].direction is not None or not (day or clock) or (starts and lasts)
                  or (today and lasts)):
        first = found[0]
        spans = [
            r for r in found if r.name in ("for", "until", "bare") and not r.duration.amount.vague
        ]
        if lasting and anchor == "end" and len(spans) > 1:  # "normal for the first 24 hours
            first = max(spans, key=_longest)  # and can last up to three days": the longest
        if lasting and first.name == "bare":  # "numbness lasts a few hours": from the end
            first = replace(first, name="for", direction="after")
        chosen = from_relation(first, anchor, state, arrival, stay)
        chosen = _phase(text, first, chosen, previous) if anchor == "end" else chosen
        if first.name == "for" and anchor == "end":
            chosen = _starting(text, day, chosen)
        after = phrases.refers_back(text)
        leads = after is not None and after[0] < first.span[0]  # not "..., after which ..."
        if leads and previous is not None and anchor == "end" == previous.anchor:
            if chosen.opens == RelTime(anchor):  # "after that, walk every 2 hours for 2 weeks"
                chosen = replace(chosen, opens=previous, rule=chosen.rule + "; after the clause before")
        return replace(chosen, confidence=chosen.confidence * several)
    if day and anchor == "end" and _THROUGH.search(text, 0, day.span[0]) and day.phrase.days > 0:
        # "twice a day through the day after the biopsy": from the end to that day's end
        chosen = from_day(day, clock, anchor, state, arrival, stay)
        return replace(chosen, opens=RelTime(anchor), rule=f"through {chosen.rule}")
    if day and state and anchor == "end" and _UNTIL.search(text, 0, day.span[0]):
        # "do not stay alone until the morning after": from the end until that day begins
        moment = from_day(day, clock, anchor, state, arrival, stay).mark
        rule = f"until {day.phrase.phrases[0]}"
        return TextWindow(RelTime(anchor), moment, moment, moment, 0, rule, factor("day"), (day.span,))
    if day or clock:
        chosen = from_day(day, clock, anchor, state, arrival, stay)
        if anchor == "start" and state and (ends := _UNTIL_EVENT.search(text)) is not None:
            # "from noon the day before until the procedure is finished": past the start
            to = RelTime("end") if ends["after"] else RelTime("start")
            chosen = replace(chosen, due=to, until=to, spans=(*chosen.spans, ends.span()))
        return _then(text, chosen, previous)
    during = _DURING_THAT.search(text)
    if previous is not None and during is not None and anchor == "end" and not found:
        # "twice a day for 1 week; also rinse after each meal during that week"
        rule, days = "during the time the clause before names", previous.days
        spans = (during.span(),)
        return TextWindow(RelTime(anchor), previous, previous, previous, days, rule, factor("reference"), spans)
    same = _SAME_TIME.search(text)
    if previous is not None and same is not None:  # "...; rinse at the same time"
        rule = "at the time the clause before names"
        return TextWindow(previous, previous, previous, None, 0, rule, factor("reference"), (same.span(),))
    before_then = _BEFORE_THEN.search(text)
    if previous is not None and before_then is not None and anchor == "end":
        # "pull the stent out 5 to 7 days after; do not tug on the string before then"
        spans = (before_then.span(),)
        rule = "before the time the clause before names"
        return TextWindow(RelTime(anchor), previous, previous, previous, 0, rule, factor("reference"), spans)
    reference = phrases.refers_back(text)
    if previous is not None and reference is not None:
        here = RelTime(anchor)
        due = here if anchor == "start" else previous.shifted(days=1)
        if anchor == "start" and not state and previous.days < 0 and previous.clock is None:
            due = RelTime(anchor, previous.days + 1, clock="00:00")  # "also stop iron from that day"
        until = here if anchor == "start" else None
        return TextWindow(
            previous,
            due,
            previous,
            until,
            0,
            "after the clause before",
            factor("reference"),
            (reference,),
        )
    return None


_DURING_THAT = re.compile(
    r"\b(?:during|for|throughout)\s+(?:that|this|the same)\s+(?:week|time|period|days)\b", re.I
)
_MORNINGS = re.compile(r"\b(?:every|each)\s+morning\b", re.IGNORECASE)
_AT_BEDTIME = re.compile(r"at\s+(?:bedtime|night)", re.IGNORECASE)
_SAME_TIME = re.compile(r"\b(?:at|around)\s+the\s+same\s+time\b", re.IGNORECASE)
_BEFORE_THEN = re.compile(r"\b(?:before|until)\s+then\b", re.IGNORECASE)
_THAN = re.compile(r"\b(?:longer|more|less|fewer|shorter)\s+than\s+$", re.IGNORECASE)
# "call the day you get home to book a visit about 4 weeks after": the visit's time, not the call's
_TO_BOOK = re.compile(r"\bto\s+(?:book|schedule|make|arrange|set\s+up)\b.*\b(?:visit|appointment|check)", re.I)
_RATE = re.compile(r"\b(?:more|less|fewer)\s+than\b[^,;]{0,40}$", re.IGNORECASE)
_AT_A_TIME = re.compile(r"\s*(?:at\s+a\s+time|each\s+time|per\s+session|a\s+session)\b", re.I)
_OF = re.compile(r"\s+of\s+(?!(?:the|your)\b)[a-z]+ing\b|\s+of\s+(?:firm\s+)?pressure\b", re.I)
_NOT = re.compile(
    r"\b(?:not|n't|never)\s+(?:yet\s+)?(?:heard|received|been\s+(?:called|contacted)|got)\b",
    re.IGNORECASE,
)
_BOOKED = re.compile(r"\b(?:booked|scheduled|planned|arranged|set)\s+$", re.IGNORECASE)
_UNTIL_CLAUSE = re.compile(r"\buntil\s+(?:the|your)\s+[^,;]{1,40}$", re.IGNORECASE)
_WHEN_WORDS = re.compile(r"\b(?:takes?|took|taking|at)\s+(?:about\s+|around\s+)?$", re.I)


def _longest(found: phrases.Relation) -> int:
    span = found.duration
    return span.size(span.amount.high) * (1 if span.exact else 1440)


def _threshold(text: str, found: phrases.Relation) -> bool:
    """An amount that describes a symptom or a session, not when to act: "lasts longer than 2
    days", "does not stop after 10 minutes of pressure", "more than a tablespoon in an hour",
    "for up to 20 minutes at a time"."""
    before = text[: found.span[0]]
    if _THAN.search(before) or _OF.match(text, found.span[1]) or _TO_BOOK.search(before):
        return True
    if _AT_A_TIME.match(text, found.span[1]):  # "20 minutes at a time": a session's length
        return True
    words = text[found.span[0] : found.span[1]].lower()
    return words.startswith(("in a ", "in an ", "in one ")) and _RATE.search(before) is not None


def _as_said(text: str, found: phrases.Relation, lasting: bool) -> phrases.Relation:
    """Amounts that name a moment, not a span: "if you have not heard within 2 weeks" (from
    then), and in a statement "takes 2 to 5 days to work", "usually at 5 to 7 days", "returns
    within 3 to 4 weeks" (it happens between the two)."""
    before = text[: found.span[0]]
    if found.name == "within" and _NOT.search(before):
        return replace(found, name="point", direction="after")
    if found.name == "for" and _BOOKED.search(before):  # "a check booked for 1 to 2 weeks after"
        return replace(found, name="point", direction="after")
    if found.name == "point" and _UNTIL_CLAUSE.search(before):  # "until the cut heals in 14 days"
        return replace(found, name="until", direction="after")
    ranged = found.duration.amount.ranged
    if lasting and (_WHEN_WORDS.search(before) or (found.name == "within" and ranged)):
        return replace(found, name="point", direction="after")
    return found


_UNTIL_EVENT = re.compile(
    r"\b(?:until|(?:right\s+)?up\s+to)\s+(?:(?P<after>after\s+(?:the|your)\s+(?:procedure|surgery|exam|test|scan)\b"
    r"|(?:the|your)\s+(?:procedure|surgery|exam|test|scan)\s+is\s+(?:finished|over|done|complete)"
    r")|(?:the|your)\s+(?:procedure|surgery|exam|test|scan|appointment)\b)",
    re.IGNORECASE,
)
_THROUGH = re.compile(r"\b(?:through|throughout|up to and including)\s+$", re.IGNORECASE)
_UNTIL = re.compile(r"\b(?:until|till)\s+$", re.IGNORECASE)
_FIRST = re.compile(
    r"\s*(?:you\s+(?:finish|complete|have\s+finished|take|drink|start)\s+)?(?:the\s+)?first"
    r"(?:\s+(?:one|dose|sample|test|tablet|pill|half))?\b",
    re.IGNORECASE,
)
_MORE = re.compile(r"\b(?:more|further|additional|extra)\b", re.IGNORECASE)
_ANOTHER_AMOUNT = re.compile(r"\b(?:another|a further|an additional)\s+$", re.IGNORECASE)


def _phase(
    text: str, found: phrases.Relation, window: TextWindow, previous: RelTime | None
) -> TextWindow:
    """A taper's later phase ("then twice a day for 3 more weeks") starts where the one
    before it ended."""
    inside = _MORE.search(text, found.span[0], found.span[1])
    more = inside or _ANOTHER_AMOUNT.search(text, 0, found.span[0]) or _THEN.match(text)
    if previous is None or more is None or previous.anchor != "end":
        return window
    if found.name not in ("for", "within", "bare"):  # "then ... until 6 weeks after": fixed end
        return _then(text, window, previous)
    days, minutes = previous.days, previous.minutes

    def moved(point: RelTime) -> RelTime:
        # "for 10 days" after a step that ends at midnight ends at a midnight too
        clock = point.clock or (previous.clock if not point.minutes else None)
        return replace(point.shifted(days=days, minutes=minutes), clock=clock)

    until = moved(window.until) if window.until else None
    return replace(
        window,
        opens=previous,
        due=moved(window.due),
        mark=moved(window.mark),
        until=until,
        rule=window.rule + "; after the phase before",
    )


_THEN = re.compile(r"(?:and\s+)?then\b", re.IGNORECASE)


def _then(text: str, window: TextWindow, previous: RelTime | None) -> TextWindow:
    """ "...; then X until the end of week 2": X opens when the step before it ends, unless
    its own text says when it opens."""
    here = RelTime(window.opens.anchor)
    if previous is None or previous.anchor != here.anchor or not _THEN.match(text):
        return window
    if window.opens != here or here.anchor != "end":
        return window
    return replace(window, opens=previous, rule=window.rule + "; after the step before")


_STARTING = re.compile(r"\b(?:starting|beginning|from|after|begin(?:ning)? on|start on)\s+$", re.I)


def _starting(
    text: str, day: phrases.DayMatch | None, window: TextWindow, counted: bool = True
) -> TextWindow:
    """ "Starting the morning after, walk twice a day for the next 3 days": the day named opens
    the window the amount gives. A named calendar day counts the amount in whole days from
    it (days 1 to 3 end at the end of day 3); "after the first night" only moves the opening."""
    if day is None or day.phrase.days <= 0 or not _STARTING.search(text, 0, day.span[0]):
        return window
    phrase = day.phrase
    opens = RelTime("end", phrase.days, clock=phrase.clock or "00:00")
    if phrase.reminder and phrase.clock is None:
        opens = RelTime("end", phrase.days, reminder_hour=True)
    due = window.due
    if counted and phrase.span == "day" and not due.minutes and not due.clock and due.days > 0:
        due = RelTime("end", due.days + phrase.days, clock="00:00")
    until = due if window.until is not None else None
    rule = f"{window.rule}; from {phrase.phrases[0]}"
    spans = tuple(sorted({*window.spans, day.span}))
    return replace(window, opens=opens, due=due, mark=due, until=until, rule=rule, spans=spans)


def _from_removal(text: str, said: events.Reference, removal: Removal) -> TextWindow:
    """A window from a removal the document timed: up to it ("while the stent is in") or from
    it, for the amount stated ("for 24-48 hours after the stent comes out")."""
    spans: tuple[Span, ...] = (said.span,)
    if said.until:
        opens, due, rule = RelTime("end"), removal.high, f"until the {said.thing} {'are' if said.thing.endswith('s') else 'is'} out"
        start = next((r for r in phrases.relations(text) if r.name == "point"), None)
        if start is not None and start.direction in ("after", None):  # "After 24 hours, ..."
            opens = from_relation(start, "end", False).opens
            spans, rule = (*spans, start.span), f"from {text[slice(*start.span)]!r}, {rule}"
    else:
        length = next((r for r in phrases.relations(text) if r.name == "for"), None)
        opens, due, rule = removal.low, removal.high, f"after the {said.thing} {'are' if said.thing.endswith('s') else 'is'} out"
        if length is not None:
            lasting = from_relation(length, "end", True)
            due = lasting.due.shifted(days=removal.low.days, minutes=removal.low.minutes)
            if removal.low.clock and not due.minutes:
                due = replace(due, clock=removal.low.clock)
            spans, rule = (*spans, length.span), f"{lasting.rule} {rule}"
    days = max(due.days - opens.days, 0) + (due.minutes - opens.minutes) / 1440
    return TextWindow(opens, due, due, due, days, rule, factor("reference"), tuple(sorted(spans)))


def _across(
    text: str,
    day: phrases.DayMatch | None,
    clock: phrases.ClockMatch | None,
    taken: list[Span],
    state: bool,
    arrival: int,
) -> TextWindow | None:
    """A preparation instruction that runs past the procedure: "for 48 hours before and 48
    hours after", "on the day and for 2 days afterwards", "for 48 hours after the procedure"."""
    found = [r for r in phrases.relations(text) if not any(overlaps(r.span, s) for s in taken)]
    said = (r for r in found if _AFTER_WORD.search(text, r.span[0], r.span[1]))
    before = next((r for r in found if r.direction == "before"), None)
    if not state and (before is None or before.name != "for"):
        return None  # an action runs past the procedure only "for N before and N after"
    afters = [r for r in said if r.direction == "after" and (r.name != "point" or before)]
    if not afters:
        return None
    later = from_relation(afters[0], "end", True)
    if before is not None:
        earlier = from_relation(before, "start", True, arrival)
    elif day is not None and day.phrase.days == 0:
        earlier = from_day(day, clock, "start", True, arrival)
    else:
        earlier = replace(later, opens=RelTime("end"))
    spans = tuple(sorted({*earlier.spans, *later.spans}))
    rule = f"{earlier.rule} until {later.rule}" if earlier is not later else later.rule
    sure = min(earlier.confidence, later.confidence)
    return TextWindow(earlier.opens, later.due, later.due, later.due, later.days, rule, sure, spans)


def daily(until: RelTime) -> Recurrence:
    """Once a day, at the clock time the step opens, until `until`."""
    return Recurrence("FREQ=DAILY", until)


def _after_start(point: RelTime) -> bool:
    """Always after the procedure start, whatever its clock time (a preparation step can't)."""
    exact = point.clock is None and not point.reminder_hour
    return point.anchor == "start" and (
        point.days > 0 or (point.days == 0 and exact and point.minutes > 0)
    )


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
    arrival: int = 60,
    stay: int = 0,
    known: Mapping[str, Removal] | None = None,
) -> Timing:
    """Read one instruction: its kind, flags, window, recurrence, evidence and confidence.

    `kind` overrides the keyword reading; `previous` is the moment the clause before named,
    for "after that"; `known` the removals the document times (see `events`).
    """
    lex, cfg, here = lexicon(), defaults(), RelTime(anchor)
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
        if anchor == "start" and (name in ARRIVAL_KINDS or UNTIL_ARRIVAL.search(text)):
            window = replace(window, due=RelTime(anchor, minutes=-arrival))  # by check-in
        elif (ends := _UNTIL_EVENT.search(text)) is not None and anchor == "start":
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
