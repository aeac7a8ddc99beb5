"""Times in an instruction that say nothing about its window, which the second reading leaves
out of its comparison: how long one session lasts, a look back, a habit, a threshold, a
measure of a warning sign, a possessive part of the day.
"""

from __future__ import annotations

import re

from tracker.reading.steps import Step
from tracker.reading.tagger import TaggedTime

# Times that are not the step's own: how long one session lasts ("for 20 minutes at a time"),
# a look back ("in the last six months"), habits ("an hour later than usual"), a possessive
# part of the day ("your morning pills"), "day and night"; and the tagger's own misreadings
# ("a second sample" as one second, "half an hour" as an hour).
SESSION_MINUTES = 60
_SESSION_BEFORE = re.compile(
    r"\bfor\s+(?:about\s+|up\s+to\s+|at\s+least\s+|more\s+than\s+|the\s+)?$", re.I
)
_SESSION_AFTER = re.compile(r"\s*(?:at\s+a\s+time|each\s+time)\b", re.IGNORECASE)
_LOOK_BACK = re.compile(r"\b(?:in|within|over|during)\s+the\s+(?:last|past)\s+$", re.I)
_HABIT = re.compile(r"\s*(?:later|earlier|longer|more)?\s*than\s+(?:usual|normal)", re.I)
_POSSESSIVE = re.compile(r"\b(?:your|my|his|her|their|its|usual)\s+$", re.IGNORECASE)
_ALL_DAY = re.compile(r"\bday\s+(?:and|or)\s+$", re.IGNORECASE)
_LEAD = re.compile(r"^(?:(?:for|in|within|over|the|about|up\s+to)\s+)+", re.IGNORECASE)
# A threshold, not a window: "more than 3 days", "3 days or more".
_THRESHOLD_BEFORE = re.compile(r"\b(?:more|longer|less|fewer)\s+than\s+$", re.IGNORECASE)
_THRESHOLD_AFTER = re.compile(r"\s*or\s+(?:more|longer)\b", re.IGNORECASE)
_HALF = re.compile(r"\bhalf\s+(?:an?\s+)?$", re.IGNORECASE)
# In warning signs a time describes the sign ("bleeding that lasts more than 3 days").
# "bleeding that does not stop after 20 minutes of pressure" too ("within 3 hours of starting
# the first half" stays compared: it can be the window).
_SIGN_MEASURE = re.compile(r"\b(?:lasting|lasts?|than|in|after)\s+(?:about\s+)?$", re.IGNORECASE)
# "the first night", "at night", "an early night": a night, not a clock at 20:00.
_A_NIGHT = re.compile(r"\b(?:first|at|early|every|each|per|a|one|all|last)\s+$", re.IGNORECASE)


def incidental(step: Step, time: TaggedTime) -> bool:
    """A time that says nothing about the step's window (see SESSION_MINUTES above)."""
    lead = _LEAD.match(time.text)  # the tagger keeps "for" or "in" inside some spans
    before = step.text[: time.start] + (lead[0] if lead else "")
    after = step.text[time.end :]
    if time.kind == "date" or (time.kind == "recurrence" and step.asks == "know"):
        return True  # a calendar date has no window; information is never repeated
    if time.kind == "part of day":
        night = time.text.lower() == "night" and bool(_A_NIGHT.search(before))
        return night or bool(_POSSESSIVE.search(before) or _ALL_DAY.search(before))
    if time.kind not in ("duration", "range"):
        return False
    if (time.high or 0) < 1 or _HALF.search(before):
        return True
    if _LOOK_BACK.search(before) or _HABIT.match(after) or _THRESHOLD_AFTER.match(after):
        return True
    if _THRESHOLD_BEFORE.search(before):
        return True
    if step.asks == "watch" and _SIGN_MEASURE.search(before):
        return True
    short = (time.high or 0) < SESSION_MINUTES and time.direction is None
    return short and bool(_SESSION_BEFORE.search(before) or _SESSION_AFTER.match(after))
