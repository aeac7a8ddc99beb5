"""Relative times and recurrences in plain words, for pages and tables."""

from __future__ import annotations

from tracker.models import Step
from tracker.reading.timing import Recurrence, RelTime

ANCHOR_WORDS = {"start": "the procedure starts", "end": "the procedure ends"}


def rel_time(point: RelTime) -> str:
    """E.g. '7 days before the procedure starts, at 09:00' or '3 hours after the procedure ends'."""
    parts: list[str] = []
    if point.days:
        parts.append(_amount(abs(point.days), "day") + (" before" if point.days < 0 else " after"))
    if point.minutes:
        amount = abs(point.minutes)
        text = _amount(amount // 60, "hour") if amount % 60 == 0 else _amount(amount, "minute")
        parts.append(text + (" before" if point.minutes < 0 else " after"))
    phrase = (" and ".join(parts) + " " if parts else "when ") + ANCHOR_WORDS[point.anchor]
    if point.clock:
        phrase += f", at {point.clock}"
    elif point.reminder_hour:
        phrase += ", at the reminder hour"
    return phrase


def recurrence(rule: Recurrence) -> str:
    if rule.times_per_day:
        how = f"{rule.times_per_day} times a day"
    elif rule.every_minutes:
        how = "every " + (
            _amount(rule.every_minutes // 60, "hour")
            if rule.every_minutes % 60 == 0
            else _amount(rule.every_minutes, "minute")
        )
    elif rule.times_per_week:
        how = f"{rule.times_per_week} times a week"
    elif rule.during_sleep:
        how = "every night"
    else:
        how = "daily"
    if rule.while_awake:
        how += " while awake"
    return f"{how}, until {rel_time(rule.until)}"


def step_window(step: Step) -> str:
    """A stored step's window: opens, due, expiry and repetition."""
    opens, due = RelTime.from_dict(step.opens), RelTime.from_dict(step.due)
    text = f"Opens {rel_time(opens)}; due {rel_time(due)}"
    if step.expires:
        text += f"; expires {rel_time(RelTime.from_dict(step.expires))}"
    if step.recurrence:
        text += f"; repeats {recurrence(Recurrence.from_dict(step.recurrence))}"
    return text


def _amount(number: int, unit: str) -> str:
    return f"{number} {unit}" + ("" if number == 1 else "s")
