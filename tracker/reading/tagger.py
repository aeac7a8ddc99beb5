"""A generic temporal tagger's reading of one instruction, as typed times.

timefhuman (typed mode: durations stay durations, clock times stay clock times) finds the
spans; a few context rules around each span add what it leaves out: the lower end of "1 to 2
weeks", "before"/"after" right after the span, "N times a day" and "every N hours" before it.
Those rules stay small on purpose: the point is a reading independent of our grammar.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from timefhuman import tfhConfig, timefhuman

__all__ = ["CONFIG", "TaggedTime", "may_have_time", "tag"]

TimeKind = Literal["duration", "range", "clock", "part of day", "recurrence", "date"]
Direction = Literal["before", "after"]
DAY, WEEK = 1440, 10080

# A fixed "now": in typed mode durations and clock times never depend on it; it only matters
# for absolute dates, which a pathway has no use for.
CONFIG = tfhConfig(
    now=dt.datetime(2027, 3, 15, 8, 0), return_matched_text=True, infer_datetimes=False
)
_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "once": 1, "twice": 2,
}  # fmt: skip
_UNITS = {"minute": 1, "hour": 60, "day": DAY, "week": WEEK, "month": 30 * DAY, "year": 365 * DAY}
_NUMBER = r"(\d+|" + "|".join(k for k in _NUMBERS if k not in ("once", "twice")) + ")"
_RANGE_LOW = re.compile(rf"\b{_NUMBER}\s*(?:to|-|–|or)\s*$", re.IGNORECASE)
_UNIT = re.compile(r"(minute|hour|day|week|month|year)s?\b", re.IGNORECASE)
_TIMES = re.compile(
    rf"\b(?:{_NUMBER}\s+times|(several|a\s+few|many)\s+times|once|twice)\s+(?:a|per|each|every)?\s*$",
    re.IGNORECASE,
)
_EVERY = re.compile(rf"\b(?:every|each)\s+(?:{_NUMBER}\s*(?:to|-|–)\s*)?$", re.IGNORECASE)
_RATE = re.compile(r"(?:a|an|per|each|every)\s+(?:day|week)", re.IGNORECASE)
_PREPOSITION = re.compile(
    r"\b(?:for|within|in|after|until|to|than|about|over|by|at least|up to)\s*$", re.IGNORECASE
)
_EACH_AFTER = re.compile(r"\s*(?:each|every|an|a|per)\s+(hour|day)\b", re.IGNORECASE)
_EVERY_BEFORE_PART = re.compile(r"\b(?:every|each)\s+$", re.IGNORECASE)
_ON = re.compile(r"\s+on\b", re.IGNORECASE)
_OFF = re.compile(r"\s+off\b", re.IGNORECASE)
_WAY = re.compile(
    r"^[\s,]*(?:or\s+(?:so|two|three|more)\s+)?(before|prior\s+to|ahead\s+of|earlier|ago|"
    r"after|afterwards?|post\b|post-|later|following|from\s+now)",
    re.IGNORECASE,
)
# What the tagger calls a time of day when the text only names a part of the day.
PARTS_OF_DAY = ("morning", "afternoon", "evening", "night", "tonight", "bedtime")
# The tagger's own vocabulary (timefhuman 0.1: named days and times, months, weekdays, units,
# number words). A text with no digit and none of these words holds no time it could find, so
# it is not run on it (tests/reading/test_second_reading.py checks the whole reading corpus).
# Measured: half the tagger's time on the seed document, where 8 of 11 bullets name no time;
# nothing measurable on the reading corpus, where most bullets state one.
_VOCABULARY = frozenset(
    """afternoon evening midday midnight morning night noon today tomorrow tonight yesterday tmw
    jan january feb february mar march apr april may jun june jul july aug august sep september
    oct october nov november dec december mon monday tu tue tues tuesday wed wednesday thu thur
    thurs thursday fri friday sat saturday sun sunday day days hour hours hr hrs min mins minute
    minutes mo month months mos sec second seconds secs week weeks wk wks year years yr yrs one
    two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
    seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety ayer
    manana mañana jour jours d h m s w y""".split()  # the last: "a w" is a week to the tagger
)
_SAYS_HOW_OFTEN = re.compile(r"\b(?:every|each|off|times|a\s+day|a\s+week)\b", re.I)
_LEADING_FOR = re.compile(r"^for\s+(?:the\s+)?", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class TaggedTime:
    """One time the tagger found: where, what kind, its value in minutes or as a clock."""

    text: str
    start: int
    end: int
    kind: TimeKind
    low: int | None = None  # minutes: a duration's value, a range's lower end
    high: int | None = None  # minutes: a duration's value, a range's upper end
    direction: Direction | None = None
    clock: str | None = None  # "HH:MM"
    times_per_day: int | None = None
    times_per_week: int | None = None
    every_minutes: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe; `from_dict` reads it back."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TaggedTime:
        """Read back a stored time (unknown keys ignored)."""
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in names})

    def describe(self) -> str:
        """In words, for review: "48 hours before", "6 pm (18:00)", "every 6 to 12 months"."""
        words = _LEADING_FOR.sub("", self.text.strip(" ,.;"))
        if self.kind == "recurrence":
            said = _SAYS_HOW_OFTEN.search(words) or not self.every_minutes
            return words if said else f"every {words}"
        if self.clock:
            return f"{words} ({self.clock})"
        if self.kind == "date":
            return f"{words} (a date)"
        return f"{words} {self.direction}" if self.direction else words


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBERS[word.lower()]


def _minutes(value: dt.timedelta) -> int:
    return round(value.total_seconds() / 60)


def may_have_time(text: str) -> bool:
    """False when the text has no digit and none of the tagger's words (see _VOCABULARY)."""
    return any(c.isdigit() for c in text) or not _VOCABULARY.isdisjoint(
        w.lower() for w in _WORD.findall(text)
    )


