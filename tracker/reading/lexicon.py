"""The timing vocabulary: the lexicon data file, validated once into types.

`lexicon()` reads the packaged file on first use and keeps the result; `read_lexicon(path)`
reads any file (for tests and reviews). A bad file raises `LexiconError` (see `data_files`)
naming the file, the entry and the problem.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tracker.errors import LexiconError
from tracker.reading.data_files import DATA, Reader, load

KINDS: tuple[str, ...] = (
    "fasting",
    "diet",
    "medication",
    "hygiene",
    "tests",
    "logistics",
    "activity",
    "wound care",
    "exercise",
    "restriction",
    "appointment",
    "milestone",
    "symptom watch",
)
SIDES = ("start", "end")
_SPANS = ("day", "to-anchor", "from-anchor")
_FREQUENCIES = ("daily", "hourly", "weekly", "sleep", "awake")
_CRITICAL = ("always", "hold", "never")
_FACTORS = (
    "explicit",
    "range",
    "day",
    "clock",
    "bare",
    "reference",
    "modifier",
    "several",
    "implied_daily",
    "default_until",
    "clamped",
)
_RELATIONS = ("within", "for", "until", "at least", "point")


@dataclass(frozen=True)
class Unit:
    name: str
    words: tuple[str, ...]
    minutes: int | None  # exact units
    days: float | None  # calendar units (a month is its average length in days)
    reason: str


@dataclass(frozen=True)
class Vague:
    phrase: str
    value: int
    confidence: float
    reason: str


@dataclass(frozen=True)
class DayPhrase:
    phrases: tuple[str, ...]
    side: str
    days: int
    clock: str | None
    reminder: bool
    span: str  # "day" | "to-anchor" | "from-anchor"
    reason: str
    due: str | None = None  # a "day" span due at this clock instead of the day's end
    whole_day: bool = False  # a restriction on this day covers all of it, from 00:00
    discharge: bool = False  # counted from going home: moved later by the usual stay
    within_minutes: int | None = None  # a task due this soon after the moment, not by day's end


@dataclass(frozen=True)
class Frequency:
    phrases: tuple[str, ...]
    rule: str  # "daily" | "hourly" | "weekly" | "sleep" | "awake"
    not_before: tuple[str, ...]  # "daily activities" is not a frequency
    confidence: float
    reason: str


@dataclass(frozen=True)
class KindRule:
    name: str
    keywords: tuple[str, ...]
    state: bool  # kept from its opening until the procedure
    ongoing: bool  # "for N days" means each day
    critical: str  # "always" | "hold" | "never"
    recovery: str | None  # the kind to use after the procedure instead


@dataclass(frozen=True)
class Factor:
    value: float
    reason: str


@dataclass(frozen=True)
class Lexicon:
    numbers: Mapping[str, int]
    counts: Mapping[str, int]
    units: tuple[Unit, ...]
    vague: tuple[Vague, ...]
    modifiers: tuple[str, ...]
    relations: Mapping[str, tuple[str, ...]]  # relation name -> the words that introduce it
    ordinals: tuple[str, ...]
    before: tuple[str, ...]
    after: tuple[str, ...]
    connectives: tuple[str, ...]  # direction words that need the procedure as their object
    events: tuple[str, ...]
    arrival: tuple[str, ...]  # events that mean check-in, not the start
    discharge: tuple[str, ...]  # events that mean going home, not the end
    started: tuple[str, ...]  # events that are the procedure's start, named in recovery
    days: tuple[DayPhrase, ...]
    frequencies: tuple[Frequency, ...]
    hedges: tuple[re.Pattern[str], ...]
    holds: tuple[re.Pattern[str], ...]
    negations: tuple[str, ...]
    kinds: tuple[KindRule, ...]
    fallback: Mapping[str, str]  # side -> kind
    confidence: Mapping[str, Factor]


def _patterns(reader: Reader, key: str) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for pattern in reader.words(key):
        try:
            compiled.append(re.compile(pattern, re.IGNORECASE))
        except re.error as exc:
            raise reader.fail(key, f"bad pattern {pattern!r} ({exc})") from None
    return tuple(compiled)


def _numbers(reader: Reader) -> dict[str, int]:
    out = {}
    for word in reader.data:
        value = reader.get(word, int)
        if value < 0:
            raise reader.fail(word, "must not be negative")
        out[word.lower()] = value
    return out


def _unit(row: Reader) -> Unit:
    minutes, days = row.get("minutes", int, None), row.get("days", (int, float), None)
    if (minutes is None) == (days is None) or (minutes or days or 0) <= 0:
        raise row.fail("minutes", "give exactly one positive 'minutes' or 'days'")
    return Unit(row.text("name"), row.words("words"), minutes, days, row.text("reason"))


def _day(row: Reader) -> DayPhrase:
    clock, reminder = row.clock("clock", None), row.get("reminder", bool, False)
    if clock and reminder:
        raise row.fail("reminder", "give a clock or the reminder hour, not both")
    return DayPhrase(
        row.words("phrases"),
        row.choice("side", SIDES),
        row.get("days", int),
        clock,
        reminder,
        row.choice("span", _SPANS),
        row.text("reason"),
        row.clock("due", None),
        row.get("whole_day", bool, False),
        row.get("discharge", bool, False),
        row.get("within_minutes", int, None),
    )


def _kind(row: Reader) -> KindRule:
    name = row.choice("name", KINDS)
    recovery = row.choice("recovery", KINDS, None)
    return KindRule(
        name,
        row.words("keywords"),
        row.get("state", bool, False),
        row.get("ongoing", bool, False),
        row.choice("critical", _CRITICAL, "never"),
        recovery,
    )


def read_lexicon(path: Path) -> Lexicon:
    """Read and validate a lexicon file."""
    top = load(path)
    relations = top.table("relations")
    unknown = set(relations.data) - set(_RELATIONS)
    if unknown:
        raise relations.fail(sorted(unknown)[0], "unknown relation")
    directions, factors = top.table("directions"), top.table("confidence")
    kinds = tuple(_kind(row) for row in top.rows("kind"))
    if sorted(k.name for k in kinds) != sorted(KINDS):
        raise LexiconError(f"{path.name}: kind: must list each of {', '.join(KINDS)} once")
    fallback = top.table("fallback")
    return Lexicon(
        numbers=_numbers(top.table("numbers")),
        counts=_numbers(top.table("counts")),
        units=tuple(_unit(row) for row in top.rows("unit")),
        vague=tuple(
            Vague(
                r.text("phrase").lower(),
                r.get("value", int),
                r.fraction("confidence"),
                r.text("reason"),
            )
            for r in top.rows("vague")
        ),
        modifiers=top.table("modifiers").words("words"),
        relations={name: relations.words(name) for name in _RELATIONS},
        ordinals=top.table("ordinals").words("words"),
        before=directions.words("before"),
        after=directions.words("after"),
        connectives=directions.words("connectives"),
        events=directions.words("events"),
        arrival=directions.words("arrival", []),
        discharge=directions.words("discharge", []),
        started=directions.words("started", []),
        days=tuple(_day(row) for row in top.rows("day")),
        frequencies=tuple(
            Frequency(
                r.words("phrases"),
                r.choice("rule", _FREQUENCIES),
                r.words("not_before", []),
                r.fraction("confidence", 1.0),
                r.text("reason"),
            )
            for r in top.rows("frequency")
        ),
        hedges=_patterns(top.table("hedges"), "patterns"),
        holds=_patterns(top.table("holds"), "patterns"),
        negations=top.table("holds").words("negations"),
        kinds=kinds,
        fallback={side: fallback.choice(side, KINDS) for side in SIDES},
        confidence={
            name: Factor(factors.table(name).fraction("value"), factors.table(name).text("reason"))
            for name in _FACTORS
        },
    )


@cache
def lexicon() -> Lexicon:
    """The packaged lexicon, read once."""
    return read_lexicon(DATA / "lexicon.toml")
