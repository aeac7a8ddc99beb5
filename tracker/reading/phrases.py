"""What one instruction says about time, as spans of its text: amounts, relations, day
phrases, hedges and kind keywords (clock times and numbered periods are in `time_points`).
Matching only, driven by the lexicon (see `phrase_grammar`); `frequencies` reads how often, and
`windows` turns what is found into windows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from tracker.reading.lexicon import DayPhrase, Unit, Vague
from tracker.reading.phrase_grammar import compiled_grammar, number, vague_phrase

Span = tuple[int, int]
# a reason given with the instruction ("since your mouth will be numb afterwards") speaks of
# the procedure, not of the clause before
_BECAUSE = re.compile(
    r"(?:[,;]\s*(?:since|because|as)|\b(?:since|because))\s+(?:you|your|it|they|the|there|this)"
    r"\b[^;]*$",
    re.IGNORECASE,
)
_REFERENCE = re.compile(
    r"\b(?:after that|after this|afterwards?|after which|from that (?:day|time|point)|"
    r"from then(?: on)?|(?:on\s+)?that day|at that time"
    r"|once (?:it|they) (?:is|are|has been|have been) (?:off|out|removed)"
    r"|once (?:it's|they're) (?:off|out))\b",
    re.IGNORECASE,
)
_PRONOUNS = ("it", "this", "that")
# Words after "before" / "after" that leave it bare, naming the procedure: "1 week before for
# advice", "1 hour before with a sip of water", "2 hours after and then ..."
_BARE_BEFORE = (
    "and", "or", "then", "so", "to", "if", "when", "as", "instead", "too", "for", "with", "by",
    "in", "at", "on", "from", "via",
)  # fmt: skip
_AFTER_THE = re.compile(r"\b(?:after|following|beyond)\s+(?:the\s+)?$", re.IGNORECASE)
# "if you have had a scan in the last 2 weeks": a look back that sets a condition, no window
_LOOK_BACK = re.compile(r"\b(?:in|within|over|during)\s+$", re.IGNORECASE)
_LOOK_BACK_WORDS = ("in", "within", "over", "during")
# "for the two weeks after that": the period after the clause before (see `references`), not
# an amount after the procedure
_THE_BEFORE = re.compile(r"\bthe\s+$", re.IGNORECASE)
_THAT_NEXT = re.compile(r"\s+(?:that|this|then)\b", re.IGNORECASE)
_NOT_DAY = re.compile(r"\b(?:not|never|rather than|instead of)\s+(?:on\s+)?$", re.IGNORECASE)
_AT_HOME = re.compile(r"\s+(?:at|back)\s+home\b", re.IGNORECASE)
_CLAUSE_END = re.compile(r"\s*(?:$|[,;.)]|and\b|or\b)", re.IGNORECASE)
_NEXT_WORD = re.compile(r"\s*([A-Za-z][\w-]*)")


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
    arrival: bool = False  # counted from check-in ("2 hours before you arrive")
    discharge: bool = False  # counted from going home ("48 hours after you go home")
    started: bool = False  # counted from the start ("2 hours after you swallow the capsule")
    elapsed: bool = False  # "after 14 days": once that much time has passed, not a day named
    at_home: bool = False  # "the first week at home": a time spent at home, not only after


@dataclass(frozen=True)
class DayMatch:
    span: Span
    phrase: DayPhrase


def _amount(match: re.Match[str]) -> tuple[Amount, Unit]:
    grammar = compiled_grammar()
    if match["vague"]:
        vague = vague_phrase(match["vague"])
        assert vague is not None
        value = float(vague.value)
        return Amount(value, value, vague, False), grammar.units[match["vunit"].lower()]
    if match["aunit"]:
        return Amount(1, 2, None, True), grammar.units[match["aunit"].lower()]
    if match["half"]:
        return Amount(30, 30, None, False), grammar.units["minutes"]
    if match["sunit"]:  # "the first week", "the first week or two"
        two = match["ortwo"] is not None
        return Amount(1, 2 if two else 1, None, two), grammar.units[match["sunit"].lower()]
    low = number(match["lo"])
    high = number(match["hi"]) if match["hi"] else low
    unit = grammar.units[match["unit"].lower()]
    if match["lunit"]:  # "6 weeks to 3 months": the low bound in the high bound's unit
        low = low * _measure(grammar.units[match["lunit"].lower()]) / _measure(unit)
    return Amount(min(low, high), max(low, high), None, high != low), unit


def _measure(unit: Unit) -> float:
    """A unit's length in minutes (calendar units at their usual length), to compare units."""
    return float(unit.minutes) if unit.minutes is not None else (unit.days or 0) * 1440


