"""Tests for reading.timing (and phrases, lexicon): the phrase table, documents, defaults, data."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker import errors
from tracker.errors import DocumentError
from tracker.localtime import local_to_utc, occurrences, resolve, zone
from tracker.reading import clinical_defaults, data_files, lexicon
from tracker.reading.documents import parse_document, read_document
from tracker.reading.repeat_fields import recurrence_fields
from tracker.reading.timing import KINDS, Recurrence, RelTime, Step, derive, time_phrase

NY = zone("America/New_York")
SEED_START = local_to_utc(datetime(2027, 3, 15, 8, 0), NY)
SEED_END = SEED_START + timedelta(hours=2)


def S(days: int = 0, minutes: int = 0, clock: str | None = None, r: bool = False) -> RelTime:
    """A time anchored on the procedure start (r: at the reminder hour)."""
    return RelTime("start", days, minutes, clock, r)


def E(days: int = 0, minutes: int = 0, clock: str | None = None, r: bool = False) -> RelTime:
    """A time anchored on the procedure end (r: at the reminder hour)."""
    return RelTime("end", days, minutes, clock, r)


def rec(rule: str, until: RelTime, **fields: Any) -> dict[str, Any]:
    return {"rule": rule, "until": until, **fields}


DAILY = "FREQ=DAILY"
# text, anchor, expected: kind, opens, due, rec (recurrence fields), and flags
# conditional / critical / review (needs_review), all False unless given.
PHRASES = [
    # -- amounts in digits and words, each preposition
    ("Stop aspirin 7 days before surgery", "start",
     {"kind": "medication", "opens": S(-7, r=True), "due": S(-6, clock="00:00"), "critical": True}),
    ("Stop taking warfarin five days before the procedure", "start",
     {"kind": "medication", "opens": S(-5, r=True), "due": S(-4, clock="00:00"), "critical": True}),
    ("Stop ibuprofen 3 days prior to surgery", "start",
     {"opens": S(-3, r=True), "due": S(-2, clock="00:00"), "critical": True}),
    ("Do not eat for 8 hours before surgery", "start",
     {"kind": "fasting", "opens": S(minutes=-480), "due": S(), "critical": True}),
    ("Nothing by mouth for six hours before your procedure", "start",
     {"kind": "fasting", "opens": S(minutes=-360), "due": S(), "critical": True}),
    ("Fasting: no food for 6 hours pre-op", "start",
     {"kind": "fasting", "opens": S(minutes=-360), "due": S(), "critical": True}),
    ("Take the antibiotic one hour before surgery", "start",
     {"kind": "medication", "opens": S(minutes=-60), "due": S(minutes=-60)}),
    ("Arrive 2 hours before your surgery", "start",
     {"kind": "logistics", "opens": S(minutes=-120), "due": S(minutes=-120)}),
    ("Shower within 24 hours before surgery", "start",
     {"kind": "hygiene", "opens": S(minutes=-1440), "due": S()}),
    ("Complete blood tests within 30 days before surgery", "start",
     {"kind": "tests", "opens": S(-30, r=True), "due": S()}),
    ("Stop smoking at least 4 weeks before surgery", "start",  # a one-time do, by that day
     {"kind": "restriction", "opens": S(-28, r=True), "due": S(-27, clock="00:00")}),
    ("Stop clopidogrel at least one week prior to the procedure", "start",
     {"kind": "medication", "opens": S(-7, r=True), "due": S(-6, clock="00:00"), "critical": True}),
    ("Avoid alcohol for 24 hours before surgery", "start",
     {"kind": "restriction", "opens": S(minutes=-1440), "due": S()}),
    ("Clear fluids are allowed up to 2 hours before surgery", "start",
     {"kind": "fasting", "opens": S(minutes=-180), "due": S(minutes=-120), "critical": True}),
    ("Stop eating at least 6 hours before surgery", "start",
     {"kind": "fasting", "opens": S(minutes=-360), "due": S(), "critical": True}),
    ("Finish the bowel prep no later than 4 hours before the procedure", "start",
     {"kind": "diet", "opens": S(minutes=-300), "due": S(minutes=-240)}),
    ("Blood tests must be done no later than 3 days before surgery", "start",
     {"kind": "tests", "opens": S(-3, r=True), "due": S(-2, clock="00:00")}),
    ("Arrange a ride home at least 2 days before", "start",
     {"kind": "logistics", "opens": S(-2, r=True), "due": S(-1, clock="00:00")}),
    ("Do not shave the area for 2 days before surgery", "start",
     {"kind": "restriction", "opens": S(-2), "due": S()}),  # exactly 2 days before
    ("Avoid heavy lifting for six weeks", "end",
     {"kind": "restriction", "opens": E(), "due": E(42)}),
    ("Do not drive for forty-eight hours after anesthesia", "end",
     {"kind": "restriction", "opens": E(), "due": E(minutes=2880)}),
    ("Do not drive for at least 24 hours after anesthesia", "end",
     {"kind": "restriction", "opens": E(), "due": E(minutes=1440)}),
    ("Rest for twenty-four hours", "end",
     {"kind": "activity", "opens": E(), "due": E(minutes=1440)}),
    ("Apply gentle pressure for 20 minutes", "end", {"opens": E(), "due": E(minutes=20)}),
    ("Follow up in three weeks", "end",
     {"kind": "appointment", "opens": E(21, r=True), "due": E(22, clock="00:00")}),
    ("Remove the dressing 2 days post-op", "end",
     {"kind": "wound care", "opens": E(2, r=True), "due": E(3, clock="00:00")}),
    ("Restart your blood thinner 2 days after surgery", "end",
     {"kind": "medication", "opens": E(2, r=True), "due": E(3, clock="00:00")}),
    ("Avoid swimming until 4 weeks after surgery", "end",
     {"kind": "restriction", "opens": E(), "due": E(28)}),
    ("Wait 48 hours before showering", "end",
     {"kind": "hygiene", "opens": E(), "due": E(minutes=2880)}),
    ("You may shower after 48 hours", "end",  # a permission from 48 hours on (a know)
     {"kind": "hygiene", "opens": E(minutes=2880), "due": E(minutes=4320)}),
    ("Return to office work after about one week", "end",
     {"kind": "milestone", "opens": E(7, r=True), "due": E(8, clock="00:00")}),
    ("Attend your follow-up appointment about 2 weeks after surgery", "end",
     {"kind": "appointment", "opens": E(14, r=True), "due": E(15, clock="00:00")}),
    ("Heavy manual work usually needs 4 to 6 weeks off", "end",
     {"opens": E(), "due": E(42)}),  # a know: how long it lasts, from the end
    # -- ranges: digits, words, hyphens, "a day or two"
    ("Stop blood thinners 5 to 7 days before surgery", "start",
     {"opens": S(-7, r=True), "due": S(-4, clock="00:00"), "critical": True}),
    ("Have your pre-operative assessment 2-4 weeks before surgery", "start",
     {"kind": "tests", "opens": S(-28, r=True), "due": S(-13, clock="00:00")}),
    ("Attend your eye measurement appointment two to four weeks before surgery", "start",
     {"kind": "appointment", "opens": S(-28, r=True), "due": S(-13, clock="00:00")}),
    ("Walk within 2 to 4 hours after surgery", "end",
     {"kind": "activity", "opens": E(), "due": E(minutes=240)}),
    ("Have your stitches removed 10 to 14 days after surgery", "end",
     {"kind": "wound care", "opens": E(10, r=True), "due": E(15, clock="00:00")}),
    ("Return to work in one to two weeks", "end",
     {"kind": "milestone", "opens": E(7), "due": E(15, clock="00:00")}),  # a know
    ("Use crutches for a day or two", "end", {"kind": "activity", "opens": E(), "due": E(2)}),
    ("Keep the dressing dry for 24-48 hours", "end",
     {"kind": "wound care", "opens": E(), "rec": rec(DAILY, E(minutes=2880), times_per_day=1)}),
    ("Keep the bulky dressing on for 48 to 72 hours", "end",
     {"kind": "wound care", "rec": rec(DAILY, E(minutes=4320))}),
    ("Take the blood thinner once daily for 2 to 4 weeks", "end",
     {"kind": "medication", "opens": E(), "due": E(28),
      "rec": rec(DAILY, E(28), times_per_day=1)}),
    ("Avoid heavy lifting and straining for 2 to 4 weeks", "end",
     {"kind": "restriction", "opens": E(), "due": E(28)}),
    # -- vague amounts (lexicon values; confidence shows the vagueness)
    ("Walk within a few hours post-surgery", "end",
     {"kind": "activity", "opens": E(), "due": E(minutes=180), "review": True}),
    ("Return to normal activities within a few weeks", "end",
     {"kind": "milestone", "opens": E(), "due": E(21), "review": True}),
    ("Rest for a couple of days", "end", {"kind": "activity", "due": E(2)}),
    ("Avoid driving for several days", "end",
     {"kind": "restriction", "due": E(4), "review": True}),
    ("Expect some swelling for a number of days", "end",
     {"kind": "symptom watch", "rec": rec(DAILY, E(4)), "review": True}),
    ("Stop aspirin a few days before surgery", "start",
     {"opens": S(-3, r=True), "due": S(-2, clock="00:00"), "critical": True, "review": True}),
    ("Walk around for the first few hours", "end",
     {"kind": "activity", "opens": E(), "due": E(minutes=180), "review": True}),
    ("Expect bloating for a few hours", "end",
     {"kind": "symptom watch", "due": E(minutes=180), "rec": None, "review": True}),
    ("Take short walks several times a day", "end",
     {"kind": "activity", "rec": rec("FREQ=DAILY;BYHOUR=8,12,16,20;BYMINUTE=0", E(14),
                                     times_per_day=4), "review": True}),
    # -- day-relative phrases
    ("Have a light dinner the day before surgery", "start",
     {"kind": "diet", "opens": S(-1, r=True), "due": S(0, clock="00:00")}),
    ("Shower the evening before surgery", "start",
     {"kind": "hygiene", "opens": S(-1, clock="18:00"), "due": S(0, clock="00:00")}),
    ("Wash with chlorhexidine soap the night before", "start",
     {"kind": "hygiene", "opens": S(-1, clock="21:00"), "due": S(0, clock="00:00")}),
    ("No solid food after midnight", "start",
     {"kind": "fasting", "opens": S(clock="00:00"), "due": S(), "critical": True}),
    ("Eat no solid food after midnight the night before surgery", "start",
     {"kind": "fasting", "opens": S(clock="00:00"), "due": S(), "critical": True}),
    ("Take your usual medicines the morning of surgery", "start",
     {"kind": "medication", "opens": S(clock="06:00"), "due": S(minutes=-60)}),
    ("Remove nail polish on the day of surgery", "start",
     {"opens": S(clock="06:00"), "due": S(minutes=-60)}),
    ("Drink only clear liquids the week before", "start",
     {"kind": "diet", "opens": S(-7, r=True), "due": S()}),
    ("Take the bisacodyl tablets by 3 pm the day before the procedure", "start",
     {"kind": "medication", "opens": S(-1, -60, "15:00"), "due": S(-1, clock="15:00")}),
    ("Start the bowel prep at 6 pm the evening before", "start",
     {"kind": "diet", "opens": S(-1, clock="18:00"), "due": S(-1, clock="18:00")}),
    ("Walk with help the same day", "end",
     {"kind": "activity", "opens": E(), "due": E(1, clock="00:00")}),
    ("Start a normal diet the next day", "end",
     {"kind": "diet", "opens": E(1, r=True), "due": E(2, clock="00:00")}),
    ("Attend your eye check the next day", "end",
     {"kind": "appointment", "opens": E(1, r=True), "due": E(2, clock="00:00")}),
    ("Stand and walk on the first day", "end", {"kind": "activity", "opens": E(), "due": E(1)}),
    ("Have a light meal that evening", "end",
     {"kind": "diet", "opens": E(clock="18:00"), "due": E(1, clock="00:00")}),
    # -- recurrences
    ("Use the antibiotic eye drops four times a day for one week", "end",
     {"kind": "medication", "due": E(7), "rec": rec("FREQ=DAILY;BYHOUR=8,12,16,20;BYMINUTE=0",
                                                     E(7), times_per_day=4)}),
    ("Use the eye drops four times a day", "end",
     {"kind": "medication", "rec": rec("FREQ=DAILY;BYHOUR=8,12,16,20;BYMINUTE=0", E(7),
                                       times_per_day=4), "review": True}),
    ("Take the antibiotic every 6 hours for 5 days", "end",
     {"rec": rec("FREQ=HOURLY;INTERVAL=6", E(5), every_minutes=360, times_per_day=None)}),
    ("Take the tablets three times a day for 2 weeks", "end",
     {"rec": rec("FREQ=DAILY;BYHOUR=8,14,20;BYMINUTE=0", E(14), times_per_day=3)}),
    ("Walk for 10 minutes three times a day for 2 weeks", "end",
     {"kind": "activity", "opens": E(), "due": E(14),
      "rec": rec("FREQ=DAILY;BYHOUR=8,14,20;BYMINUTE=0", E(14), times_per_day=3)}),
    ("Take your vitamins twice daily for 1 month", "end",
     {"rec": rec("FREQ=DAILY;BYHOUR=8,20;BYMINUTE=0", E(30), times_per_day=2)}),
    ("Do the exercises two to three times a day for 6 weeks", "end",
     {"kind": "exercise", "rec": rec("FREQ=DAILY;BYHOUR=8,14,20;BYMINUTE=0", E(42),
                                     times_per_day=3)}),
    ("Attend physical therapy two to three times a week for 6 to 12 weeks", "end",
     {"rec": rec("FREQ=WEEKLY;BYDAY=MO,WE,FR", E(84), times_per_week=3)}),
    ("Attend outpatient physical therapy once or twice a week for 4 to 6 weeks, if advised",
     "end", {"rec": rec("FREQ=WEEKLY;BYDAY=MO,TH", E(42), times_per_week=2),
             "conditional": True}),
    ("Attend physical therapy weekly for 6 weeks", "end",
     {"rec": rec("FREQ=WEEKLY", E(42), times_per_week=1)}),
    ("Wear the brace while sleeping for one week", "end",
     {"rec": rec("FREQ=DAILY;BYHOUR=22;BYMINUTE=0", E(7), during_sleep=True)}),
    ("Apply ice every few hours on the first day", "end",
     {"kind": "wound care", "rec": rec("FREQ=HOURLY;INTERVAL=3", E(1), every_minutes=180),
      "review": True}),
    ("Do breathing exercises every hour while awake during the first 3 days", "end",
     {"kind": "exercise", "rec": rec(
         "FREQ=HOURLY;BYHOUR=8,9,10,11,12,13,14,15,16,17,18,19,20,21", E(3),
         every_minutes=60, while_awake=True)}),
    ("Use the incentive spirometer 10 times every hour while awake", "end",
     {"rec": rec("FREQ=HOURLY;BYHOUR=8,9,10,11,12,13,14,15,16,17,18,19,20,21",
                 E(14), every_minutes=60, while_awake=True), "review": True}),
    ("Change the dressing every other day for 2 weeks", "end",
     {"kind": "wound care", "rec": rec("FREQ=DAILY;INTERVAL=2", E(14))}),
    ("Check your incision daily", "end",
     {"kind": "wound care", "rec": rec(DAILY, E(14), times_per_day=1), "review": True}),
    ("Elevate your leg 3x/day for 5 days", "end",
     {"rec": rec("FREQ=DAILY;BYHOUR=8,14,20;BYMINUTE=0", E(5), times_per_day=3)}),
    ("Take pain medicine every 4 to 6 hours for 3 days", "end",
     {"rec": rec("FREQ=HOURLY;INTERVAL=6", E(3), every_minutes=360)}),
    ("Take acetaminophen regularly for the first 3 to 5 days", "end",
     {"rec": rec(DAILY, E(5), times_per_day=1)}),
    ("Take your prescribed pain medicine as directed for the first 1 to 2 weeks", "end",
     {"kind": "medication", "rec": rec(DAILY, E(14)), "conditional": True}),
    ("Shower with chlorhexidine daily for 3 days before surgery", "start",
     {"kind": "hygiene", "opens": S(-3, r=True), "due": S(), "rec": rec(DAILY, S())}),
    ("Do the strengthening exercises once daily for 4 to 6 weeks before surgery", "start",
     {"kind": "exercise", "opens": S(-42, r=True), "rec": rec(DAILY, S(), times_per_day=1)}),
    ("Light daily activities are fine", "end", {"rec": None}),
    # -- hedges: a nurse confirms these
    ("Fasting may be required prior to the procedure", "start",
     {"kind": "fasting", "opens": S(clock="00:00"), "due": S(), "conditional": True,
      "critical": True}),
    ("Adjustments to certain medications might be needed", "start",
     {"kind": "medication", "opens": S(-7, r=True), "conditional": True, "critical": True}),
    ("Stop aspirin 7 days before surgery if advised by your doctor", "start",
     {"opens": S(-7, r=True), "conditional": True, "critical": True}),
    ("Stop blood thinners only as directed by your surgeon", "start",
     {"conditional": True, "critical": True}),
    ("Take pain medication as directed", "end",
     {"kind": "medication", "conditional": True, "rec": rec(DAILY, E(7))}),
    ("Skip food for 6 hours before surgery if sedation is planned", "start",
     {"kind": "fasting", "opens": S(minutes=-360), "conditional": True, "critical": True}),
    ("Check with your surgeon whether your blood thinner should be paused", "start",
     {"kind": "medication", "conditional": True, "critical": True}),
    ("Never stop a blood thinner without checking with your doctor", "start",
     {"kind": "medication", "conditional": True, "critical": False}),  # the default is
    # -- clinical defaults when the text gives no time
    ("Bring your insurance card", "start",
     {"kind": "logistics", "opens": S(-7, r=True), "due": S(minutes=-60)}),
    ("Pre-procedure imaging studies, such as MRI or CT scans", "start",
     {"kind": "tests", "opens": S(-30, r=True), "due": S(-7)}),
    ("Shower with antiseptic soap", "start",
     {"kind": "hygiene", "opens": S(-1, clock="18:00"), "due": S()}),
    ("Follow-up appointment to check healing", "end",
     {"kind": "appointment", "opens": E(7, r=True), "due": E(14)}),
    ("Keep the incision clean", "end", {"kind": "wound care", "rec": rec(DAILY, E(14))}),
    ("Watch for signs of infection", "end", {"kind": "symptom watch", "rec": rec(DAILY, E(14))}),
    ("Arrange for someone to stay with you for the first 24 hours", "start",
     {"kind": "logistics", "opens": S(-7, r=True), "due": S(minutes=-60)}),
]  # fmt: skip


@pytest.mark.parametrize(("text", "anchor", "expected"), PHRASES, ids=[p[0] for p in PHRASES])
def test_phrase_table(text: str, anchor: str, expected: dict[str, Any]) -> None:
    timing = time_phrase(text, anchor=anchor)  # type: ignore[arg-type]
    for key in ("kind", "opens", "due"):
        if key in expected:
            assert getattr(timing, key) == expected[key], key
    if "rec" in expected:
        if expected["rec"] is None:
            assert timing.recurrence is None
        else:
            assert timing.recurrence is not None
            # the fields are read from the rule (during_sleep: at the defaults' bedtime)
            fields = {**recurrence_fields(timing.recurrence), "until": timing.recurrence.until}
            for key, value in expected["rec"].items():
                assert fields[key] == value, key
            assert timing.due == timing.recurrence.until
    assert timing.conditional is expected.get("conditional", False)
    assert timing.critical is expected.get("critical", False)
    assert (timing.confidence < 0.6) is expected.get("review", False), timing.confidence
    assert timing.expires == (S() if anchor == "start" else None)
    assert timing.evidence in text and 0.0 <= timing.confidence <= 1.0
    assert timing.kind in KINDS and timing.rule and len(timing.rule) <= 200


def test_the_table_is_large_and_covers_every_kind_of_phrase() -> None:
    assert len(PHRASES) >= 80
    texts = " ".join(p[0].lower() for p in PHRASES)
    for phrase in ("24-48 hours", "2 to 4 weeks", "two to three times", "one week", "a few",
                   "several", "a couple of", "the day before", "the evening before",
                   "the night before", "after midnight", "the morning of", "the same day",
                   "the next day", "on the first day", "within", "at least", "until", "up to",
                   "after", "for", "prior to", "post-surgery", "four times a day",
                   "every 6 hours", "once daily for 2 to 4 weeks", "three times a day",
                   "two to three times a week for 6 to 12 weeks", "while sleeping for one week",
                   "every few hours on the first day",
                   "every hour while awake during the first 3 days", "may be required",
                   "might be needed", "if advised", "as directed"):  # fmt: skip
        assert phrase in texts, phrase


def test_evidence_and_rule_say_where_the_time_came_from() -> None:
    stated = time_phrase("Stop aspirin 7 days before surgery", anchor="start")
    assert stated.evidence == "7 days before surgery" and stated.rule == "N days before"
    assert stated.confidence >= 0.9
    vague = time_phrase("Patients are usually able to walk within a few hours post-surgery",
                        anchor="end")  # fmt: skip
    assert vague.evidence == "within a few hours post-surgery"
    assert "'a few' = 3" in vague.rule and vague.confidence < 0.6
    walk = time_phrase("Walk for 10 minutes three times a day for 2 weeks", anchor="end")
    assert walk.evidence == "three times a day for 2 weeks" and walk.confidence >= 0.9
    default = time_phrase("Fasting may be required prior to the procedure", anchor="start")
    assert default.evidence == "" and default.rule == "default: fasting from midnight (ASA)"


def test_after_that_takes_its_time_from_the_clause_before() -> None:
    first = time_phrase("Keep the dressing dry for 24-48 hours", anchor="end")
    then = time_phrase("you may shower after that", anchor="end", previous=first.mark)
    assert then.opens == E(minutes=2880) and then.evidence == "after that"


def _document(sections: str) -> str:
    return (
        "Test site\nA test procedure\nCPT4 code\nName of the Procedure:\nTest Procedure\n"
        f"Duration\nTypically takes about 30 to 45 minutes.\n{sections}"
    )


def _steps(section: str, *bullets: str) -> list[Step]:
    """The steps of one section's bullets (a document needs a Preparation or Recovery)."""
    text = _document(f"{section}\n" + "".join(f"- {b}\n" for b in bullets))
    if section not in ("Preparation", "Recovery"):
        text += "Recovery\n- Walk the same day\n"
    return [s for s in derive(parse_document(text)).steps if s.section == section.lower()]


