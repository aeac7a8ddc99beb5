"""What the words around an amount or a day change: an amount that describes a symptom
("lasts longer than 2 days"), a moment said as a span ("takes 2 to 5 days to work"), a later
phase ("then ... for 3 more weeks"), a starting day ("starting the morning after, ... for 3
days"), a removal the document timed ("until the stent comes out") and a restriction that runs
past the procedure ("for 48 hours before and 48 hours after").

`windows` chooses among an instruction's phrases and calls these.
"""

from __future__ import annotations

import re
from dataclasses import replace

from tracker.reading import events, phrases, time_points
from tracker.reading.events import Removal
from tracker.reading.phrases import Span
from tracker.reading.steps import Anchor, RelTime
from tracker.reading.window_rules import TextWindow, factor, from_day, from_relation, overlaps

_AFTER_WORD = re.compile(r"\b(?:after|afterwards?|following|post)\b", re.IGNORECASE)

_THAN = re.compile(
    r"\b(?:longer|more|less|fewer|shorter)\s+than\s+$"
    # "pain that gets worse after 2 days", "a cough that persists beyond a week": the symptom
    r"|\b(?:gets?|getting|is|are)\s+worse\s+$|\b(?:persists|continues|lingers)\s+$",
    re.IGNORECASE,
)
# "call the day you get home to book a visit about 4 weeks after": the visit's time, not the call's
_TO_BOOK = re.compile(
    r"\bto\s+(?:book|schedule|make|arrange|set\s+up)\b.*\b(?:visit|appointment|check)", re.I
)
_RATE = re.compile(r"\b(?:more|less|fewer)\s+than\b[^,;]{0,40}$", re.IGNORECASE)
_AT_A_TIME = re.compile(r"\s*(?:at\s+a\s+time|each\s+time|per\s+session|a\s+session)\b", re.I)
_OF = re.compile(r"\s+of\s+(?!(?:the|your)\b)[a-z]+ing\b|\s+of\s+(?:firm\s+)?pressure\b", re.I)
_NOT = re.compile(
    r"\b(?:not|n't|never)\s+(?:yet\s+)?(?:heard|received|been\s+(?:called|contacted)|got|seen|"
    r"passed|had|opened)\b",
    re.IGNORECASE,
)
_BOOKED = re.compile(r"\b(?:booked|scheduled|planned|arranged|set)\s+$", re.IGNORECASE)
_UNTIL_CLAUSE = re.compile(r"\buntil\s+(?:the|your)\s+[^,;]{0,40}$", re.IGNORECASE)
_WHEN_WORDS = re.compile(r"\b(?:takes?|took|taking|at)\s+(?:about\s+|around\s+)?$", re.I)


def longest(found: phrases.Relation) -> int:
    span = found.duration
    return span.size(span.amount.high) * (1 if span.exact else 1440)


def threshold(text: str, found: phrases.Relation) -> bool:
    """An amount that describes a symptom or a session, not when to act: "lasts longer than 2
    days", "does not stop after 10 minutes of pressure", "more than a tablespoon in an hour",
    "for up to 20 minutes at a time"."""
    before = text[: found.span[0]]
    if _THAN.search(before) or _OF.match(text, found.span[1]) or _TO_BOOK.search(before):
        return True
    if _AT_A_TIME.match(text, found.span[1]):  # "20 minutes at a time": a session's length
        return True
    words = text[found.span[0] : found.span[1]].lower()
    # "more than a tablespoon in an hour", "more than one pad an hour": a rate
    rate = ("in a ", "in an ", "in one ", "an ", "a ", "per ")
    return words.startswith(rate) and _RATE.search(before) is not None


def as_said(text: str, found: phrases.Relation, lasting: bool) -> phrases.Relation:
    """Amounts that name a moment, not a span: "if you have not heard within 2 weeks" (from
    then), and in a statement "takes 2 to 5 days to work", "usually at 5 to 7 days", "returns
    within 3 to 4 weeks" (it happens between the two)."""
    before = text[: found.span[0]]
    if found.name == "within" and _NOT.search(before):
        return replace(found, name="point", direction="after")
    if found.name == "for" and _BOOKED.search(before):  # "a check booked for 1 to 2 weeks after"
        return replace(found, name="point", direction="after")
    # "until the cut heals in 14 days", "until your 3-month visit"
    if found.name in ("point", "bare") and _UNTIL_CLAUSE.search(before):
        return replace(found, name="until", direction="after")
    ranged = found.duration.amount.ranged
    if lasting and (_WHEN_WORDS.search(before) or (found.name == "within" and ranged)):
        return replace(found, name="point", direction="after")
    return found


