"""A step's repeats as one RFC 5545 RRULE body: read, checked, and written back the same way.

The rule carries everything that decides when a step repeats (dose clock times, weekdays,
waking hours, a number of times); `tracker.localtime` expands it with dateutil. Only the parts
this tracker writes are accepted, each within limits: dateutil iterates up to the year 9999
on a rule that can never match (BYSETPOS=5 on a day of two times), so such a rule is refused
here, where a reviewer or an import can be told, and never reaches the expansion.
"""

# python-dateutil ships no type information.
# mypy: disable-error-code="import-untyped"

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dateutil.rrule import rrulestr

SUB_DAILY = {"MINUTELY": 1, "HOURLY": 60}  # minutes per unit of INTERVAL
FREQS = ("MINUTELY", "HOURLY", "DAILY", "WEEKLY")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
PARTS = ("FREQ", "INTERVAL", "COUNT", "BYDAY", "BYHOUR", "BYMINUTE", "BYSETPOS")
MIN_MINUTES = 5  # "every minute" is not a patient instruction; the editor says the same
MAX_INTERVAL = 100_000
MAX_COUNT = 5000
_CHECK_FROM = datetime(2027, 1, 4)  # any Monday: dateutil's own checks need a start


@dataclass(frozen=True)
class RuleParts:
    """The parts of one rule, checked; `text` writes them in one canonical order."""

    freq: str
    interval: int = 1
    count: int | None = None
    weekdays: tuple[str, ...] = ()
    hours: tuple[int, ...] = ()
    minutes: tuple[int, ...] = ()
    positions: tuple[int, ...] = ()

    @property
    def sub_daily(self) -> bool:
        """Counted in elapsed minutes (every N hours), not on calendar days."""
        return self.freq in SUB_DAILY

    @property
    def every_minutes(self) -> int | None:
        """Minutes between repeats of an hourly or minutely rule."""
        return SUB_DAILY[self.freq] * self.interval if self.sub_daily else None

    @property
    def clock_times(self) -> tuple[int, ...]:
        """The day's times (minutes after midnight) a daily or weekly rule fixes, in order."""
        if not self.hours or self.sub_daily:
            return ()
        every = sorted(h * 60 + m for h in self.hours for m in self.minutes or (0,))
        if not self.positions:
            return tuple(every)
        return tuple(sorted({every[p - 1 if p > 0 else p] for p in self.positions}))

    def text(self, *, count: bool = True) -> str:
        """The RRULE body (without COUNT when `count` is false)."""
        values: list[tuple[str, object]] = [
            ("FREQ", self.freq),
            ("INTERVAL", self.interval if self.interval > 1 else None),
            ("BYHOUR", _join(self.hours)),
            ("BYMINUTE", _join(self.minutes)),
            ("BYSETPOS", _join(self.positions)),
            ("BYDAY", ",".join(self.weekdays) or None),
            ("COUNT", self.count if count else None),
        ]
        return ";".join(f"{name}={value}" for name, value in values if value is not None)


def _join(numbers: tuple[int, ...]) -> str | None:
    return ",".join(map(str, numbers)) or None


