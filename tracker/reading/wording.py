"""Relative times and recurrences in plain words, for pages and tables.

Worded in the request's language (staff pages follow Accept-Language); outside a request (the
CLI, tests) in English. Amounts ("3 days") are Babel's for the language.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from babel.units import format_unit
from flask_babel import get_locale, gettext, ngettext

from tracker import i18n
from tracker.i18n import N_
from tracker.reading.repeat_fields import at_bedtime
from tracker.reading.timing import Recurrence, RelTime

if TYPE_CHECKING:  # the preview command words times without loading the database models
    from tracker.models import Step

# Whole phrases per anchor, so a language can word "before the start" its own way.
ANCHOR_WORDS = {
    ("start", False): N_("when the procedure starts"),
    ("end", False): N_("when the procedure ends"),
    # TRANSLATORS: offsets is e.g. "7 days before" or "1 day after and 2 hours before".
    ("start", True): N_("%(offsets)s the procedure starts"),
    ("end", True): N_("%(offsets)s the procedure ends"),
}
# A clock on the anchor's own day names that day, not the moment: "at 00:00 when the procedure
# starts" would read as the start itself.
DAY_WORDS = {
    "start": N_("on the day the procedure starts"),
    "end": N_("on the day the procedure ends"),
}


def rel_time(point: RelTime) -> str:
    """E.g. '7 days before the procedure starts, at 09:00' or '3 hours after the procedure ends'."""
    parts: list[str] = []
    if point.days:
        parts.append(_side(_amount(abs(point.days), "day"), point.days))
    if point.minutes:
        amount = abs(point.minutes)
        text = _amount(amount // 60, "hour") if amount % 60 == 0 else _amount(amount, "minute")
        parts.append(_side(text, point.minutes))
    # TRANSLATORS: joins two offsets, "1 day before and 2 hours after"; keep the spaces.
    offsets = gettext(" and ").join(parts)
    if not parts and (point.clock or point.reminder_hour):
        phrase: str = gettext(DAY_WORDS[point.anchor])
    else:
        phrase = gettext(ANCHOR_WORDS[(point.anchor, bool(parts))], offsets=offsets)
    if point.clock:
        phrase += gettext(", at %(clock)s", clock=point.clock)
    elif point.reminder_hour:
        phrase += gettext(", at the reminder hour")
    return phrase


def _side(amount: str, sign: int) -> str:
    if sign < 0:
        return str(gettext("%(amount)s before", amount=amount))
    return str(gettext("%(amount)s after", amount=amount))


def recurrence(rule: Recurrence) -> str:
    """E.g. '3 times a day, until 14 days after the procedure ends'."""
    if rule.times_per_day:
        # English keeps "1 times a day" (pinned); the plural form lets other languages agree.
        how = ngettext("%(num)d times a day", "%(num)d times a day", rule.times_per_day)
    elif rule.every_minutes:
        every = (
            _amount(rule.every_minutes // 60, "hour")
            if rule.every_minutes % 60 == 0
            else _amount(rule.every_minutes, "minute")
        )
        how = gettext("every %(amount)s", amount=every)
    elif rule.times_per_week:
        how = ngettext("%(num)d times a week", "%(num)d times a week", rule.times_per_week)
    elif at_bedtime(rule):
        how = gettext("every night")
    else:
        how = gettext("daily")
    if rule.while_awake:
        how = gettext("%(how)s while awake", how=how)
    if rule.count:
        count = str(ngettext("%(num)d time", "%(num)d times", rule.count))
        how = gettext("%(how)s, %(count)s in all", how=how, count=count)
    return str(gettext("%(how)s, until %(when)s", how=how, when=rel_time(rule.until)))


def step_window(step: Step) -> str:
    """A stored step's window: opens, due, expiry and repetition."""
    opens, due = RelTime.from_dict(step.opens), RelTime.from_dict(step.due)
    text: str = gettext("Opens %(opens)s; due %(due)s", opens=rel_time(opens), due=rel_time(due))
    if step.expires:
        text += gettext("; expires %(when)s", when=rel_time(RelTime.from_dict(step.expires)))
    if step.recurrence:
        rule = recurrence(Recurrence.from_dict(step.recurrence))
        text += gettext("; repeats %(rule)s", rule=rule)
    return text


def _amount(number: int, unit: str) -> str:
    """'1 day', '3 horas': Babel's plural rules for the request's language."""
    language = i18n.best(str(get_locale() or i18n.DEFAULT_LANGUAGE))
    return format_unit(number, f"duration-{unit}", length="long", locale=i18n.locale(language))