UNTIL_EVENT = re.compile(
    r"\b(?:until|(?:right\s+)?up\s+to)\s+(?:(?P<after>after\s+(?:the|your)\s+"
    r"(?:procedure|surgery|exam|test|scan)\b"
    r"|(?:the|your)\s+(?:procedure|surgery|exam|test|scan|x-rays?|pictures|images)\s+(?:is|are)\s+"
    r"(?:finished|over|done|complete|taken)"
    r")|(?:the|your)\s+(?:procedure|surgery|exam|test|scan|appointment)\b)",
    re.IGNORECASE,
)
# "lie on your side for 1 to 2 hours straight after the biopsy": the day phrase only says when
# the amount starts
RIGHT_AFTER = re.compile(
    r"(?:straight|right|immediately|directly)\s+after\b"
    r"|(?:when|once|as\s+soon\s+as)\s+you\s+(?:get|go|are|arrive)\s+home\b",
    re.IGNORECASE,
)
_BEGINS = re.compile(r"\b(?:start|starting|begin|beginning|from)\b", re.IGNORECASE)
THROUGH = re.compile(
    # "cramping should be gone by the next morning": from the end until then
    r"\b(?:through|throughout|up to and including"
    r"|(?:gone|over|better|settled|eased|stopped)\s+by)\s+$",
    re.IGNORECASE,
)
UNTIL = re.compile(r"\b(?:until|till)\s+$", re.IGNORECASE)
# "until your vision has been checked [the day after]": an event on the day named
_UNTIL_SOMETHING = re.compile(r"\b(?:until|till)\s+(?:[\w'-]+\s+){2,8}$", re.IGNORECASE)

_MORE = re.compile(r"\b(?:more|further|additional|extra)\b", re.IGNORECASE)
_ANOTHER_AMOUNT = re.compile(r"\b(?:another|a further|an additional)\s+$", re.IGNORECASE)


def phase(
    text: str, found: phrases.Relation, window: TextWindow, previous: RelTime | None
) -> TextWindow:
    """A taper's later phase ("then twice a day for 3 more weeks") starts where the one
    before it ended."""
    inside = _MORE.search(text, found.span[0], found.span[1])
    more = inside or _ANOTHER_AMOUNT.search(text, 0, found.span[0]) or _THEN.match(text)
    if previous is None or more is None or previous.anchor != "end":
        return window
    if found.name not in ("for", "within", "bare"):  # "then ... until 6 weeks after": fixed end
        return then(text, window, previous)
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


def then(text: str, window: TextWindow, previous: RelTime | None) -> TextWindow:
    """ "...; then X until the end of week 2": X opens when the step before it ends, unless
    its own text says when it opens."""
    here = RelTime(window.opens.anchor)
    if previous is None or previous.anchor != here.anchor or not _THEN.match(text):
        return window
    if window.opens != here or here.anchor != "end":
        return window
    return replace(window, opens=previous, rule=window.rule + "; after the step before")


STARTING = re.compile(r"\b(?:starting|beginning|from|after|begin(?:ning)? on|start on)\s+$", re.I)


def starting(
    text: str, day: phrases.DayMatch | None, window: TextWindow, counted: bool = True
) -> TextWindow:
    """ "Starting the morning after, walk twice a day for the next 3 days": the day named opens
    the window the amount gives. A named calendar day counts the amount in whole days from
    it (days 1 to 3 end at the end of day 3); "after the first night" only moves the opening."""
    if day is None or day.phrase.days <= 0 or not STARTING.search(text, 0, day.span[0]):
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


_DAY_AFTER = re.compile(r"\bthe\s+(?:day|morning)\s+$", re.IGNORECASE)


def _be(thing: str) -> str:
    return "are" if thing.endswith("s") else "is"