COMPOUND = [
    ("Preparation", "No solid food after midnight; clear fluids are allowed up to 2 hours "
     "before surgery", [("No solid food after midnight", S(clock="00:00")),
                        ("Clear fluids are allowed up to 2 hours before surgery",
                         S(minutes=-180))]),
    ("Recovery", "Post-procedure care includes managing pain with medications and keeping "
     "the incision site clean", [("Managing pain with medications", E()),
                                 ("Keeping the incision site clean", E())]),
    ("Recovery", "Attend a wound check 10 to 14 days after surgery; a further visit follows "
     "6 weeks after surgery", [("Attend a wound check 10 to 14 days after surgery",
                                E(10, r=True)),
                               ("A further visit follows 6 weeks after surgery",
                                E(42, r=True))]),
    ("Recovery", "Leave the dressing in place for 7 days; you may shower with it on.",
     [("Leave the dressing in place for 7 days", E()),
      ("You may shower with it on", E())]),  # a permission of its own, from the end
    ("Preparation", "Stop anti-inflammatory medicines 7 days before surgery; adjust blood "
     "thinners only as directed", [("Stop anti-inflammatory medicines 7 days before surgery",
                                    S(-7, r=True)),
                                   ("Adjust blood thinners only as directed", S(-7, r=True))]),
    ("Recovery", "Keep the dressing dry for 24-48 hours; you may shower after that.",
     [("Keep the dressing dry for 24-48 hours", E()),
      ("You may shower after that", E(minutes=2880))]),
]  # fmt: skip


