"""A second reading of each step's time: a generic tagger's, set beside the grammar's.

`tagger.tag` reads an instruction independently of our grammar. `compare` checks every time
it found against the step's window (its points, lengths, clocks and recurrence), within a
tolerance: the two agree, the tagger found a time the grammar ignored (outside the grammar's
evidence), or the two disagree beyond tolerance (inside it). The tagger's known gaps (hyphen
ranges such as "5-7 days", "a few hours", "a couple of days", "daily", "the next day") leave it
silent, which is never a disagreement. `check` marks flagged steps for review at import.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from tracker.reading.incidental_times import incidental
from tracker.reading.steps import REVIEW_THRESHOLD, Derived, RelTime, Settings, Step
from tracker.reading.tagger import DAY, TaggedTime, tag

__all__ = ["FLAGGED", "SecondReading", "Verdict", "check", "compare"]

Verdict = Literal["agree", "tagger only", "disagree", "silent", "no time"]
FLAGGED: tuple[Verdict, ...] = ("tagger only", "disagree")
VERDICT_WORDS: dict[Verdict, str] = {
    "agree": "the tagger agrees",
    "tagger only": "the tagger found a time the grammar ignored",
    "disagree": "the two disagree beyond tolerance",
    "silent": "the tagger found no time (one of its known gaps)",
    "no time": "neither found a time",
}
FLAGGED_CONFIDENCE = round(REVIEW_THRESHOLD - 0.05, 2)  # below the threshold: needs review
RELATIVE_TOLERANCE = 0.05  # months as 30 days against 31, "12 months" as 360 days
MINUTE_TOLERANCE = 1
MAX_ARRIVAL_MINUTES = 6 * 60  # "2 hours before you arrive": the grammar adds the check-in time
Event = Literal["arrival", "home"] | None
_EVENTS: tuple[tuple[Event, re.Pattern[str]], ...] = (
    ("arrival", re.compile(r"\b(?:arriv\w*|check[- ]?in|checking in)\b", re.IGNORECASE)),
    ("home", re.compile(r"\b(?:go(?:ing)? home|get home|discharged?|leave the hospital)\b", re.I)),
)
# The grammar's rule naming a moment other than the procedure's start or end that it counted
# from (window_rules, references, events): "8 hours after the first", "2 hours after you
# swallow the capsule", "7 days after the wrap comes off". The tagger counts every amount
# from the procedure, so where both read the same words only the grammar can place them.
_COUNTED_ELSEWHERE = re.compile(
    r"\(the clause before\)|\(from the start\)|\(before arrival\)|after the clause before"
    r"|\bis (?:out|finished)\b"
)
# A part of the day read as a clock ("morning" as 06:00): any clock in its hours agrees.
_PART_HOURS = {
    "morning": (4, 12),
    "afternoon": (12, 18),
    "evening": (16, 23),
    "night": (17, 30),
    "tonight": (17, 30),
    "bedtime": (19, 26),
}
# "the morning of the biopsy" is the procedure's own day.
_OF_THE_DAY = re.compile(r"\s+of\b", re.IGNORECASE)
_RRULE_MINUTES = {"MINUTELY": 1, "HOURLY": 60, "DAILY": DAY, "WEEKLY": 7 * DAY}


@dataclass(frozen=True)
class SecondReading:
    """The tagger's times for one step and how they compare with the grammar's reading."""

    verdict: Verdict
    times: tuple[TaggedTime, ...]
    reason: str  # one line: which time, and what the grammar said instead
    grammar: str  # the grammar's reading, for review: its rule and evidence

    @property
    def flagged(self) -> bool:
        """The step should be reviewed: a time ignored or read differently."""
        return self.verdict in FLAGGED

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe, as stored on the step; `from_dict` reads it back."""
        return {
            "verdict": self.verdict,
            "times": [t.to_dict() for t in self.times],
            "reason": self.reason,
            "grammar": self.grammar,
            "tagger": self.tagger,  # in words, for review
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SecondReading:
        """Read back a stored reading; ValueError on anything else."""
        verdict = data.get("verdict")
        if verdict not in VERDICT_WORDS or not isinstance(data.get("times"), list):
            raise ValueError(f"second reading: unexpected {dict(data)!r:.80}")
        times = tuple(TaggedTime.from_dict(t) for t in data["times"])
        return cls(verdict, times, str(data.get("reason", "")), str(data.get("grammar", "")))

    @property
    def tagger(self) -> str:
        """The tagger's times in words, for review."""
        return "; ".join(t.describe() for t in self.times) or "nothing"


@dataclass(frozen=True)
class _Grammar:
    """What the grammar's window states, as numbers to compare with."""

    points: tuple[tuple[int, bool], ...]  # signed minutes from the anchor; day-granular?
    lengths: tuple[int, ...]  # minutes between two points on one anchor
    clocks: frozenset[str]
    per_day: int | None
    per_week: int | None
    every: int | None  # minutes between repeats
    evidence: tuple[int, int] | None  # where the grammar's evidence is in the step's text
    start_day: bool  # a point falls on the procedure's own day
    stay_days: int  # the pathway's usual stay, for "after you go home"


def _minutes(point: RelTime) -> int:
    return point.days * DAY + point.minutes


def _day_granular(point: RelTime) -> bool:
    return point.minutes == 0 and (point.clock in (None, "00:00"))


def _clock_minutes(clock: str | None) -> int:
    return 0 if clock is None else int(clock[:2]) * 60 + int(clock[3:])


def _length(a: RelTime, b: RelTime) -> int | None:
    if a.anchor != b.anchor or (a.clock is None) != (b.clock is None):
        return None
    return abs(_minutes(b) - _minutes(a) + _clock_minutes(b.clock) - _clock_minutes(a.clock))


def _grammar(step: Step, settings: Settings) -> _Grammar:
    rec = step.recurrence
    points = [p for p in (step.opens, step.due, step.expires, rec.until if rec else None) if p]
    lengths = {_length(step.opens, p) for p in points[1:]}
    every = rec.every_minutes if rec else None
    per_day = rec.times_per_day if rec else None
    if rec is not None and every is None:
        every = _RRULE_MINUTES.get(rec.parts.freq, 0) * rec.parts.interval
    if every and per_day is None and every <= DAY:
        per_day = round(DAY / every)
    clocks = {p.clock for p in points if p.clock}
    if rec is not None:  # "at 8 am, noon, 4 pm and 8 pm"; waking hours count on the hour
        times = rec.parts.clock_times or tuple(h * 60 for h in rec.parts.hours)
        clocks |= {f"{m // 60:02d}:{m % 60:02d}" for m in times}
    found = step.text.lower().find(step.evidence.lower()) if step.evidence else -1
    return _Grammar(
        tuple((_minutes(p), _day_granular(p)) for p in points if _minutes(p) != 0),
        tuple(sorted(n for n in lengths if n)),
        frozenset(clocks),
        per_day,
        rec.times_per_week if rec else None,
        every or None,
        (found, found + len(step.evidence)) if found >= 0 else None,
        any(p.anchor == "start" and p.days == 0 for p in points),
        settings.stay_days,
    )


def _close(a: int, b: int, *, days: bool = False) -> bool:
    slack = max(MINUTE_TOLERANCE, RELATIVE_TOLERANCE * max(abs(a), abs(b)))
    return abs(a - b) <= (max(slack, DAY) if days else slack)


def _shifted(value: int, minutes: int, event: Event, stay_days: int) -> bool:
    """ "2 hours before you arrive", "48 hours after you go home": the grammar counts from the
    procedure, so its point lies further by the check-in time or the pathway's usual stay."""
    if event == "arrival":
        return minutes < 0 and value <= -minutes <= value + MAX_ARRIVAL_MINUTES
    return event == "home" and minutes - value == stay_days * DAY


def _amount_agrees(value: int, time: TaggedTime, grammar: _Grammar, event: Event) -> bool:
    """A duration agrees with a point on its side of the anchor, a length or the repeat."""
    sign = {"before": -1, "after": 1}.get(time.direction or "", 0)
    for minutes, days in grammar.points:
        if sign and (minutes > 0) != (sign > 0):
            continue
        if _close(abs(minutes), value, days=days):
            return True
        if sign and _shifted(value, minutes, event, grammar.stay_days):
            return True
    if not sign and any(_close(n, value) for n in grammar.lengths):
        return True
    return grammar.every is not None and _close(grammar.every, value)


def _agrees(time: TaggedTime, grammar: _Grammar, event: Event) -> bool:
    if time.kind == "recurrence":
        if time.times_per_day or time.times_per_week:
            ours = grammar.per_day if time.times_per_day else grammar.per_week
            theirs = time.times_per_day or time.times_per_week or 0
            # "2 to 3 times a day": the tagger keeps the higher count
            return ours is not None and ours <= theirs <= ours + 1
        if time.every_minutes:
            return grammar.every is not None and _close(grammar.every, time.every_minutes)
        # "several times a day": any repeat agrees
        return bool(grammar.every or grammar.per_day or grammar.per_week)
    if time.kind == "clock":
        return time.clock in grammar.clocks
    if time.kind == "part of day":
        low, high = _PART_HOURS.get(time.text.strip(" ,.").lower().removeprefix("the "), (0, 24))
        hours = {int(c[:2]) + (24 if int(c[:2]) < low else 0) for c in grammar.clocks}
        return any(low <= h < high for h in hours)
    values = {v for v in (time.low, time.high) if v}
    return any(_amount_agrees(v, time, grammar, event) for v in values)


def _event(text: str) -> Event:
    """What the text counts from, when it is not the procedure itself."""
    return next((event for event, pattern in _EVENTS if pattern.search(text)), None)


def _inside(time: TaggedTime, evidence: tuple[int, int] | None) -> bool:
    return evidence is not None and time.start < evidence[1] and evidence[0] < time.end


def _grammar_words(step: Step) -> str:
    said = f"{step.rule} from {step.evidence!r}" if step.evidence else step.rule
    return said[:200]


def compare(step: Step, *, settings: Settings | None = None) -> SecondReading:
    """The tagger's reading of one step beside the grammar's, with a verdict.

    `settings` are the pathway's own times the grammar was given (see timing.derive).
    """
    times = tag(step.text)
    grammar, event = _grammar(step, settings or Settings()), _event(step.text)
    elsewhere = bool(_COUNTED_ELSEWHERE.search(step.rule))
    ignored: list[TaggedTime] = []
    differ: list[TaggedTime] = []
    agreed = False
    for time in times:
        if incidental(step, time):
            continue
        if _agrees(time, grammar, event):
            agreed = True
        elif time.kind == "part of day" and _inside(time, grammar.evidence):
            agreed = True  # the grammar read that day phrase; a part of the day has no clock
        elif time.kind == "part of day" and _OF_THE_DAY.match(step.text, time.end):
            agreed = grammar.start_day  # "the morning of the scan": the window reaches that day
        elif elsewhere and time.direction and _inside(time, grammar.evidence):
            agreed = True  # the same words, counted by the grammar from another moment
        else:
            (differ if _inside(time, grammar.evidence) else ignored).append(time)
    words = _grammar_words(step)
    if differ:
        found = differ[0]
        reason = f"the tagger reads {found.describe()!r} where the grammar has {words}"
        return SecondReading("disagree", times, reason[:300], words)
    if ignored:
        found = ignored[0]
        reason = f"the tagger found {found.describe()!r}; the grammar used {words}"
        return SecondReading("tagger only", times, reason[:300], words)
    if agreed:
        return SecondReading("agree", times, VERDICT_WORDS["agree"], words)
    verdict: Verdict = "silent" if step.evidence else "no time"
    return SecondReading(verdict, times, VERDICT_WORDS[verdict], words)


def flag(step: Step, reading: SecondReading) -> Step:
    """A step whose second reading is flagged, marked for review with the reason in its rule."""
    if not reading.flagged:
        return step
    note = f"; second reading: {VERDICT_WORDS[reading.verdict]}"
    rule = step.rule[: 200 - len(note)] + note
    return replace(step, rule=rule, confidence=min(step.confidence, FLAGGED_CONFIDENCE))


def check(
    derived: Derived, *, settings: Settings | None = None
) -> tuple[Derived, tuple[SecondReading, ...]]:
    """Every step read a second time; flagged steps are marked for review."""
    readings = tuple(compare(step, settings=settings) for step in derived.steps)
    steps = tuple(flag(step, r) for step, r in zip(derived.steps, readings, strict=True))
    return replace(derived, steps=steps), readings


def counts(readings: Iterable[SecondReading]) -> dict[Verdict, int]:
    """How many readings got each verdict (every verdict present, zero or more)."""
    found: dict[Verdict, int] = dict.fromkeys(VERDICT_WORDS, 0)
    for reading in readings:
        found[reading.verdict] += 1
    return found
