"""The words of a reminder: local time, and a midnight deadline as the end of the day before."""

from __future__ import annotations

from datetime import UTC, datetime

from tracker.reminders.wording import local_reading


def test_a_reminder_reads_the_local_time() -> None:
    moment = datetime(2027, 3, 8, 12, 0, tzinfo=UTC)
    assert local_reading(moment, "America/New_York") == "Monday 08 March 2027, 07:00 EST"


def test_a_midnight_deadline_reads_as_the_end_of_the_day_before() -> None:
    """ "Due Monday 00:00" would send the patient a day late: it is the end of Sunday."""
    midnight = datetime(2027, 3, 8, 5, 0, tzinfo=UTC)  # 00:00 EST
    assert local_reading(midnight, "America/New_York") == "the end of Sunday 07 March 2027"
    # Across the spring change (14 March 2027 in New York) the day is still the calendar one.
    after_change = datetime(2027, 3, 15, 4, 0, tzinfo=UTC)  # 00:00 EDT on Monday
    assert local_reading(after_change, "America/New_York") == "the end of Sunday 14 March 2027"
