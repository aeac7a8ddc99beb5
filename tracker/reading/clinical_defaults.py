"""The clinical defaults: the data file timing falls back on, validated once into types.

A step whose instruction gives no time takes the default for its kind and side; recurrences
take their dose, waking and sleep clocks and their weekdays from here. `defaults()` reads the
packaged file on first use and keeps the result; `read_defaults(path)` reads any file (for
tests and reviews). A bad file raises `LexiconError` (see `data_files`) naming the file, the
entry and the problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tracker.errors import LexiconError
from tracker.reading.data_files import CLOCK, DATA, Reader, load
from tracker.reading.lexicon import KINDS, SIDES
from tracker.reading.steps import Anchor, RelTime, Timing


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

    def waking_hours(self) -> tuple[int, ...]:
        """The hours of the day (BYHOUR) a 'while awake' repeat may fall in: each hour that
        begins before bedtime, from the hour the patient wakes in."""
        first, last = (clock_minutes(c) for c in self.waking)
        return tuple(range(first // 60, last // 60 + (last % 60 > 0)))

    def for_step(self, side: str, kind: str) -> Default:
        """The default for this kind on this side, else the side's fallback."""
        return self.steps.get((side, kind)) or self.steps[(side, "*")]


def clock_minutes(clock: str) -> int:
    """Minutes after midnight of an "HH:MM" clock time."""
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _offset(reader: Reader, key: str) -> Offset | None:
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


def _default(row: Reader) -> Default:
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


def _pair(reader: Reader, key: str) -> tuple[str, str]:
    value = reader.words(key)
    if len(value) != 2 or not all(CLOCK.fullmatch(v) for v in value) or value[0] >= value[1]:
        raise reader.fail(key, "expected two clock times, earlier first")
    return value[0], value[1]


def read_defaults(path: Path) -> Defaults:
    """Read and validate a clinical defaults file."""
    top = load(path)
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
            day.upper() for day in Reader({"d": row}, path.name, "recurrence.weekdays").words("d")
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
def defaults() -> Defaults:
    """The packaged clinical defaults, read once."""
    return read_defaults(DATA / "defaults.toml")


def rel(anchor: Anchor, offset: Offset) -> RelTime:
    """A data-file offset on an anchor."""
    return RelTime(anchor, offset.days, offset.minutes, offset.clock, offset.reminder)


def default_timing(kind: str, anchor: Anchor) -> tuple[Default, RelTime, RelTime, RelTime | None]:
    """The clinical default for a kind: the default itself, opens, due, expires."""
    chosen = defaults().for_step(anchor, kind)
    expires = rel(anchor, chosen.expires) if chosen.expires else None
    return chosen, rel(anchor, chosen.opens), rel(anchor, chosen.due), expires


def said_now(timing: Timing, asks: str, anchor: Anchor, *, then: bool) -> RelTime:
    """When a step opens, given what it asks: the washing default ("from the next day") is a
    reminder convention for washing tasks, so a permission or restriction the text does not
    delay ("you may shower", "no baths until healed") holds from the anchor; "then you may
    shower" still waits for the clause before."""
    if asks != "do" and timing.kind == "hygiene" and timing.rule.startswith("default:"):
        return timing.opens if then else RelTime(anchor)
    return timing.opens
