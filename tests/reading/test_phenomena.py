"""Issue 10's timing phenomena, one table: an instruction in a small document, what it asks and
its window for a procedure on Tue 2027-03-16 10:00 in New York (60 minutes; expressions as in
tests/reading/corpus/README.md, resolved by corpus_check)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.reading.corpus_check import START_LOCAL, ZONE, Instants, every_of
from tracker.localtime import local_to_utc, resolve
from tracker.reading.documents import parse_document
from tracker.reading.timing import Settings, Step, derive

HEAD = "Site\nLong title\nCPT4 code\nName of the Procedure:\nThing\nDuration\n60 minutes\n"


def _steps(section: str, bullet: str, settings: Settings | None = None) -> list[Step]:
    other = "Recovery" if section == "Preparation" else "Preparation"
    text = f"{HEAD}{section}\n- {bullet}\n{other}\n- Rest.\n"
    derived = derive(parse_document(text, path="t.txt"), settings=settings)
    return [s for s in derived.steps if s.section == section.lower()]


def _check(step: Step, expected: dict[str, Any]) -> None:
    start = local_to_utc(START_LOCAL, ZONE)
    end = start + timedelta(minutes=60)
    instants = Instants(start, end)
    assert step.asks == expected.get("asks", step.asks), step.asks
    for key in ("opens", "due", "expires", "until"):
        if key not in expected:
            continue
        point = getattr(step, key) if key != "until" else step.recurrence.until  # type: ignore[union-attr]
        instant = resolve(point, start=start, end=end, tz=ZONE, reminder_hour=9)
        instant = min(instant, start) if point.anchor == "start" else instant
        shown = f"{instant.astimezone(ZONE):%a %d %H:%M} ({step.rule})"
        assert instants.accepts(expected[key], instant), f"{key}: {shown}"
    if "every" in expected:
        assert every_of(step) == expected["every"]


P, R = "Preparation", "Recovery"
# section, bullet, expected (asks, opens, due, expires, every, until)
PHENOMENA = [
    # 1. a stated time beats a kind's default
    (P, "On the afternoon before the test, drink the laxative",
     {"asks": "do", "opens": "start-1d@day", "due": "start-1d@eod"}),
    (P, "Have your blood test 5 days ahead of the procedure",
     {"opens": "start-5d@day", "due": "start-5d@eod"}),
    (P, "Take no blood thinners until 4 hours before your appointment",
     {"asks": "avoid", "due": "start-4h"}),
    # 2. anchors: arrival, before you arrive, discharge, the day of, nights, evening/afternoon
    (P, "Arrive 2 hours before your procedure", {"asks": "do", "due": "start-2h"}),
    (P, "Stop all drinks 2 hours before you arrive", {"asks": "avoid", "opens": "start-3h"}),
    (P, "Bring your medicines in their bottles", {"due": "start-1h"}),
    (P, "Remove nail polish on the day of surgery", {"opens": "start@day", "due": "start-1h"}),
    (P, "Shower with the antiseptic soap 2 nights before surgery",
     {"opens": "start-2d@day", "due": "start-2d@eod"}),
    (P, "Eat a light meal the evening before", {"opens": ["start-1d@17:00", "start-1d@21:00"]}),
    (R, "Rest for the rest of the day", {"asks": "avoid", "opens": "end", "due": "end@eod"}),
    (R, "Keep to light activity for the afternoon and evening after",
     {"opens": "end", "due": "end@eod"}),
    (R, "Take the small dressings off the morning after", {"opens": "end+1d@day"}),
    # 3. spans across the procedure
    (P, "No alcohol for 48 hours before and 48 hours after",
     {"asks": "avoid", "opens": "start-48h", "due": "end+48h"}),
    (P, "Hold metformin on the day and for 2 days afterwards",
     {"asks": "avoid", "opens": "start@day", "due": ["end+2d", "end+2d@eod"]}),
    (P, "Do not take metformin for 48 hours after the procedure",
     {"asks": "avoid", "due": "end+48h"}),
    # 4. clock times and durations as starts
    (P, "At 6 pm the day before, drink the first dose over 2 hours",
     {"opens": "start-1d@18:00", "due": "start-1d@20:00"}),
    (P, "On the day of, begin the second dose 5 hours before",
     {"opens": "start-5h"}),
    (P, "Take the tablets between 3 and 8 hours before", {"opens": "start-8h", "due": "start-3h"}),
    (P, "Drink nothing during the three hours before",
     {"asks": "avoid", "opens": "start-3h", "due": "start"}),
    # 5. how long a restriction lasts
    (R, "Do not drive for 24 hours", {"asks": "avoid", "opens": "end", "due": "end+24h"}),
    (R, "Avoid heavy lifting for 5-7 days", {"asks": "avoid", "due": "end+7d"}),
    (R, "No lifting over 10 lb for 6 weeks", {"asks": "avoid", "due": "end+6w"}),
    (R, "No swimming until the wound has healed (about 2 weeks)",
     {"asks": "avoid", "due": "end+2w"}),
    # 6. recurrences
    (R, "Ice the knee for 20 to 30 minutes each hour while awake", {"every": "every 1h"}),
    (R, "Use the ice pack 15 minutes on, 15 minutes off", {"every": "every 30min"}),
    (R, "Use the drops 4 times a day for the first week", {"every": "4/day", "until": "end+1w"}),
    (R, "Have a semen test 12 weeks after the procedure", {"opens": "end+12w@day"}),
    # 7. compound bullets share their timing
    (P, "From 5 days before, stop iron; also stop fish oil", {"opens": "start-5d@day"}),
    # 8. day boundaries
    (R, "Remove the bandage the next day", {"opens": "end+1d@day", "due": "end+1d@eod"}),
    (P, "Pick up the prep kit at least 3 days before", {"due": "start-3d@eod"}),
    # asks
    (R, "Expect some soreness", {"asks": "know"}),
    (P, "Clear fluids are usually allowed up to 2 hours before", {"asks": "know"}),
    (P, "Nothing to eat after midnight",
     {"asks": "avoid", "opens": "start@00:00", "due": "start"}),
    (R, "Call the office if you have a fever over 101 F", {"asks": "watch"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("section", "bullet", "expected"), PHENOMENA, ids=[p[1] for p in PHENOMENA]
)
def test_phenomenon(section: str, bullet: str, expected: dict[str, Any]) -> None:
    steps = _steps(section, bullet)
    assert steps
    for step in steps:
        _check(step, expected)


def test_compound_steps_both_get_the_shared_start() -> None:
    first, second = _steps(P, "From 5 days before, stop iron; also stop fish oil")
    assert first.opens == second.opens and second.text == "Also stop fish oil"


def test_the_pathway_arrival_setting_is_used_when_the_document_states_none() -> None:
    (step,) = _steps(P, "Bring your medicines in their bottles", Settings(arrival_minutes=90))
    _check(step, {"due": "start-90min"})


def test_a_know_step_never_repeats() -> None:
    (step,) = _steps(R, "Expect some swelling for 2 weeks")
    assert step.asks == "know" and step.recurrence is None


@pytest.mark.parametrize(
    ("stay", "expected"), [(0, "end+7d"), (2, "end+2d+7d")], ids=["day case", "two nights"]
)
def test_going_home_is_the_end_plus_the_usual_stay(stay: int, expected: str) -> None:
    (step,) = _steps(R, "No driving for 7 days after you go home", Settings(stay_days=stay))
    _check(step, {"asks": "avoid", "due": expected})
