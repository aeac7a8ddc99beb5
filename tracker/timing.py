"""Instructions become timed steps: each phrase gives an anchor, a window, maybe a recurrence.

`time_phrase` reads one instruction; `derive` reads a whole document. Times stay relative
(`RelTime`: calendar days, exact minutes, a clock time or the reminder hour, from the
procedure's start or end); `localtime` turns them into instants for one patient.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from functools import cache
from typing import Any, Literal, TypeVar

from tracker import phrases
from tracker.documents import Document, Entry, Section
from tracker.lexicon import (
    KINDS,
    DayPhrase,
    Default,
    KindRule,
    Offset,
    clock_minutes,
    defaults,
    lexicon,
)
from tracker.phrases import Span

__all__ = [
    "KINDS",
    "REVIEW_THRESHOLD",
    "Anchor",
    "Derived",
    "Recurrence",
    "RelTime",
    "Step",
    "Timing",
    "derive",
    "time_phrase",
]

Anchor = Literal["start", "end"]
REVIEW_THRESHOLD = 0.6
WATCH_TEXT = "Watch for these warning signs"
MERGED_CHARS = 600  # an explaining clause joins the one before only while the step stays short
_CLOCK = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")
_AFTER_LABEL = re.compile(r"\b(?:after|post(?:-|\s|op|operative|surgical))", re.IGNORECASE)
_DURING_LABEL = re.compile(r"\b(?:during|before|pre(?:-|\s|op|operative))", re.IGNORECASE)
_STEP_SECTIONS: tuple[tuple[str, Anchor], ...] = (
    ("preparation", "start"),
    ("recovery", "end"),
    ("patient experience", "end"),
)


_T = TypeVar("_T")
_NONE = type(None)


def _check(obj: object, spec: Mapping[str, tuple[type, ...]]) -> None:
    """Refuse field values of the wrong type (data read back from JSON is not trusted)."""
    for name, types in spec.items():
        value = getattr(obj, name)
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            wanted = " or ".join("null" if t is _NONE else t.__name__ for t in types)
            raise ValueError(f"{name}: expected {wanted}, got {value!r}")


def _build(cls: type[_T], data: Any, nested: Mapping[str, Callable[[Any], Any]]) -> _T:
    """A dataclass from its to_dict() form; ValueError on anything else."""
    if not isinstance(data, Mapping):
        raise ValueError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    values = {
        k: nested[k](v) if k in nested and v is not None else v
        for k, v in data.items()
        if k in names
    }
    try:
        return cls(**values)
    except TypeError as exc:  # a missing field
        raise ValueError(f"{cls.__name__}: {exc}") from None


@dataclass(frozen=True)
class RelTime:
    """A time relative to the procedure: anchor, then calendar days, clock, exact minutes."""

    anchor: Anchor
    days: int = 0
    minutes: int = 0
    clock: str | None = None
    reminder_hour: bool = False

    def __post_init__(self) -> None:
        _check(
            self,
            {"days": (int,), "minutes": (int,), "clock": (str, _NONE), "reminder_hour": (bool,)},
        )
        if self.anchor not in ("start", "end"):
            raise ValueError(f"anchor: expected 'start' or 'end', got {self.anchor!r}")
        if self.clock is not None and not _CLOCK.fullmatch(self.clock):
            raise ValueError(f"clock: expected HH:MM, got {self.clock!r}")
        if self.clock is not None and self.reminder_hour:
            raise ValueError("clock and reminder_hour cannot both be set")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe; `from_dict` reads it back."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RelTime:
        return _build(cls, data, {})

    def shifted(self, *, days: int = 0, minutes: int = 0) -> RelTime:
        """The same point moved by calendar days and exact minutes."""
        return replace(self, days=self.days + days, minutes=self.minutes + minutes)


@dataclass(frozen=True)
class Recurrence:
    """How a step repeats (fields drive the schedule; `rule` is its RFC 5545 RRULE body)."""

    rule: str
    times_per_day: int | None
    every_minutes: int | None
    until: RelTime
    times_per_week: int | None = None
    while_awake: bool = False
    during_sleep: bool = False

    def __post_init__(self) -> None:
        counts = ("times_per_day", "every_minutes", "times_per_week")
        _check(
            self,
            {
                "rule": (str,),
                "until": (RelTime,),
                "while_awake": (bool,),
                "during_sleep": (bool,),
                **dict.fromkeys(counts, (int, _NONE)),
            },
        )
        if not self.rule.strip():
            raise ValueError("rule: must not be empty")
        if any((value := getattr(self, k)) is not None and value <= 0 for k in counts):
            raise ValueError("times_per_day, every_minutes, times_per_week must be positive")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe; `from_dict` reads it back."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Recurrence:
        return _build(cls, data, {"until": RelTime.from_dict})


@dataclass(frozen=True)
class Timing:
    """What one instruction says about its time (a Step without its place in the document)."""

    kind: str
    critical: bool
    conditional: bool
    opens: RelTime
    due: RelTime
    expires: RelTime | None
    recurrence: Recurrence | None
    evidence: str
    rule: str
    confidence: float
    mark: RelTime  # the moment the text named, for a following "after that"


@dataclass(frozen=True)
class Step:
    """One patient instruction with its window relative to the procedure."""

    section: str
    line: int
    text: str
    kind: str
    critical: bool
    conditional: bool
    opens: RelTime
    due: RelTime
    expires: RelTime | None
    recurrence: Recurrence | None
    evidence: str
    rule: str
    confidence: float

    def __post_init__(self) -> None:
        _check(
            self,
            {
                **dict.fromkeys(("section", "text", "kind", "evidence", "rule"), (str,)),
                "line": (int,),
                "critical": (bool,),
                "conditional": (bool,),
                "opens": (RelTime,),
                "due": (RelTime,),
                "expires": (RelTime, _NONE),
                "recurrence": (Recurrence, _NONE),
                "confidence": (float, int),
            },
        )
        if self.kind not in KINDS:
            raise ValueError(f"kind: {self.kind!r} is not one of {', '.join(KINDS)}")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence: must be between 0 and 1, got {self.confidence}")

    @property
    def needs_review(self) -> bool:
        """A reviewer should look at the timing before patients get it."""
        return self.confidence < REVIEW_THRESHOLD

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe; `from_dict` reads it back."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Step:
        nested = {
            "opens": RelTime.from_dict,
            "due": RelTime.from_dict,
            "expires": RelTime.from_dict,
            "recurrence": Recurrence.from_dict,
        }
        return _build(cls, data, nested)


@dataclass(frozen=True)
class Derived:
    """A document's steps, the procedure's duration and what a reviewer should know."""

    steps: tuple[Step, ...]
    duration_minutes: int
    warnings: tuple[str, ...]


def rel(anchor: Anchor, offset: Offset) -> RelTime:
    """A data-file offset on an anchor."""
    return RelTime(anchor, offset.days, offset.minutes, offset.clock, offset.reminder)


def default_timing(kind: str, anchor: Anchor) -> tuple[Default, RelTime, RelTime, RelTime | None]:
    """The clinical default for a kind: the default itself, opens, due, expires."""
    chosen = defaults().for_step(anchor, kind)
    expires = rel(anchor, chosen.expires) if chosen.expires else None
    return chosen, rel(anchor, chosen.opens), rel(anchor, chosen.due), expires


_WORDS = {"within": "within ", "for": "for ", "until": "until ", "at least": "at least "}


@dataclass(frozen=True)
class _Window:
    """A window found in the text, before recurrence and clamping."""

    opens: RelTime
    due: RelTime
    mark: RelTime
    until: RelTime | None  # where a repeat would end, when the text says
    days: float  # how long a "for N" span lasts, in days (0 for points)
    rule: str
    confidence: float
    spans: tuple[Span, ...]


@cache
def _kinds() -> dict[str, KindRule]:
    return {k.name: k for k in lexicon().kinds}


def _factor(name: str) -> float:
    return lexicon().confidence[name].value


def _from_relation(found: phrases.Relation, anchor: Anchor, state: bool) -> _Window:
    """Window rules for an amount of time: which end opens, which is due, per side."""
    span, cfg = found.duration, defaults()
    low, high = span.size(span.amount.low), span.size(span.amount.high)

    def at(n: int) -> RelTime:
        return RelTime(anchor, minutes=n) if span.exact else RelTime(anchor, n, reminder_hour=True)

    def plain(n: int) -> RelTime:
        return RelTime(anchor, minutes=n) if span.exact else RelTime(anchor, n)

    def end_of(n: int) -> RelTime:  # the end of that calendar day (exact: the moment)
        return RelTime(anchor, minutes=n) if span.exact else RelTime(anchor, n + 1, clock="00:00")

    here, name = RelTime(anchor), "point" if found.direction == "wait" else found.name
    until: RelTime | None = None
    if anchor == "start":
        if name in ("within", "for"):
            opens, due = at(-high), here
        elif span.exact:  # an exact deadline is reminded a little ahead
            lead = cfg.deadline_lead_minutes if low == high and not state else 0
            opens, due = at(-high - lead), here if state else at(-low)
        else:
            opens, due = at(-high), here if state else end_of(-low)
        mark, until = at(-high), here
    elif name in ("within", "for", "until") or state:
        opens, due = here, plain(high)
        mark = until = due
    else:  # "after N": not before then, due a little later
        grace = cfg.after_grace_minutes if low == high and span.exact else 0
        opens, due, mark = at(low), end_of(high + grace), at(low)
    unit = span.unit.name + "s"
    way = "before" if anchor == "start" else "after"
    rule = f"{_WORDS.get(name, '')}N {unit} {way}"
    if found.direction == "wait" or found.name == "bare":
        rule += " (waiting)" if found.direction == "wait" else " (no preposition)"
    confidence = _factor("bare" if found.name == "bare" else "explicit")
    if span.amount.ranged:
        confidence = min(confidence, _factor("range"))
    if found.modified:
        confidence *= _factor("modifier")
    if span.amount.vague:
        confidence = min(confidence, span.amount.vague.confidence)
        rule += f" ({span.amount.vague.phrase!r} = {span.amount.vague.value})"
    days = high / 1440 if span.exact else high
    length = days if name == "for" or (name == "until" and anchor == "end") else 0
    return _Window(opens, due, mark, until, length, rule, confidence, (found.span,))


def _from_day(
    day: phrases.DayMatch | None, clock: phrases.ClockMatch | None, anchor: Anchor, state: bool
) -> _Window:
    """Window rules for "the evening before", "the next day", "by 3 pm the day before"."""
    here, lead = RelTime(anchor), defaults().deadline_lead_minutes
    phrase = (
        day.phrase
        if day
        else DayPhrase(
            (), anchor, -1 if anchor == "start" else 0, None, False, "day", "a clock time alone"
        )
    )
    moment = RelTime(
        anchor,
        phrase.days,
        0,
        clock.clock if clock else phrase.clock,
        phrase.reminder and clock is None,
    )
    until: RelTime | None = here if anchor == "start" else None
    if phrase.span == "from-anchor":
        opens, due = here, RelTime(anchor, phrase.days)
        mark = until = due
    elif clock and clock.relation != "after":
        opens, due, mark = moment.shifted(minutes=-lead), moment, moment
    elif phrase.span == "to-anchor" or (anchor == "start" and (state or phrase.days == 0)):
        opens, due, mark = moment, here, moment
    else:
        opens, due, mark = moment, RelTime(anchor, phrase.days + 1, clock="00:00"), moment
    parts = [f"day: {phrase.phrases[0]}"] if day else []
    parts += [f"clock: {clock.relation} {clock.clock}"] if clock else []
    confidence = _factor("clock" if clock else "day") * (1.0 if day else _factor("bare"))
    spans = tuple(m.span for m in (day, clock) if m is not None)
    return _Window(
        opens,
        due,
        mark,
        until,
        phrase.days if phrase.span == "from-anchor" else 0,
        ", ".join(parts),
        confidence,
        spans,
    )


def _overlaps(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _window(
    text: str, anchor: Anchor, state: bool, repeat: phrases.Repeat | None, previous: RelTime | None
) -> _Window | None:
    """The window the text states, choosing among its timing phrases."""
    day, clock = phrases.day_phrase(text, anchor), phrases.clock_time(text)
    taken = [*(repeat.spans if repeat else ()), *(m.span for m in (day, clock) if m)]
    ways = ("before", None) if anchor == "start" else ("after", "wait", None)
    found = [
        r
        for r in phrases.relations(text)
        if r.direction in ways and not any(_overlaps(r.span, s) for s in taken)
    ]
    if repeat:  # "walk for 10 minutes three times a day": the 10 minutes is not the schedule
        found = [r for r in found if r.span[0] > repeat.spans[0][0] or not r.duration.exact]
    found.sort(key=lambda r: (r.direction is None, r.name == "bare"))
    several = _factor("several") if len(found) > 1 else 1.0
    if found and (found[0].direction is not None or not (day or clock)):
        chosen = _from_relation(found[0], anchor, state)
        return replace(chosen, confidence=chosen.confidence * several)
    if day or clock:
        return _from_day(day, clock, anchor, state)
    reference = phrases.refers_back(text)
    if previous is not None and reference is not None:
        here = RelTime(anchor)
        due = here if anchor == "start" else previous.shifted(days=1)
        until = here if anchor == "start" else None
        return _Window(
            previous,
            due,
            previous,
            until,
            0,
            "after the clause before",
            _factor("reference"),
            (reference,),
        )
    return None


def _rrule(repeat: phrases.Repeat) -> str:
    """The RFC 5545 RRULE body for a repeat."""
    cfg = defaults()
    parts = [f"FREQ={repeat.freq}"] + (
        [f"INTERVAL={repeat.interval}"] if repeat.interval > 1 else []
    )
    if repeat.during_sleep:
        hours = [clock_minutes(cfg.sleep)]
    elif repeat.times_per_day and repeat.times_per_day > 1:
        hours = list(cfg.dose_minutes(repeat.times_per_day))
    elif repeat.while_awake and repeat.freq == "HOURLY" and repeat.interval == 1:
        first, last = (clock_minutes(c) for c in cfg.waking)
        hours = list(range(first - first % 60, last, 60))
    else:
        hours = []
    if hours and len({m % 60 for m in hours}) == 1:
        parts += [f"BYHOUR={','.join(str(m // 60) for m in hours)}", f"BYMINUTE={hours[0] % 60}"]
    if repeat.times_per_week and repeat.times_per_week > 1:
        parts.append("BYDAY=" + ",".join(cfg.weekdays[repeat.times_per_week - 1]))
    return ";".join(parts)


def _describe(repeat: phrases.Repeat) -> str:
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


def daily(until: RelTime) -> Recurrence:
    """Once a day, at the clock time the step opens, until `until`."""
    return Recurrence("FREQ=DAILY", 1, None, until)


def _after_start(point: RelTime) -> bool:
    """Always after the procedure start, whatever its clock time (a preparation step can't)."""
    exact = point.clock is None and not point.reminder_hour
    return point.anchor == "start" and (
        point.days > 0 or (point.days == 0 and exact and point.minutes > 0)
    )


def _default_window(kind: str, anchor: Anchor) -> tuple[_Window, Default]:
    """The clinical default as a window (a default that repeats ends at its due time)."""
    chosen, opens, due, _ = default_timing(kind, anchor)
    until = due if chosen.recurrence else None
    return _Window(opens, due, opens, until, 0, chosen.rule, chosen.confidence, ()), chosen


def time_phrase(
    text: str, *, anchor: Anchor, kind: str | None = None, previous: RelTime | None = None
) -> Timing:
    """Read one instruction: its kind, flags, window, recurrence, evidence and confidence.

    `kind` overrides the keyword reading; `previous` is the moment the clause before named,
    for "after that".
    """
    lex, cfg, here = lexicon(), defaults(), RelTime(anchor)
    name = kind or phrases.kind(text) or lex.fallback[anchor]
    rules = _kinds()[name]
    if anchor == "end" and rules.recovery:  # no fasting after the procedure: that is diet
        name, rules = rules.recovery, _kinds()[rules.recovery]
    critical = rules.critical == "always" or (rules.critical == "hold" and phrases.holds(text))
    conditional = phrases.hedged(text)
    repeat = phrases.repeat(text)
    window, chosen = _window(text, anchor, rules.state, repeat, previous), None
    if window is None:
        window, chosen = _default_window(name, anchor)
        conditional = conditional or chosen.conditional
    opens, due, until = window.opens, window.due, window.until
    rule, confidence, spans = window.rule, window.confidence, window.spans
    expires = rel(anchor, chosen.expires) if chosen and chosen.expires else None
    expires = expires or (here if anchor == "start" else None)
    ongoing = rules.ongoing and window.days >= cfg.implied_daily_min_days
    if repeat is None and until is not None and (ongoing or (chosen and chosen.recurrence)):
        implied = _factor("implied_daily") if chosen is None else 1.0
        repeat = phrases.Repeat((), "DAILY", times_per_day=1, confidence=implied)
        rule = f"daily (implied); {rule}" if chosen is None else rule
    elif repeat is not None:
        if chosen is not None or until is None:
            confidence *= _factor("default_until")
        if until is None:
            until = here if anchor == "start" else RelTime(anchor, opens.days + cfg.until_days)
            rule += f"; until: default {cfg.until_days} days" if anchor == "end" else ""
        confidence = min(confidence, _factor("range") if repeat.ranged else 1.0)
        rule = f"{_describe(repeat)}; {rule}"
    recurrence = None
    if repeat is not None and until is not None:
        confidence = min(confidence, repeat.confidence)
        recurrence = Recurrence(
            _rrule(repeat),
            repeat.times_per_day,
            repeat.every_minutes,
            until,
            repeat.times_per_week,
            repeat.while_awake,
            repeat.during_sleep,
        )
        spans, due = spans + repeat.spans, until
    if anchor == "start" and (_after_start(opens) or _after_start(due)):
        opens, due = (here if _after_start(opens) else opens), (here if _after_start(due) else due)
        rule += "; clamped to the start"
        confidence *= _factor("clamped")
    evidence = text[min(s[0] for s in spans) : max(s[1] for s in spans)] if spans else ""
    confidence = round(min(max(confidence, 0.0), 1.0), 2)
    return Timing(
        name,
        critical,
        conditional,
        opens,
        due,
        expires,
        recurrence,
        evidence,
        rule[:200],
        confidence,
        window.mark,
    )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _entry_steps(section: str, entry: Entry, text: str, anchor: Anchor) -> list[Step]:
    """The steps of one bullet: each clause, or each item of an "includes" list.

    A clause with no time of its own that follows a timed clause only explains it ("you may
    shower with it on"), so it joins that clause, unless it is critical on its own.
    """
    steps: list[Step] = []
    timed_from: int | None = None  # where the last clause with its own time starts
    mark: RelTime | None = None
    previous_mark: RelTime | None = None  # the mark before the last step, for re-reading it
    kind: str | None = None

    def make(span: Span, timing: Timing, conditional: bool = False) -> Step:
        return Step(
            section,
            entry.line,
            _capital(text[span[0] : span[1]]),
            timing.kind,
            timing.critical,
            timing.conditional or conditional,
            timing.opens,
            timing.due,
            timing.expires,
            timing.recurrence,
            timing.evidence,
            timing.rule,
            timing.confidence,
        )

    for start, end in phrases.clauses(text):
        head, items = phrases.items(text, start, end)
        for a, b in items:
            item = time_phrase(text[a:b], anchor=anchor)
            steps.append(make((a, b), item, phrases.hedged(text[start:head])))
        if items:
            timed_from, mark = None, None
            continue
        clause = text[start:end]
        own = kind if phrases.kind(clause) is None else None
        timing = time_phrase(clause, anchor=anchor, kind=own, previous=mark)
        explains = not timing.evidence and not timing.critical
        if timed_from is not None and steps and explains and end - timed_from <= MERGED_CHARS:
            start = timed_from
            timing = time_phrase(
                text[start:end], anchor=anchor, kind=steps[-1].kind, previous=previous_mark
            )
            steps.pop()
        else:
            previous_mark = mark
        steps.append(make((start, end), timing))
        timed_from = start if timing.evidence else None
        mark, kind = timing.mark, timing.kind
    return steps


def _after_part(entry: Entry) -> bool:
    """Patient Experience entries about after the procedure ("After the procedure: ...")."""
    label = entry.label or " ".join(entry.text.split()[:4])
    return bool(_AFTER_LABEL.search(label)) and not _DURING_LABEL.search(label)


def _watch_step(sections: list[Section]) -> Step:
    """Risks and Complications become one daily "watch for these warning signs" step."""
    signs = "; ".join(e.body.rstrip(". ") for s in sections for e in s.entries)
    chosen, opens, due, expires = default_timing("symptom watch", "end")
    return Step(
        "risks and complications",
        sections[0].line,
        f"{WATCH_TEXT}: {signs}",
        "symptom watch",
        False,
        chosen.conditional,
        opens,
        due,
        expires,
        daily(due),
        "",
        chosen.rule,
        chosen.confidence,
    )


def _duration(document: Document, warnings: list[str]) -> int:
    """The longest time the Duration section states, in minutes (else the default, warned)."""
    fallback = defaults().duration_minutes
    section = document.section("duration")
    if section is None:
        warnings.append(f"{document.path}:0: no Duration section; assuming {fallback} minutes")
        return fallback
    text = " ".join(e.text for e in section.entries)
    found = [r.duration for r in phrases.relations(text)]
    if not found:
        warnings.append(
            f"{document.path}:{section.line}: no duration found in {text[:60]!r}; "
            f"assuming {fallback} minutes"
        )
        return fallback
    longest = max(found, key=lambda d: d.size(d.amount.high) * (1 if d.exact else 1440))
    minutes = longest.size(longest.amount.high) * (1 if longest.exact else 1440)
    if longest.amount.vague:
        warnings.append(
            f"{document.path}:{section.line}: vague duration "
            f"({longest.amount.vague.phrase!r}); assuming {minutes} minutes"
        )
    return max(1, minutes)


def derive(document: Document) -> Derived:
    """Every patient step of a document, in section order, with the procedure's duration."""
    warnings = list(document.warnings)
    minutes = _duration(document, warnings)
    steps: list[Step] = []
    for key, anchor in _STEP_SECTIONS:
        for section in (s for s in document.sections if s.key == key):
            for entry in section.entries:
                if key == "patient experience" and not _after_part(entry):
                    continue
                text = entry.body if key == "patient experience" else entry.text
                if text.rstrip().endswith(":"):
                    continue  # an introduction ("Before your procedure:"), not an instruction
                steps += _entry_steps(key, entry, text, anchor)
    risks = [s for s in document.sections if s.key == "risks and complications" and s.entries]
    if risks:
        steps.append(_watch_step(risks))
    return Derived(tuple(steps), minutes, tuple(warnings))
