"""Anchors beyond the start and the end: the patient's arrival, a span across the procedure,
and a duration that follows a starting time ("drink it over 2 hours").

`arrival_minutes` finds the check-in time a document states ("arrive 2 hours before");
`windows` asks `over` for a stated length of an action and uses `UNTIL_ARRIVAL`.
"""

from __future__ import annotations

import re

from tracker.reading import phrases

ARRIVE = re.compile(
    r"\b(?:arrive|arrival|check[- ]in|checking in|report to|registration desk|be at the)\b",
    re.IGNORECASE,
)
UNTIL_ARRIVAL = re.compile(
    r"\b(?:until|till|up to|before)\s+(?:you arrive|your arrival(?: time)?|arrival|you check in|"
    r"arriving|leaving home|you leave (?:home|for (?:the|your) (?:hospital|clinic|appointment)))\b"
    # what is worn or brought "to the appointment" is done by check-in
    r"|\b(?:wear|bring)\b.{0,80}?\bto\s+(?:the|your)\s+(?:appointment|clinic|hospital|"
    r"procedure|surgery|exam|scan|test|visit)\b",
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
