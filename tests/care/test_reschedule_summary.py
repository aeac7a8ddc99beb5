"""The reschedule preview as a nurse reads it (issue 13): what needs attention first, then the
changes by local day, a repeating step's occurrences on one line."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlmodel import Session

from tests.enrollment_helpers import NOW, enroll_patient
from tests.patient_helpers import TEXTS, items_by_text, small_version
from tracker.care.reschedule_summary import summarize
from tracker.care.rescheduling import preview_reschedule


@pytest.mark.both_databases
def test_the_preview_puts_what_matters_first_and_groups_by_day(session: Session) -> None:
    enrolled = enroll_patient(session, version=small_version(session))
    assert enrolled.id is not None
    ride = items_by_text(session, enrolled.id)[TEXTS["ride"]][0]
    ride.status, ride.acted_by, ride.acted_at = "done", "link:1", NOW
    session.add(ride)
    session.commit()
    # NOW is Mon 1 Mar 2027 07:00 in New York; the procedure moves from Mon 8 Mar 08:00 to
    # Tue 2 Mar 06:00, so the critical fast (due at the start) falls due within a day.
    diff = preview_reschedule(
        session=session, enrollment=enrolled, start=datetime(2027, 3, 2, 6, 0), now=NOW
    )
    summary = summarize(diff, now=NOW)
    assert sorted((a.change.text, a.reason) for a in summary.attention) == [
        (TEXTS["ride"], "done for the old date: it no longer counts unless you keep it"),
        (TEXTS["fast"], "critical, and due within 24 hours of now"),
    ]
    days = [d.day for d in summary.days]
    assert days == sorted(days) and len(days) == len(set(days))
    for day in summary.days:  # one line per step and day
        texts = [line.text for line in day.lines]
        assert len(texts) == len(set(texts))
    tablet_lines = [line for d in summary.days for line in d.lines if line.text == TEXTS["tablet"]]
    assert max(line.count for line in tablet_lines) > 1  # a day's doses on one line
    assert sum(line.count for d in summary.days for line in d.lines) == len(diff.changes)
    assert summary.moved + summary.added + summary.removed == len(diff.changes)