def from_removal(text: str, said: events.Reference, removal: Removal) -> TextWindow:
    """A window from a removal the document timed: up to it ("while the stent is in") or from
    it, for the amount stated ("for 24-48 hours after the stent comes out")."""
    spans: tuple[Span, ...] = (said.span,)
    if said.until:
        opens, due, rule = (
            RelTime("end"),
            removal.high,
            f"until the {said.thing} {_be(said.thing)} out",
        )
        start = next((r for r in phrases.relations(text) if r.name == "point"), None)
        if start is not None and start.direction in ("after", None):  # "After 24 hours, ..."
            opens = from_relation(start, "end", False).opens
            spans, rule = (*spans, start.span), f"from {text[slice(*start.span)]!r}, {rule}"
    else:
        length = next((r for r in phrases.relations(text) if r.name == "for"), None)
        opens, due, rule = (
            removal.low,
            removal.high,
            f"after the {said.thing} {_be(said.thing)} out",
        )
        if _DAY_AFTER.search(text, 0, said.span[0]):  # "the day after the drains come out"
            opens, due = opens.shifted(days=1), due.shifted(days=1)
            rule = f"the day {rule}"
        if length is not None:
            lasting = from_relation(length, "end", True)
            due = lasting.due.shifted(days=removal.low.days, minutes=removal.low.minutes)
            if removal.low.clock and not due.minutes:
                due = replace(due, clock=removal.low.clock)
            spans, rule = (*spans, length.span), f"{lasting.rule} {rule}"
    days = max(due.days - opens.days, 0) + (due.minutes - opens.minutes) / 1440
    return TextWindow(opens, due, due, due, days, rule, factor("reference"), tuple(sorted(spans)))


def across(
    text: str,
    day: phrases.DayMatch | None,
    clock: time_points.ClockMatch | None,
    taken: list[Span],
    state: bool,
    arrival: RelTime,
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


def from_named_day(
    text: str,
    day: phrases.DayMatch | None,
    clock: time_points.ClockMatch | None,
    anchor: Anchor,
    state: bool,
    arrival: RelTime,
    stay: int,
) -> TextWindow:
    """A named day or clock time, with the words before it: "through the day after", "until
    the morning after", "from noon the day before until the procedure is finished"."""
    chosen = from_day(day, clock, anchor, state, arrival, stay)
    if (
        day is not None
        and day.phrase.span == "day"
        and chosen.until is None
        and anchor == "end"
        and not _BEGINS.search(text, 0, day.span[0])
    ):
        # "3 times on the day of the procedure": the repeats end with that day (not "start X
        # the morning after and take it every morning")
        chosen = replace(chosen, until=chosen.due)
    if day is not None and anchor == "end" and day.phrase.days > 0:
        if THROUGH.search(text, 0, day.span[0]):  # "twice a day through the day after"
            return replace(chosen, opens=RelTime(anchor), rule=f"through {chosen.rule}")
        ahead = text[: day.span[0]]
        if state and not UNTIL.search(ahead) and _UNTIL_SOMETHING.search(ahead):
            # "do not drive until your vision has been checked the day after": that whole day;
            # "until your check-up the morning after": by the end of that part of the day
            moment = RelTime(anchor, day.phrase.days + 1, clock="00:00")
            if day.phrase.due is not None:
                moment = RelTime(anchor, day.phrase.days, clock=day.phrase.due)
            rule = f"until an event {day.phrase.phrases[0]}"
            return TextWindow(
                RelTime(anchor), moment, moment, moment, 0, rule, factor("day"), (day.span,)
            )
        if state and UNTIL.search(text, 0, day.span[0]):  # "not alone until the morning after"
            moment = RelTime(anchor, day.phrase.days, clock=day.phrase.clock or "00:00")
            rule = f"until {day.phrase.phrases[0]}"
            return TextWindow(
                RelTime(anchor), moment, moment, moment, 0, rule, factor("day"), (day.span,)
            )
    if anchor == "start" and (ends := UNTIL_EVENT.search(text)) is not None:
        # "from noon the day before until the procedure is finished": past the start; "stay
        # awake from midnight until your test": to the start, not to check-in
        to = RelTime("end") if ends["after"] else RelTime("start")
        chosen = replace(chosen, due=to, until=to, spans=(*chosen.spans, ends.span()))
    return chosen
