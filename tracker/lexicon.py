"""The timing vocabulary and clinical defaults: two TOML data files, validated once into types.

`lexicon()` and `defaults()` read the packaged files on first use and keep the result;
`read_lexicon(path)` and `read_defaults(path)` read any file (for tests and reviews). A bad
file raises `LexiconError` naming the file, the entry and the problem.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

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
DATA = Path(__file__).with_name("data")
_CLOCK = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")
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


class LexiconError(ValueError):
    """A data file that does not hold what the timing reader needs."""


@dataclass(frozen=True)
class Unit:
    name: str
    words: tuple[str, ...]
    minutes: int | None  # exact units
    days: int | None  # calendar units
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
    days: tuple[DayPhrase, ...]
    frequencies: tuple[Frequency, ...]
    hedges: tuple[re.Pattern[str], ...]
    holds: tuple[re.Pattern[str], ...]
    negations: tuple[str, ...]
    kinds: tuple[KindRule, ...]
    fallback: Mapping[str, str]  # side -> kind
    confidence: Mapping[str, Factor]


@dataclass(frozen=True)
class Offset:
    """A time relative to an anchor, before the anchor is known (see timing.RelTime)."""

    days: int = 0
    minutes: int = 0
    clock: str | None = None
    reminder: bool = False


@dataclass(frozen=True)
class Default:
    side: str
    kind: str  # or "*"
    opens: Offset
    due: Offset
    expires: Offset | None
    recurrence: str | None  # "daily": repeat from opens until due
    conditional: bool
    confidence: float
    rule: str
    source: str


@dataclass(frozen=True)
class Defaults:
    deadline_lead_minutes: int
    after_grace_minutes: int
    implied_daily_min_days: int
    waking: tuple[str, str]
    doses: tuple[str, str]
    sleep: str
    until_days: int
    weekdays: tuple[tuple[str, ...], ...]  # index n-1: the weekdays for "n times a week"
    duration_minutes: int
    steps: Mapping[tuple[str, str], Default]  # (side, kind) -> default

    def dose_minutes(self, count: int) -> tuple[int, ...]:
        """Minutes after local midnight for "count times a day": first to last dose, evenly."""
        first, last = (clock_minutes(c) for c in self.doses)
        if count <= 1:
            return (first,)
        return tuple(int(first + i * (last - first) / (count - 1) + 0.5) for i in range(count))

    def for_step(self, side: str, kind: str) -> Default:
        """The default for this kind on this side, else the side's fallback."""
        return self.steps.get((side, kind)) or self.steps[(side, "*")]


def clock_minutes(clock: str) -> int:
    """Minutes after midnight of an "HH:MM" clock time."""
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


class _Reader:
    """Typed access to one TOML table, with errors that say where."""

    def __init__(self, data: Any, file: str, where: str) -> None:
        if not isinstance(data, dict):
            raise LexiconError(f"{file}: {where}: expected a table")
        self.data, self.file, self.where = data, file, where

    def fail(self, key: str, problem: str) -> LexiconError:
        return LexiconError(f"{self.file}: {self.where}.{key}: {problem}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self.data:
            if default is ...:
                raise self.fail(key, "missing")
            return default
        value = self.data[key]
        if isinstance(value, bool) and kind in (int, float, (int, float)):
            raise self.fail(key, "expected a number, not true/false")
        if not isinstance(value, kind):
            raise self.fail(key, f"expected {getattr(kind, '__name__', kind)}")
        return value

    def text(self, key: str, default: Any = ...) -> Any:
        value = self.get(key, str, default)
        if isinstance(value, str) and not value.strip():
            raise self.fail(key, "is empty")
        return value

    def words(self, key: str, default: Any = ...) -> tuple[str, ...]:
        value = self.get(key, list, default)
        if not all(isinstance(w, str) and w.strip() for w in value):
            raise self.fail(key, "expected a list of non-empty strings")
        return tuple(w.lower() for w in value)

    def fraction(self, key: str, default: Any = ...) -> float:
        value = float(self.get(key, (int, float), default))
        if not 0.0 <= value <= 1.0:
            raise self.fail(key, "must be between 0 and 1")
        return value

    def clock(self, key: str, default: Any = ...) -> Any:
        value = self.get(key, str, default)
        if value is not None and not _CLOCK.fullmatch(value):
            raise self.fail(key, f"{value!r} is not a clock time HH:MM")
        return value

    def choice(self, key: str, options: tuple[str, ...], default: Any = ...) -> Any:
        value = self.get(key, str, default)
        if value is not None and value not in options:
            raise self.fail(key, f"{value!r} is not one of {', '.join(options)}")
        return value

    def table(self, key: str) -> _Reader:
        return _Reader(self.get(key, dict), self.file, f"{self.where}.{key}")

    def rows(self, key: str) -> list[_Reader]:
        items = self.get(key, list)
        return [_Reader(item, self.file, f"{key}[{i}]") for i, item in enumerate(items)]


def _load(path: Path) -> _Reader:
    try:
        with path.open("rb") as handle:
            return _Reader(tomllib.load(handle), path.name, "")
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise LexiconError(f"{path.name}: cannot read ({exc})") from None


def _patterns(reader: _Reader, key: str) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for pattern in reader.words(key):
        try:
            compiled.append(re.compile(pattern, re.IGNORECASE))
        except re.error as exc:
            raise reader.fail(key, f"bad pattern {pattern!r} ({exc})") from None
    return tuple(compiled)


def _numbers(reader: _Reader) -> dict[str, int]:
    out = {}
    for word in reader.data:
        value = reader.get(word, int)
        if value < 0:
            raise reader.fail(word, "must not be negative")
        out[word.lower()] = value
    return out


def _unit(row: _Reader) -> Unit:
    minutes, days = row.get("minutes", int, None), row.get("days", int, None)
    if (minutes is None) == (days is None) or (minutes or days or 0) <= 0:
        raise row.fail("minutes", "give exactly one positive 'minutes' or 'days'")
    return Unit(row.text("name"), row.words("words"), minutes, days, row.text("reason"))


def _day(row: _Reader) -> DayPhrase:
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
    )


