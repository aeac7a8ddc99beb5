"""What one instruction says about time, as spans of its text: amounts, relations, day
phrases, clock times, frequencies, hedges and kind keywords. Matching only, driven by the
lexicon; `windows` turns what is found here into windows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from tracker.lexicon import DayPhrase, Lexicon, Unit, Vague, lexicon

Span = tuple[int, int]
_SEP = r"(?:\s*[-–—]\s*|\s+(?:to|or)\s+)"
_DIGITS = r"\d{1,4}(?:\.\d{1,2})?"
_ENDINGS = r"(?:s|es|d|ed|ing|r|rs|er|ers)?"
_REFERENCE = re.compile(r"\b(?:after that|after this|afterwards?|after which)\b", re.IGNORECASE)
_NEXT_WORD = re.compile(r"\s*([A-Za-z][\w-]*)")
_CLOCK = re.compile(
    r"\b(?:(?P<rel>by|at|before|after|from|until|no later than)\s+)?(?:(?P<h>1[0-2]|0?[1-9])"
    r"(?::(?P<m>[0-5]\d))?\s*(?P<ap>[ap])\.?\s?m\b\.?|(?P<noon>noon|midday)"
    r"|(?<=by |at )(?P<H>[01]?\d|2[0-3]):(?P<M>[0-5]\d)\b)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Amount:
    low: float
    high: float
    vague: Vague | None  # the vague phrase used, if any
    ranged: bool


@dataclass(frozen=True)
class Duration:
    amount: Amount
    unit: Unit

    @property
    def exact(self) -> bool:
        """Minutes and hours are exact; days, weeks and months are calendar days."""
        return self.unit.minutes is not None

    def size(self, value: float) -> int:
        """The value in this duration's measure (minutes when exact, else days)."""
        return int(value * (self.unit.minutes or self.unit.days or 0) + 0.5)


@dataclass(frozen=True)
class Relation:
    span: Span
    name: str  # within | for | until | at least | point | bare
    direction: str | None  # before | after | wait | other | None (not said)
    duration: Duration
    modified: bool  # "about", "approximately"


@dataclass(frozen=True)
class DayMatch:
    span: Span
    phrase: DayPhrase


@dataclass(frozen=True)
class ClockMatch:
    span: Span
    clock: str  # "HH:MM"
    relation: str  # by | at | after


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


def _alt(words: tuple[str, ...] | list[str]) -> str:
    ordered = sorted(set(words), key=len, reverse=True)
    return "(?:" + "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in ordered) + ")"


@dataclass(frozen=True)
class _Grammar:
    lex: Lexicon
    relation: re.Pattern[str]
    times: re.Pattern[str]
    every: re.Pattern[str]
    frequencies: tuple[tuple[re.Pattern[str], str, float], ...]
    days: tuple[tuple[re.Pattern[str], DayPhrase], ...]
    kinds: tuple[tuple[re.Pattern[str], str], ...]
    # All kinds in one alternation, in priority order: the leftmost match wins and, at the
    # same position, the earlier kind — the same answer as trying each, in one pass.
    any_kind: re.Pattern[str]
    any_hedge: re.Pattern[str]
    any_day: re.Pattern[str]
    relation_names: dict[str, str]
    units: dict[str, Unit]
    vague: dict[str, Vague]


