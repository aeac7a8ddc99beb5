"""A reschedule preview a nurse can read at a glance: what needs attention first, then the
changes grouped by local day, one line per step and day (a repeating step's occurrences
together) instead of one row per occurrence.

Needs attention: done preparation that no longer counts (it was done for the old date), and
critical items that would fall due within a day of now (the patient has little time).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from tracker.care.rescheduling import ItemChange, RescheduleDiff

SOON = timedelta(hours=24)  # a critical item due within this of now needs the nurse's eye


@dataclass(frozen=True)
class Attention:
    """A change the nurse should look at before confirming, and why."""

    change: ItemChange
    reason: str


@dataclass
class ChangeLine:
    """One step's changes on one day: its occurrences, old and new due times, statuses."""

    text: str
    critical: bool
    changes: list[ItemChange] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.changes)


@dataclass
class ChangeDay:
    """The changes falling due on one local day (the new due time; the old one if removed)."""

    day: date
    lines: list[ChangeLine] = field(default_factory=list)


@dataclass(frozen=True)
class RescheduleSummary:
    attention: list[Attention]
    days: list[ChangeDay]
    moved: int
    added: int
    removed: int


def summarize(diff: RescheduleDiff, *, now: datetime) -> RescheduleSummary:
    """The preview's order: what needs attention, then the changes by day and step."""
    tz = ZoneInfo(diff.timezone)
    attention: list[Attention] = []
    days: dict[date, dict[int, ChangeLine]] = {}
    for change in diff.changes:
        reason = _attention(change, now)
        if reason:
            attention.append(Attention(change, reason))
        window = change.new or change.old
        assert window is not None
        day = window.due.astimezone(tz).date()
        line = days.setdefault(day, {}).setdefault(
            change.step_id, ChangeLine(change.text, change.critical)
        )
        line.changes.append(change)
    return RescheduleSummary(
        attention=attention,
        days=[ChangeDay(day, list(lines.values())) for day, lines in sorted(days.items())],
        moved=sum(c.old is not None and c.new is not None for c in diff.changes),
        added=sum(c.old is None for c in diff.changes),
        removed=sum(c.new is None for c in diff.changes),
    )


def _attention(change: ItemChange, now: datetime) -> str:
    if change.no_longer_counts:
        return "done for the old date: it no longer counts unless you keep it"
    if change.critical and change.new is not None and change.new_status == "pending":
        if change.new.due - now <= SOON:
            return "critical, and due within 24 hours of now"
    return ""