def _direction(text: str, match: re.Match[str]) -> str | None:
    """Which way from the procedure the amount points, or "other" for another event."""
    said = match["before"] or match["after"]
    if not said:
        return None
    way = "before" if match["before"] else "after"
    if match["first"] and "," in text[match.start() : match.start(way)]:
        return None  # "for the first 3 days, before the block wears off": counted from the end
    if " ".join(said.lower().split()) not in compiled_grammar().lex.connectives or match["event"]:
        return way
    word = _NEXT_WORD.match(text, match.end())
    if word is None or text[match.end() : word.start(1)].strip():  # punctuation or the end
        return way
    if word[1].lower() in _BARE_BEFORE:
        return way
    if word[1].lower() in _PRONOUNS and _CLAUSE_END.match(text, word.end()):
        return way  # "for 48 hours after it": the procedure named before (not "after it heals")
    return "wait" if way == "before" and word[1].lower().endswith("ing") else "other"


@lru_cache(maxsize=4096)
def relations(text: str) -> tuple[Relation, ...]:
    """Every amount of time in the text with the words around it (a clause is read by several
    rules, so the last few thousand answers are kept)."""
    return tuple(_relations(text))


def _relations(text: str) -> list[Relation]:
    grammar, found = compiled_grammar(), []
    names = grammar.relation_names
    for match in grammar.relation.finditer(text):
        amount, unit = _amount(match)
        if amount.high <= 0 or _next_period(text, match):
            continue
        rel = " ".join(match["rel"].lower().split()) if match["rel"] else None
        direction = _direction(text, match)
        last = (match["first"] or "").lower() == "last"
        lead = (rel or "").split(" ", 1)[0]  # "in", "in the", "within the"
        looks_back = last and (
            lead in _LOOK_BACK_WORDS or _LOOK_BACK.search(text, 0, match.start())
        )
        if looks_back and direction is None:
            continue
        if rel is not None:
            name = names[rel]
        elif (match["first"] or match["sunit"]) and _AFTER_THE.search(text, 0, match.start()):
            name, direction = "point", "after"  # "after the first year": from then on
        elif match["first"] or match["sunit"]:
            name = "for"
        else:
            name = "point" if direction else "bare"
        last = (match["first"] or match["ord"] or "").lower() in ("last", "final")
        if (match["first"] or match["sunit"]) and direction is None and not last:
            direction = "after"  # "the first 3 days" counts from the end
        span = (match.start(), match.end())
        event = " ".join((match["event"] or "").lower().split())
        event = event.removeprefix("the ").removeprefix("your ")
        event = event.removeprefix("last ").removeprefix("final ")
        arrival = event in grammar.lex.arrival
        duration = Duration(amount, unit)
        home = event in grammar.lex.discharge
        at_home = None if match["before"] else _AT_HOME.match(text, match.end())
        if at_home is not None:  # "the first week at home": counted from going home
            home, direction, span = True, "after", (match.start(), at_home.end())
        started = event in grammar.lex.started
        modified = bool(match["mod"])
        # a single exact amount ("after 14 days"), not a range or "about a week": a day named
        exact_amount = not (amount.ranged or amount.vague or modified)
        elapsed = rel in ("after", "following") and direction is None and exact_amount
        found.append(
            Relation(
                span,
                name,
                direction,
                duration,
                modified,
                arrival,
                home,
                started,
                elapsed,
                at_home is not None,
            )
        )
    return found


