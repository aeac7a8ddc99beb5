"""Events a document times once and then names: "pull the stent out 5 to 7 days after
surgery" makes "until the stent comes out", "while the stent is in" and "for 24 hours after the
stent comes out" read from that time, as a nurse reads them.

`removals` finds the removals a document's recovery instructions time (stitches, a stent, a
dressing...); `reference` finds a clause that names one ("until the stitches are out").
`windows` turns the two into the clause's window.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from tracker.reading import phrases
from tracker.reading.phrases import Span
from tracker.reading.steps import RelTime

# Things put in or on at the procedure and taken out or off later, or worn for a time.
_THINGS = (
    "stent", "stitches", "sutures", "staples", "dressing", "dressings", "wrap", "bandage",
    "bandages", "drain", "catheter", "splint", "cast", "packing", "tape strips", "steri-strips",
    "sling", "brace", "boot", "collar", "eye shield", "shield", "immobilizer", "stockings",
    "sheath",
)  # fmt: skip
# a plural is the same thing ("the drains come out")
_THING = (
    "(?P<thing>(?:" + "|".join(re.escape(t).replace(r"\ ", r"\s+") for t in _THINGS) + r")s?)\b"
)
_REMOVAL = re.compile(
    r"\b(?:remove[sd]?|removing|take\s+(?:off|out)|taken\s+(?:off|out)"
    r"|(?:pull(?:ed)?|take|taken)\b.{0,20}?\bout\b"
    r"|peel\s+off|comes?\s+(?:out|off)|are\s+out|is\s+out)",
    re.IGNORECASE,
)
_NEXT_ACTION = re.compile(r"[,;]|\band\s+(?:put|apply|place|cover|keep|use|let|leave)\b", re.I)
_NAMED = re.compile(r"\b(?:the|your|any)\s+(?:[\w-]+\s+){0,3}?" + _THING, re.IGNORECASE)
_HAD = _THING.replace("(?P<thing>", "(?P<had>")
_REFERENCE = re.compile(
    r"\b(?P<word>until|till|while|after|once)\s+(?:(?:the|your)\s+" + _THING
    + r"|(?P<pronoun>they|it))\s+(?:comes?|are|is|has\s+been|have\s+been|gets?|come)\b"
    # "while you have drains", "while you are wearing the sling", "until you stop wearing the
    # brace": up to its removal; "once you stop wearing the sling": from it
    + r"|\b(?:(?P<having>while)\s+you\s+(?:are\s+)?(?:still\s+)?(?:have|wear|wearing|use|using)"
    + r"|(?P<stopping>until|till)\s+you\s+(?:stop|no\s+longer)\s+(?:wearing|using|need(?:ing)?)"
    + r"|(?P<stopped>after|once)\s+you\s+(?:stop|no\s+longer)\s+(?:wearing|using|need(?:ing)?))"
    + r"\s+(?:the\s+|your\s+|a\s+|an\s+)?" + _HAD,
    re.IGNORECASE,
)  # fmt: skip
_REMOVED = re.compile(r"\s+(?:out|off|removed|taken|pulled|in)\b", re.IGNORECASE)
# "wear the sling for 4 weeks": it comes off when the amount ends
_WORN = re.compile(
    r"\b(?:wear|use|keep\s+(?:on|using))\s+(?:the|your|a|an)\s+(?:[\w-]+\s+){0,2}?" + _THING,
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Removal:
    """When a thing comes out: from `low` (the earliest) to `high` (the latest)."""

    low: RelTime
    high: RelTime


@dataclass(frozen=True)
class Reference:
    span: Span
    thing: str
    until: bool  # "until / while": up to the removal; else "after / once": from it


def _key(thing: str) -> str:
    return " ".join(thing.lower().split()).rstrip("s")


def _timed(text: str) -> Removal | None:
    """The time a removal clause states after the end, if one."""
    for found in phrases.relations(text):
        if found.direction not in ("after", None) or found.name not in ("point", "bare", "within"):
            continue
        span = found.duration
        low, high = span.size(span.amount.low), span.size(span.amount.high)
        if span.exact:
            return Removal(RelTime("end", minutes=low), RelTime("end", minutes=high))
        return Removal(RelTime("end", low, clock="00:00"), RelTime("end", high + 1, clock="00:00"))
    return None


def _worn_for(clause: str) -> Removal | None:
    """When a thing worn "for 4 to 6 weeks" comes off: the amount after the end."""
    for found in phrases.relations(clause):
        if found.name != "for" or found.direction not in ("after", None):
            continue
        span = found.duration
        low, high = span.size(span.amount.low), span.size(span.amount.high)
        if span.exact:
            return Removal(RelTime("end", minutes=low), RelTime("end", minutes=high))
        return Removal(RelTime("end", low), RelTime("end", high))
    return None


# "... after the drain comes out": a removal named right after an amount's "after"
_REMOVED_NEXT = re.compile(
    r"\s*(?:the|your)\s+(?:[\w-]+\s+){0,2}?" + _THING + r"\s+(?:comes?\s+out|is\s+out|are\s+out"
    r"|(?:is|are|has\s+been|have\s+been)\s+(?:removed|taken\s+out|pulled\s+out))\b",
    re.IGNORECASE,
)


# Things put in for the procedure and taken out as it ends, unless the document times it
_OUT_AT_THE_END = ("drain", "sheath", "catheter")


def at_the_end(
    text: str, anchor: str, found: phrases.Relation, known: Mapping[str, Removal] | None
) -> phrases.Relation:
    """'For 2 hours after the drain comes out', with no time for the drain in the document: the
    drain came out as the procedure ended, so the amount counts from the end."""
    if anchor != "end" or found.name != "for" or found.direction != "other":
        return found
    named = _REMOVED_NEXT.match(text, found.span[1])
    thing = _key(named["thing"]) if named else ""
    if thing in _OUT_AT_THE_END and thing not in (known or {}):
        return replace(found, direction="after")
    return found


def removals(clauses: Iterable[str]) -> dict[str, Removal]:
    """Each thing whose removal a recovery clause times, at its first mention."""
    found: dict[str, Removal] = {}
    for clause in clauses:
        worn = _WORN.search(clause)
        if worn is not None and _REFERENCE.search(clause) is None:
            timed = _worn_for(clause)
            if timed is not None:
                found.setdefault(_key(worn["thing"]), timed)
                continue
        if _REMOVAL.search(clause) is None or _REFERENCE.search(clause):
            continue
        verb = _REMOVAL.search(clause)
        assert verb is not None
        cut = _NEXT_ACTION.search(clause, verb.end())  # "... and put a bandage over the stitches"
        named = [
            m["thing"] for m in _NAMED.finditer(clause, 0, cut.start() if cut else len(clause))
        ]
        timed = _timed(clause) if named else None
        if timed is None:
            continue
        for thing in named:  # "take off the dressing and the wrap": both
            found.setdefault(_key(thing), timed)
    return found


def reference(text: str, known: Mapping[str, Removal]) -> tuple[Reference, Removal] | None:
    """A clause that names a timed removal ("until the stent comes out"), with its time."""
    if not known:
        return None
    for match in _REFERENCE.finditer(text):
        thing = match["thing"] or match["had"]
        if match["pronoun"] and not _REMOVED.match(text, match.end()):
            continue  # "until it is healed" names no removal
        if match["pronoun"]:  # "empty the drains ... until they are removed": the thing named
            named = [m["thing"] for m in _NAMED.finditer(text, 0, match.start())]
            # else the one thing the document times ("take the drain out 5 days after" ...
            # "do not shower until it is removed")
            thing = named[-1] if named else next(iter(known)) if len(known) == 1 else None
        removal = known.get(_key(thing)) if thing else None
        if thing is not None and removal is not None:
            word = (match["word"] or match["having"] or match["stopping"] or "after").lower()
            until = word in ("until", "till", "while")
            return Reference((match.start(), match.end()), thing, until), removal
    return None