@pytest.mark.parametrize(("section", "bullet", "expected"), COMPOUND)
def test_compound_bullets_become_one_step_per_instruction(
    section: str, bullet: str, expected: list[tuple[str, RelTime]]
) -> None:
    steps = _steps(section, bullet)
    assert [(s.text, s.opens) for s in steps] == expected
    assert all(s.section == section.lower() and s.line == 9 for s in steps)


def test_a_clause_that_explains_the_one_before_keeps_its_hedge() -> None:
    (step,) = _steps("Recovery", "Call for your results within 2 weeks; a visit may be required")
    assert step.conditional and step.due == E(14)


def test_describing_sections_never_become_steps() -> None:
    describing = ("Summary", "Purpose", "Indications", "Procedure Description", "Setting",
                  "Personnel", "Benefits", "Alternatives")  # fmt: skip
    body = "".join(f"{name}\n- Stop aspirin 7 days before surgery\n" for name in describing)
    document = parse_document(_document(body + "Recovery\n- Walk the same day\n"))
    steps = derive(document).steps
    assert [s.section for s in steps] == ["recovery"]


def test_patient_experience_gives_only_its_after_part() -> None:
    steps = _steps("Patient Experience", "During the procedure: Walk for 10 minutes daily.",
                   "After the procedure: Expect soreness for a few days.",
                   "Post-procedure comfort measures include ice packs and keeping the leg "
                   "raised")  # fmt: skip
    assert [s.text for s in steps] == ["Expect soreness for a few days", "Ice packs",
                                       "Keeping the leg raised"]  # fmt: skip
    assert all(s.section == "patient experience" and s.opens.anchor == "end" for s in steps)


