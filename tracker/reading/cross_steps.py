"""Step windows that depend on something besides their own clause: the procedure's duration
(a time counted from the start that falls after it is said from the end) and another step
("no alcohol until you have finished the antibiotic" ends when that step's doses end).

`timing.derive` applies both once a document's steps are read.
"""

from __future__ import annotations

import re
from dataclasses import replace

from tracker.reading.steps import RelTime, Step


def _from_end(point: RelTime, duration: int) -> RelTime:
    """A recovery time counted from the start ("2 hours after you swallow the capsule") said from
    the end, as every recovery time is: exact minutes move by the duration; a named day or
    clock stays on its calendar day."""
    if point.anchor == "end":
        return point
    if point.days == 0 and point.clock is None and not point.reminder_hour:
        return RelTime("end", minutes=point.minutes - duration)
    return replace(point, anchor="end")


_COME_BACK = re.compile(
    r"\b(?:come back|return|go back)\b[^;]*\bthe (?:next|following) (?:morning|day)\b", re.I
)
# a recording that ends on the day after it starts (a 24-hour pH study or Holter monitor)
_OVERNIGHT = range(20 * 60, 36 * 60 + 1)


def recording_return(step: Step, duration: int) -> Step:
    """'Come back the next morning' to end a recording that runs about a day: the morning after
    the start, the end's own day, not the day after the recording ends."""
    if step.section != "recovery" or duration not in _OVERNIGHT or not _COME_BACK.search(step.text):
        return step
    if step.opens.anchor != "end" or step.opens.days != 1 or step.due.anchor != "end":
        return step
    back = replace(step.opens, days=0)
    return replace(step, opens=back, due=replace(step.due, days=step.due.days - 1))


def past_start(point: RelTime) -> bool:
    """An exact time after the start ("8 hours after the first tablet", taken 1 hour before)."""
    exact = point.days == 0 and point.clock is None and not point.reminder_hour
    return point.anchor == "start" and exact and point.minutes > 0


def onto_end(step: Step, duration: int) -> Step:
    """A step whose window the text counts from the start, anchored to the end: every time of a
    recovery step ("2 hours after you swallow the capsule"); the exact times past the start of
    a preparation step (the start can't be moved past, the end can)."""
    points = [step.opens, step.due, step.expires]
    if step.recurrence is not None:
        points.append(step.recurrence.until)
    if step.section == "preparation":
        if not any(p is not None and past_start(p) for p in points):
            return step
        moved = [p if p is None or not past_start(p) else _from_end(p, duration) for p in points]
        recurrence = step.recurrence
        if recurrence is not None and moved[3] is not None:
            recurrence = replace(recurrence, until=moved[3])
        opens, due, expires = moved[0], moved[1], moved[2]
        assert opens is not None and due is not None
        return replace(step, opens=opens, due=due, expires=expires, recurrence=recurrence)
    if all(p is None or p.anchor == "end" for p in points):
        return step
    recurrence = step.recurrence
    if recurrence is not None:
        recurrence = replace(recurrence, until=_from_end(recurrence.until, duration))
    return replace(
        step,
        opens=_from_end(step.opens, duration),
        due=_from_end(step.due, duration),
        expires=_from_end(step.expires, duration) if step.expires else None,
        recurrence=recurrence,
    )


_FINISHED = re.compile(
    r"\buntil\s+(?:you\s+(?:have\s+)?(?:finish(?:ed)?|complete[d]?|used?\s+up|taken\s+all)"
    r"|(?:the|your)\s+course\s+of)\s+(?:all\s+)?(?:the\s+|your\s+)?(?:course\s+of\s+)?"
    r"(?P<thing>[a-z][\w-]{2,})",
    re.IGNORECASE,
)


def _stem(word: str) -> str:
    return word.lower().removesuffix("s")


def until_finished(steps: list[Step]) -> list[Step]:
    """A step with no time of its own bounded by finishing what another step takes ("do not
    drink alcohol until you have finished the antibiotic") ends when that step's doses end."""
    out: list[Step] = []
    for step in steps:
        found = _FINISHED.search(step.text) if not step.evidence else None
        course = None
        if found is not None:
            thing = _stem(found["thing"])
            course = next(
                (
                    s
                    for s in reversed(out)
                    if s.recurrence is not None
                    and s.section == step.section
                    and any(_stem(w) == thing for w in re.findall(r"[\w-]+", s.text))
                ),
                None,
            )
        if found is None or course is None or course.recurrence is None:
            out.append(step)
            continue
        until = course.recurrence.until
        rule = f"until the {found['thing']} is finished (line {course.line})"
        evidence = step.text[found.start() : found.end()]
        recurrence = replace(step.recurrence, until=until) if step.recurrence else None
        due = until if step.recurrence is None else step.due
        out.append(replace(step, due=due, recurrence=recurrence, rule=rule, evidence=evidence))
    return out


# "...; they peel away by themselves in 5 to 10 days": the thing the clause before protects
# goes by itself after a stated time
_GOES = re.compile(
    r"^(?:they|it|the [\w -]{1,30}?)\s+(?:will\s+|should\s+|usually\s+|often\s+|may\s+)?"
    r"(?:peel|fall|come|dissolve|drop|wash|wear)s?\s+(?:off|away|out)\b",
    re.IGNORECASE,
)


def until_it_goes(steps: list[Step]) -> list[Step]:
    """'Do not pull off the strips; they peel away in 5 to 10 days': the restriction holds
    until they go (the later bound), not for the default span."""
    out = list(steps)
    for i, (step, then) in enumerate(zip(steps, steps[1:], strict=False)):
        if (
            step.asks != "avoid"
            or not step.rule.startswith("default")
            or not _GOES.match(then.text)
        ):
            continue
        due = then.due
        if due.anchor != "end" or due.days < 1 or due.minutes:
            continue
        if due.clock == "00:00":  # by the end of day N: the same clock on day N, as "for N days"
            due = RelTime("end", due.days - 1)
        out[i] = replace(step, due=due, rule=f"until it goes by itself ({then.rule})")
    return out


# "give your last enoxaparin injection 24 hours before surgery"
_LAST = re.compile(
    r"\blast\s+(?P<words>(?:[\w-]+\s+){0,2}?(?:injection|dose|tablet|pill|sachet|shot|patch)s?)\b",
    re.IGNORECASE,
)


def until_the_last(steps: list[Step]) -> list[Step]:
    """A course begun before the procedure ("start enoxaparin injections 3 days before, twice
    a day") ends at the last dose another step times, not at the start."""
    out = list(steps)
    for i, step in enumerate(steps):
        course = step.recurrence
        if course is None or step.section != "preparation" or course.until != RelTime("start"):
            continue
        words = {_stem(w) for w in re.findall(r"[\w-]+", step.text.lower())}
        for later in steps[i + 1 :]:
            found = _LAST.search(later.text) if later.section == step.section else None
            named = found is not None and all(
                _stem(w) in words for w in found["words"].lower().split()
            )
            if named and later.due.anchor == "start" and later.due != RelTime("start"):
                rule = f"{step.rule}; until the last one (line {later.line})"
                out[i] = replace(step, recurrence=replace(course, until=later.due), rule=rule)
                break
    return out
