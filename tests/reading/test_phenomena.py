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
    # a restriction with a wound-care kind (whose default repeats daily) is one span
    (R, "Keep the incision clean and dry for 2 weeks; do not soak it in a bath",
     {"asks": "avoid", "opens": "end", "due": "end+2w"}),
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
    # 9. medicine plans before and after surgery
    (P, "Take your last dose of warfarin 5 days before surgery",
     {"asks": "do", "opens": "start-5d@day", "due": "start-5d@eod"}),
    (R, "Restart metformin once you are eating and drinking normally", {"asks": "do"}),
    (P, "Take paracetamol an hour before the dressing change if you need it", {"asks": "do"}),
    (R, "Take paracetamol if you need it for cramps", {"asks": "know"}),
    (P, "If you have a weekly injection (semaglutide, dulaglutide), skip the week's dose",
     {"asks": "avoid"}),
    (P, "From 2 days before your test, have clear fluids only", {"asks": "avoid"}),
    (P, "There is no need to fast before the infusion", {"asks": "know"}),
    (R, "Sugar readings are often a little high for a day or two", {"asks": "know"}),
    (R, "Injection sites often bruise", {"asks": "know"}),
    (P, "At 4 pm two days before your test, drink the first sachet",
     {"asks": "do", "opens": "start-2d@16:00", "due": "start-2d@16:00"}),
    # 10. courses and infusions: "the infusion" is the procedure; "during treatment" its span
    (R, "Have a blood test 4 weeks after the infusion",
     {"opens": "end+4w@day", "due": "end+4w@eod"}),
    (R, "Do not swim in chlorinated pools during your course of treatment",
     {"asks": "avoid", "opens": "start", "due": "end"}),
    (R, "Do not shave the area during treatment and for 1 year afterwards",
     {"asks": "avoid", "opens": "start"}),
    (R, "Restart warfarin at your usual dose on the evening of your operation",
     {"asks": "do", "due": "end@eod"}),
    # an amount before another activity done on the procedure day counts back from it
    (P, "Do not ejaculate for 2 to 5 days before giving the sample on the morning of the test",
     {"asks": "avoid", "opens": ["start-5d@day", "start-2d"], "due": "start"}),
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


def _step(section: str, bullets: list[str], match: str, settings: Settings | None = None) -> Step:
    """The step whose text holds `match`, in a document with these bullets in one section."""
    other = "Recovery" if section == "Preparation" else "Preparation"
    body = "".join(f"- {b}\n" for b in bullets)
    text = f"{HEAD}{section}\n{body}{other}\n- Rest.\n"
    steps = derive(parse_document(text, path="t.txt"), settings=settings).steps
    return next(s for s in steps if match.lower() in s.text.lower())