def test_risks_become_one_daily_watch_step() -> None:
    steps = _steps("Risks and Complications", "Common risks: Infection, bleeding.",
                   "Rare but serious risks: Nerve damage.")  # fmt: skip
    (watch,) = steps
    assert watch.kind == "symptom watch" and watch.section == "risks and complications"
    assert watch.text.startswith("Watch for these warning signs: Infection, bleeding")
    assert "Nerve damage" in watch.text
    assert watch.recurrence is not None and watch.recurrence.rule == "FREQ=DAILY"
    assert watch.opens == E() and watch.recurrence.until == E(14)


@pytest.mark.parametrize(
    ("duration", "minutes", "warned"),
    [("Typically takes about 1 to 2 hours.", 120, False),
     ("Takes 30-45 minutes.", 45, False),
     ("About forty minutes.", 40, False),
     ("Several hours.", 240, True),
     ("It varies.", 60, True)],
)  # fmt: skip
def test_duration_is_the_longest_stated(duration: str, minutes: int, warned: bool) -> None:
    text = ("Site\nTitle\nCPT4 code\nName of the Procedure:\nShort\n"
            f"Duration\n{duration}\nRecovery\n- Walk the same day\n")  # fmt: skip
    derived = derive(parse_document(text, path="doc.txt"))
    assert derived.duration_minutes == minutes
    assert any(w.startswith("doc.txt:6: ") for w in derived.warnings) is warned


