"""Instructions become timed steps: each phrase gives an anchor, a window, maybe a recurrence.

`derive` reads a whole document: it splits each entry into clauses (or the items of an
"includes" list) and times each with `time_phrase` (see `windows`). Times stay relative
(`RelTime`, see `steps`); `localtime` turns them into instants for one patient. This module is
the public face of timing: the values and `time_phrase` are importable from here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from tracker.errors import DocumentError
from tracker.reading import phrases
from tracker.reading.anchors import arrival_point
from tracker.reading.asks import classify
from tracker.reading.clinical_defaults import defaults, said_now
from tracker.reading.cross_steps import (
    onto_end,
    recording_return,
    until_finished,
    until_it_goes,
    until_the_last,
)
from tracker.reading.documents import Document, Entry, Section
from tracker.reading.duplicates import merge_duplicates
from tracker.reading.events import Removal, removals
from tracker.reading.lexicon import KINDS
from tracker.reading.phrases import Span
from tracker.reading.steps import (
    REVIEW_THRESHOLD,
    Anchor,
    Derived,
    Evidence,
    Recurrence,
    RelTime,
    Settings,
    Step,
    Timing,
)
from tracker.reading.windows import daily, default_timing, time_phrase

__all__ = [
    "KINDS",
    "REVIEW_THRESHOLD",
    "Anchor",
    "Derived",
    "Evidence",
    "Recurrence",
    "RelTime",
    "Settings",
    "Step",
    "Timing",
    "derive",
    "time_phrase",
]

WATCH_TEXT = "Watch for these warning signs"
MERGED_CHARS = 600  # an explaining clause joins the one before only while the step stays short
_AFTER_LABEL = re.compile(r"\b(?:after|post(?:-|\s|op|operative|surgical))", re.IGNORECASE)
_DURING_LABEL = re.compile(r"\b(?:during|before|pre(?:-|\s|op|operative))", re.IGNORECASE)
_STEP_SECTIONS: tuple[tuple[str, Anchor], ...] = (
    ("preparation", "start"),
    ("recovery", "end"),
    ("patient experience", "end"),
)
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "dr.", "approx.", "vs.", "no.", "st.")
_INCLUDES = re.compile(r"\b(?:includes?|consists? of)\s+", re.IGNORECASE)
_GERUND_AND = re.compile(r"\s+and\s+(?=[a-z]+ing\b)", re.IGNORECASE)
_SEMICOLON = re.compile(";")
_COMMA = re.compile(",")
_EXAMPLES = re.compile(r"\bsuch as\b|e\.g\.", re.IGNORECASE)
_ANOTHER = re.compile(r"(?:and\s+)?(?:also|then also|as well,?)\b", re.IGNORECASE)
_FINISH = re.compile(r"\bafter\s+you\s+(?:finish|complete|have\s+finished)\b", re.IGNORECASE)
# "then X", "after that, X": X starts when the step before ends
_THEN = re.compile(r"(?:and\s+)?(?:then|after\s+(?:that|this))\b", re.IGNORECASE)
_LEADING_CONJUNCTION = re.compile(r"(?:and|or)\s+")


def _split(text: str, start: int, end: int, pattern: re.Pattern[str]) -> list[Span]:
    """Split text[start:end] at separators outside parentheses; spans trimmed."""
    nested = "(" in text[start:end]
    spans, begin, pos = [], start, start
    while (m := pattern.search(text, pos, end)) is not None:
        where = m.start()
        inside = nested and text.count("(", start, where + 1) > text.count(")", start, where + 1)
        if m.end() == where or inside:
            pos = where + 1
            continue
        spans.append((begin, where))
        begin = pos = m.end()
    spans.append((begin, end))
    return [s for s in (_trim(text, a, b) for a, b in spans) if s[1] > s[0]]


def _trim(text: str, start: int, end: int) -> Span:
    while start < end and (text[start].isspace() or text[start] in ",;:"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ".,;:"):
        end -= 1
    return start, end


_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")


def _clauses(text: str) -> list[Span]:
    """Sentences and ';'-separated parts of one entry, as spans of its text."""
    parts = []
    for start, end in _split(text, 0, len(text), _SEMICOLON):
        begin = start
        for m in _SENTENCE.finditer(text, start, end):
            if not text[begin : m.start()].lower().endswith(_ABBREVIATIONS):
                parts.append(_trim(text, begin, m.start()))
                begin = m.end()
        parts.append(_trim(text, begin, end))
    return [p for p in parts if any(c.isalpha() for c in text[p[0] : p[1]])]


def _items(text: str, start: int, end: int) -> tuple[int, list[Span]]:
    """For "X includes A, B and C": where the list starts, and the items (else no items)."""
    match = _INCLUDES.search(text, start, end)
    if match is None or _EXAMPLES.search(text, match.end(), end):
        return start, []
    found = []
    for a, b in _split(text, match.end(), end, _COMMA):
        a += len(m[0]) if (m := _LEADING_CONJUNCTION.match(text, a, b)) else 0
        found += _split(text, a, b, _GERUND_AND)
    return match.start(), found if len(found) >= 2 else []


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _entry_steps(
    section: str,
    entry: Entry,
    text: str,
    anchor: Anchor,
    arrival: RelTime,
    stay: int = 0,
    known: Mapping[str, Removal] | None = None,
    before: Step | None = None,
) -> list[Step]:
    """The steps of one bullet: each clause, or each item of an "includes" list.

    A clause with no time of its own that follows a timed clause only explains it ("you may
    shower with it on"), so it joins that clause, unless it is critical on its own.
    """
    steps: list[Step] = []
    timed_from: int | None = None  # where the last clause with its own time starts
    mark: RelTime | None = None
    previous_mark: RelTime | None = None  # the mark before the last step, for re-reading it
    kind: str | None = None

    def make(span: Span, timing: Timing, conditional: bool = False, asks: str = "") -> Step:
        words = text[span[0] : span[1]]
        asks = asks or classify(words, section=section, kind=timing.kind)
        due, expires, recurrence = timing.due, timing.expires, timing.recurrence
        opens = said_now(timing, asks, anchor, then=_THEN.match(words) is not None)
        if asks == "know":
            recurrence = None  # information is never repeated
        elif asks == "avoid" and recurrence is not None and recurrence.until is not None:
            # A restriction is one span from its start to its end ("keep it dry for 2 weeks"),
            # not a daily task: reminded once when it starts, shown with its end.
            due, expires, recurrence = recurrence.until, None, None
        return Step(
            section,
            entry.line,
            _capital(text[span[0] : span[1]]),
            timing.kind,
            timing.critical,
            timing.conditional or conditional,
            opens,
            due,
            expires,
            recurrence,
            timing.evidence,
            timing.rule,
            timing.confidence,
            asks,
        )

    for start, end in _clauses(text):
        head, items = _items(text, start, end)
        for a, b in items:
            item = time_phrase(text[a:b], anchor=anchor, arrival=arrival, stay=stay, known=known)
            steps.append(make((a, b), item, phrases.hedged(text[start:head])))
        if items:
            timed_from, mark = None, None
            continue
        clause = text[start:end]
        own = kind if phrases.kind(clause) is None else None
        last = steps[-1] if steps else before  # a bullet may go on from the one before it
        if last is not None and _THEN.match(clause):  # "then X": X starts when the last ends
            mark = last.recurrence.until if last.recurrence else last.due
        elif not steps and before is not None:  # "another sample 2 weeks after the first"
            mark = before.due if _FINISH.search(clause) else before.opens
        timing = time_phrase(
            clause,
            anchor=anchor,
            kind=own,
            previous=mark,
            arrival=arrival,
            stay=stay,
            known=known,
        )
        another = _ANOTHER.match(clause) is not None  # "also stop fish oil": its own step
        if not timing.evidence and steps and steps[-1].evidence and (timing.critical or another):
            # "From 5 days before, stop iron; also stop fish oil": the timing is shared
            last = steps[-1]
            timing = replace(
                timing,
                opens=last.opens,
                due=last.due,
                expires=last.expires,
                evidence=last.evidence,
                rule=f"{last.rule}; shared with the clause before",
                confidence=last.confidence,
            )
        explains = not timing.evidence and not timing.critical and not another
        # A statement or a permission after an action is its own step ("stop eating 6 hours
        # before; you may keep drinking water"), not an explanation of it.
        explains = explains and steps != [] and classify(clause, section=section) == steps[-1].asks
        joined = ""  # a clause that explains the one before asks what that one asks
        if timed_from is not None and steps and explains and end - timed_from <= MERGED_CHARS:
            start, joined = timed_from, steps[-1].asks
            timing = time_phrase(
                text[start:end],
                anchor=anchor,
                kind=steps[-1].kind,
                previous=previous_mark,
                arrival=arrival,
                stay=stay,
                known=known,
            )
            steps.pop()
        else:
            previous_mark = mark
        steps.append(make((start, end), timing, asks=joined))
        timed_from = start if timing.evidence else None
        mark, kind = timing.mark, timing.kind
    return until_it_goes(steps)


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
        "watch",
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


def derive(document: Document, *, settings: Settings | None = None) -> Derived:
    """Every patient step of a document, in section order, with the procedure's duration.

    `settings` are the pathway's own times (arrival, usual stay) for what the text leaves out.
    """
    settings = settings or Settings()
    preparation = [e.text for s in document.sections if s.key == "preparation" for e in s.entries]
    stated = arrival_point(preparation)  # "arrive 2 hours before", "check in at 7:30 am"
    arrival = stated or RelTime("start", minutes=-settings.arrival_minutes)
    warnings = list(document.warnings)
    minutes = _duration(document, warnings)
    later = [
        entry.text[a:b]
        for s in document.sections
        if s.key in ("recovery", "patient experience")
        for entry in s.entries
        for a, b in _clauses(entry.text)
    ]
    known = removals(later)  # "pull the stent out 5 to 7 days after": for "until the stent..."
    steps: list[Step] = []
    for key, anchor in _STEP_SECTIONS:
        for section in (s for s in document.sections if s.key == key):
            for entry in section.entries:
                if key == "patient experience" and not _after_part(entry):
                    continue
                text = entry.body if key == "patient experience" else entry.text
                if text.rstrip().endswith(":"):
                    continue  # an introduction ("Before your procedure:"), not an instruction
                before = steps[-1] if steps and steps[-1].section == key else None
                try:
                    steps += _entry_steps(
                        key, entry, text, anchor, arrival, settings.stay_days, known, before
                    )
                except ValueError as error:  # e.g. a repeat no rule can hold: say where
                    raise DocumentError(document.path, entry.line, str(error)) from None
    steps = until_finished([onto_end(recording_return(s, minutes), minutes) for s in steps])
    steps = until_the_last(steps)
    steps = merge_duplicates(steps)
    risks = [s for s in document.sections if s.key == "risks and complications" and s.entries]
    if risks:
        steps.append(_watch_step(risks))
    return Derived(tuple(steps), minutes, tuple(warnings))
