"""How often one instruction asks for something: "three times a day", "every 4 hours", "nightly".

`repeat` reads the text's frequency, with its 'while awake' / 'while sleeping' flags, as a
`Repeat`; `windows` turns it into the step's recurrence. Matching only, like `phrases`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracker.reading.clinical_defaults import clock_minutes, defaults
from tracker.reading.phrase_grammar import compiled_grammar, number, vague_phrase
from tracker.reading.phrases import Amount, Duration, Span
from tracker.reading.rrules import SUB_DAILY, RuleParts, daily_at, every_minutes


@dataclass(frozen=True)
class Repeat:
    spans: tuple[Span, ...]
    freq: str  # DAILY | HOURLY | MINUTELY | WEEKLY
    interval: int = 1
    times_per_day: int | None = None
    times_per_week: int | None = None
    every_minutes: int | None = None
    while_awake: bool = False
    during_sleep: bool = False
    confidence: float = 1.0
    ranged: bool = False


def _times(match: re.Match[str]) -> Repeat | None:
    counts = [match["c1"], match["c2"]] if match["c2"] else [match["c1"]]
    lex = compiled_grammar().lex
    if not match["x"] and match["c1"].lower() not in lex.counts:
        return None  # "2 daily" is not a frequency; "twice daily" and "2 times daily" are
    vague = [v for v in map(vague_phrase, counts) if v]
    n = int(max(number(c) for c in counts))
    per = (match["per"] or match["ly"]).lower()
    confidence = min((v.confidence for v in vague), default=1.0)
    spans, ranged = ((match.start(), match.end()),), len(counts) > 1
    if n <= 0 or n > 24:
        return None
    if per.startswith("week") and n < 7:
        return Repeat(spans, "WEEKLY", times_per_week=n, confidence=confidence, ranged=ranged)
    if per.startswith("night"):
        return Repeat(spans, "DAILY", times_per_day=1, during_sleep=True, confidence=confidence)
    per_day = n if per.startswith("da") else 1
    return Repeat(spans, "DAILY", times_per_day=per_day, confidence=confidence, ranged=ranged)


def _every(match: re.Match[str]) -> Repeat | None:
    grammar, spans = compiled_grammar(), ((match.start(), match.end()),)
    if match["other"]:
        return Repeat(spans, "WEEKLY" if match["ounit"].lower() == "week" else "DAILY", 2)
    if match["single"]:
        word = match["single"].lower()
        if word == "night":
            return Repeat(spans, "DAILY", times_per_day=1, during_sleep=True)
        if word in ("minute", "hour"):
            return Repeat(spans, "HOURLY", every_minutes=60) if word == "hour" else None
        return Repeat(spans, "WEEKLY" if word == "week" else "DAILY", times_per_day=None)
    vague = vague_phrase(match["vague"])
    value = (
        float(vague.value) if vague else max(map(number, filter(None, (match["lo"], match["hi"]))))
    )
    unit = grammar.units[match["unit"].lower()]
    confidence = vague.confidence if vague else 1.0
    size = Duration(Amount(value, value, vague, False), unit).size(value)
    if size <= 0 or (unit.minutes is not None and size < 5):
        return None
    if unit.minutes is not None:
        freq = "HOURLY" if size % 60 == 0 else "MINUTELY"
        return Repeat(
            spans,
            freq,
            size // 60 if freq == "HOURLY" else size,
            every_minutes=size,
            confidence=confidence,
            ranged=bool(match["hi"]),
        )
    weekly = size % 7 == 0
    return Repeat(
        spans, "WEEKLY" if weekly else "DAILY", size // 7 if weekly else size, confidence=confidence
    )


_AMOUNT_A_DAY = re.compile(
    r"\b(?:glass|glasses|cups?|liters?|litres?|ounces?|oz|bottles?|servings?)\b(?:\s+of\s+[\w-]+)?"
    r"\s+(?:a|per|each|every)\s+day\b",
    re.IGNORECASE,
)
_MEALS = re.compile(r"\b(?:after|with|before)\s+(?:each|every)\s+meal\b", re.IGNORECASE)
# "every day, morning and evening": two set times a day
_TWICE = re.compile(
    r"\b(?:(?:in\s+the\s+)?morning\s+and\s+(?:in\s+the\s+)?(?:evening|night|at\s+night)"
    r"|(?:evening|night)\s+and\s+morning)\b",
    re.IGNORECASE,
)
_AMOUNT_BEFORE = re.compile(r"\b(?:for|within|in|over|after|to|than|about|only|least)\s+$", re.I)
_CYCLE = re.compile(
    r"\b(?P<on>\d{1,3}|[a-z]+)\s*(?:minutes?|mins?)\s+on,?\s+(?:and\s+|then\s+)?"
    r"(?P<off>\d{1,3}|[a-z]+)\s*(?:minutes?|mins?)\s+off\b",
    re.IGNORECASE,
)


# "check the drains 4 times in the first 24 hours": a bare count over one day is a daily rate
_BARE_TIMES = re.compile(
    r"\b(?P<n>\d{1,2}|[a-z]+)\s+times\b"
    r"(?!\s*(?:a|an|per|each|every|/|in\s+a|on\s+the|daily|weekly)\b)",
    re.IGNORECASE,
)
_ONE_DAY = re.compile(
    r"\b(?:the\s+)?(?:first|next)\s+(?:24\s+hours|day)\b|\bon\s+the\s+day\s+of\b", re.I
)


def _bare_times(text: str) -> Repeat | None:
    """'4 times' with no 'a day', in a clause whose window is one day: that many a day."""
    if _ONE_DAY.search(text) is None:
        return None
    for match in _BARE_TIMES.finditer(text):
        try:
            n = int(number(match["n"]))
        except (KeyError, ValueError):
            continue
        if 2 <= n <= 12:
            return Repeat(((match.start(), match.end()),), "DAILY", times_per_day=n)
    return None


def _cycle(text: str) -> Repeat | None:
    """'15 minutes on, 15 minutes off': a cycle that restarts every on + off minutes."""
    match = _CYCLE.search(text)
    if match is None:
        return None
    try:
        minutes = int(number(match["on"]) + number(match["off"]))
    except (KeyError, ValueError):
        return None
    if minutes < 5:
        return None
    return Repeat(((match.start(), match.end()),), "MINUTELY", minutes, every_minutes=minutes)


def repeat(text: str) -> Repeat | None:
    """The frequency the text asks for, with its 'while awake' / 'while sleeping' flags."""
    grammar = compiled_grammar()
    cycle = _cycle(text)
    found: list[Repeat] = [cycle] if cycle else []
    rate = _AMOUNT_A_DAY.search(text)  # "six 8-ounce glasses of water a day to keep it flowing"
    if rate is not None:
        found.append(Repeat(((rate.start(), rate.end()),), "DAILY", times_per_day=1))
    meals = _MEALS.search(text)  # "rinse after each meal": three times a day
    if meals is not None:
        found.append(Repeat(((meals.start(), meals.end()),), "DAILY", times_per_day=3))
    twice = _TWICE.search(text)
    if twice is not None:
        found.append(Repeat(((twice.start(), twice.end()),), "DAILY", times_per_day=2))
    found += [r for m in grammar.times.finditer(text) if (r := _times(m)) is not None]
    everies = [(m, r) for m in grammar.every.finditer(text) if (r := _every(m)) is not None]
    found += [r for m, r in everies if not m["single"]]
    stated = len(found)  # a count or an interval beats "every day", "daily", "regularly"
    found += [r for m, r in everies if m["single"]]
    flags: dict[str, Span] = {}
    for pattern, rule, confidence in grammar.frequencies:
        for m in pattern.finditer(text):
            span = (m.start(), m.end())
            if _AMOUNT_BEFORE.search(text, 0, span[0]) and m[0].lower().startswith("a "):
                continue  # "for a day" is an amount of time, not "a day" as in "3 liters a day"
            if rule in ("awake", "sleep"):
                flags.setdefault(rule, span)
            elif not any(s[0] <= span[0] < s[1] for r in found for s in r.spans):
                every = {"hourly": ("HOURLY", 60), "weekly": ("WEEKLY", None)}.get(rule)
                freq, minutes = every or ("DAILY", None)
                found.append(
                    Repeat(
                        (span,),
                        freq,
                        every_minutes=minutes,
                        confidence=confidence,
                        times_per_week=1 if freq == "WEEKLY" else None,
                        times_per_day=1 if freq == "DAILY" else None,
                    )
                )
    bare = None if found else _bare_times(text)
    if bare is not None:
        found.append(bare)
    if not found and "sleep" in flags:
        found.append(Repeat((flags["sleep"],), "DAILY", times_per_day=1, during_sleep=True))
    elif not found and "awake" in flags:  # "wear the support during the day": each day
        found.append(Repeat((flags["awake"],), "DAILY", times_per_day=1, confidence=0.85))
    if not found:
        return None
    # "regularly, four times a day" and "every day, morning and evening": the stated count wins
    first = min(found[:stated] or found, key=lambda r: r.spans[0])
    extra = tuple(flags[k] for k in ("awake", "sleep") if k in flags and flags[k] != first.spans[0])
    return Repeat(
        first.spans + extra,
        first.freq,
        first.interval,
        first.times_per_day,
        first.times_per_week,
        first.every_minutes,
        "awake" in flags,
        first.during_sleep or "sleep" in flags,
        first.confidence,
        first.ranged,
    )


def rrule(repeat: Repeat) -> str:
    """The complete RFC 5545 RRULE body for a repeat: the clinical defaults' clocks are fixed
    in it when the document is read (dose times, bedtime, waking hours, weekdays)."""
    cfg = defaults()
    every = repeat.every_minutes or SUB_DAILY.get(repeat.freq, 0) * repeat.interval
    if every:  # elapsed time; while awake, only in the waking hours' BYHOUR
        awake = cfg.waking_hours() if repeat.while_awake else ()
        return every_minutes(every, hours=awake).text()
    weekdays: tuple[str, ...] = ()
    if repeat.times_per_week and repeat.times_per_week > 1:
        weekdays = cfg.weekdays[min(repeat.times_per_week, 7) - 1]
    freq = "WEEKLY" if weekdays else repeat.freq
    # A stated count wins over 'at bedtime' ("3 times a day, ... and at bedtime" is 3 doses).
    if repeat.times_per_day and repeat.times_per_day > 1:
        clocks: tuple[int, ...] = cfg.dose_minutes(repeat.times_per_day)
    elif repeat.during_sleep:
        clocks = (clock_minutes(cfg.sleep),)
    else:  # the clock time the step opens at (dateutil takes it from the start)
        return RuleParts(freq, repeat.interval, weekdays=weekdays).text()
    at = daily_at(clocks)
    return RuleParts(
        freq, repeat.interval, None, weekdays, at.hours, at.minutes, at.positions
    ).text()


def describe(repeat: Repeat) -> str:
    """How often, in words ("3 times a day", "every 4 hours while awake")."""
    minutes, per_week, per_day = repeat.every_minutes, repeat.times_per_week, repeat.times_per_day
    if repeat.during_sleep:
        how = "nightly"
    elif minutes:
        hours = minutes // 60
        how = f"every {minutes} minutes" if minutes % 60 else f"every {hours} hours"
        how = "every hour" if minutes == 60 else how
    elif per_week and per_week > 1:
        how = f"{per_week} times a week"
    elif per_day and per_day > 1:
        how = f"{per_day} times a day"
    else:
        unit = "weeks" if repeat.freq == "WEEKLY" else "days"
        how = f"every {repeat.interval} {unit}" if repeat.interval > 1 else unit[:-1] + "ly"
    return (how + (" while awake" if repeat.while_awake else "")).replace("dayly", "daily")