def daily_at(minutes: tuple[int, ...] | list[int]) -> RuleParts:
    """A daily rule at these times (minutes after midnight), exactly these and no others.

    Times that share their minute are BYHOUR plus one BYMINUTE; others (8 doses a day:
    08:00, 09:43, ...) pick their places in the hours x minutes grid with BYSETPOS.
    """
    times = sorted(set(minutes))
    hours = tuple(sorted({m // 60 for m in times}))
    mins = tuple(sorted({m % 60 for m in times}))
    grid = [h * 60 + m for h in hours for m in mins]
    positions = () if len(grid) == len(times) else tuple(grid.index(t) + 1 for t in times)
    return RuleParts("DAILY", hours=hours, minutes=mins, positions=positions)


def every_minutes(minutes: int, *, hours: tuple[int, ...] = ()) -> RuleParts:
    """Every N minutes (HOURLY when whole hours), limited to `hours` of the day if given."""
    freq = "HOURLY" if minutes % 60 == 0 else "MINUTELY"
    return RuleParts(freq, minutes // SUB_DAILY[freq], hours=hours)


def parse(rule: str) -> RuleParts:
    """The parts of an RRULE body ("RRULE:" may lead); ValueError says what is wrong."""
    if not isinstance(rule, str):
        raise ValueError(f"expected a rule like FREQ=DAILY, got {type(rule).__name__}")
    body = rule.strip().upper().removeprefix("RRULE:")
    if not body:
        raise ValueError("give a rule like FREQ=DAILY")
    if len(body) > 500:
        raise ValueError("the rule is too long")
    values: dict[str, str] = {}
    for part in filter(None, body.split(";")):
        name, sign, value = part.partition("=")
        name, value = name.strip(), value.strip()
        if not sign or not name or not value:
            raise ValueError(f"{part!r} is not NAME=VALUE")
        if name == "UNTIL":
            raise ValueError("UNTIL is not used: the step's 'repeats until' ends the repeats")
        if name not in PARTS:
            raise ValueError(f"{name} is not supported (use {', '.join(PARTS)})")
        if name in values:
            raise ValueError(f"{name} is given twice")
        values[name] = value
    parts = _parts(values)
    _check(parts)
    try:  # dateutil's own reading must agree (and its errors stay ValueError here)
        rrulestr(parts.text(), dtstart=_CHECK_FROM)
    except (ValueError, TypeError, OverflowError) as error:
        raise ValueError(f"not a valid rule: {error}") from None
    return parts


def _numbers(values: dict[str, str], name: str, low: int, high: int) -> tuple[int, ...]:
    if name not in values:
        return ()
    found = []
    for item in values[name].split(","):
        item = item.strip()
        if not item.lstrip("+-").isdigit() or len(item) > 7:
            raise ValueError(f"{name}: {item!r} is not a whole number")
        number = int(item)
        if not low <= number <= high or number == 0 and low < 0:
            raise ValueError(f"{name}: {number} is not between {low} and {high}")
        found.append(number)
    if len(set(found)) != len(found):
        raise ValueError(f"{name}: a value is given twice")
    return tuple(sorted(found))


def _parts(values: dict[str, str]) -> RuleParts:
    freq = values.get("FREQ")
    if freq is None:
        raise ValueError("FREQ is missing (MINUTELY, HOURLY, DAILY or WEEKLY)")
    if freq not in FREQS:
        raise ValueError(f"FREQ={freq} is not supported (use {', '.join(FREQS)})")
    weekdays = tuple(d.strip() for d in values.get("BYDAY", "").split(",") if d.strip())
    if "BYDAY" in values and (not weekdays or any(d not in WEEKDAYS for d in weekdays)):
        raise ValueError(f"BYDAY: use weekday codes {','.join(WEEKDAYS)}")
    if len(set(weekdays)) != len(weekdays):
        raise ValueError("BYDAY: a weekday is given twice")
    (interval,) = _numbers(values, "INTERVAL", 1, MAX_INTERVAL) or (1,)
    count = _numbers(values, "COUNT", 1, MAX_COUNT)
    return RuleParts(
        freq,
        interval,
        count[0] if count else None,
        tuple(sorted(weekdays, key=WEEKDAYS.index)),
        _numbers(values, "BYHOUR", 0, 23),
        _numbers(values, "BYMINUTE", 0, 59),
        _numbers(values, "BYSETPOS", -1440, 1440),
    )


def _check(parts: RuleParts) -> None:
    """Refuse combinations that may never match, or that the expansion does not read."""
    if parts.sub_daily:
        if (parts.every_minutes or 0) < MIN_MINUTES:
            raise ValueError(f"repeats must be at least {MIN_MINUTES} minutes apart")
        if parts.minutes or parts.positions:
            raise ValueError(
                f"FREQ={parts.freq} takes BYHOUR and BYDAY only: its minutes follow the opening"
            )
    if parts.positions:
        size = len(parts.hours) * len(parts.minutes or (0,))
        if parts.freq != "DAILY" or not parts.hours:
            raise ValueError("BYSETPOS is used only with FREQ=DAILY and BYHOUR")
        if any(abs(p) > size for p in parts.positions):
            raise ValueError(f"BYSETPOS: the day has only {size} times (BYHOUR x BYMINUTE)")
    if parts.freq == "DAILY" and parts.weekdays and parts.interval % 7 == 0:
        raise ValueError("BYDAY with a multiple of 7 days can miss every day: use FREQ=WEEKLY")
    if parts.minutes and not parts.hours:
        raise ValueError("BYMINUTE needs BYHOUR (the hours of the day it repeats at)")