def test_a_missing_duration_section_is_warned_with_the_default() -> None:
    text = "Site\nTitle\nCPT4 code\nName of the Procedure:\nShort\nRecovery\n- Walk today\n"
    derived = derive(parse_document(text, path="doc.txt"))
    assert derived.duration_minutes == 60
    assert "doc.txt:0: no Duration section; assuming 60 minutes" in derived.warnings


# -- the seed document's acceptance, resolved for a start at 2027-03-15 08:00 New York


def _seed_steps(seed_path: Path) -> list[Step]:
    derived = derive(read_document(seed_path))
    assert derived.duration_minutes == 120
    return list(derived.steps)


def _at(point: RelTime) -> datetime:
    return resolve(point, start=SEED_START, end=SEED_END, tz=NY)


def _find(steps: list[Step], words: str) -> Step:
    return next(s for s in steps if words in s.text.lower())


def test_seed_fasting_opens_at_local_midnight_and_is_due_at_the_start(seed_path: Path) -> None:
    fasting = _find(_seed_steps(seed_path), "fasting")
    assert fasting.kind == "fasting" and fasting.critical and fasting.conditional
    assert _at(fasting.opens).astimezone(NY).isoformat() == "2027-03-15T00:00:00-04:00"
    assert _at(fasting.due) == SEED_START


