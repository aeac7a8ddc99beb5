"""A document's schedule for one patient, before anything is stored: JSON and a table.

One item per step; a repeating step shows its first occurrence and its recurrence.
Times are ISO 8601 in the patient's zone, with that zone's UTC offset.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tracker.localtime import local_to_utc, occurrences, resolve
from tracker.reading import second_reading
from tracker.reading.documents import Document
from tracker.reading.repeat_fields import recurrence_fields
from tracker.reading.timing import Settings, Step, derive

CLAMPED = "clamped to the start"
_COLUMNS = (
    ("#", 3),
    ("part", 6),
    ("kind", 13),
    ("asks", 5),
    ("opens", 16),
    ("due", 16),
    ("repeats", 24),
    ("flags", 5),
    ("conf", 4),
)
_SECTIONS = {
    "preparation": "before",
    "recovery": "after",
    "patient experience": "after",
    "risks and complications": "watch",
}


def _iso(instant: datetime, tz: ZoneInfo) -> str:
    return instant.astimezone(tz).isoformat(timespec="seconds")


def _item(step: Step, *, start: datetime, end: datetime, tz: ZoneInfo, hour: int) -> dict[str, Any]:
    windows = occurrences(step, start=start, end=end, tz=tz, reminder_hour=hour)
    first = windows[0]
    rule = step.rule
    if step.opens.anchor == "start" and CLAMPED not in rule:
        if resolve(step.opens, start=start, end=end, tz=tz, reminder_hour=hour) > start:
            rule += f"; {CLAMPED}"  # e.g. "the morning of" before a 05:00 start
    recurrence = None
    if step.recurrence is not None:
        until = resolve(step.recurrence.until, start=start, end=end, tz=tz, reminder_hour=hour)
        if step.recurrence.until.anchor == "start":
            until = min(until, start)
        recurrence = {
            **recurrence_fields(step.recurrence),
            "until": _iso(until, tz),
            "occurrences": len(windows),
        }
    return {
        "section": step.section,
        "line": step.line,
        "text": step.text,
        "kind": step.kind,
        "asks": step.asks,
        "opens": _iso(first.opens, tz),
        "due": _iso(first.due, tz),
        "expires": _iso(first.expires, tz) if first.expires else None,
        "recurrence": recurrence,
        "conditional": step.conditional,
        "critical": step.critical,
        "confidence": step.confidence,
        "evidence": step.evidence,
        "rule": rule,
        "needs_review": step.needs_review,
        "merged": [e.to_dict() for e in step.merged],
    }


def build_preview(
    document: Document,
    *,
    start_local: datetime,
    tz: ZoneInfo,
    reminder_hour: int = 9,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """The schedule a patient starting at `start_local` (naive local time in `tz`) would get;
    `settings` are the pathway's arrival and usual stay, for what the document leaves out."""
    if start_local.tzinfo is not None:
        start_local = start_local.astimezone(tz).replace(tzinfo=None)
    derived, second = second_reading.check(derive(document, settings=settings))  # issue 10
    warnings = list(derived.warnings)
    start = local_to_utc(start_local, tz)
    if start.astimezone(tz).replace(tzinfo=None) != start_local:
        warnings.append(
            f"{document.path}:0: {start_local:%Y-%m-%d %H:%M} does not exist in "
            f"{tz.key}; the procedure starts at {start.astimezone(tz):%H:%M}"
        )
    end = start + timedelta(minutes=derived.duration_minutes)
    items = [_item(s, start=start, end=end, tz=tz, hour=reminder_hour) for s in derived.steps]
    for item, reading in zip(items, second, strict=True):
        item["second_reading"] = reading.to_dict()
    return {
        "title": document.short_name,
        "procedure": {"start": _iso(start, tz), "end": _iso(end, tz)},
        "zone": tz.key,
        "duration_minutes": derived.duration_minutes,
        "items": items,
        "warnings": warnings,
    }


def _when(iso: str | None) -> str:
    return datetime.fromisoformat(iso).strftime("%a %m-%d %H:%M") if iso else "-"


def _repeats(recurrence: dict[str, Any] | None) -> str:
    if recurrence is None:
        return "-"
    if recurrence.get("during_sleep"):
        how = "nightly"
    elif recurrence.get("every_minutes"):
        minutes = recurrence["every_minutes"]
        how = f"every {minutes // 60}h" if minutes % 60 == 0 else f"every {minutes}min"
    elif recurrence.get("times_per_week"):
        how = f"{recurrence['times_per_week']}/week"
    elif (recurrence.get("times_per_day") or 1) > 1:
        how = f"{recurrence['times_per_day']}/day"
    else:
        how = "daily"
    how += " awake" if recurrence.get("while_awake") else ""
    return f"{how} to {datetime.fromisoformat(recurrence['until']):%m-%d}"


def render_table(preview: dict[str, Any]) -> str:
    """A fixed-width table for the terminal; each step's full text ends its row."""
    procedure = preview["procedure"]
    start, end = (datetime.fromisoformat(procedure[k]) for k in ("start", "end"))
    lines = [
        str(preview["title"]),
        f"Procedure: {start:%a %Y-%m-%d %H:%M} to {end:%H:%M} (UTC{start:%z})",
        "",
    ]
    lines.append("  ".join(name.ljust(width) for name, width in _COLUMNS) + "  text")
    for number, item in enumerate(preview["items"], start=1):
        flags = (
            ("C" if item["critical"] else "")
            + ("?" if item["conditional"] else "")
            + ("R" if item["needs_review"] else "")
        )
        cells = (
            str(number),
            _SECTIONS.get(item["section"], item["section"]),
            item["kind"],
            item["asks"],
            _when(item["opens"]),
            _when(item["due"]),
            _repeats(item["recurrence"]),
            flags,
            f"{item['confidence']:.2f}",
        )
        lines.append(
            "  ".join(c[:w].ljust(w) for c, (_, w) in zip(cells, _COLUMNS, strict=True))
            + "  "
            + item["text"]
        )
    lines += ["", "Flags: C critical, ? conditional (a nurse confirms), R needs review."]
    if preview["warnings"]:
        lines += ["", "Warnings:", *(f"  {w}" for w in preview["warnings"])]
    return "\n".join(lines)
