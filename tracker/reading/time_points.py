"""Clock times ("by 3 pm", "between 7 and 8 pm", "after lunch") and numbered periods after
the procedure ("during weeks 3 and 4", "from the start of the second week") in one
instruction. Matching only; `windows` turns what is found into windows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracker.reading.phrases import Span

_CLOCK = re.compile(
    r"\b(?:(?P<rel>by|at|before|after|from|until|no later than)\s+)?(?:(?P<h>1[0-2]|0?[1-9])"
    r"(?::(?P<m>[0-5]\d))?\s*(?P<ap>[ap])\.?\s?m\b\.?|(?P<noon>noon|midday)"
    r"|(?P<lunch>lunch(?:time)?)\b"
    r"|(?<=by |at )(?P<H>[01]?\d|2[0-3]):(?P<M>[0-5]\d)\b)",
    re.IGNORECASE,
)


LUNCH_HOUR = 13  # "after lunch": from 1 pm


_BETWEEN = re.compile(
    r"\bbetween\s+(?P<h>1[0-2]|0?[1-9])(?::(?P<m>[0-5]\d))?\s*(?:(?P<ap>[ap])\.?\s?m\b\.?)?"
    r"\s+(?:and|to)\s+$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class PeriodMatch:
    """A numbered week or day after the procedure ("during weeks 3 and 4", "the third day")."""

    span: Span
    first: int  # the first period named, counted from 1 ("week 1" is the first week)
    last: int
    unit: str  # "week" | "day"
    edge: str | None  # "end": to its end; "until": to its start; "start": from it; None: during


@dataclass(frozen=True)
class ClockMatch:
    span: Span
    clock: str  # "HH:MM"
    relation: str  # by | at | after
    opens: str | None = None  # "between 7 and 8 pm": the earlier clock, "19:00"


_ORDINAL_NUMBERS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12,
}  # fmt: skip
_NTH = "(?:" + "|".join(_ORDINAL_NUMBERS) + r"|\d{1,2}(?:st|nd|rd|th))"
_PERIOD = re.compile(
    rf"\b(?:(?P<edge>(?:until|till|up to|by|to|at|from|starting(?:\s+(?:at|from))?|beginning|"
    rf"in)\s+the\s+(?:end|start|beginning)\s+of|by|from|starting(?:\s+(?:in|from))?"
    rf"|(?P<until>until|till|up\s+to))\s+)?"
    rf"(?:(?:the\s+)?(?P<o1>{_NTH})(?:\s+(?:or|and|to)\s+(?P<o2>{_NTH}))?\s+(?P<ounit>week|day)"
    rf"|(?P<unit>weeks?|days?)\s+(?P<n1>\d{{1,2}})(?:\s*(?:and|to|-|–|through|or)\s*(?P<n2>\d{{1,2}}))?)\b",
    re.IGNORECASE,
)


def _nth(word: str) -> int:
    word = word.lower()
    return int(word.rstrip("stndrh")) if word[0].isdigit() else _ORDINAL_NUMBERS[word]


def period(text: str) -> PeriodMatch | None:
    """A numbered week or day after the procedure: "during weeks 3 and 4", "by the fourth
    week", "until the end of week 2", "from the start of the second week", "between days 3
    and 7". "The first week" is not one: it is the amount "for 1 week" (see `relations`)."""
    for match in _PERIOD.finditer(text):
        if match["o1"]:
            first, last = _nth(match["o1"]), _nth(match["o2"] or match["o1"])
            unit = match["ounit"].lower()
        else:
            first, last = int(match["n1"]), int(match["n2"] or match["n1"])
            unit = match["unit"].lower().rstrip("s")
        edge_words = (match["edge"] or match["until"] or "").lower()
        if not 1 <= first <= last <= 52 or (first == last == 1 and not edge_words):
            continue
        edge = None
        if match["until"]:  # "keep it on until day 5": up to that day's start
            edge = "until"
        elif " end " in f" {edge_words} " or edge_words == "by":
            edge = "end"
        elif edge_words:
            edge = "start"
        return PeriodMatch((match.start(), match.end()), first, last, unit, edge)
    return None


def clock_time(text: str) -> ClockMatch | None:
    """A clock time ("by 3 pm", "at 14:00", "noon")."""
    # "after lunch" is a time of day (a meal alone is not: "have a light lunch")
    match = next((m for m in _CLOCK.finditer(text) if not m["lunch"] or m["rel"] == "after"), None)
    if match is None:
        return None
    if match["lunch"]:
        hour, minute = LUNCH_HOUR, 0
    elif match["noon"]:
        hour, minute = 12, 0
    elif match["H"]:
        hour, minute = int(match["H"]), int(match["M"])
    else:
        hour, minute = int(match["h"]) % 12, int(match["m"] or 0)
        hour += 12 if match["ap"].lower() == "p" else 0
    rel = (match["rel"] or "at").lower()
    relation = "after" if rel in ("after", "from") else "at" if rel == "at" else "by"
    span, opens = (match.start(), match.end()), None
    earlier = _BETWEEN.search(text, 0, match.start())
    if earlier is not None and not match["noon"] and not match["H"]:
        first = int(earlier["h"]) % 12 + (12 if match["ap"].lower() == "p" else 0)
        if earlier["ap"]:
            first = int(earlier["h"]) % 12 + (12 if earlier["ap"].lower() == "p" else 0)
        first_minutes, last = first * 60 + int(earlier["m"] or 0), hour * 60 + minute
        if first_minutes < last:
            opens, relation = f"{first:02d}:{first_minutes % 60:02d}", "at"
            span = (earlier.start(), match.end())
    return ClockMatch(span, f"{hour:02d}:{minute:02d}", relation, opens)