def _found(text: str) -> list[tuple[str, tuple[int, int], object]]:
    """The tagger's raw spans; none when the text cannot hold a time, or when the tagger
    fails on it (it takes digits like '²' for numbers, then int() refuses them: '2 - ²')."""
    if not may_have_time(text):
        return []
    try:
        return list(timefhuman(text, config=CONFIG))
    except ValueError:  # the tagger's own failure: it found no time it could read
        return []


def _typed(text: str, matched: str, start: int, end: int, value: object) -> TaggedTime:
    """The tagger's value as a TaggedTime, before the context rules."""
    if isinstance(value, dt.timedelta):
        minutes = _minutes(value)
        return TaggedTime(matched, start, end, "duration", minutes, minutes)
    if isinstance(value, tuple) and value and all(isinstance(v, dt.timedelta) for v in value):
        low, high = _minutes(value[0]), _minutes(value[-1])
        return TaggedTime(matched, start, end, "range", min(low, high), max(low, high))
    if isinstance(value, dt.time):
        vague = matched.strip(" ,.").lower().removeprefix("the ") in PARTS_OF_DAY
        kind: TimeKind = "part of day" if vague else "clock"
        return TaggedTime(matched, start, end, kind, clock=value.strftime("%H:%M"))
    return TaggedTime(matched, start, end, "date")


def _range_low(text: str, found: TaggedTime) -> TaggedTime:
    """ "1 to 2 weeks": the tagger kept "2 weeks"; the lower end is just before it."""
    low, unit = _RANGE_LOW.search(text[: found.start]), _UNIT.search(found.text)
    if found.kind != "duration" or low is None or unit is None:
        return found
    size = _number(low.group(1)) * _UNITS[unit.group(1).lower()]
    if size >= (found.high or 0):
        return found
    return replace(
        found, kind="range", low=size, start=low.start(), text=text[low.start() : found.end]
    )


def _repeat(text: str, found: TaggedTime) -> TaggedTime:
    """ "4 times a day", "8 glasses a day", "every 6 hours", "20 minutes each hour"."""
    before, after = text[: found.start], text[found.end :]
    times = _TIMES.search(before)
    rate = bool(_RATE.fullmatch(found.text.strip(" ,.;")))
    rate = rate and not found.direction and not _PREPOSITION.search(before)
    if found.high in (DAY, WEEK) and (times or rate):
        count: int | None = 1
        if times and times[2]:
            count = None  # "several times a day": a repeat, how often not said
        elif times:
            count = _number(times[1]) if times[1] else (2 if "twice" in times[0].lower() else 1)
        start = times.start() if times else found.start
        daily = found.high == DAY
        return replace(
            found,
            kind="recurrence",
            start=start,
            text=text[start : found.end],
            times_per_day=count if daily else None,
            times_per_week=None if daily else count,
        )
    if _EVERY.search(before) and found.high:
        return replace(found, kind="recurrence", every_minutes=found.high)
    each = _EACH_AFTER.match(after)
    if each and found.high and found.high < 60:
        every = 60 if each[1].lower().startswith("hour") else DAY
        end = found.end + each.end()
        return replace(
            found, kind="recurrence", every_minutes=every, end=end, text=text[found.start : end]
        )
    return found


def _in_context(text: str, found: TaggedTime) -> TaggedTime:
    """Add the lower end of a range, the direction and a recurrence from the words around."""
    if found.kind == "part of day" and _EVERY_BEFORE_PART.search(text[: found.start]):
        return replace(found, kind="recurrence", times_per_day=1)  # "every morning"
    if found.kind not in ("duration", "range"):
        return found
    found = _range_low(text, found)
    way = _WAY.search(text[found.end :])
    if way:
        after = way[1].lower().startswith(("after", "post", "later", "following", "from"))
        found = replace(found, direction="after" if after else "before")
    repeated = _repeat(text, found)
    return replace(repeated, direction=None) if repeated.kind == "recurrence" else found


def _on_off(times: list[TaggedTime], text: str) -> list[TaggedTime]:
    """ "20 minutes on and 20 minutes off": one cycle repeating every 40 minutes."""
    out: list[TaggedTime] = []
    for time in times:
        previous = out[-1] if out else None
        off = _OFF.match(text, time.end)
        pair = previous is not None and previous.kind == time.kind == "duration"
        if previous is not None and pair and off and _ON.match(text, previous.end):
            cycle = (previous.high or 0) + (time.high or 0)
            out[-1] = replace(
                previous,
                kind="recurrence",
                text=text[previous.start : off.end()],
                end=off.end(),
                every_minutes=cycle,
            )
            continue
        out.append(time)
    return out


def tag(text: str) -> tuple[TaggedTime, ...]:
    """Every time the tagger finds in one instruction, with the context rules applied."""
    found = [
        _in_context(text, _typed(text, matched, start, end, value))
        for matched, (start, end), value in _found(text)
    ]
    return tuple(_on_off(found, text))