@cache
def _grammar() -> _Grammar:
    lex = lexicon()
    units = {w: u for u in lex.units for w in u.words}
    tens = [w for w, v in lex.numbers.items() if v >= 20 and v % 10 == 0]
    ones = [w for w, v in lex.numbers.items() if 1 <= v <= 9 and w not in ("a", "an", "single")]
    num = rf"(?:{_DIGITS}|{_alt(tens)}[-\s]{_alt(ones)}|{_alt(list(lex.numbers))})"
    unit, vague = _alt(list(units)), _alt([v.phrase for v in lex.vague])
    singular = _alt([u.words[1] if u.words[0].endswith("s") else u.words[0] for u in lex.units])
    amount = (
        rf"(?:(?P<vague>{vague})\s+(?P<vunit>{unit})|(?:an?|one)\s+(?P<aunit>{unit})\s+or\s+two"
        rf"|(?P<lo>{num})(?:{_SEP}(?P<hi>{num}))?\s*-?\s*(?P<unit>{unit})"
        rf"|(?P<half>half\s+an?\s+hour)|(?P<ord>{_alt(lex.ordinals)})\s+(?P<sunit>{singular}))"
    )
    relation_words = [w for words in lex.relations.values() for w in words]
    relation = re.compile(
        rf"\b(?:(?P<rel>{_alt(relation_words)})\s+)?(?:(?P<mod>{_alt(lex.modifiers)})\s+)?"
        rf"(?:(?:the\s+)?(?P<first>{_alt(lex.ordinals)})\s+)?{amount}\b"
        rf"(?:\s*,?\s*(?:(?P<before>{_alt(lex.before)})|(?P<after>{_alt(lex.after)}))"
        rf"(?:\s+(?P<event>(?:the\s+|your\s+)?{_alt(lex.events)})\b)?)?",
        re.IGNORECASE,
    )
    count = rf"(?:{_alt(list(lex.counts))}|{vague}|{num})"
    times = re.compile(
        rf"\b(?P<c1>{count})(?:{_SEP}(?P<c2>{count}))?(?P<x>\s*(?:times?|x))?\s*"
        rf"(?:(?:a|an|per|each|every|/|in\s+a)\s*(?P<per>day|week|night)|(?P<ly>daily|weekly))\b",
        re.IGNORECASE,
    )
    every = re.compile(
        rf"\bevery\s+(?:(?P<other>other|second|alternate)\s+(?P<ounit>day|week)"
        rf"|(?:(?P<vague>{vague})|(?P<lo>{num})(?:{_SEP}(?P<hi>{num}))?)\s*(?P<unit>{unit})"
        rf"|(?P<single>minute|hour|day|week|morning|evening|night))\b",
        re.IGNORECASE,
    )
    frequencies = tuple(
        (
            re.compile(
                rf"\b{_alt(f.phrases)}\b"
                + (rf"(?!\s+{_alt(f.not_before)}\b)" if f.not_before else ""),
                re.IGNORECASE,
            ),
            f.rule,
            f.confidence,
        )
        for f in lex.frequencies
    )
    event = rf"(?:\s+(?:the\s+|your\s+)?{_alt(lex.events)}\b)?"
    days = tuple((re.compile(rf"\b{_alt(d.phrases)}\b{event}", re.IGNORECASE), d) for d in lex.days)
    kinds = tuple(
        (re.compile(rf"\b{_alt(k.keywords)}{_ENDINGS}\b", re.IGNORECASE), k.name) for k in lex.kinds
    )
    return _Grammar(
        lex,
        relation,
        times,
        every,
        frequencies,
        days,
        kinds,
        re.compile("|".join(f"({p.pattern})" for p, _ in kinds), re.IGNORECASE),
        re.compile("|".join(f"(?:{p.pattern})" for p in lex.hedges), re.IGNORECASE),
        re.compile("|".join(f"(?:{p.pattern})" for p, _ in days), re.IGNORECASE),
        {w: name for name, words in lex.relations.items() for w in words},
        units,
        {v.phrase: v for v in lex.vague},
    )


def _number(word: str) -> float:
    """A number written in digits or words ("24", "forty-eight", "once")."""
    lex = _grammar().lex
    word = " ".join(word.lower().split())
    if word[0].isdigit():
        return float(word)
    if word in lex.counts:
        return lex.counts[word]
    vague = _grammar().vague.get(word)
    if vague is not None:
        return vague.value
    return sum(lex.numbers[part] for part in re.split(r"[-\s]", word))


def _vague(word: str | None) -> Vague | None:
    return _grammar().vague.get(" ".join(word.lower().split())) if word else None


def _amount(match: re.Match[str]) -> tuple[Amount, Unit]:
    grammar = _grammar()
    if match["vague"]:
        vague = _vague(match["vague"])
        assert vague is not None
        value = float(vague.value)
        return Amount(value, value, vague, False), grammar.units[match["vunit"].lower()]
    if match["aunit"]:
        return Amount(1, 2, None, True), grammar.units[match["aunit"].lower()]
    if match["half"]:
        return Amount(30, 30, None, False), grammar.units["minutes"]
    if match["sunit"]:
        return Amount(1, 1, None, False), grammar.units[match["sunit"].lower()]
    low = _number(match["lo"])
    high = _number(match["hi"]) if match["hi"] else low
    return Amount(min(low, high), max(low, high), None, high != low), grammar.units[
        match["unit"].lower()
    ]


def _direction(text: str, match: re.Match[str]) -> str | None:
    """Which way from the procedure the amount points, or "other" for another event."""
    said = match["before"] or match["after"]
    if not said:
        return None
    way = "before" if match["before"] else "after"
    if " ".join(said.lower().split()) not in _grammar().lex.connectives or match["event"]:
        return way
    word = _NEXT_WORD.match(text, match.end())
    if word is None or text[match.end() : word.start(1)].strip():  # punctuation or the end
        return way
    if word[1].lower() in ("and", "or", "then", "so", "to", "if", "when", "as"):
        return way
    return "wait" if way == "before" and word[1].lower().endswith("ing") else "other"