def test_seed_medication_adjustment_opens_days_ahead_at_nine(seed_path: Path) -> None:
    medication = _find(_seed_steps(seed_path), "blood thinners")
    assert medication.kind == "medication" and medication.critical and medication.conditional
    opens = _at(medication.opens)
    assert timedelta(days=3) <= SEED_START - opens <= timedelta(days=10)
    assert opens.astimezone(NY).hour == 9 and opens.astimezone(NY).minute == 0


def test_seed_imaging_is_due_1_to_30_days_before(seed_path: Path) -> None:
    imaging = _find(_seed_steps(seed_path), "imaging")
    assert imaging.kind == "tests"
    assert timedelta(days=1) <= SEED_START - _at(imaging.due) <= timedelta(days=30)


def test_seed_pain_and_incision_care_are_daily_for_1_to_3_weeks(seed_path: Path) -> None:
    steps = _seed_steps(seed_path)
    for words, kind in (("managing pain", "medication"), ("incision site clean", "wound care")):
        step = _find(steps, words)
        assert step.kind == kind and step.recurrence is not None
        assert step.recurrence.rule == "FREQ=DAILY" and _at(step.opens) == SEED_END
        assert timedelta(weeks=1) <= _at(step.recurrence.until) - SEED_END <= timedelta(weeks=3)
        windows = occurrences(step, start=SEED_START, end=SEED_END, tz=NY)
        assert windows[0].opens == SEED_END and windows[1].opens == SEED_END + timedelta(days=1)


