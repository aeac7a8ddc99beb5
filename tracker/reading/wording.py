"""Relative times and recurrences in plain words, for pages and tables."""

from __future__ import annotations

from typing import Any

from tracker.models import Step
from tracker.reading.clinical_defaults import clock_minutes, defaults
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
    """E.g. '3 times a day, until 14 days after the procedure ends'."""
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
    elif at_bedtime(rule):
        how = "every night"
    else:
        how = "daily"
    if rule.while_awake:
        how += " while awake"
    if rule.count:
        how += f", {_amount(rule.count, 'time')} in all"
    return f"{how}, until {rel_time(rule.until)}"


def at_bedtime(rule: Recurrence) -> bool:
    """Once a day at the clinical defaults' bedtime: 'while sleeping', 'at night'."""
    return rule.parts.freq == "DAILY" and rule.parts.clock_times == (
        clock_minutes(defaults().sleep),
    )


def recurrence_fields(rule: Recurrence) -> dict[str, Any]:
    """The rule and its end, with what it means in plain fields (read from the rule), for JSON
    that showed those fields before the rule alone was stored."""
    return {
        "rule": rule.rule,
        "times_per_day": rule.times_per_day,
        "every_minutes": rule.every_minutes,
        "until": rule.until.to_dict(),
        "times_per_week": rule.times_per_week,
        "while_awake": rule.while_awake,
        "during_sleep": at_bedtime(rule),
    }


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
