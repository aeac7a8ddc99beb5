"""A recurrence in plain fields (times a day, every N minutes, at bedtime...), read from its
rule, for the JSON of the preview and the API. Plain data: no words, so the preview command
reads documents without loading the web stack.
"""

from __future__ import annotations

from typing import Any

from tracker.reading.clinical_defaults import clock_minutes, defaults
from tracker.reading.timing import Recurrence


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