def test_seed_walking_uses_a_few_from_the_lexicon(seed_path: Path) -> None:
    walking = _find(_seed_steps(seed_path), "walk")
    assert timedelta(hours=2) <= _at(walking.due) - SEED_END <= timedelta(hours=6)
    assert walking.needs_review and "'a few' = 3" in walking.rule
    few = next(v for v in lexicon.lexicon().vague if v.phrase == "a few")
    assert few.value == 3 and few.reason


def test_seed_follow_up_and_return_to_activities(seed_path: Path) -> None:
    steps = _seed_steps(seed_path)
    follow_up = _find(steps, "follow-up")
    assert follow_up.kind == "appointment"
    assert timedelta(weeks=1) <= _at(follow_up.due) - SEED_END <= timedelta(weeks=6)
    activities = _find(steps, "complete recovery")
    assert timedelta(weeks=2) <= _at(activities.due) - SEED_END <= timedelta(weeks=6)


def test_seed_steps_come_only_from_instructing_sections(seed_path: Path) -> None:
    steps = _seed_steps(seed_path)
    sections = {"preparation", "recovery", "patient experience", "risks and complications"}
    assert {s.section for s in steps} <= sections
    assert not any("during the procedure" in s.text.lower() for s in steps)
    assert not any("anesthesia is administered" in s.text.lower() for s in steps)
    clear = [s for s in steps if s.evidence and "few" not in s.evidence]
    assert all(not s.needs_review for s in clear)


# -- serialisation


def test_steps_round_trip_through_json(seed_path: Path) -> None:
    for step in _seed_steps(seed_path):
        data = json.loads(json.dumps(step.to_dict()))
        assert Step.from_dict(data) == step


@pytest.mark.parametrize(
    "data",
    [None, [], {"anchor": "middle"}, {"anchor": "start", "days": "1"},
     {"anchor": "start", "days": True}, {"anchor": "end", "clock": "25:00"},
     {"anchor": "end", "clock": "09:00", "reminder_hour": True}, {"days": 1},
     {"anchor": "end", "minutes": 1.5}],
)  # fmt: skip
def test_bad_relative_times_are_refused(data: Any) -> None:
    with pytest.raises(ValueError):
        RelTime.from_dict(data)


@pytest.mark.parametrize(
    "data",
    [{"rule": "", "until": {"anchor": "end"}},
     {"rule": "FREQ=DAILY;BYHOUR=25", "until": {"anchor": "end"}},
     {"rule": "FREQ=DAILY"},
     {"rule": "FREQ=DAILY", "until": "soon"},
     *({"rule": rule, "until": {"anchor": "end"}} for rule in (
         "FREQ=YEARLY", "FREQ=DAILY;INTERVAL=0", "FREQ=DAILY;UNTIL=20270101T000000",
         "FREQ=DAILY;BYHOUR=8,20;BYMINUTE=0;BYSETPOS=5", "FREQ=DAILY;INTERVAL=7;BYDAY=MO",
         "FREQ=MINUTELY", "FREQ=HOURLY;BYMINUTE=30", "FREQ=DAILY;FREQ=DAILY", "BYHOUR=8",
         "FREQ=DAILY;BYDAY=1MO", "FREQ=DAILY;COUNT=0", "FREQ=DAILY;BYHOUR=x", "FREQ=DAILY;;=",
         "FREQ=DAILY;X-NAME=1", 7))],
)  # fmt: skip
def test_bad_recurrences_are_refused(data: Any) -> None:
    with pytest.raises(ValueError):
        Recurrence.from_dict(data)


