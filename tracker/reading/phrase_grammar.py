"""The lexicon compiled into the regular expressions `phrases` and `frequencies` match with.

Built once on first use: each pattern is the lexicon's words as alternations, longest first,
so a data-file change needs no code change. `number` and `vague_phrase` turn the matched words
back into values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from tracker.reading.lexicon import DayPhrase, Lexicon, Unit, Vague, lexicon

_SEP = r"(?:\s*[-–—]\s*|\s+(?:to|or|and)\s+)"
_DIGITS = r"\d{1,4}(?:\.\d{1,2})?"
_ENDINGS = r"(?:s|es|d|ed|ing|r|rs|er|ers)?"


# A procedure named by its own word ("before your colposcopy", "after the thoracentesis"): the
# suffixes that name operations and scopes, so "before" has the procedure as its object.
_PROCEDURE_NOUN = r"[a-z]+(?:scopy|ectomy|otomy|ostomy|plasty|centesis|graphy|pexy)"


def _alt(words: tuple[str, ...] | list[str]) -> str:
    ordered = sorted(set(words), key=len, reverse=True)
    return "(?:" + "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in ordered) + ")"


@dataclass(frozen=True)
class Grammar:
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
def compiled_grammar() -> Grammar:
    """The packaged lexicon as patterns, compiled once."""
    lex = lexicon()
    units = {w: u for u in lex.units for w in u.words}
    tens = [w for w, v in lex.numbers.items() if v >= 20 and v % 10 == 0]
    ones = [w for w, v in lex.numbers.items() if 1 <= v <= 9 and w not in ("a", "an", "single")]
    num = rf"(?:{_DIGITS}|{_alt(tens)}[-\s]{_alt(ones)}|{_alt(list(lex.numbers))})"
    unit, vague = _alt(list(units)), _alt([v.phrase for v in lex.vague])
    singular = _alt([u.words[1] if u.words[0].endswith("s") else u.words[0] for u in lex.units])
    amount = (
        rf"(?:(?P<vague>{vague})\s+(?P<vunit>{unit})|(?:an?|one)\s+(?P<aunit>{unit})\s+or\s+two"
        # "6 weeks to 3 months": a low bound with its own unit, only before "to" or a dash
        rf"|(?P<lo>{num})(?:\s*(?P<lunit>{unit})(?=\s*[-–—]\s*\d|\s+to\s))?"
        rf"(?:{_SEP}(?P<hi>{num}))?\s*-?\s*(?:(?:more|further|additional|extra)\s+)?"
        rf"(?P<unit>{unit})"
        rf"|(?P<half>half\s+an?\s+hour)|(?P<ord>{_alt(lex.ordinals)})\s+(?P<sunit>{singular})"
        rf"(?P<ortwo>\s+or\s+two)?)"
    )
    relation_words = [w for words in lex.relations.values() for w in words]
    events = f"(?:{_alt(lex.events)}|{_PROCEDURE_NOUN})"
    relation = re.compile(
        rf"\b(?:(?P<rel>{_alt(relation_words)})\s+)?(?:(?P<mod>{_alt(lex.modifiers)})\s+)?"
        rf"(?:the\s+)?(?:(?P<first>{_alt(lex.ordinals)})\s+)?{amount}\b"
        rf"(?:\s*,?\s*(?:(?P<before>{_alt(lex.before)})|(?P<after>{_alt(lex.after)}))"
        # "after the last test": the procedure's own end, when it has several parts
        rf"(?:\s+(?P<event>(?:the\s+|your\s+|an?\s+)?(?:(?:last|final)\s+)?{events})\b)?)?",
        re.IGNORECASE,
    )
    count = rf"(?:{_alt(list(lex.counts))}|{vague}|{num})"
    times = re.compile(
        rf"\b(?P<c1>{count})(?:{_SEP}(?P<c2>{count}))?(?P<x>\s*(?:times?|x))?\s*"
        rf"(?:(?:a|an|per|each|every|/|in\s+a|on\s+the)\s*(?P<per>day|week|night)|(?P<ly>daily|weekly))\b",
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
    event = rf"(?:\s+(?:the\s+|your\s+)?{events}\b)?"
    days = tuple((re.compile(rf"\b{_alt(d.phrases)}\b{event}", re.IGNORECASE), d) for d in lex.days)
    kinds = tuple(
        (re.compile(rf"\b{_alt(k.keywords)}{_ENDINGS}\b", re.IGNORECASE), k.name) for k in lex.kinds
    )
    return Grammar(
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


def number(word: str) -> float:
    """A number written in digits or words ("24", "forty-eight", "once")."""
    lex = compiled_grammar().lex
    word = " ".join(word.lower().split())
    if word[0].isdigit():
        return float(word)
    if word in lex.counts:
        return lex.counts[word]
    vague = compiled_grammar().vague.get(word)
    if vague is not None:
        return vague.value
    return sum(lex.numbers[part] for part in re.split(r"[-\s]", word))


def vague_phrase(word: str | None) -> Vague | None:
    """The lexicon's vague phrase these words are ("a few"), if any."""
    return compiled_grammar().vague.get(" ".join(word.lower().split())) if word else None