def relations(text: str) -> list[Relation]:
    """Every amount of time in the text with the words around it."""
    grammar, found = _grammar(), []
    names = grammar.relation_names
    for match in grammar.relation.finditer(text):
        amount, unit = _amount(match)
        if amount.high <= 0:
            continue
        rel = " ".join(match["rel"].lower().split()) if match["rel"] else None
        direction = _direction(text, match)
        if rel is not None:
            name = names[rel]
        elif match["first"] or match["sunit"]:
            name = "for"
        else:
            name = "point" if direction else "bare"
        if (match["first"] or match["sunit"]) and direction is None:
            direction = "after"  # "the first 3 days" counts from the end
        span = (match.start(), match.end())
        found.append(Relation(span, name, direction, Duration(amount, unit), bool(match["mod"])))
    return found


def day_phrase(text: str, side: str) -> DayMatch | None:
    """The first day-relative phrase of this side, by lexicon priority."""
    grammar = _grammar()
    if grammar.any_day.search(text) is None:  # most clauses name no day: one pass decides
        return None
    for pattern, phrase in grammar.days:
        match = pattern.search(text) if phrase.side == side else None
        if match:
            return DayMatch((match.start(), match.end()), phrase)
    return None


def clock_time(text: str) -> ClockMatch | None:
    """A clock time ("by 3 pm", "at 14:00", "noon")."""
    match = _CLOCK.search(text)
    if match is None:
        return None
    if match["noon"]:
        hour, minute = 12, 0
    elif match["H"]:
        hour, minute = int(match["H"]), int(match["M"])
    else:
        hour, minute = int(match["h"]) % 12, int(match["m"] or 0)
        hour += 12 if match["ap"].lower() == "p" else 0
    rel = (match["rel"] or "at").lower()
    relation = "after" if rel in ("after", "from") else "at" if rel == "at" else "by"
    return ClockMatch((match.start(), match.end()), f"{hour:02d}:{minute:02d}", relation)


def _times(match: re.Match[str]) -> Repeat | None:
    counts = [match["c1"], match["c2"]] if match["c2"] else [match["c1"]]
    lex = _grammar().lex
    if not match["x"] and match["c1"].lower() not in lex.counts:
        return None  # "2 daily" is not a frequency; "twice daily" and "2 times daily" are
    vague = [v for v in map(_vague, counts) if v]
    n = int(max(_number(c) for c in counts))
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
    grammar, spans = _grammar(), ((match.start(), match.end()),)
    if match["other"]:
        return Repeat(spans, "WEEKLY" if match["ounit"].lower() == "week" else "DAILY", 2)
    if match["single"]:
        word = match["single"].lower()
        if word == "night":
            return Repeat(spans, "DAILY", times_per_day=1, during_sleep=True)
        if word in ("minute", "hour"):
            return Repeat(spans, "HOURLY", every_minutes=60) if word == "hour" else None
        return Repeat(spans, "WEEKLY" if word == "week" else "DAILY", times_per_day=None)
    vague = _vague(match["vague"])
    value = (
        float(vague.value) if vague else max(map(_number, filter(None, (match["lo"], match["hi"]))))
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


def repeat(text: str) -> Repeat | None:
    """The frequency the text asks for, with its 'while awake' / 'while sleeping' flags."""
    grammar = _grammar()
    found: list[Repeat] = []
    for pattern, parse in ((grammar.times, _times), (grammar.every, _every)):
        found += [r for m in pattern.finditer(text) if (r := parse(m)) is not None]
    flags: dict[str, Span] = {}
    for pattern, rule, confidence in grammar.frequencies:
        for m in pattern.finditer(text):
            span = (m.start(), m.end())
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
    if not found and "sleep" in flags:
        found.append(Repeat((flags["sleep"],), "DAILY", times_per_day=1, during_sleep=True))
    if not found:
        return None
    first = min(found, key=lambda r: r.spans[0])
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


def hedged(text: str) -> bool:
    """The text hedges ("may be required", "if advised", "as directed")."""
    return _grammar().any_hedge.search(text) is not None


def holds(text: str) -> bool:
    """The text stops, pauses or changes a medication (and does not say 'never stop')."""
    lex = _grammar().lex
    for pattern in lex.holds:
        for match in pattern.finditer(text):
            before = text[: match.start()].lower().split()[-2:]
            if not any(" ".join(before[i:]) in lex.negations for i in range(len(before))):
                return True
    return False


def kind(text: str) -> str | None:
    """The kind whose keyword comes first in the text (ties: lexicon order), if any."""
    grammar = _grammar()
    match = grammar.any_kind.search(text)
    if match is None or match.lastindex is None:
        return None
    return grammar.kinds[match.lastindex - 1][1]


def refers_back(text: str) -> Span | None:
    """'after that': the clause times itself from the clause before."""
    match = _REFERENCE.search(text)
    return (match.start(), match.end()) if match else None
