"""Tests for tracker.reading.rrules and the Recurrence read from its rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.localtime import occurrences, zone
from tracker.reading import rrules
from tracker.reading.clinical_defaults import defaults
from tracker.reading.steps import Recurrence, RelTime, Step
from tracker.reading.wording import at_bedtime, recurrence

UNTIL = RelTime("end", days=14)
AWAKE = ",".join(map(str, range(8, 22)))


def test_a_typed_rule_is_kept_in_one_canonical_form() -> None:
    typed = Recurrence(" rrule:freq=daily;byminute=0;byhour=20,8; ", UNTIL)
    assert typed.rule == "FREQ=DAILY;BYHOUR=8,20;BYMINUTE=0"
    assert Recurrence.from_dict(typed.to_dict()) == typed
    assert typed.to_dict() == {"rule": typed.rule, "until": UNTIL.to_dict()}


@pytest.mark.parametrize(
    ("rule", "per_day", "every", "per_week", "awake", "words"),
    [
        ("FREQ=DAILY", 1, None, None, False, "1 times a day"),
        ("FREQ=DAILY;BYHOUR=8,14,20;BYMINUTE=0", 3, None, None, False, "3 times a day"),
        ("FREQ=DAILY;INTERVAL=2", None, None, None, False, "daily"),
        ("FREQ=HOURLY;INTERVAL=4", None, 240, None, False, "every 4 hours"),
        (f"FREQ=HOURLY;INTERVAL=2;BYHOUR={AWAKE}", None, 120, None, True,
         "every 2 hours while awake"),
        ("FREQ=MINUTELY;INTERVAL=30", None, 30, None, False, "every 30 minutes"),
        ("FREQ=WEEKLY;BYDAY=MO,WE,FR", None, None, 3, False, "3 times a week"),
        ("FREQ=WEEKLY", None, None, 1, False, "1 times a week"),
        ("FREQ=DAILY;BYHOUR=8,20;BYMINUTE=0;COUNT=6", 2, None, None, False,
         "2 times a day, 6 times in all"),
    ],
)  # fmt: skip
def test_the_plain_fields_are_read_from_the_rule(
    rule: str, per_day: int | None, every: int | None, per_week: int | None, awake: bool, words: str
) -> None:
    rec = Recurrence(rule, UNTIL)
    assert (rec.times_per_day, rec.every_minutes, rec.times_per_week, rec.while_awake) == (
        per_day,
        every,
        per_week,
        awake,
    )
    assert recurrence(rec).startswith(words + ", until ")


def test_bedtime_is_the_defaults_sleep_clock() -> None:
    assert at_bedtime(Recurrence("FREQ=DAILY;BYHOUR=22;BYMINUTE=0", UNTIL))
    assert not at_bedtime(Recurrence("FREQ=DAILY;BYHOUR=21;BYMINUTE=0", UNTIL))
    assert not at_bedtime(Recurrence("FREQ=DAILY", UNTIL))


@pytest.mark.parametrize("count", range(1, 25))
def test_any_number_of_doses_is_exactly_the_defaults_dose_times(count: int) -> None:
    doses = defaults().dose_minutes(count)
    parts = rrules.parse(rrules.daily_at(doses).text())
    assert parts.clock_times == tuple(sorted(doses))


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ("FREQ=DAILY;UNTIL=20270101T000000Z", "UNTIL is not used"),
        ("FREQ=MONTHLY", "FREQ=MONTHLY is not supported"),
        ("FREQ=DAILY;BYMONTH=1", "BYMONTH is not supported"),
        ("FREQ=DAILY;BYHOUR=8,20;BYSETPOS=3", "the day has only 2 times"),
        ("FREQ=WEEKLY;BYHOUR=8;BYSETPOS=1", "BYSETPOS is used only with FREQ=DAILY"),
        ("FREQ=DAILY;INTERVAL=14;BYDAY=MO", "use FREQ=WEEKLY"),
        ("FREQ=MINUTELY;INTERVAL=2", "at least 5 minutes apart"),
        ("FREQ=HOURLY;BYMINUTE=15", "takes BYHOUR and BYDAY only"),
        ("FREQ=DAILY;BYMINUTE=15", "BYMINUTE needs BYHOUR"),
        ("FREQ=DAILY;INTERVAL=2;INTERVAL=3", "INTERVAL is given twice"),
        ("FREQ=DAILY;BYHOUR=8,8", "a value is given twice"),
        ("FREQ=DAILY;BYDAY=MO,MO", "a weekday is given twice"),
        ("FREQ=WEEKLY;BYDAY=2MO", "use weekday codes"),
        ("FREQ=DAILY;COUNT=99999", "COUNT: 99999 is not between 1 and 5000"),
        ("FREQ", "'FREQ' is not NAME=VALUE"),
        ("INTERVAL=2", "FREQ is missing"),
        ("   ", "give a rule like FREQ=DAILY"),
    ],
)
def test_a_rule_that_may_never_match_or_is_not_read_is_refused(rule: str, problem: str) -> None:
    with pytest.raises(ValueError) as refused:
        Recurrence(rule, UNTIL)
    assert str(refused.value).startswith("rule: ") and problem in str(refused.value)


_STEP = Step("recovery", 1, "t", "activity", False, False, RelTime("end"), UNTIL, None, None,
             "", "t", 1.0)  # fmt: skip
_PART = st.one_of(
    st.sampled_from(["MINUTELY", "HOURLY", "DAILY", "WEEKLY", "YEARLY"]).map("FREQ={}".format),
    st.integers(-1, 50).map("INTERVAL={}".format),
    st.integers(-1, 30).map("COUNT={}".format),
    st.lists(st.integers(-1, 25), min_size=1, max_size=4).map(
        lambda v: "BYHOUR=" + ",".join(map(str, v))
    ),
    st.lists(st.integers(0, 61), min_size=1, max_size=3).map(
        lambda v: "BYMINUTE=" + ",".join(map(str, v))
    ),
    st.lists(st.integers(-13, 13), min_size=1, max_size=3).map(
        lambda v: "BYSETPOS=" + ",".join(map(str, v))
    ),
    st.lists(st.sampled_from(rrules.WEEKDAYS + ("1MO", "XX")), min_size=1, max_size=3).map(
        lambda v: "BYDAY=" + ",".join(v)
    ),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(_PART, max_size=5).map(";".join),
    st.datetimes(datetime(2027, 1, 1), datetime(2028, 12, 31)),
    st.sampled_from(["America/New_York", "Europe/Berlin", "UTC"]),
)
def test_any_rule_is_refused_or_expands(rule: str, local: datetime, zone_name: str) -> None:
    # Accepted rules always expand (a rule that never matched would keep dateutil busy to
    # the year 9999); everything else is a ValueError saying what is wrong.
    try:
        rec = Recurrence(rule, UNTIL)
    except ValueError as error:
        assert str(error).startswith("rule: ")
        return
    tz = zone(zone_name)
    end = local.replace(tzinfo=tz).astimezone(UTC)
    windows = occurrences(Step(**{**_STEP.__dict__, "recurrence": rec}), start=end, end=end, tz=tz)
    assert windows and all(w.opens <= w.due for w in windows)
    assert all(end <= w.opens <= end + timedelta(days=14) for w in windows)
    assert [w.opens for w in windows] == sorted(w.opens for w in windows)
    if rec.count:
        assert len(windows) <= rec.count


@given(st.text(max_size=60))
def test_arbitrary_text_is_a_rule_or_a_value_error(text: str) -> None:
    try:
        rrules.parse(text)
    except ValueError:
        pass
