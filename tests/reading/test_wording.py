"""Relative times in words, as the admin's step table and the nurse's pages show them."""

from __future__ import annotations

import pytest
from flask import Flask

from tracker.reading.steps import RelTime
from tracker.reading.wording import rel_time


@pytest.mark.parametrize(
    ("point", "words"),
    [
        (RelTime("start"), "when the procedure starts"),
        (RelTime("start", minutes=-120), "2 hours before the procedure starts"),
        (RelTime("start", -7, clock="09:00"), "7 days before the procedure starts, at 09:00"),
        (
            RelTime("end", 1, reminder_hour=True),
            "1 day after the procedure ends, at the reminder hour",
        ),
        # A clock on the anchor's own day names the day: "at 00:00 when the procedure starts"
        # read as if fasting began at the start itself.
        (RelTime("start", clock="00:00"), "on the day the procedure starts, at 00:00"),
        (RelTime("end", reminder_hour=True), "on the day the procedure ends, at the reminder hour"),
    ],
)
def test_a_relative_time_reads_as_a_nurse_would_say_it(point: RelTime, words: str) -> None:
    assert rel_time(point) == words


def test_the_anchor_day_is_worded_in_the_readers_language(app: Flask) -> None:
    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert rel_time(RelTime("start", clock="00:00")) == (
            "el día en que empieza el procedimiento, a las 00:00"
        )
        assert rel_time(RelTime("start")) == "cuando empieza el procedimiento"
