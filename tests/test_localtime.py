"""Tests for tracker.localtime: zones, DST gaps and folds, calendar days, occurrences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tracker.errors import AmbiguousLocalTime, NonexistentLocalTime
from tracker.library.step_fields import repetition
from tracker.localtime import Window, local_to_utc, occurrences, resolve, zone
from tracker.reading.timing import Recurrence, RelTime, Step, time_phrase

NY, BERLIN = zone("America/New_York"), zone("Europe/Berlin")
AWAKE = ",".join(map(str, range(8, 22)))  # the waking hours, 08:00 to 22:00


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def step(opens: RelTime, due: RelTime, recurrence: Recurrence | None = None,
         expires: RelTime | None = None) -> Step:  # fmt: skip
    section = "preparation" if opens.anchor == "start" else "recovery"
    return Step(section, 1, "test step", "activity", False, False, opens, due, expires,
                recurrence, "", "test", 1.0)  # fmt: skip


@pytest.mark.parametrize(
    ("tz", "local", "expected", "strict_error"),
    [
        (NY, datetime(2027, 3, 14, 1, 59), utc(2027, 3, 14, 6, 59), None),
        (NY, datetime(2027, 3, 14, 2, 30), utc(2027, 3, 14, 7, 30), NonexistentLocalTime),
        (NY, datetime(2027, 3, 14, 3, 0), utc(2027, 3, 14, 7, 0), None),
        (NY, datetime(2027, 11, 7, 0, 59), utc(2027, 11, 7, 4, 59), None),
        (NY, datetime(2027, 11, 7, 1, 30), utc(2027, 11, 7, 5, 30), AmbiguousLocalTime),
        (NY, datetime(2027, 11, 7, 2, 0), utc(2027, 11, 7, 7, 0), None),
        (BERLIN, datetime(2027, 3, 28, 1, 59), utc(2027, 3, 28, 0, 59), None),
        (BERLIN, datetime(2027, 3, 28, 2, 30), utc(2027, 3, 28, 1, 30), NonexistentLocalTime),
        (BERLIN, datetime(2027, 3, 28, 3, 0), utc(2027, 3, 28, 1, 0), None),
        (BERLIN, datetime(2027, 10, 31, 2, 30), utc(2027, 10, 31, 0, 30), AmbiguousLocalTime),
        (BERLIN, datetime(2027, 10, 31, 3, 0), utc(2027, 10, 31, 2, 0), None),
    ],
)
def test_local_times_across_dst(tz: object, local: datetime, expected: datetime,
                                strict_error: type[Exception] | None) -> None:  # fmt: skip
    # Not strict: a gap moves forward by its length, a repeated hour is its first instant.
    assert local_to_utc(local, tz) == expected  # type: ignore[arg-type]
    if strict_error is None:
        assert local_to_utc(local, tz, strict=True) == expected  # type: ignore[arg-type]
    else:
        with pytest.raises(strict_error, match=local.strftime("%Y-%m-%d %H:%M")):
            local_to_utc(local, tz, strict=True)  # type: ignore[arg-type]


def test_aware_local_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        local_to_utc(utc(2027, 3, 14, 2, 30), NY)


@pytest.mark.parametrize(
    ("tz", "start", "point", "expected"),
    [
        # New York, spring forward on 2027-03-14: a calendar day keeps 08:00 local ...
        (NY, utc(2027, 3, 15, 12), RelTime("start", days=-1), utc(2027, 3, 14, 12)),
        (NY, utc(2027, 3, 15, 12), RelTime("start", days=-2), utc(2027, 3, 13, 13)),
        # ... hours are exact (48 hours before 08:00 EDT is 07:00 EST)
        (NY, utc(2027, 3, 15, 12), RelTime("start", minutes=-2880), utc(2027, 3, 13, 12)),
        (NY, utc(2027, 3, 15, 12), RelTime("start", days=-7, reminder_hour=True),
         utc(2027, 3, 8, 14)),
        (NY, utc(2027, 3, 15, 12), RelTime("start", clock="00:00"), utc(2027, 3, 15, 4)),
        # New York, fall back on 2027-11-07
        (NY, utc(2027, 11, 8, 13), RelTime("start", days=-1), utc(2027, 11, 7, 13)),
        (NY, utc(2027, 11, 8, 13), RelTime("start", days=-2), utc(2027, 11, 6, 12)),
        (NY, utc(2027, 11, 8, 13), RelTime("start", minutes=-2880), utc(2027, 11, 6, 13)),
        # Berlin, spring forward on 2027-03-28 and fall back on 2027-10-31
        (BERLIN, utc(2027, 3, 29, 6), RelTime("start", days=-1), utc(2027, 3, 28, 6)),
        (BERLIN, utc(2027, 3, 29, 6), RelTime("start", days=-2), utc(2027, 3, 27, 7)),
        (BERLIN, utc(2027, 3, 29, 6), RelTime("start", minutes=-2880), utc(2027, 3, 27, 6)),
        (BERLIN, utc(2027, 11, 1, 7), RelTime("start", days=-1), utc(2027, 10, 31, 7)),
        (BERLIN, utc(2027, 11, 1, 7), RelTime("start", days=-2), utc(2027, 10, 30, 6)),
        (BERLIN, utc(2027, 11, 1, 7), RelTime("start", days=-1, clock="18:00"),
         utc(2027, 10, 31, 17)),
    ],
)  # fmt: skip
def test_days_keep_the_local_clock_and_minutes_are_exact(
    tz: object, start: datetime, point: RelTime, expected: datetime
) -> None:
    assert resolve(point, start=start, end=start, tz=tz) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("tz", "start", "point", "hour", "expected"),
    [
        # a clock time in the New York gap (02:30 on 2027-03-14) becomes 03:30 EDT
        (NY, utc(2027, 3, 15, 12), RelTime("start", days=-1, clock="02:30"), 9,
         utc(2027, 3, 14, 7, 30)),
        # a reminder hour in the gap (02:00) becomes 03:00 EDT
        (NY, utc(2027, 3, 15, 12), RelTime("start", days=-1, reminder_hour=True), 2,
         utc(2027, 3, 14, 7)),
        (BERLIN, utc(2027, 3, 29, 8), RelTime("start", days=-1, clock="02:15"), 9,
         utc(2027, 3, 28, 1, 15)),
        # a clock time in a repeated hour is its first occurrence
        (NY, utc(2027, 11, 8, 13), RelTime("start", days=-1, clock="01:30"), 9,
         utc(2027, 11, 7, 5, 30)),
        (BERLIN, utc(2027, 11, 1, 7), RelTime("start", days=-1, clock="02:30"), 9,
         utc(2027, 10, 31, 0, 30)),
        (BERLIN, utc(2027, 11, 1, 7), RelTime("start", days=-1, reminder_hour=True), 2,
         utc(2027, 10, 31, 0)),
    ],
)  # fmt: skip
def test_clock_and_reminder_hours_in_gaps_and_folds(
    tz: object, start: datetime, point: RelTime, hour: int, expected: datetime
) -> None:
    resolved = resolve(point, start=start, end=start, tz=tz, reminder_hour=hour)  # type: ignore[arg-type]
    assert resolved == expected


def test_exact_minutes_after_an_end_inside_the_night_of_a_change() -> None:
    end = utc(2027, 3, 14, 6, 30)  # 01:30 EST, half an hour before the gap
    at = lambda point: resolve(point, start=end, end=end, tz=NY)  # noqa: E731
    assert at(RelTime("end", minutes=60)) == utc(2027, 3, 14, 7, 30)  # 03:30 EDT
    assert at(RelTime("end", days=1)) == utc(2027, 3, 15, 5, 30)  # 01:30 EDT, 23 hours on


def test_an_anchor_in_the_repeated_hour_keeps_its_instant() -> None:
    second = utc(2027, 11, 7, 6, 30)  # 01:30 EST, the second 01:30 that night
    assert resolve(RelTime("start"), start=second, end=second, tz=NY) == second
    assert resolve(RelTime("start", minutes=30), start=second, end=second, tz=NY) == utc(
        2027, 11, 7, 7
    )


def test_resolve_refuses_naive_anchors_and_bad_hours() -> None:
    with pytest.raises(ValueError, match="aware"):
        resolve(RelTime("start"), start=datetime(2027, 1, 1), end=utc(2027, 1, 1), tz=NY)
    with pytest.raises(ValueError, match="reminder hour"):
        resolve(RelTime("start"), start=utc(2027, 1, 1), end=utc(2027, 1, 1), tz=NY,
                reminder_hour=24)  # fmt: skip


def test_daily_recurrence_keeps_the_local_clock_across_the_spring_change() -> None:
    end = utc(2027, 3, 12, 15)  # Friday 10:00 EST
    daily = Recurrence("FREQ=DAILY", RelTime("end", days=5))
    windows = occurrences(step(RelTime("end"), RelTime("end", days=5), daily), start=end,
                          end=end, tz=NY)  # fmt: skip
    assert [w.opens for w in windows] == [utc(2027, 3, 12, 15), utc(2027, 3, 13, 15),
                                          utc(2027, 3, 14, 14), utc(2027, 3, 15, 14),
                                          utc(2027, 3, 16, 14)]  # fmt: skip
    assert all(w.opens.astimezone(NY).hour == 10 for w in windows)
    assert [w.due for w in windows[:-1]] == [w.opens for w in windows[1:]]
    assert windows[-1].due == utc(2027, 3, 17, 14) == windows[-1].expires


def test_every_6_hours_is_exact_across_the_gap() -> None:
    end = utc(2027, 3, 14, 3)  # 22:00 EST the night before the change
    every = Recurrence("FREQ=HOURLY;INTERVAL=6", RelTime("end", days=1))
    windows = occurrences(step(RelTime("end"), RelTime("end", days=1), every), start=end,
                          end=end, tz=NY)  # fmt: skip
    assert [w.opens for w in windows] == [end + timedelta(hours=6 * i) for i in range(4)]
    assert [w.opens.astimezone(NY).hour for w in windows] == [22, 5, 11, 17]


def test_four_times_a_day_across_the_berlin_fall_change() -> None:
    end = utc(2027, 10, 30, 5)  # 07:00 CEST
    four = Recurrence("FREQ=DAILY;BYHOUR=8,12,16,20;BYMINUTE=0", RelTime("end", days=2))
    windows = occurrences(step(RelTime("end"), RelTime("end", days=2), four), start=end,
                          end=end, tz=BERLIN)  # fmt: skip
    assert [w.opens for w in windows] == [
        utc(2027, 10, 30, 6), utc(2027, 10, 30, 10), utc(2027, 10, 30, 14), utc(2027, 10, 30, 18),
        utc(2027, 10, 31, 7), utc(2027, 10, 31, 11), utc(2027, 10, 31, 15), utc(2027, 10, 31, 19),
    ]  # fmt: skip
    assert windows[-1].due == utc(2027, 11, 1, 6)  # the end: two calendar days later, 07:00


def test_a_dose_in_the_spring_gap_moves_forward_by_the_gap() -> None:
    # New York skips 02:00-03:00 on 2027-03-14: that day's 02:30 dose is taken at 03:30 EDT
    # (dateutil alone would give a wall time that does not exist).
    end = utc(2027, 3, 13, 5)  # Saturday 00:00 EST
    doses = Recurrence("FREQ=DAILY;BYHOUR=2,14;BYMINUTE=30", RelTime("end", days=3))
    windows = occurrences(step(RelTime("end"), RelTime("end", days=3), doses), start=end,
                          end=end, tz=NY)  # fmt: skip
    assert [w.opens for w in windows] == [
        utc(2027, 3, 13, 7, 30), utc(2027, 3, 13, 19, 30),  # 02:30 and 14:30 EST
        utc(2027, 3, 14, 7, 30), utc(2027, 3, 14, 18, 30),  # 03:30 EDT (the gap), 14:30 EDT
        utc(2027, 3, 15, 6, 30), utc(2027, 3, 15, 18, 30),  # 02:30 and 14:30 EDT
    ]  # fmt: skip
    assert windows[-1].due == utc(2027, 3, 16, 4)  # three calendar days on: 00:00 EDT


def test_the_repeated_hour_in_autumn() -> None:
    # New York repeats 01:00-02:00 on 2027-11-07: a 01:30 dose is the first 01:30 (EDT) ...
    end = utc(2027, 11, 6, 4)  # Saturday 00:00 EDT
    doses = Recurrence("FREQ=DAILY;BYHOUR=1,13;BYMINUTE=30", RelTime("end", days=2))
    windows = occurrences(step(RelTime("end"), RelTime("end", days=2), doses), start=end,
                          end=end, tz=NY)  # fmt: skip
    assert [w.opens for w in windows] == [
        utc(2027, 11, 6, 5, 30), utc(2027, 11, 6, 17, 30),
        utc(2027, 11, 7, 5, 30), utc(2027, 11, 7, 18, 30),  # 01:30 EDT, 13:30 EST
    ]  # fmt: skip
    # ... and every hour is every real hour: both 01:00s, 4 occurrences in 4 hours.
    night = utc(2027, 11, 7, 4)  # 00:00 EDT
    hourly = Recurrence("FREQ=HOURLY", RelTime("end", minutes=240))
    windows = occurrences(step(RelTime("end"), RelTime("end", minutes=240), hourly),
                          start=night, end=night, tz=NY)  # fmt: skip
    assert [w.opens for w in windows] == [night + timedelta(hours=i) for i in range(4)]
    assert [w.opens.astimezone(NY).strftime("%H:%M %Z") for w in windows] == [
        "00:00 EDT", "01:00 EDT", "01:00 EST", "02:00 EST"
    ]  # fmt: skip


def test_count_ends_the_series_and_irregular_doses_keep_their_minutes() -> None:
    end = utc(2027, 3, 15, 4)  # Monday 00:00 EDT
    three = Recurrence("FREQ=DAILY;BYHOUR=8,20;BYMINUTE=0;COUNT=3", RelTime("end", days=14))
    windows = occurrences(step(RelTime("end"), RelTime("end", days=14), three), start=end,
                          end=end, tz=NY)  # fmt: skip
    assert [w.opens.astimezone(NY).strftime("%d %H:%M") for w in windows] == [
        "15 08:00", "15 20:00", "16 08:00"
    ]  # fmt: skip
    assert windows[-1].due == utc(2027, 3, 29, 4)  # the last runs to the end of the repeats
    eight = repetition("times_per_day", 8, until=RelTime("end", days=1))
    windows = occurrences(step(RelTime("end"), RelTime("end", days=1), eight), start=end,
                          end=end, tz=NY)  # fmt: skip
    assert [w.opens.astimezone(NY).strftime("%H:%M") for w in windows] == [
        "08:00", "09:43", "11:26", "13:09", "14:51", "16:34", "18:17", "20:00"
    ]  # fmt: skip


def test_every_hour_while_awake_skips_the_night() -> None:
    end = utc(2027, 3, 16, 0, 30)  # 20:30 EDT
    awake = Recurrence(f"FREQ=HOURLY;BYHOUR={AWAKE}", RelTime("end", days=1))
    windows = occurrences(step(RelTime("end"), RelTime("end", days=1), awake), start=end,
                          end=end, tz=NY)  # fmt: skip
    hours = [w.opens.astimezone(NY).strftime("%d %H:%M") for w in windows]
    assert hours[:3] == ["15 20:30", "15 21:30", "16 08:30"]
    assert all(8 <= w.opens.astimezone(NY).hour < 22 for w in windows)
    assert windows[1].due == windows[2].opens  # the night's occurrence is due next morning


def test_times_a_week_nights_and_a_horizon() -> None:
    end = utc(2027, 3, 15, 14)  # Monday 10:00 EDT
    weekly = Recurrence("FREQ=WEEKLY;BYDAY=MO,WE,FR", RelTime("end", days=14))
    windows = occurrences(step(RelTime("end"), RelTime("end", days=14), weekly), start=end,
                          end=end, tz=NY)  # fmt: skip
    assert [w.opens.astimezone(NY).strftime("%a %d %H") for w in windows] == [
        "Mon 15 10",
        "Wed 17 10",
        "Fri 19 10",
        "Mon 22 10",
        "Wed 24 10",
        "Fri 26 10",
    ]
    nightly = Recurrence("FREQ=DAILY;BYHOUR=22;BYMINUTE=0", RelTime("end", days=7))
    nights = occurrences(step(RelTime("end"), RelTime("end", days=7), nightly), start=end,
                         end=end, tz=NY, horizon=end + timedelta(days=3))  # fmt: skip
    assert [w.opens.astimezone(NY).strftime("%d %H:%M") for w in nights] == [
        "15 22:00",
        "16 22:00",
        "17 22:00",
    ]


def test_a_recurrence_from_the_review_form_uses_its_fields() -> None:
    end = utc(2027, 3, 15, 14)
    form = repetition("times_per_day", 2, until=RelTime("end", days=1))
    windows = occurrences(step(RelTime("end"), RelTime("end", days=1), form), start=end,
                          end=end, tz=NY)  # fmt: skip
    assert [w.opens.astimezone(NY).hour for w in windows] == [20, 8]  # 08:00 today has passed


def test_preparation_repeats_stop_at_the_start() -> None:
    start = utc(2027, 3, 15, 12)  # 08:00 EDT
    timing = time_phrase("Shower with chlorhexidine daily for 3 days before surgery",
                         anchor="start")  # fmt: skip
    prep = step(timing.opens, timing.due, timing.recurrence, timing.expires)
    windows = occurrences(prep, start=start, end=start, tz=NY)
    assert [w.opens.astimezone(NY).strftime("%d %H:%M") for w in windows] == [
        "12 09:00",
        "13 09:00",
        "14 09:00",
    ]
    assert windows[-1].due == start


def test_no_preparation_window_opens_after_the_start() -> None:
    early = utc(2027, 3, 15, 9)  # 05:00 EDT, before "the morning of" (06:00)
    timing = time_phrase("Remove all jewellery the morning of surgery", anchor="start")
    (window,) = occurrences(step(timing.opens, timing.due, None, timing.expires), start=early,
                            end=early, tz=NY)  # fmt: skip
    assert window == Window(early, early, early)
    late = step(RelTime("start", days=1, reminder_hour=True), RelTime("start", days=2))
    (window,) = occurrences(late, start=early, end=early, tz=NY)
    assert window.opens == window.due == early


@pytest.mark.parametrize(
    "name",
    ["Mars/Olympus", "", "localtime", "posixrules", "/etc/localtime", "../../etc/passwd",
     "Europe/../Europe/Berlin", "America/New_York ", "europe/berlin", "x" * 100, "UTC\n"],
)  # fmt: skip
def test_unknown_zones_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match=r"^unknown time zone "):
        zone(name)


@pytest.mark.parametrize("name", ["UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires"])
def test_known_zones_are_zoneinfo(name: str) -> None:
    assert zone(name).key == name
