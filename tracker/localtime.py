"""Relative step times become instants for one patient, in the patient's IANA time zone.

Calendar days are counted on the local date (a day or week later keeps the local clock time
across DST); minutes are exact. A local time in a DST gap moves forward by the gap; one in
a repeated hour is its first occurrence, unless the caller asks to be told (`strict`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from tracker.errors import AmbiguousLocalTime, NonexistentLocalTime
from tracker.reading.clinical_defaults import clock_minutes, defaults
from tracker.reading.timing import Recurrence, RelTime, Step

MAX_OCCURRENCES = 5000  # a guard against a mistyped rule; real pathways stay far below it
MAX_DAYS = 3660  # how far a series may run (ten years)
_ZONE_NAME = re.compile(r"[A-Za-z0-9_+-]+(?:/[A-Za-z0-9_+-]+)*")
_NOT_ZONES = {"localtime", "posixrules", "factory"}
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class Window:
    """One occurrence of a step for one patient, as aware UTC instants."""

    opens: datetime
    due: datetime
    expires: datetime | None


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


@cache
def zone_names() -> tuple[str, ...]:
    """The zones a person picks from: regions and cities, sorted (no "posix/", "right/",
    "Etc/" or bare aliases like "EST"), then UTC."""
    hidden = ("posix/", "right/", "Etc/", "SystemV/", "US/", "Canada/", "Mexico/", "Brazil/")
    named = (n for n in _known_zones() if "/" in n and not n.startswith(hidden))
    return (*sorted(named), "UTC")


def zone(name: str) -> ZoneInfo:
    """The IANA zone of that name; anything else (paths, "localtime", "") is refused."""
    if (
        not isinstance(name, str)
        or len(name) > 64
        or not _ZONE_NAME.fullmatch(name)
        or name.lower() in _NOT_ZONES
        or name not in _known_zones()
    ):
        raise ValueError(f"unknown time zone {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone {name!r}") from None


def local_to_utc(local: datetime, tz: ZoneInfo, *, strict: bool = False) -> datetime:
    """A naive local time in `tz` as an aware UTC instant (DST gap and fold handled)."""
    if local.tzinfo is not None:
        raise ValueError("expected a naive local time")
    first = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
    second = local.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if first == second:
        return first
    # In a gap, fold=0 reads the time with the offset before the change: that is the time
    # moved forward by the gap (02:30 -> 03:30). In a fold, fold=0 is the earlier instant.
    in_gap = first.astimezone(tz).replace(tzinfo=None) != local
    if strict:
        shown = f"{local:%Y-%m-%d %H:%M} in {tz.key}"
        if in_gap:
            raise NonexistentLocalTime(f"{shown} does not exist (the clocks move forward)")
        raise AmbiguousLocalTime(f"{shown} happens twice (the clocks move back)")
    return first


def _aware(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime")
    return value.astimezone(UTC)


def _clock(text: str) -> time:
    minutes = clock_minutes(text)
    return time(minutes // 60, minutes % 60)


def resolve(
    point: RelTime, *, start: datetime, end: datetime, tz: ZoneInfo, reminder_hour: int = 9
) -> datetime:
    """The instant a relative time means for a procedure from `start` to `end` (aware UTC)."""
    if not 0 <= reminder_hour <= 23:
        raise ValueError(f"reminder hour must be 0 to 23, got {reminder_hour}")
    anchor = _aware(start if point.anchor == "start" else end, point.anchor)
    if point.days == 0 and point.clock is None and not point.reminder_hour:
        base = anchor  # no calendar step: keep the exact instant (even in a repeated hour)
    else:
        local = anchor.astimezone(tz)
        try:
            day = local.date() + timedelta(days=point.days)
        except OverflowError:
            raise ValueError(f"{point.days} days is out of range") from None
        if point.clock is not None:
            clock = _clock(point.clock)
        elif point.reminder_hour:
            clock = time(reminder_hour)
        else:
            clock = local.time().replace(fold=0)
        base = local_to_utc(datetime.combine(day, clock), tz)
    return base + timedelta(minutes=point.minutes)


def _rule_parts(rule: str) -> tuple[str, int]:
    """FREQ and INTERVAL of an RRULE body (other rule texts: daily, every 1)."""
    parts = dict(p.split("=", 1) for p in rule.upper().split(";") if "=" in p)
    interval = parts.get("INTERVAL", "1")
    return parts.get("FREQ", "DAILY"), int(
        interval
    ) if interval.isdigit() and interval != "0" else 1


def _exact_slots(
    rec: Recurrence, every: int, opens: datetime, until: datetime, tz: ZoneInfo, stop: datetime
) -> list[datetime]:
    wake, sleep = (clock_minutes(c) for c in defaults().waking)
    slots: list[datetime] = []
    slot, step = opens, timedelta(minutes=every)
    while slot < until and len(slots) < MAX_OCCURRENCES and not _past(slots, stop):
        local = slot.astimezone(tz)
        if not rec.while_awake or wake <= local.hour * 60 + local.minute < sleep:
            slots.append(slot)
        slot += step
    return slots


def _slots(
    rec: Recurrence, opens: datetime, until: datetime, tz: ZoneInfo, stop: datetime | None = None
) -> list[datetime]:
    """The instants a recurrence starts an occurrence, from `opens` up to `until`.

    With `stop` (a horizon), the list ends with the first slot after it: later ones would be
    thrown away, and that one still tells when the last kept occurrence is due.
    """
    stop = stop or until
    cfg = defaults()
    freq, interval = _rule_parts(rec.rule)
    every = rec.every_minutes or {"HOURLY": 60 * interval, "MINUTELY": interval}.get(freq)
    if every:
        return _exact_slots(rec, every, opens, until, tz, stop)
    first = opens.astimezone(tz)
    clocks = [first.time().replace(fold=0)]
    if rec.during_sleep:
        clocks = [_clock(cfg.sleep)]
    elif rec.times_per_day and rec.times_per_day > 1:
        clocks = [time(m // 60, m % 60) for m in cfg.dose_minutes(rec.times_per_day)]
    weekdays: tuple[str, ...] = ()
    if rec.times_per_week and rec.times_per_week > 1:
        weekdays = cfg.weekdays[min(rec.times_per_week, 7) - 1]
    period = 7 * interval if freq == "WEEKLY" and not weekdays else interval
    slots: list[datetime] = []
    day, last = first.date(), min(until.astimezone(tz).date(), first.date() + timedelta(MAX_DAYS))
    while day <= last and len(slots) < MAX_OCCURRENCES and not _past(slots, stop):
        if (_WEEKDAYS[day.weekday()] in weekdays) if weekdays else _on(day, first.date(), period):
            slots += [
                s
                for c in clocks
                if opens <= (s := local_to_utc(datetime.combine(day, c), tz)) < until
            ]
        day += timedelta(days=1)
    return slots


def _past(slots: list[datetime], stop: datetime) -> bool:
    return bool(slots) and slots[-1] > stop


def _on(day: date, first: date, period: int) -> bool:
    return (day - first).days % period == 0


def occurrences(
    step: Step,
    *,
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    reminder_hour: int = 9,
    horizon: datetime | None = None,
) -> list[Window]:
    """The step's windows for one procedure, as aware UTC instants.

    One window for a step that does not repeat. A repeating step has one per occurrence,
    each due when the next one opens (the last at the recurrence's end), up to `horizon`.
    Preparation times never fall after the procedure start: they are moved to it.
    """
    start, end = _aware(start, "start"), _aware(end, "end")

    def at(point: RelTime) -> datetime:
        instant = resolve(point, start=start, end=end, tz=tz, reminder_hour=reminder_hour)
        return min(instant, start) if point.anchor == "start" else instant

    opens = at(step.opens)
    rec = step.recurrence
    if rec is None:
        due = max(at(step.due), opens)
        expires = max(at(step.expires), due) if step.expires is not None else None
        return [Window(opens, due, expires)]
    until = at(rec.until)
    slots = _slots(rec, opens, until, tz, _aware(horizon, "horizon") if horizon else None)
    if not slots:
        due = max(until, opens)
        return [Window(opens, due, due)]
    windows = []
    for i, slot in enumerate(slots):
        if horizon is not None and slot > _aware(horizon, "horizon"):
            break
        following = slots[i + 1] if i + 1 < len(slots) else until
        windows.append(Window(slot, following, following))
    return windows
