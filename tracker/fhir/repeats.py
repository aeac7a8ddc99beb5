"""A step's RFC 5545 RRULE body as a FHIR Timing.

Only the rule string is read (the stored recurrence's other fields are being folded into it),
and only the parts this product writes or that map one to one: FREQ, INTERVAL, BYHOUR,
BYMINUTE, BYDAY, COUNT and UNTIL. Parts with no Timing counterpart are left out rather than
guessed; the step's relatedAction window still bounds the repeats.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tracker.fhir.elements import Json

PERIOD_UNITS = {  # RRULE FREQ -> Timing.repeat.periodUnit (UCUM)
    "SECONDLY": "s",
    "MINUTELY": "min",
    "HOURLY": "h",
    "DAILY": "d",
    "WEEKLY": "wk",
    "MONTHLY": "mo",
    "YEARLY": "a",
}
DAYS = {"MO": "mon", "TU": "tue", "WE": "wed", "TH": "thu", "FR": "fri", "SA": "sat", "SU": "sun"}
SUB_DAY = ("s", "min", "h")  # with BYHOUR these name hours of each day, so the period is a day
_DIGITS = re.compile(r"[0-9]{1,9}")  # a count or an hour; longer runs are no RRULE of ours


def parts_of(rule: str) -> dict[str, str]:
    """An RRULE body's parts ("FREQ=DAILY;BYHOUR=8,20" -> FREQ, BYHOUR); an "RRULE:" prefix
    and blank parts are allowed."""
    body = rule.strip().removeprefix("RRULE:")
    found: dict[str, str] = {}
    for part in body.split(";"):
        name, _, value = part.partition("=")
        if name.strip() and value.strip():
            found[name.strip().upper()] = value.strip().upper()
    return found


def timing_of(rule: str) -> Json | None:
    """A Timing for the rule, or None when it has no FREQ this maps."""
    parts = parts_of(rule)
    unit = PERIOD_UNITS.get(parts.get("FREQ", ""))
    if unit is None:
        return None
    repeat: Json = {
        "frequency": 1,
        "period": _positive(parts.get("INTERVAL"), 1),
        "periodUnit": unit,
    }
    hours = _numbers(parts.get("BYHOUR"), 23)
    if hours:
        minutes = _numbers(parts.get("BYMINUTE"), 59) or [0]
        times = sorted({f"{h:02d}:{m:02d}:00" for h in hours for m in minutes})
        repeat["timeOfDay"] = times
        repeat["frequency"] = len(times)
        if unit in SUB_DAY:
            repeat.update(period=1, periodUnit="d")
    days = [DAYS[d[-2:]] for d in parts.get("BYDAY", "").split(",") if d[-2:] in DAYS]
    if days:
        repeat["dayOfWeek"] = days
        if unit == "wk" and not hours:
            repeat["frequency"] = len(days)
    if (count := _positive(parts.get("COUNT"), 0)) > 0:
        repeat["count"] = count
    if (until := _until(parts.get("UNTIL", ""))) is not None:
        repeat["boundsPeriod"] = {"end": until}
    return {"repeat": repeat}


def _positive(text: str | None, default: int) -> int:
    """A positive count of at most 9 ASCII digits, else `default`."""
    value = _number(text or "")
    return value if value is not None and value > 0 else default


def _numbers(text: str | None, highest: int) -> list[int]:
    """The comma-separated numbers from 0 to `highest`; anything else is left out."""
    values = (_number(v.strip()) for v in (text or "").split(","))
    return [v for v in values if v is not None and v <= highest]


def _number(text: str) -> int | None:
    # ASCII digits only: str.isdigit also takes superscripts, which int() refuses.
    return int(text) if _DIGITS.fullmatch(text) else None


def _until(text: str) -> str | None:
    """UNTIL as a FHIR dateTime: a UTC date-time (…Z) or a date; anything else is left out."""
    for layout, shown in (("%Y%m%dT%H%M%SZ", "%Y-%m-%dT%H:%M:%SZ"), ("%Y%m%d", "%Y-%m-%d")):
        try:
            return datetime.strptime(text, layout).replace(tzinfo=UTC).strftime(shown)
        except ValueError:
            continue
    return None