# Phrasing families read as a nurse reads them: bullets, the step to check, what it gives.
FAMILIES = [
    # arrival stated as "check in N before"
    (P, ["Check in 45 minutes before your appointment.", "Bring your glasses case."],
     "glasses", {"due": "start-45min"}),
    # what is worn or brought to the appointment, or done before you arrive, is due by check-in
    (P, ["Wear loose trousers to the hospital."], "trousers", {"due": "start-1h"}),
    (P, ["Take out contact lenses before you arrive."], "lenses", {"due": "start-1h"}),
    # numbered weeks and days after the procedure
    (R, ["Eat only soft foods during weeks 2 and 3."], "soft",
     {"opens": "end+1w", "due": "end+3w"}),
    (R, ["Use the brace until the end of week 6."], "brace", {"opens": "end", "due": "end+6w"}),
    (R, ["Expect the swelling to be worst between days 2 and 4."], "swelling",
     {"asks": "know", "opens": "end+2d@day", "due": "end+4d@eod"}),
    (R, ["From the start of the third week, walk once a day for 2 weeks."], "walk",
     {"opens": "end+2w", "until": "end+4w"}),
    # "...; then X" opens when the step before ends
    (R, ["Drink only clear fluids for 3 days; then full fluids until the end of week 2."],
     "full fluids", {"opens": "end+3d", "due": "end+2w"}),
    # a starting day with a length
    (R, ["Starting the day after surgery, rinse twice a day for 5 days."], "rinse",
     {"opens": "end+1d@day", "until": "end+5d@eod", "every": "2/day"}),
    # the day of going home: the end plus the usual stay
    (R, ["Book a review the day you go home."], "review", {"opens": "end+2d@day"}),
    (R, ["Rest during the first week at home."], "rest during",
     {"opens": "end+2d", "due": "end+2d+1w"}),
    # amounts that describe a symptom or a session, not the window
    (R, ["Call us if the bleeding lasts longer than 3 days."], "bleeding", {"opens": "end"}),
    (R, ["Hold a cold pack for up to 15 minutes at a time, 4 times on the day of surgery."],
     "cold pack", {"every": "4/day", "until": "end@eod"}),
    # moments said with an amount
    (R, ["Ring the clinic if you have not heard within 10 days."], "ring",
     {"opens": "end+10d@day"}),
    (R, ["The numbness takes 4 to 6 hours to wear off."], "numbness",
     {"asks": "know", "opens": ["end+4h", "end+6h"]}),
    (R, ["A dressing check is booked for 5 to 7 days after surgery."], "dressing check",
     {"opens": "end+5d@day", "due": "end+7d@eod"}),
    # removals the document times, named later
    (R, ["Have the staples taken out 10 days after surgery.",
         "Do not bathe until the staples are out."], "bathe", {"due": "end+10d@eod"}),
    (R, ["After 24 hours, take off the bandage.",
         "Keep the arm raised for 2 days after the bandage comes off."], "arm raised",
     {"opens": "end+24h", "due": "end+24h+2d"}),
    # references to the clause before
    (R, ["Give a first sample 8 weeks after the procedure.",
         "Give another sample 4 weeks after the first."], "another sample",
     {"opens": "end+12w@day", "due": "end+12w@eod"}),
    (R, ["Remove the drain 3 days after surgery; do not pull on it before then."], "pull on it",
     {"asks": "avoid", "due": "end+3d@day"}),
    (P, ["Take the antibiotic 1 hour before; use the mouthwash at the same time."], "mouthwash",
     {"opens": "start-1h", "due": "start-1h"}),
    # a restriction up to, or past, the procedure
    (P, ["From 8 am the day before, have only clear fluids until after the procedure."],
     "clear fluids", {"asks": "avoid", "opens": "start-1d@08:00", "due": "end"}),
    (P, ["Do not take aspirin on the day of the procedure or for 24 hours after it."],
     "aspirin", {"asks": "avoid", "opens": "start@00:00", "due": "end+24h"}),
    # a day named with "not" is skipped; "at bedtime the night before" happens once
    (P, ["On the morning of surgery, not the evening before, wash your hair."], "hair",
     {"opens": "start@06:00"}),
    (P, ["At bedtime the night before, wash with the sponge."], "sponge",
     {"due": ["start-1d@21:00", "start@00:00"]}),
    # how long an action takes; a meal-time repeat; a daily drinking amount
    (P, ["5 hours before, drink the solution, one cup every 10 minutes, so that it is finished "
         "within 1 hour."], "solution", {"opens": "start-5h", "due": "start-4h"}),
    (R, ["Rinse with salt water after each meal for a week."], "salt", {"every": "3/day"}),
    (R, ["Drink eight glasses of water a day to keep it flowing."], "eight", {"every": "daily"}),
    (R, ["Check your wound every morning for a week."], "wound", {"opens": "end+1d@day"}),
    # more anchors and lengths
    (P, ["Stop aspirin 7 days before; clopidogrel is stopped 5 days before instead."],
     "clopidogrel", {"opens": "start-5d@day", "due": "start-5d@eod"}),
    (P, ["Eat a light supper the night before."], "supper",
     {"opens": ["start-1d@16:00", "start-1d@20:00"]}),
    (P, ["Do not wear perfume."], "perfume", {"asks": "avoid", "opens": "start@day"}),
    (P, ["Stop iron 7 days before; also stop vitamin E from that day."], "vitamin e",
     {"due": "start-7d@eod"}),
    (P, ["Water is allowed right up to your appointment."], "water", {"due": "start"}),
    (P, ["Eat a light breakfast on the day of the scan.", "Take your usual tablets that day."],
     "usual tablets", {"opens": "start@day"}),
    (R, ["Go back to your usual diet straight after the scan."], "usual diet", {"opens": "end"}),
    (R, ["Expect a sore throat for the first week or two."], "sore throat", {"due": "end+2w"}),
    (R, ["Expect bruising for the first 2 days, and it can last up to 2 weeks."], "bruising",
     {"due": "end+2w"}),
    (R, ["Expect some tiredness for up to a year."], "tiredness", {"due": "end+365d"}),
    (R, ["Have a scan 6 months after the procedure."], "scan", {"opens": "end+183d@day"}),
    (R, ["Watch for a rash for 3 days after the dye."], "rash", {"until": "end+3d"}),
    (R, ["See your midwife 6 weeks after the birth."], "midwife", {"opens": "end+6w@day"}),
    (R, ["Watch the site until the cut heals in 7 to 10 days."], "site", {"until": "end+10d"}),
    (R, ["Take the tablets twice a day through the day after surgery."], "tablets",
     {"opens": "end", "until": "end+1d@eod"}),
    (R, ["Do not drive until the morning after the procedure."], "drive",
     {"opens": "end", "due": "end+1d@06:00"}),
    (R, ["Walk within 2 hours; after that, walk every 3 hours while awake for 1 week."],
     "every 3 hours", {"opens": "end+2h", "until": "end+1w"}),
    (R, ["Use the spray twice a day for 1 week; also rinse after each meal during that week."],
     "rinse", {"until": "end+1w"}),
    (R, ["After the first year, have a blood test every 6 months."], "blood test",
     {"opens": "end+365d@day"}),
    (R, ["Start the tablets the morning after surgery and take them every morning."],
     "tablets the morning", {"opens": "end+1d@06:00", "until": "end+15d"}),
    (R, ["The ache is often worst on the second day."], "ache", {"asks": "know"}),
    # a taper phase that goes on from the bullet before
    (R, ["Take the antibiotic 3 times a day for 5 days.", "Then take it twice a day for 5 days."],
     "twice", {"opens": "end+5d", "until": "end+10d"}),
    # a clock-time arrival is that clock on the procedure day; times from check-in follow it
    (P, ["Check in at 7:30 am on the day of your procedure.",
         "Have nothing to drink during the 2 hours before you check in."], "nothing to drink",
     {"asks": "avoid", "opens": "start@05:30", "due": "start"}),
    (P, ["Check in at 7:30 am on the day of your procedure.", "Bring your glasses case."],
     "glasses", {"due": "start@07:30"}),
    (P, ["Plan to arrive at 8:45 am."], "arrive", {"due": "start@08:45"}),
    # leaving home counts as arriving (the travel time is not known)
    (P, ["Arrive 1 hour before your appointment.",
         "Take the tablet 2 hours before you leave home."], "tablet",
     {"opens": "start-3h", "due": "start-3h"}),
    (P, ["Before you come in, buy some sanitary pads."], "pads", {"due": "start-1h"}),
    # a span bounded by an event the document times, or by wearing something for a time
    (R, ["The drains usually come out 7 to 10 days after surgery.",
         "Do not shower while the drains are in."], "shower",
     {"asks": "avoid", "opens": "end", "due": "end+10d@eod"}),
    (R, ["The drains usually come out 7 to 10 days after surgery.",
         "Empty the drains twice a day until they are removed."], "empty",
     {"every": "2/day", "until": "end+10d@eod"}),
    (R, ["The drains usually come out 7 to 10 days after surgery.",
         "Start the arm exercises the day after the drains come out."], "arm exercises",
     {"opens": ["end+8d@day", "end+11d@day"]}),
    (R, ["Wear the sling for 4 weeks.", "Do not drive while you are wearing the sling."], "drive",
     {"asks": "avoid", "opens": "end", "due": "end+4w"}),
    (R, ["Wear the brace for 6 weeks.", "Do not lift anything until you stop wearing the brace."],
     "lift", {"asks": "avoid", "due": "end+6w"}),
    (R, ["Take the drain out 5 days after surgery.", "Do not shower until it is removed."],
     "shower", {"asks": "avoid", "due": "end+5d@eod"}),
    (R, ["Take the drain out 5 days after surgery.", "Keep the wound dry until it is healed."],
     "wound dry", {"asks": "avoid", "due": "end+14d"}),  # healing is not the drain's removal
    # timed from another step's dose, on that step's clock
    (P, ["At 6 pm the day before, take the first dose.",
         "Take the second dose 6 hours after the first."], "second dose",
     {"opens": "start@00:00"}),
    (P, ["At 5 pm the day before, take the first tablet.",
         "Take the next tablet 8 hours after the first tablet."], "next tablet",
     {"opens": "start@01:00"}),
    # a preparation dose that falls after the start is kept there (said from the end)
    (P, ["Take one tablet 1 hour before the procedure; take the second tablet 8 hours after "
         "the first."], "second tablet", {"opens": "start+7h"}),
    # an adjective "weekly" is not a schedule; "before for advice" names the procedure
    (P, ["If you use a weekly weight-loss injection, call us at least 1 week before for advice."],
     "weight-loss", {"due": "start-1w@eod"}),
    # bounded by finishing what another step takes
    (R, ["Take the antibiotic twice a day for 5 days.",
         "Do not drink alcohol until you have finished the antibiotic."], "alcohol",
     {"asks": "avoid", "opens": "end", "due": "end+5d"}),
    # recovery times counted from the procedure's own start (swallowing the capsule)
    (R, ["Four hours after you swallow the capsule you may eat a light snack."], "snack",
     {"asks": "know", "opens": "start+4h"}),
    # a recovery instruction that holds while a recording procedure lasts
    (R, ["While you are wearing the monitor, do not shower or bathe."], "shower",
     {"asks": "avoid", "opens": "start", "due": "end"}),
    (R, ["Do not take off the belt until the recording ends."], "belt",
     {"asks": "avoid", "opens": "start", "due": "end"}),
    # times of day and days said by what happens then
    (P, ["Start a clear liquid diet after lunch on the day before."], "clear liquid",
     {"asks": "avoid", "opens": "start-1d@13:00", "due": "start"}),
    (P, ["You may drink water until 6 am."], "water", {"asks": "know", "due": "start@06:00"}),
    (P, ["Take your morning medicines with a sip of water."], "morning medicines",
     {"opens": "start@day", "due": "start-1h"}),
    (P, ["Wear loose clothes and flat shoes."], "loose", {"due": "start-1h"}),
    (R, ["Take the tablet you held as soon as the test is finished."], "tablet", {"opens": "end"}),
    # a moment said by what has not happened yet; a rate is not a window
    (R, ["Call the office if you have not seen the capsule pass within 2 weeks."], "capsule",
     {"opens": "end+2w@day"}),
    (R, ["Call your doctor if you soak more than one pad an hour."], "pad",
     {"asks": "watch", "opens": "end"}),
    (R, ["Call your doctor if you have throat pain that gets worse after 2 days."], "throat",
     {"asks": "watch", "opens": "end"}),
    (R, ["Continue for 2 weeks to take the tablets twice a day."], "tablets",
     {"until": "end+2w"}),
    # asks said in new ways
    (R, ["Once home, rest lying down for the remainder of the day."], "lying down",
     {"asks": "avoid", "due": "end@eod"}),
    (R, ["For the next 2 days do only very light activity."], "light activity",
     {"asks": "avoid", "due": "end+2d"}),
    (R, ["Look at the site every day for redness or swelling."], "site", {"asks": "watch"}),
    (R, ["The hand stays numb for 8 to 12 hours."], "numb", {"asks": "know"}),
    (P, ["A nurse will phone you about two days before the procedure."], "nurse",
     {"asks": "know"}),
    (R, ["See your surgeon 2 to 3 weeks after surgery for the pathology results."], "surgeon",
     {"asks": "do", "opens": "end+2w@day"}),
    (P, ["See your dentist at least 4 weeks before surgery if you have not had a check-up."],
     "dentist", {"asks": "do"}),
    (P, ["Arrange for a driver who will stay at the clinic with you."], "driver",
     {"asks": "do"}),
    (R, ["Check the incision twice a day for green or yellow drainage."], "incision",
     {"asks": "watch"}),
    (R, ["Keep mobile phones and magnets at least 6 inches from the recorder."], "magnets",
     {"asks": "avoid"}),
    (R, ["Your doctor will share the results at your next visit."], "results", {"asks": "know"}),
    (R, ["Taking the electrodes off feels like pulling off a plaster."], "electrodes",
     {"asks": "know"}),
    (R, ["Leave the tape strips on until 14 days after surgery."], "tape strips",
     {"asks": "avoid", "due": "end+14d"}),
    (R, ["Start your pain tablets as the block wears off, usually 8 to 12 hours after surgery."],
     "pain tablets", {"asks": "do", "opens": ["end+8h", "end+12h"]}),
    # stopping a medicine is a one-time task, even with "all" ("stop all food" stays a fast)
    (P, ["Stop all antihistamine tablets at least 5 days before your skin test."],
     "antihistamine", {"asks": "do", "due": "start-5d@eod"}),
    (P, ["Stop all drinks 2 hours before you arrive."], "drinks", {"asks": "avoid"}),
    # "testing" names the procedure, like "the test"
    (P, ["Stop antihistamine nose sprays 2 days before testing."], "nose sprays",
     {"opens": "start-2d@day", "due": "start-2d@eod"}),
    # the staff watching, in a purpose clause, is not a warning sign for the patient
    (R, ["Wait in the clinic for 30 minutes so the staff can watch for a reaction."], "wait",
     {"asks": "do"}),
    # calling ahead of the appointment, even on a condition, is a task
    (P, ["If you had a barium study in the last 2 weeks, call the department before your "
         "appointment for advice."], "barium", {"asks": "do"}),
    (P, ["Call your doctor if you get a fever before your surgery."], "fever",
     {"asks": "watch"}),
    # a fast said with its subject ("your child must have no ...")
    (P, ["Your child must have no solid food after midnight."], "solid food",
     {"asks": "avoid", "opens": "start@00:00", "due": "start"}),
    # keeping contact short is a restriction
    (R, ["Keep hugs with babies short for 24 hours after the scan."], "hugs",
     {"asks": "avoid", "due": "end+24h"}),
    # how long symptoms last, with a longer subject; how the site may look; who has results
    (R, ["Itching and redness at the test sites may last up to 24 hours."], "itching",
     {"asks": "know"}),
    (R, ["The site may be sore and bruised for several days."], "bruised", {"asks": "know"}),
    (R, ["Your doctor will have the results in 2 to 3 days."], "results in",
     {"asks": "know"}),
    # "straight away" is the end of the procedure
    (R, ["You can drive and go back to work straight away."], "drive", {"opens": "end"}),
    # calling or telling ahead of time (a condition may come first, with commas) is a task
    (P, ["If you take Ozempic, Wegovy or another weekly injection, call the department at "
         "least 1 week before for advice."], "ozempic", {"asks": "do"}),
    (P, ["Call the office at least 24 hours in advance if you would like a sedative."],
     "sedative", {"asks": "do"}),
    # "X only with/when ...": a restriction; keeping foods out of the diet too
    (R, ["For the week after that, swim only with goggles."], "goggles", {"asks": "avoid"}),
    (P, ["If you can, keep nuts and seeds out of your diet for 3 days before the test."],
     "nuts", {"asks": "avoid"}),
    # a weight limit of two digits
    (R, ["Keep anything you lift under 10 pounds for 6 weeks."], "10 pounds",
     {"asks": "avoid", "due": "end+6w"}),
    # a long condition before the restriction
    (P, ["If your scan is before noon and you take diabetes tablets or insulin, skip your "
         "morning dose until after the scan."], "skip", {"asks": "avoid"}),
    # "breathe normally" describes the child, it does not say the instruction is usual
    (R, ["Check on your child every 2 hours while they sleep to make sure they breathe "
         "normally."], "check on", {"asks": "do"}),
    # "as soon as the test is finished": a task then, not by midnight
    (R, ["Take the tablet you held as soon as the test is finished."], "tablet",
     {"asks": "do", "opens": "end", "due": ["end", "end+2h"]}),
    # a bare count over one day is a daily rate
    (R, ["Check the drains 4 times in the first 24 hours."], "drains",
     {"every": "4/day", "until": "end+24h"}),
    (R, ["For the first 24 hours, check the dressing 3 times and change it if it is wet."],
     "dressing", {"every": "3/day"}),
    # what is worn in and taken out when the procedure begins is due at the start
    (P, ["Take out dentures or retainers before the test; bring a case for them."], "dentures",
     {"opens": "start-1h", "due": "start"}),
    (P, ["Remove your hearing aids before the procedure."], "hearing", {"due": "start"}),
    # "after the last test": the procedure's end when it has several parts
    (R, ["Wait in the clinic for 30 minutes after the last test."], "wait in",
     {"opens": "end", "due": "end+30min"}),
    # facts: what can be felt, may be taken any time, a target value, what has left the body,
    # what is not a reason to worry, what comes off by itself, what may keep happening
    (R, ["The device can be felt as a small bump under the skin."], "bump", {"asks": "know"}),
    (P, ["Avoid ibuprofen for 10 days before surgery; acetaminophen may be taken at any "
         "time."], "acetaminophen", {"asks": "know"}),
    (P, ["Have your INR checked weekly; each reading needs to be 2 or higher."], "reading",
     {"asks": "know"}),
    (R, ["Almost all of the tracer has left your body by the next morning."], "tracer",
     {"asks": "know"}),
    (P, ["Forgetting the diet is not a reason to cancel the test."], "forgetting",
     {"asks": "know"}),
    (R, ["Let the skin glue peel away by itself."], "glue", {"asks": "know"}),
    (R, ["Stone pieces may keep passing for 4 to 8 weeks."], "stone", {"asks": "know"}),
    (R, ["Bruising near the puncture often shows up a day or two later."], "puncture",
     {"asks": "know"}),
    # tasks that only look like facts
    (P, ["Rinse one last time with the mouthwash."], "mouthwash", {"asks": "do"}),
    (R, ["Restart metformin 48 hours after the scan once your doctor confirms the kidney test "
         "is normal."], "metformin", {"asks": "do"}),
    # cutting down is a restriction
    (P, ["If you smoke, stop or at least cut down for 2 weeks before surgery."], "smoke",
     {"asks": "avoid"}),
    # keeping water out of the eyes is a restriction; a light meal is a task, not a fast
    (R, ["Keep shower water and soap out of your eyes for the first 3 days."], "shower",
     {"asks": "avoid", "due": "end+3d"}),
    (P, ["Eat a light meal before you come; you do not need to fast."], "light meal",
     {"asks": "do", "due": "start-1h"}),
    # how a part of the body will feel is a fact
    (R, ["Your eyes will water, sting and feel gritty for 4 to 6 hours."], "gritty",
     {"asks": "know"}),
    # "ablation" names the procedure
    (R, ["See your heart doctor 6 to 8 weeks after the ablation."], "heart doctor",
     {"opens": "end+6w@day", "due": "end+8w@eod"}),
    # a task kept "until your test" runs to the start, not to check-in
    (P, ["Stay awake from midnight until your test."], "awake",
     {"asks": "do", "opens": "start@00:00", "due": "start"}),
    # "whenever you sleep ... for 5 nights": nightly for that long
    (R, ["Wear the eye shields whenever you sleep, including naps, for 5 nights."], "shields",
     {"every": "daily", "until": ["end+5d", "end+5d@eod"]}),
    # "on the day of and the day after": from the end to the end of the next day
    (R, ["Use an ice pack 3 times a day on the day of and the day after the biopsy."], "ice",
     {"every": "3/day", "opens": "end", "until": "end+1d@eod"}),
    # "for the first 3 days, before the block wears off": the days count from the end
    (R, ["Take your pain medicine regularly for the first 3 days, before the nerve block wears "
         "off."], "pain medicine", {"opens": "end", "due": "end+3d"}),
    # what is more comfortable is a fact
    (R, ["Sleeping in a recliner is often more comfortable for the first 2 weeks."],
     "recliner", {"asks": "know"}),
    (P, ["A day before, shave the area with care, which is easier in the bath."], "shave",
     {"asks": "do"}),
    # "in the last 2 weeks" looks back (a condition), and "before your appointment" is by
    # check-in
    (P, ["If you have had a barium study in the last 2 weeks, call the department before your "
         "appointment for advice."], "department", {"asks": "do", "due": "start-1h"}),
    (P, ["Plain water is allowed right up to your appointment."], "plain water",
     {"asks": "know", "due": "start"}),
    # "for the week after that": the next period after the clause before
    (R, ["Do not swim for the first week; for the week after that, swim only with goggles."],
     "only with goggles", {"asks": "avoid", "opens": "end+1w", "due": "end+2w"}),
    (R, ["For the first 2 weeks, lift nothing heavier than 10 pounds; for the two weeks after "
         "that, keep to 20 pounds."], "20 pounds",
     {"asks": "avoid", "opens": "end+2w", "due": "end+4w"}),
    # "After that, X" at the head of the next bullet starts when the step before ends
    (R, ["Wear the stocking day and night for the first 48 hours.",
         "After that, wear it in the daytime only until 2 weeks after treatment."], "daytime",
     {"opens": "end+48h", "due": "end+2w"}),
    # a procedure's own name after "before"/"after" is the procedure
    (P, ["Stop warfarin 5 days before the ERCP."], "warfarin",
     {"asks": "do", "opens": "start-5d@day", "due": "start-5d@eod"}),
    # "after 14 days" is that much time passed; "after 1 to 2 weeks" names a day
    (R, ["Peel off any tape strips still on after 14 days."], "tape", {"opens": "end+14d"}),
    (R, ["Return to office work after 1 to 2 weeks."], "office", {"opens": "end+1w@09:00"}),
    # "when you get home": on going home (after the usual 2-night stay here), that day
    (R, ["Wash your hair when you get home."], "wash", {"opens": "end+2d", "due": "end+2d@eod"}),
    (R, ["As soon as you get home, hold an ice pack on it for half an hour."], "ice pack",
     {"opens": "end+2d", "due": "end+2d+30min"}),
    # "until <an event> the day after": through that day; "until the next day" is its start
    (R, ["Do not drive until your vision has been checked the day after surgery."], "drive",
     {"asks": "avoid", "opens": "end", "due": "end+1d@eod"}),
    (R, ["Keep the pad on until your check-up the morning after surgery."], "pad",
     {"asks": "avoid", "opens": "end", "due": ["end+1d@06:00", "end+1d@12:00"]}),
    (R, ["Have no alcohol until the next day."], "alcohol",
     {"asks": "avoid", "opens": "end", "due": "end+1d@00:00"}),
    # "call for <a sign>" with nobody named is a warning sign; "call for an appointment" is not
    (R, ["Call for a fever over 101 F or a calf that is swollen."], "calf", {"asks": "watch"}),
    (R, ["Call for an appointment 2 weeks after surgery."], "appointment", {"asks": "do"}),
    # a likelihood, an ache that "should be gone by", a device that stays in: statements
    (R, ["If you have felt well for 2 weeks, problems are unlikely."], "unlikely",
     {"asks": "know"}),
    (R, ["The cramping should be gone by the next morning."], "cramping", {"asks": "know"}),
    (R, ["The catheter stays in for 1 to 2 days."], "catheter", {"asks": "know"}),
    (R, ["Around 10 days after surgery some men pass small clots."], "clots", {"asks": "know"}),
    # "X, and do not Y": the action first is the ask; "X and avoid Y for 2 days" restricts
    (R, ["Take the softener twice a day, and do not strain on the toilet."], "softener",
     {"asks": "do", "every": "2/day"}),
    (R, ["Eat light meals and avoid fatty foods for 2 days."], "fatty", {"asks": "avoid"}),
    # weight bearing "only on your heel" and water kept "below your neck" are restrictions
    (R, ["Put weight only on your heel for the first 2 weeks."], "heel",
     {"asks": "avoid", "due": "end+2w"}),
    (R, ["Keep shower water below your neck for the first 2 weeks."], "shower water",
     {"asks": "avoid", "due": "end+2w"}),
    # "the month before": from about a month ahead (the lexicon's month) up to the procedure
    (P, ["Avoid push-ups and bench press for the month before surgery."], "push-ups",
     {"asks": "avoid", "opens": ["start-31d", "start-28d"], "due": "start"}),
    # a range whose bounds have their own units: "6 weeks to 3 months", to the later bound
    (R, ["Do not lift more than 10 pounds for 6 weeks to 3 months."], "lift",
     {"asks": "avoid", "opens": "end", "due": ["end+12w", "end+92d"]}),
    (R, ["Have the stent changed 6 weeks to 3 months after the procedure."], "stent",
     {"opens": "end+6w@day", "due": ["end+12w", "end+92d@eod"]}),
    # warning signs said the NHS way, or about a child; "seek help at once"
    (R, ["Go straight to A&E if your child spits out bright red blood."], "a&e",
     {"asks": "watch"}),
    (R, ["Take your child to your GP if they will not drink."], "gp", {"asks": "watch"}),
    (R, ["Seek help at once if you get a high temperature with shivers."], "seek help",
     {"asks": "watch"}),
    # telling about a medicine you take is a task; what the team "will tell you" is a fact
    (P, ["Tell the surgeon if you take blood thinners."], "surgeon", {"asks": "do"}),
    (P, ["If you take warfarin, the renal team will tell you when to stop."], "renal team",
     {"asks": "know"}),
    # "until your doctor says it is OK" and "but showers are fine" do not make a permission
    (R, ["Take it easy for 48 hours and do nothing strenuous until your doctor says it is OK."],
     "take it easy", {"asks": "avoid", "due": "end+48h"}),
    (R, ["Avoid swimming and baths for 2 days, but showers are fine."], "swimming",
     {"asks": "avoid", "due": "end+2d"}),
    (R, ["You may shower, but do not take a bath for a week."], "bath",
     {"asks": "avoid", "due": "end+1w"}),
    # how things look, who has the report, what is booked or done for you: facts
    (R, ["Your urine and stools may be blue-green for a day or two."], "urine",
     {"asks": "know"}),
    (R, ["The treated veins look darker before they fade."], "veins", {"asks": "know"}),
    (R, ["Swelling often gets worse for 2 days before it settles."], "swelling",
     {"asks": "know"}),
    (R, ["Your doctor will have the report within 2 days."], "report", {"asks": "know"}),
    (R, ["The results go to your GP."], "results go", {"asks": "know"}),
    (R, ["Your next clinic appointment will be booked before you leave."], "appointment",
     {"asks": "know"}),
    (R, ["A chest X-ray is taken before you go home."], "x-ray", {"asks": "know"}),
    (R, ["A repeat session can be done after 6 weeks."], "repeat", {"asks": "know"}),
    (P, ["Your child may drink water until 6:30 am."], "water",
     {"asks": "know", "due": "start@06:30"}),
    (P, ["If you need a kidney blood test, have it done the week before."], "kidney",
     {"asks": "do"}),
    # fasting said as "nil by mouth" or "fast for"; keeping a child off school
    (P, ["Your child must be nil by mouth from midnight."], "nil by mouth",
     {"asks": "avoid", "opens": "start@00:00", "due": "start"}),
    (P, ["Fast for 6 hours before the operation."], "fast",
     {"asks": "avoid", "opens": "start-6h", "due": "start"}),
    (R, ["Keep your child off school for a week."], "school",
     {"asks": "avoid", "due": "end+1w"}),
    # "<an action> and do not Y": the action is the ask
    (P, ["Shower on the morning of surgery and do not use deodorant."], "deodorant",
     {"asks": "do"}),
    (P, ["If you are having a scan, drink a litre of water an hour before and do not empty "
         "your bladder."], "litre", {"asks": "do"}),
    # a fortnight is two weeks; "after a biopsy" names the procedure; admission is check-in
    (R, ["Keep your child off school for a fortnight."], "school",
     {"asks": "avoid", "due": "end+2w"}),
    (R, ["Do not do vigorous exercise for 24 hours after a biopsy."], "vigorous",
     {"asks": "avoid", "opens": "end", "due": "end+24h"}),
    (P, ["Fast for six hours before your admission time."], "fast",
     {"asks": "avoid", "opens": "start-7h", "due": "start"}),
    # a stated count or interval beats "regularly" or "every day"; "morning and evening" is 2
    (R, ["Give your child paracetamol regularly, four times a day, for 5 days."], "paracetamol",
     {"every": "4/day", "until": "end+5d"}),
    (R, ["Take your pain medicine regularly every 6 hours for the first week."], "pain",
     {"every": "every 6h", "until": "end+1w"}),
    (R, ["Check that the fistula is buzzing every day, morning and evening."], "fistula",
     {"every": "2/day"}),
    # "afterwards" in a reason given with the instruction is after the procedure
    (P, ["Arrive 15 minutes before your appointment.",
         "Bring a sanitary pad, as you may bleed a little afterwards."], "sanitary",
     {"due": "start-15min"}),
    (P, ["Eat a normal meal before you come, since your mouth will be numb afterwards."],
     "normal meal", {"due": "start-1h"}),
    # the procedure named by its own word; "for the 24 hours before" as "for 24 hours before"
    (P, ["For the 24 hours before your colposcopy, do not use tampons."], "tampons",
     {"asks": "avoid", "opens": "start-24h", "due": "start"}),
    (R, ["Do not lift anything heavy for 2 weeks after your hysterectomy."], "lift",
     {"asks": "avoid", "opens": "end", "due": "end+2w"}),
    (P, ["Stop aspirin 5 days before the thoracentesis."], "aspirin",
     {"opens": "start-5d@day", "due": "start-5d@eod"}),
    # a 24-hour tube study: "while the tube is in", "until the tube is removed"
    (R, ["While the tube is in, do not shower."], "shower",
     {"asks": "avoid", "opens": "start", "due": "end"}),
    (R, ["Do not take the antacids until the tube is removed."], "antacids",
     {"asks": "avoid", "opens": "start", "due": "end"}),
    # a near and a far bound before the procedure: opens at the far one, due by the near one
    (P, ["Have the blood tests done no later than 3 days before the procedure, and not more "
         "than 30 days ahead of it."], "blood tests",
     {"opens": "start-30d@day", "due": "start-3d@eod"}),
    (P, ["Have the scan at least 2 days before surgery, but no more than 2 weeks before it."],
     "scan", {"opens": "start-2w@day", "due": "start-2d@eod"}),
    # a diet kept for a while, "then go back to your normal diet": still a restriction
    (R, ["Eat bland, low-fat food for the first 3 days, then go back to your normal diet."],
     "bland", {"asks": "avoid", "opens": "end", "due": "end+3d"}),
    # a symptom "gone by" a named day lasts from the end until then
    (R, ["The cramping should be gone by the next morning."], "cramping",
     {"asks": "know", "opens": "end", "due": ["end+1d@06:00", "end+1d@12:00"]}),
    # two days offered ("the night before or the morning of"): opens at the first, due by the
    # later one
    (P, ["Shower the night before or the morning of surgery."], "shower",
     {"opens": "start-1d@day", "due": "start-1h"}),
    # a medicine taken "as usual" is a task (not skipped); eating "as usual" is a fact
    (P, ["Take your aspirin as usual on the morning of the procedure."], "aspirin",
     {"asks": "do"}),
    (P, ["If you have asthma, use your inhalers as usual and bring them with you."],
     "inhalers", {"asks": "do"}),
    (P, ["Eat breakfast as usual on the day of the scan."], "breakfast", {"asks": "know"}),
    # a washing permission or restriction with no time of its own holds from the end
    (R, ["You may shower with the waterproof dressing on."], "shower",
     {"asks": "know", "opens": "end"}),
    (R, ["Do not take a bath until the wound has healed."], "bath",
     {"asks": "avoid", "opens": "end"}),
    # a fast "until the X-rays are finished" lasts to the end
    (P, ["Nothing to eat or drink after midnight until the X-rays are finished."], "midnight",
     {"asks": "avoid", "opens": "start@00:00", "due": "end"}),
    # "if you have not opened your bowels within 2 days": from then
    (R, ["If you have not opened your bowels within 2 days, take a mild laxative."],
     "laxative", {"asks": "do", "opens": "end+2d@day"}),
    # an amount in an "including ..." aside does not replace the instruction's own
    (R, ["Give paracetamol four times a day for at least 7 days, including at night for the "
         "first few nights."], "paracetamol", {"every": "4/day", "until": "end+7d"}),
    # a diet named by two adjectives ("low-carbohydrate, high-protein") is a restriction
    (P, ["Follow a low-carbohydrate, high-protein diet for 24 hours before the scan."], "diet",
     {"asks": "avoid", "opens": "start-24h", "due": "start"}),
    # restrictions said about the child, or with "should not"/"must not"
    (P, ["Give your child nothing to eat after midnight."], "nothing to eat",
     {"asks": "avoid", "opens": "start@00:00", "due": "start"}),
    (R, ["Your child should stay off school for a fortnight."], "school",
     {"asks": "avoid", "due": "end+2w"}),
    (R, ["Your child should not swim for 2 weeks."], "swim",
     {"asks": "avoid", "opens": "end", "due": "end+2w"}),
    # "ring the ward if ...": a warning sign; "you should be able to ...": a fact
    (R, ["Ring the ward if you have any problems in the first 48 hours."], "ward",
     {"asks": "watch", "opens": "end", "due": "end+48h"}),
    (R, ["You should be able to return to work after 2 to 3 weeks."], "return",
     {"asks": "know"}),
    # "present to the unit at 7 am" (Australian usage) is check-in
    (P, ["Please present to the day surgery unit at 7 am.", "Bring your Medicare card."],
     "medicare", {"due": "start@07:00"}),
    # "until day 5": from the end up to that day (day 0 is the procedure's day)
    (R, ["Keep the dressing on until day 5."], "dressing",
     {"asks": "avoid", "opens": "end", "due": "end+5d@00:00"}),
    # stitches that "will fall out" are a fact; "ring 111" / "dial 999" are for warning signs
    (R, ["Dissolvable stitches will fall out in 2 to 3 weeks."], "stitches", {"asks": "know"}),
    (R, ["The clinic is closed on bank holidays; ring 111 if you are worried."], "111",
     {"asks": "watch"}),
    (R, ["If you are bleeding heavily, dial 999."], "999", {"asks": "watch"}),
    # parent-directed: bringing the child in is check-in; what babies may have is allowed;
    # stopping the child's food is a fast
    (P, ["Bring your child to the ward at 7 am.", "Bring a favourite toy."], "toy",
     {"due": "start@07:00"}),
    (P, ["Breastfed babies may feed until 4 hours before the operation."], "breastfed",
     {"asks": "know", "due": "start-4h"}),
    (P, ["Stop giving your child solid food 6 hours before surgery."], "solid",
     {"asks": "avoid", "opens": "start-6h", "due": "start"}),
    # repeats "from day 3" start then and end by the default, not on day 3
    (R, ["From day 3, walk twice a day."], "walk",
     {"opens": "end+3d@00:00", "every": "2/day", "until": "end+3d+14d"}),
    # a task on one numbered day is done once that day, whatever its kind's usual repeat
    (R, ["On day 2, remove the outer dressing."], "outer dressing",
     {"asks": "do", "opens": "end+2d@day", "due": "end+2d@eod", "every": None}),
    (R, ["On the second day, take off the bulky bandage."], "bulky bandage",
     {"asks": "do", "opens": "end+2d@day", "due": "end+2d@eod", "every": None}),
    (R, ["On day 3 after surgery, peel off the wound dressing."], "peel off",
     {"asks": "do", "opens": "end+3d@day", "due": "end+3d@eod", "every": None}),
    (R, ["Remove the plaster on the 5th day."], "plaster",
     {"asks": "do", "opens": "end+5d@day", "due": "end+5d@eod", "every": None}),
    (R, ["Day 10: stitches out at your GP surgery."], "stitches out",
     {"asks": "do", "opens": "end+10d@day", "due": "end+10d@eod", "every": None}),
    # a cold before the operation, reported: "if ..., ring the ward", "let the hospital know if"
    (P, ["If your son has a cough or cold in the week before, ring the ward."], "ring the ward",
     {"asks": "watch"}),
    (P, ["Let the hospital know if your child has a temperature before surgery."], "temperature",
     {"asks": "watch"}),
    # what "may be given up to" a time is allowed, even a clear fluid
    (P, ["Clear fluids such as water may be given up to 2 hours before surgery."], "clear fluids",
     {"asks": "know", "due": "start-2h"}),
    # restrictions said about the son, daughter or partner; rest asked of a child
    (P, ["Your son must not eat any food for 6 hours before the operation."], "must not eat",
     {"asks": "avoid", "opens": "start-6h", "due": "start"}),
    (R, ["Let your child rest quietly for the first 3 days."], "rest quietly",
     {"asks": "avoid", "opens": "end", "due": "end+3d"}),
    # someone else's call, healing by itself, what may be possible: information
    (R, ["The embryologist will phone you the morning after."], "embryologist", {"asks": "know"}),
    (R, ["An ulcer from a bitten lip heals by itself in a week."], "ulcer", {"asks": "know"}),
    (R, ["Desk work may be possible after 2 weeks."], "desk", {"asks": "know"}),
    # "come to the ... unit at 7 am" is check-in; "before you are due to come in" is before it
    (P, ["Come to the admissions unit at 7 am.", "Stop eating 6 hours before your admission time."],
     "stop eating", {"asks": "avoid", "opens": "start@01:00"}),
    (P, ["Please come in to the day unit 1 hour before.",
         "Water is allowed up to 2 hours before you are due to come in."],
     "water", {"asks": "know", "due": "start-3h"}),
    # the procedure named by its own noun ("the egg collection")
    (P, ["Take the trigger injection exactly 36 hours before the egg collection."], "trigger",
     {"asks": "do", "opens": "start-36h", "due": "start-36h"}),
    (R, ["Spotting is normal for 1 to 2 days after the collection."], "spotting",
     {"asks": "know", "due": "end+2d"}),
    # clear fluids given or drunk "until" a time before: allowed up to then
    (P, ["Give clear liquids such as water until 1 hour before the scan."], "clear liquids",
     {"asks": "know", "due": "start-1h"}),
    # an untimed drain or sheath came out as the procedure ended
    (R, ["Lie on the side opposite the drain site for 2 hours after the drain comes out."],
     "lie on", {"asks": "do", "opens": "end", "due": "end+2h"}),
    (R, ["Keep the leg straight for 4 hours after the sheath is removed."], "leg straight",
     {"opens": "end", "due": "end+4h"}),
    # rest kept for a child, its time said first; a bath ruled out "rather than"
    (R, ["For the next 24 hours, keep your child resting quietly at home."], "resting",
     {"asks": "avoid", "opens": "end", "due": "end+24h"}),
    (R, ["Give sponge baths rather than a tub bath."], "sponge", {"asks": "avoid"}),
    # a statement with a long subject
    (R, ["Pain when your child coughs, sneezes or moves suddenly may last 2 weeks."], "sneezes",
     {"asks": "know"}),
    # buying food for a diet is a task, not the diet
    (P, ["Stock up on soft foods and ice pops the day before surgery."], "stock up",
     {"asks": "do", "opens": "start-1d@day"}),
    # a restriction said as the means ("by not passing urine for 1 hour before")
    (P, ["Come with a full bladder by not passing urine for at least 1 hour before the scan."],
     "full bladder", {"asks": "avoid"}),
    # needing to pass urine more often afterwards is an expectation
    (R, ["You may need to go more often and more urgently for the first day."], "urgently",
     {"asks": "know"}),
    # "until your 3-month visit" ends the repeats there, also after "start 1 week after"
    (R, ["Wear the brace until your 6-week check."], "brace until",
     {"opens": "end", "due": "end+6w"}),
    (R, ["Start the scar massage 1 week after surgery, 3 times a day, until your 3-month visit."],
     "scar massage", {"opens": "end+1w@day", "every": "3/day", "until": ["end+12w", "end+92d"]}),
    # "the next day or two" is an amount (two days), not the next day
    (R, ["Give sponge baths rather than a tub bath for the next day or two."], "tub bath",
     {"asks": "avoid", "opens": "end", "due": "end+2d"}),
    # a restriction "for 48 hours after you go home" holds in hospital too; "the first week
    # at home" is spent at home (stay_days=2 here)
    (R, ["Do not drive for 48 hours after you go home."], "drive for 48",
     {"asks": "avoid", "opens": "end", "due": "end+2d+48h"}),
    (R, ["During the first week at home, avoid heavy chores."], "heavy chores",
     {"asks": "avoid", "opens": "end+2d", "due": "end+2d+1w"}),
    # a soft diet offered to a child, with a second adjective, is a restriction
    (R, ["Offer soft, cool food and drinks for the first 24 hours."], "offer soft",
     {"asks": "avoid", "opens": "end", "due": "end+24h"}),
    # an untimed clause joined to the timed one before keeps that one's asks ("eat soft foods
    # for 14 days; avoid crunchy foods until healed" is one restriction, not a task)
    (R, ["Eat soft, cool foods for 10 to 14 days; avoid crunchy foods until your throat heals."],
     "crunchy", {"asks": "avoid", "opens": "end", "due": "end+14d"}),
    # "tomorrow", said after the procedure, is the next day
    (R, ["He may have a shower tomorrow."], "shower tomorrow",
     {"asks": "know", "opens": "end+1d@day", "due": "end+1d@eod"}),
    # a restriction lasts until the thing it protects goes by itself (the later bound)
    (R, ["Do not pull off the skin strips; they peel away by themselves in 5 to 10 days."],
     "pull off", {"asks": "avoid", "opens": "end", "due": "end+10d"}),
    # a course begun before the procedure ends at the last dose another bullet times
    (P, ["Start enoxaparin injections 3 days before surgery, twice a day.",
         "Give your last enoxaparin injection 24 hours before surgery."],
     "start enoxaparin", {"every": "2/day", "opens": "start-3d@day", "until": "start-24h"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("section", "bullets", "match", "expected"), FAMILIES, ids=[f[2] for f in FAMILIES]
)
def test_phrasing_family(
    section: str, bullets: list[str], match: str, expected: dict[str, Any]
) -> None:
    _check(_step(section, bullets, match, Settings(stay_days=2)), expected)


def test_a_restriction_is_one_span_never_a_daily_task() -> None:
    """'Keep it dry for 2 weeks' asks the patient to avoid something from its start to its end:
    no recurrence (no daily row to tick or daily reminder), its end as the deadline."""
    (step,) = _steps(R, "Keep the incision clean and dry for 2 weeks")
    assert step.asks == "avoid" and step.recurrence is None
    _check(step, {"due": "end+2w"})


def test_a_keyword_naming_the_procedure_is_not_the_instructions_kind() -> None:
    """'before the test' says when; the instruction is not a test to book (a week ahead)."""
    (step,) = _steps(P, "Take out dentures or retainers before the test")
    assert step.kind != "tests"
    (booked,) = _steps(P, "Have your blood test 5 days before the procedure")
    assert booked.kind == "tests"


def test_coming_back_the_next_morning_ends_a_day_long_recording() -> None:
    """A 24-hour recording ends the morning after the start: "come back the next morning" is
    that morning, not the morning after the recording ends."""
    head = HEAD.replace("60 minutes", "24 hours")
    bullet = "Come back the next morning to hand in the recorder."
    text = f"{head}Preparation\n- Rest.\nRecovery\n- {bullet}\n"
    (step,) = [
        s for s in derive(parse_document(text, path="t.txt")).steps if s.section == "recovery"
    ]
    start = local_to_utc(START_LOCAL, ZONE)
    end = start + timedelta(hours=24)
    for key, expected in (("opens", "start+1d@day"), ("due", "start+1d@12:00")):
        instant = resolve(getattr(step, key), start=start, end=end, tz=ZONE, reminder_hour=9)
        assert Instants(start, end).accepts(expected, instant), f"{key}: {instant}"