def _kind(row: _Reader) -> KindRule:
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
    top = _load(path)
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


def _offset(reader: _Reader, key: str) -> Offset | None:
    if key not in reader.data:
        return None
    table = reader.table(key)
    unknown = set(table.data) - {"days", "minutes", "clock", "reminder"}
    if unknown:
        raise table.fail(sorted(unknown)[0], "unknown field")
    clock, reminder = table.clock("clock", None), table.get("reminder", bool, False)
    if clock and reminder:
        raise table.fail("reminder", "give a clock or the reminder hour, not both")
    return Offset(table.get("days", int, 0), table.get("minutes", int, 0), clock, reminder)


def _default(row: _Reader) -> Default:
    opens, due = _offset(row, "opens"), _offset(row, "due")
    if opens is None or due is None:
        raise row.fail("opens", "a default needs both 'opens' and 'due'")
    kind = row.text("kind")
    if kind != "*" and kind not in KINDS:
        raise row.fail("kind", f"{kind!r} is not a step kind")
    return Default(
        row.choice("side", SIDES),
        kind,
        opens,
        due,
        _offset(row, "expires"),
        row.choice("recurrence", ("daily",), None),
        row.get("conditional", bool, False),
        row.fraction("confidence"),
        row.text("rule"),
        row.text("source"),
    )


def _pair(reader: _Reader, key: str) -> tuple[str, str]:
    value = reader.words(key)
    if len(value) != 2 or not all(_CLOCK.fullmatch(v) for v in value) or value[0] >= value[1]:
        raise reader.fail(key, "expected two clock times, earlier first")
    return value[0], value[1]


def read_defaults(path: Path) -> Defaults:
    """Read and validate a clinical defaults file."""
    top = _load(path)
    timing, clock, recurrence = top.table("timing"), top.table("clock"), top.table("recurrence")
    for reader, keys in (
        (timing, ("deadline_lead", "after_grace", "implied_daily")),
        (clock, ("waking", "doses", "sleep")),
        (recurrence, ("until", "weekdays")),
    ):
        for key in keys:
            reader.text(f"{key}_reason")  # every value says why
    weekdays = tuple(
        tuple(
            day.upper() for day in _Reader({"d": row}, path.name, "recurrence.weekdays").words("d")
        )
        for row in recurrence.get("weekdays", list)
    )
    if len(weekdays) != 7 or any(len(row) != n for n, row in enumerate(weekdays, start=1)):
        raise recurrence.fail("weekdays", "expected 7 rows: 1 weekday, 2 weekdays, ... 7")
    steps: dict[tuple[str, str], Default] = {}
    for row in top.rows("default"):
        item = _default(row)
        if (item.side, item.kind) in steps:
            raise row.fail("kind", f"a second default for {item.side}/{item.kind}")
        steps[(item.side, item.kind)] = item
    for side in SIDES:
        if (side, "*") not in steps:
            raise LexiconError(f"{path.name}: default: no fallback (kind '*') for side {side}")
    duration = top.table("duration")
    duration.text("source")
    positive = [
        timing.get(k, int)
        for k in ("deadline_lead_minutes", "after_grace_minutes", "implied_daily_min_days")
    ]
    until_days, minutes = recurrence.get("until_days", int), duration.get("default_minutes", int)
    if min(*positive, until_days, minutes) <= 0:
        raise LexiconError(f"{path.name}: timing, recurrence and duration values must be > 0")
    lead, grace, implied = positive
    return Defaults(
        lead,
        grace,
        implied,
        _pair(clock, "waking"),
        _pair(clock, "doses"),
        clock.clock("sleep"),
        until_days,
        weekdays,
        minutes,
        steps,
    )


@cache
def lexicon() -> Lexicon:
    """The packaged lexicon, read once."""
    return read_lexicon(DATA / "lexicon.toml")


@cache
def defaults() -> Defaults:
    """The packaged clinical defaults, read once."""
    return read_defaults(DATA / "defaults.toml")