def _next_period(text: str, match: re.Match[str]) -> bool:
    """ "the two weeks after that": a period counted from the clause before."""
    if not match["after"] or match["event"] or match["first"] or not match["lo"]:
        return False
    the = _THE_BEFORE.search(text, 0, match.start("lo"))
    return bool(the and _THAT_NEXT.match(text, match.end()))


@lru_cache(maxsize=4096)
def day_phrase(text: str, side: str) -> DayMatch | None:
    """The first day-relative phrase of this side, by lexicon priority."""
    grammar = compiled_grammar()
    if grammar.any_day.search(text) is None:  # most clauses name no day: one pass decides
        return None
    for pattern, phrase in grammar.days:
        if phrase.side != side:
            continue
        for match in pattern.finditer(text):
            if _OR_MORE.match(text, match.end()):  # "for the next day or two": an amount
                continue
            if not _NOT_DAY.search(text, 0, match.start()):  # "on the day, not the night before"
                return DayMatch((match.start(), match.end()), phrase)
    return None


_OR_MORE = re.compile(r"\s+or\s+(?:two|2|three|3)\b", re.IGNORECASE)
_OR_NEXT = re.compile(r"\s*,?\s*or\s+(?:early\s+|late\s+)?(?:on\s+|in\s+)?", re.IGNORECASE)


def or_day(text: str, day: DayMatch) -> DayMatch | None:
    """ "The night before or the morning of surgery": the other day offered, right after."""
    joined = _OR_NEXT.match(text, day.span[1])
    if joined is None:
        return None
    for pattern, phrase in compiled_grammar().days:
        found = pattern.match(text, joined.end())
        if found is not None and phrase.side == day.phrase.side:
            return DayMatch((found.start(), found.end()), phrase)
    return None


_ASIDE = re.compile(r"\b(?:including|especially|such\s+as)\b[^,;]*$", re.IGNORECASE)


def aside(text: str, found: Relation) -> bool:
    """An amount in an "including ..." aside ("for 7 days, including at night for the first
    few nights") adds a detail; the instruction's own amount comes first."""
    return _ASIDE.search(text, 0, found.span[0]) is not None


def hedged(text: str) -> bool:
    """The text hedges ("may be required", "if advised", "as directed")."""
    return compiled_grammar().any_hedge.search(text) is not None


def holds(text: str) -> bool:
    """The text stops, pauses or changes a medication (and does not say 'never stop')."""
    lex = compiled_grammar().lex
    for pattern in lex.holds:
        for match in pattern.finditer(text):
            before = text[: match.start()].lower().split()[-2:]
            if not any(" ".join(before[i:]) in lex.negations for i in range(len(before))):
                return True
    return False


# A keyword right after a direction word names the procedure, not the instruction's kind
# ("take out dentures before the test" is not a test).
_NAMES_EVENT = re.compile(
    r"\b(?:before|after|until|till|during|following|prior\s+to)\s+(?:the\s+|your\s+)$",
    re.IGNORECASE,
)


@lru_cache(maxsize=4096)
def kind(text: str) -> str | None:
    """The kind whose keyword comes first in the text (ties: lexicon order), if any."""
    grammar = compiled_grammar()
    for match in grammar.any_kind.finditer(text):
        if match.lastindex is None:
            continue
        if _NAMES_EVENT.search(text, 0, match.start()):  # "before the test": when, not what
            continue
        return grammar.kinds[match.lastindex - 1][1]
    return None


def refers_back(text: str) -> Span | None:
    """'after that': the clause times itself from the clause before."""
    match = _REFERENCE.search(text)
    if match is None or _BECAUSE.search(text, 0, match.start()):
        return None  # "bring a pad, as you may bleed a little afterwards": after the procedure
    return match.start(), match.end()