def test_bad_steps_are_refused(seed_path: Path) -> None:
    good = _seed_steps(seed_path)[0].to_dict()
    for change in ({"kind": "surgery"}, {"confidence": 1.5}, {"critical": "yes"},
                   {"opens": None}, {"text": 3}):  # fmt: skip
        with pytest.raises(ValueError):
            Step.from_dict({**good, **change})


# -- the data files


def test_data_files_load_into_typed_values() -> None:
    lex, cfg = lexicon.lexicon(), clinical_defaults.defaults()
    assert {k.name for k in lex.kinds} == set(KINDS)
    assert all(v.reason for v in lex.vague) and all(d.source for d in cfg.steps.values())
    assert cfg.for_step("start", "fasting").rule == "default: fasting from midnight (ASA)"
    assert cfg.dose_minutes(4) == (480, 720, 960, 1200)


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [("lexicon.toml", 'value = 3\nconfidence = 0.55', 'value = 3\nconfidence = 5.5',
      "between 0 and 1"),
     ("lexicon.toml", 'clock = "18:00"', 'clock = "6pm"', "not a clock time"),
     ("lexicon.toml", 'name = "diet"', 'name = "dietary"', "is not one of"),
     ("lexicon.toml", '"\\\\bif so\\\\b",', '"(unclosed",', "bad pattern"),
     ("defaults.toml", 'rule = "default: fasting from midnight (ASA)"\n', "", "rule: missing"),
     ("defaults.toml", 'doses_reason = ', 'doses_why = ', "doses_reason: missing"),
     ("defaults.toml", 'kind = "*"\nopens = { days = -7', 'kind = "x"\nopens = { days = -7',
      "not a step kind"),
     ("defaults.toml", "[timing]", "[timing\n", "cannot read")],
)  # fmt: skip
def test_bad_data_files_are_refused_with_a_clear_error(
    tmp_path: Path, file: str, old: str, new: str, message: str
) -> None:
    source = data_files.DATA / file
    text = source.read_text()
    assert old in text
    target = tmp_path / file
    target.write_text(text.replace(old, new, 1))
    read = lexicon.read_lexicon if file == "lexicon.toml" else clinical_defaults.read_defaults
    with pytest.raises(errors.LexiconError, match=message) as caught:
        read(target)
    assert str(caught.value).startswith(file)


def test_the_packaged_files_are_read_once() -> None:
    assert (
        lexicon.lexicon() is lexicon.lexicon()
        and clinical_defaults.defaults() is clinical_defaults.defaults()
    )


# -- arbitrary text never breaks the reader

_WORDS = ["stop", "aspirin", "7", "days", "before", "after", "surgery", "within", "a few",
          "hours", "every", "while awake", "the day before", "after midnight", "for", "weeks",
          "two", "to", "three", "times a day", "may be required", ";", ".", "includes", "and",
          "at least", "up to", "by 3 pm", "the first day", "after that", "(", ")", "-", "0",
          "99999", "every 0 hours", "1.5", "twenty-", "once or twice a week", ":",
          # the phrasing families of tests/reading/test_phenomena.py FAMILIES
          "weeks 3 and 4", "until the end of week", "the second week", "between days", "then",
          "starting the day after", "the day you go home", "at home", "the stent",
          "until the stitches are out", "pull the stent out", "after the first", "the first",
          "at the same time", "before then", "during that week", "straight after", "through",
          "the morning after", "not the night before", "at bedtime", "every morning",
          "after each meal", "glasses a day", "instead", "a year", "months", "booked for",
          "have not heard", "longer than", "at a time", "so that it is finished", "that day",
          "until after the procedure", "right up to your appointment", "once it is off",
          "the first week or two", "last", "the birth", "the dye", "before you arrive"]  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=200),
                 st.lists(st.sampled_from(_WORDS), max_size=25).map(" ".join)),
       st.sampled_from(["start", "end"]))  # fmt: skip
def test_any_instruction_gives_a_valid_timing(text: str, anchor: str) -> None:
    timing = time_phrase(text, anchor=anchor)  # type: ignore[arg-type]
    assert timing.kind in KINDS and 0.0 <= timing.confidence <= 1.0
    assert timing.evidence in text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.text(max_size=60),
                          st.lists(st.sampled_from(_WORDS), max_size=12).map(" ".join)),
                max_size=6))  # fmt: skip
def test_any_document_text_derives_or_fails_only_as_a_document_error(body: list[str]) -> None:
    bullets = "\n".join(f"- {b}" for b in body)
    paragraphs, risks = "\n".join(body), " ".join(body)
    text = _document(
        f"Preparation\n{bullets}\nRecovery\n{paragraphs}\nRisks and Complications\n- {risks}"
    )
    for candidate in (text, " ".join(body)):
        try:
            document = parse_document(candidate)
        except DocumentError:
            continue
        derived = derive(document)
        for step in derived.steps:
            assert Step.from_dict(step.to_dict()) == step
            occurrences(step, start=SEED_START, end=SEED_END, tz=NY)
