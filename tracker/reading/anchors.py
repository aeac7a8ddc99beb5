"""Anchors beyond the start and the end: the patient's arrival, a span across the procedure,
and a duration that follows a starting time ("drink it over 2 hours").

`arrival_point` finds the check-in time a document states ("arrive 2 hours before", "check in
at 7:30 am"); `from_arrival` counts a time from it ("2 hours before you check in"). Leaving home
counts as arriving (the documented convention: the travel time is not known, and the patient
is then told a little early rather than late). `windows` asks `over` for a stated length of an
action and uses `UNTIL_ARRIVAL`.
"""

from __future__ import annotations

import re

from tracker.reading import phrases, time_points
from tracker.reading.steps import RelTime

ARRIVE = re.compile(
    r"\b(?:arrive|arrival|check[- ]in|checking in|report to|registration desk|be at the"
    r"|present(?:\s+yourself)?\s+(?:to|at)|bring\s+(?:your\s+child|your\s+baby|him|her|them)\s+(?:in\s+)?to"
    # "come to the admissions unit at 7 am", "please come in to the day unit 1 hour before"
    r"|come\s+(?:in\s+)?to\s+(?:the\s+)?(?:[\w-]+\s+){0,3}(?:unit|ward|department|reception|desk))\b",
    re.IGNORECASE,
)
UNTIL_ARRIVAL = re.compile(
    r"\b(?:until|till|up to|before)\s+(?:you arrive|your arrival(?: time)?|arrival|you check in|"
    r"you come(?: in(?:to (?:the )?hospital)?)?(?!\s+(?:back|out|home))|"
    r"coming in(?:to (?:the )?hospital)?|"
    r"arriving|leaving home|you leave (?:home|for (?:the|your) (?:hospital|clinic|appointment)))\b"
    # "call the department before your appointment": by check-in ("right up to your
    # appointment" is the start: context.UNTIL_EVENT)
    r"|\bbefore\s+(?:the|your)\s+appointment\b"
    # what is worn or brought "to the appointment" is done by check-in
    r"|\b(?:wear|bring)\b.{0,80}?\bto\s+(?:the|your)\s+(?:appointment|clinic|hospital|"
    r"procedure|surgery|exam|scan|test|visit)\b"
    # what to wear is worn to the appointment ("wear loose clothes and walking shoes")
    r"|^(?:please\s+)?wear\b.{0,60}?\b(?:clothes|clothing|tops?|shirts?|trousers|pants|"
    r"shoes|outfit|sleeves?)\b",
    re.IGNORECASE,
)
# What the patient wears in and takes out when the procedure begins ("take out dentures before
# the test"): due at the start, not at check-in (told before they arrive, it is by check-in).
AT_THE_START = re.compile(
    r"\b(?:take\s+out|take\s+off|remove)\s+(?:your\s+|any\s+|all\s+)?(?:dentures|false\s+teeth|"
    r"retainers?|hearing\s+aids?|glasses|contact\s+lenses|contacts|partial\s+plates?)\b"
    r"[^;]*?\bbefore\s+(?:the|your)\s+(?:test|procedure|scan|exam|examination|surgery|"
    r"operation|endoscopy|echo)\b",
    re.IGNORECASE,
)
# A recovery instruction that holds while a recording procedure or a course lasts (a Holter
# monitor, a capsule's recorder, a 24-hour pH tube, radiotherapy): from the start to the end.
DURING_PROCEDURE = re.compile(
    r"\b(?:while|whilst)\s+(?:you\s+(?:are\s+)?(?:still\s+)?(?:wearing|wear|have\s+on)\s+"
    r"(?:the|your)\s+(?:heart\s+)?(?:monitor|recorder|holter)"
    r"|(?:the|your)\s+(?:ph\s+)?(?:monitor|recorder|probe|tube)\s+is\s+(?:on|in|in\s+place|recording))\b"
    r"|\buntil\s+(?:the|your)\s+recording\s+(?:ends|is\s+(?:finished|over|complete))\b"
    r"|\buntil\s+(?:the|your)\s+(?:ph\s+)?(?:monitor|recorder|probe|tube)\s+is\s+(?:removed|taken\s+out)\b"
    r"|\bduring\s+the\s+(?:recording|monitoring)(?:\s+period)?\b"
    # a course of treatment (radiotherapy sessions over weeks): from the first to the last
    r"|\bduring\s+(?:the\s+|your\s+)?(?:course\s+of\s+)?(?:treatment|radiotherapy)\b",
    re.IGNORECASE,
)
MAX_ARRIVAL_MINUTES = 6 * 60  # an earlier "arrival" is some other appointment
NEAR = 60  # characters from "arrive" to its amount ("arrive at the hospital 2 hours before")


def arrival_minutes(clauses: list[str]) -> int | None:
    """How long before the start the document asks the patient to arrive, if it says."""
    for clause in clauses:
        arrive = ARRIVE.search(clause)
        if arrive is None:
            continue
        for found in phrases.relations(clause):
            size = found.duration.size(found.duration.amount.high)
            if (
                # "check in 30 minutes before": the amount's own "in" may be the verb's
                arrive.start() < found.span[0] <= arrive.end() + NEAR
                and found.span[1] > arrive.end()
                and found.direction == "before"
                and not found.arrival
                and found.duration.exact
                and 0 < size <= MAX_ARRIVAL_MINUTES
            ):
                return size
    return None


def arrival_clock(clauses: list[str]) -> str | None:
    """The clock time on the procedure day the document asks the patient to arrive at ("check in
    at 7:30 am", "arrive at 6 am on the morning of surgery"), if it says."""
    for clause in clauses:
        arrive = ARRIVE.search(clause)
        if arrive is None:
            continue
        clock = time_points.clock_time(clause)
        if clock is None or clock.relation == "after":
            continue
        near = arrive.end() <= clock.span[0] <= arrive.end() + NEAR
        day = phrases.day_phrase(clause, "start")
        if near and (day is None or day.phrase.days == 0):
            return clock.clock
    return None


def arrival_point(clauses: list[str]) -> RelTime | None:
    """When the document asks the patient to check in: an amount before the start, or a clock
    time on the procedure day."""
    minutes = arrival_minutes(clauses)
    if minutes is not None:
        return RelTime("start", minutes=-minutes)
    clock = arrival_clock(clauses)
    return RelTime("start", clock=clock) if clock is not None else None


def from_arrival(point: RelTime, arrival: RelTime) -> RelTime:
    """A start-relative time counted from check-in instead ("2 hours before you arrive"): an
    exact amount moves with the arrival, onto its clock when it has one; a named day stays."""
    if arrival.clock is None:
        return point.shifted(days=arrival.days, minutes=arrival.minutes)
    if point.clock is None and not point.reminder_hour:
        days, minutes = point.days + arrival.days, point.minutes + arrival.minutes
        return RelTime(point.anchor, days, minutes, clock=arrival.clock)
    return point


def over(text: str) -> int | None:
    """Minutes an action takes when the text says "over N hours" ("drink it over 2 hours") or
    "finished within 1 hour"."""
    for found in phrases.relations(text):
        words = text[found.span[0] : found.span[1]].lower()
        finished = found.name == "within" and _FINISHED.search(text, 0, found.span[0])
        way = found.direction is None or words.startswith("over the next")
        if found.duration.exact and (words.startswith("over") or finished) and way:
            return found.duration.size(found.duration.amount.high)
    return None


# "so that it is finished within 1 hour": how long the action takes
_FINISHED = re.compile(r"\b(?:finish(?:ed)?|complete[d]?|done|drunk|all of it)\s+$", re.IGNORECASE)
