"""Relative step times become instants for one patient, in the patient's IANA time zone.

Calendar days are counted on the local date (a day or week later keeps the local clock time
across DST); minutes are exact. A local time in a DST gap moves forward by the gap; one in
a repeated hour is its first occurrence, unless the caller asks to be told (`strict`).
"""

# python-dateutil ships no type information.
# mypy: disable-error-code="import-untyped"

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from dateutil.rrule import rrulestr

from tracker.errors import AmbiguousLocalTime, NonexistentLocalTime
from tracker.reading.clinical_defaults import clock_minutes
from tracker.reading.rrules import RuleParts
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


def _series(parts: RuleParts, opens: datetime, tz: ZoneInfo) -> Iterator[datetime]:
    """The rule's occurrences from `opens` on, as aware UTC instants, in order.

    Daily and weekly rules run on the local wall clock from the opening (dose times stay
    08:00 across a DST change); each wall time becomes an instant with `local_to_utc`, so one
    in a gap moves forward by the gap instead of being dropped. Hourly and minutely rules
    count elapsed time (every 6 hours is 6 real hours, also the night the clocks change):
    they run on UTC's wall clock, and their BYHOUR and BYDAY, which only limit (RFC 5545),
    are judged on the local clock.
    """
    wall = opens.astimezone(tz).replace(tzinfo=None, fold=0)
    if parts.sub_daily:
        wall = opens.astimezone(UTC).replace(tzinfo=None)
        bare = RuleParts(parts.freq, parts.interval).text()
        for moment in _wall_times(bare, wall, fixed=False):
            instant = moment.replace(tzinfo=UTC)
            local = instant.astimezone(tz)
            if (not parts.hours or local.hour in parts.hours) and (
                not parts.weekdays or _WEEKDAYS[local.weekday()] in parts.weekdays
            ):
                yield instant
        return
    for moment in _wall_times(parts.text(count=False), wall, fixed=bool(parts.minutes)):
        yield local_to_utc(moment, tz)


def _wall_times(rule: str, wall: datetime, *, fixed: bool) -> Iterator[datetime]:
    """Naive wall times of `rule` from `wall` (dateutil counts whole seconds: the opening's
    fraction of a second is carried onto times taken from it; a rule's BYMINUTE is on the
    minute)."""
    if fixed:
        yield from rrulestr(rule, dtstart=wall.replace(second=0, microsecond=0))
        return
    fraction = timedelta(microseconds=wall.microsecond)
    for moment in rrulestr(rule, dtstart=wall.replace(microsecond=0)):
        yield moment + fraction


def _slots(
    rec: Recurrence, opens: datetime, until: datetime, tz: ZoneInfo, stop: datetime | None = None
) -> list[datetime]:
    """The instants a recurrence starts an occurrence, from `opens` up to `until`.

    With `stop` (a horizon), the list ends with the first slot after it: later ones would be
    thrown away, and that one still tells when the last kept occurrence is due.
    """
    stop = stop or until
    parts = rec.parts
    limit = min(parts.count or MAX_OCCURRENCES, MAX_OCCURRENCES)
    last_day = opens.astimezone(tz).date() + timedelta(days=MAX_DAYS)
    slots: list[datetime] = []
    for slot in _series(parts, opens, tz):
        if slot >= until or len(slots) >= limit or _past(slots, stop):
            break
        if slot.astimezone(tz).date() > last_day:
            break
        if slot >= opens:
            slots.append(slot)
    return slots


def _past(slots: list[datetime], stop: datetime) -> bool:
    return bool(slots) and slots[-1] > stop


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
