"""recurrence stored once, as an RFC 5545 RRULE

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

`step.recurrence` was {rule, times_per_day, every_minutes, until, times_per_week, while_awake,
during_sleep}, and the schedule came from the fields (the rule gave FREQ and INTERVAL only).
It becomes {rule, until}: the rule carries the dose clock times, weekdays, waking hours and
bedtime, written exactly as the old fields scheduled them. The downgrade writes the fields
back from the rule (a COUNT, which the old form could not hold, is lost).

Self-contained on purpose: the clinical defaults the old schedule read are copied below as
they were at this revision (tracker/reading/data/defaults.toml), so later changes to the
defaults or the code cannot change what this migration writes.
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The clinical defaults at revision 0011 (defaults.toml [clock] and [recurrence]).
DOSES = (8 * 60, 20 * 60)  # "N times a day": spread evenly from 08:00 to 20:00
WAKING = (8 * 60, 22 * 60)  # "while awake": 08:00 to 22:00
SLEEP = 22 * 60  # "while sleeping", "at night": one reminder at 22:00
WEEKDAYS = (
    ("WE",),
    ("MO", "TH"),
    ("MO", "WE", "FR"),
    ("MO", "TU", "TH", "FR"),
    ("MO", "TU", "WE", "TH", "FR"),
    ("MO", "TU", "WE", "TH", "FR", "SA"),
    ("MO", "TU", "WE", "TH", "FR", "SA", "SU"),
)
MIN_MINUTES = 5  # the new rules' floor (the editor's and the reader's already)
MAX_INTERVAL = 100_000
UNITS = {"MINUTELY": 1, "HOURLY": 60}


def _parts(rule: str) -> dict[str, str]:
    return {
        name.strip().upper(): value.strip().upper()
        for name, _, value in (p.partition("=") for p in str(rule).split(";") if "=" in p)
    }


def _dose_minutes(count: int) -> tuple[int, ...]:
    first, last = DOSES
    if count <= 1:
        return (first,)
    return tuple(int(first + i * (last - first) / (count - 1) + 0.5) for i in range(count))


def _clock_parts(minutes: Sequence[int]) -> list[str]:
    """BYHOUR and BYMINUTE for these times; BYSETPOS picks them when their minutes differ."""
    times = sorted(set(minutes))
    hours = sorted({m // 60 for m in times})
    mins = sorted({m % 60 for m in times})
    grid = [h * 60 + m for h in hours for m in mins]
    parts = [f"BYHOUR={','.join(map(str, hours))}", f"BYMINUTE={','.join(map(str, mins))}"]
    if len(grid) != len(times):
        parts.append("BYSETPOS=" + ",".join(str(grid.index(t) + 1) for t in times))
    return parts


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def new_rule(old: dict[str, Any]) -> str:
    """The complete rule for an old-form recurrence, as the old code scheduled it."""
    parts = _parts(old.get("rule", ""))
    freq = parts.get("FREQ", "DAILY")
    interval_text = parts.get("INTERVAL", "1")
    interval = int(interval_text) if interval_text.isdigit() and interval_text != "0" else 1
    interval = min(interval, MAX_INTERVAL)
    every = _count(old.get("every_minutes")) or {"HOURLY": 60 * interval, "MINUTELY": interval}.get(
        freq
    )
    if every:  # exact slots, filtered to the waking hours
        every = max(every, MIN_MINUTES)
        unit = "HOURLY" if every % 60 == 0 else "MINUTELY"
        rule = [f"FREQ={unit}"]
        if every // UNITS[unit] > 1:
            rule.append(f"INTERVAL={every // UNITS[unit]}")
        if old.get("while_awake") is True:
            first, last = WAKING
            hours = range(first // 60, last // 60 + (last % 60 > 0))
            rule.append(f"BYHOUR={','.join(map(str, hours))}")
        return ";".join(rule)
    per_day, per_week = _count(old.get("times_per_day")), _count(old.get("times_per_week"))
    weekdays = WEEKDAYS[min(per_week, 7) - 1] if per_week and per_week > 1 else ()
    if weekdays:  # any of these weekdays (the old schedule ignored INTERVAL then)
        rule, tail = ["FREQ=WEEKLY"], [f"BYDAY={','.join(weekdays)}"]
    else:  # every INTERVAL weeks, or days (any other FREQ was read as days)
        rule, tail = ["FREQ=WEEKLY" if freq == "WEEKLY" else "FREQ=DAILY"], []
        rule += [f"INTERVAL={interval}"] if interval > 1 else []
    if old.get("during_sleep") is True:
        rule += _clock_parts([SLEEP])
    elif per_day and per_day > 1:
        rule += _clock_parts(_dose_minutes(per_day))
    return ";".join(rule + tail)


def old_fields(new: dict[str, Any]) -> dict[str, Any]:
    """The old form for a new-form recurrence (the fields the old schedule read)."""
    parts = _parts(new.get("rule", ""))
    freq = parts.get("FREQ", "DAILY")
    interval_text = parts.get("INTERVAL", "1")
    interval = int(interval_text) if interval_text.isdigit() else 1
    hours = [int(h) for h in parts.get("BYHOUR", "").split(",") if h.isdigit()]
    minutes = [int(m) for m in parts.get("BYMINUTE", "0").split(",") if m.isdigit()] or [0]
    times = sorted(h * 60 + m for h in hours for m in minutes)
    positions = [int(p) for p in parts.get("BYSETPOS", "").split(",") if p.lstrip("-").isdigit()]
    if positions:
        times = sorted({times[p - 1 if p > 0 else p] for p in positions if abs(p) <= len(times)})
    weekdays = [d for d in parts.get("BYDAY", "").split(",") if d]
    every = UNITS[freq] * interval if freq in UNITS else None
    daily = freq == "DAILY" and not every
    at_bedtime = daily and times == [SLEEP]
    body = [p for p in str(new.get("rule", "")).split(";") if not p.upper().startswith("COUNT=")]
    return {
        "rule": ";".join(body),
        "times_per_day": (len(times) or 1) if daily and (times or interval == 1) else None,
        "every_minutes": every,
        "until": new.get("until"),
        "times_per_week": (len(weekdays) or 1) if freq == "WEEKLY" and interval == 1 else None,
        "while_awake": bool(every and hours),
        "during_sleep": at_bedtime,
    }


def _rewrite(change: Any) -> None:
    connection = op.get_bind()
    step = sa.table("step", sa.column("id", sa.Integer()), sa.column("recurrence", sa.JSON()))
    rows = connection.execute(
        sa.select(step.c.id, step.c.recurrence).where(step.c.recurrence.is_not(None))
    )
    changes = []
    for row_id, stored in rows:
        value = json.loads(stored) if isinstance(stored, str) else stored
        if isinstance(value, dict):  # JSON null reads back as None
            changes.append({"row_id": row_id, "value": change(value)})
    if changes:
        update = sa.update(step).where(step.c.id == sa.bindparam("row_id"))
        connection.execute(update.values(recurrence=sa.bindparam("value")), changes)


def upgrade() -> None:
    _rewrite(lambda old: {"rule": new_rule(old), "until": old.get("until")})


def downgrade() -> None:
    _rewrite(old_fields)
