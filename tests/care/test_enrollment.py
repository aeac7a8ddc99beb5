"""Enrollment, reschedule, cancel and complete: items and reminders written, moved and closed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from click.testing import CliRunner, Result
from flask import Flask
from sqlmodel import Session, col, func, select

from tests.enrollment_helpers import (
    NOW,
    START,
    custom_version,
    enroll_patient,
    make_patient,
    make_step,
    publish,
    published_seed_version,
    rel,
)
from tracker import audit, db
from tracker.care import enrollment, item_reminders
from tracker.care.enrollment import (
    cancel_enrollment,
    complete_enrollment,
    extend_horizon,
    reopen_item,
)
from tracker.care.procedure_time import AmbiguousStart, NonexistentStart, parse_local_start
from tracker.care.rescheduling import preview_reschedule, reschedule
from tracker.care.schedule_rows import items_of, reminders_of
from tracker.cli import cli
from tracker.errors import InvalidInput, UndecidedSteps
from tracker.models import (
    AuditEvent,
    ChecklistItem,
    Enrollment,
    Pathway,
    PathwayVersion,
    Patient,
    Reminder,
    Step,
)
from tracker.reading.timing import Recurrence

UTC_START = datetime(2027, 3, 8, 13, 0, tzinfo=UTC)  # START in New York (EST)


def _h(day: int, hour: int, month: int = 3) -> datetime:
    return datetime(2027, month, day, hour, 0, tzinfo=UTC)


def daily_until(days: int) -> Recurrence:
    return Recurrence(rule="FREQ=DAILY", until=rel("end", days=days))


def _daily_wound_check_for_a_month(session: Session) -> PathwayVersion:
    """One recovery step: check the incision daily for 30 days after the procedure."""
    return custom_version(
        session,
        [
            make_step(
                "Check the incision",
                section="recovery",
                kind="wound care",
                opens=rel("end"),
                due=rel("end", days=30),
                recurrence=daily_until(30),
            )
        ],
    )


@pytest.fixture
def version(session: Session) -> PathwayVersion:
    """Five steps with known windows: fasting and a conditional medication hold (critical),
    a walk, a daily wound check for a week, a follow-up visit."""
    return custom_version(
        session,
        [
            make_step(
                "Nothing to eat after midnight",
                kind="fasting",
                critical=True,
                opens=rel(clock="00:00"),
                due=rel(),
                expires=rel(),
            ),
            make_step(
                "Stop blood thinners",
                kind="medication",
                critical=True,
                conditional=True,
                opens=rel(days=-7, reminder_hour=True),
                due=rel(days=-5, reminder_hour=True),
            ),
            make_step(
                "Walk a little",
                section="recovery",
                kind="activity",
                opens=rel("end"),
                due=rel("end", minutes=180),
            ),
            make_step(
                "Check the incision",
                section="recovery",
                kind="wound care",
                opens=rel("end"),
                due=rel("end", days=7),
                recurrence=daily_until(7),
            ),
            make_step(
                "Follow-up visit",
                section="recovery",
                kind="appointment",
                opens=rel("end", days=7, reminder_hour=True),
                due=rel("end", days=14),
            ),
        ],
    )


def _steps(session: Session, version: PathwayVersion) -> dict[str, Step]:
    rows = session.exec(select(Step).where(Step.version_id == version.id)).all()
    return {row.text.split()[0].lower(): row for row in rows}


def _item(session: Session, enrolled: Enrollment, step: Step, occurrence: int = 0) -> ChecklistItem:
    return session.exec(
        select(ChecklistItem).where(
            ChecklistItem.enrollment_id == enrolled.id,
            ChecklistItem.step_id == step.id,
            ChecklistItem.occurrence == occurrence,
        )
    ).one()


def _count(session: Session, table: type[Any]) -> int:
    return session.exec(select(func.count()).select_from(table)).one()


def _waiting(session: Session, item: ChecklistItem) -> list[Reminder]:
    query = select(Reminder).where(
        Reminder.item_id == item.id,
        Reminder.status == "pending",
        col(Reminder.purpose).not_in(item_reminders.NOT_ITEM_REMINDERS),  # the item's own
    )
    return list(session.exec(query.order_by(col(Reminder.send_at), col(Reminder.channel))).all())


# --- enroll ------------------------------------------------------------------------------


@pytest.mark.both_databases
def test_enroll_writes_utc_items_and_reminders(session: Session, version: PathwayVersion) -> None:
    patient = make_patient(session, channels=["email"])
    steps = _steps(session, version)
    enrolled = enroll_patient(session, patient=patient, version=version)

    assert (enrolled.procedure_start, enrolled.procedure_end) == (UTC_START, _h(8, 14))
    assert enrolled.timezone == "America/New_York" and enrolled.state == "active"
    assert enrolled.horizon == NOW + enrollment.HORIZON and enrolled.dropped_steps == []
    items = items_of(session, enrolled)
    assert len(items) == 11  # 4 single steps + 7 daily wound checks
    assert all(item.status == "pending" for item in items)
    fasting = _item(session, enrolled, steps["nothing"])
    assert (fasting.opens_at, fasting.due_at, fasting.expires_at) == (
        _h(8, 5),
        UTC_START,
        UTC_START,
    )
    hold = _item(session, enrolled, steps["stop"])
    assert (hold.opens_at, hold.due_at) == (_h(1, 14), _h(3, 14))  # 09:00 EST, 7 and 5 days before
    visit = _item(session, enrolled, steps["follow-up"])
    assert visit.opens_at == _h(15, 13)  # 09:00 EDT, a week after (DST began on the 14th)

    reminders = reminders_of(session, enrolled)
    assert len(reminders) == 2 * (9 + 2 * 2)  # two channels; critical items twice
    assert {r.channel for r in reminders} == {"inapp", "email"}
    assert all(r.status == "pending" and r.send_at.tzinfo is not None for r in reminders)
    assert len({r.idempotency_key for r in reminders}) == len(reminders)
    assert [(r.purpose, r.send_at) for r in _waiting(session, fasting) if r.channel == "inapp"] == [
        ("opens", _h(8, 5)),
        ("due_soon", _h(8, 12)),
    ]
    [event] = [e for e in audit.history(session, patient.id or 0) if e.subject_type == "enrollment"]
    assert (event.action, event.actor, event.subject_id) == (
        "enrollment.create",
        "test",
        enrolled.id,
    )
    assert event.after is not None and event.after["items"] == 11


def test_a_window_already_open_is_reminded_now_and_a_closed_one_is_missed(
    session: Session, version: PathwayVersion
) -> None:
    now = _h(8, 10)  # the morning of the procedure: fasting is open, the hold is long over
    steps = _steps(session, version)
    enrolled = enroll_patient(session, version=version, now=now)
    hold = _item(session, enrolled, steps["stop"])
    assert (hold.status, hold.acted_by, hold.acted_at) == ("missed", "system", now)
    assert _waiting(session, hold) == []
    fasting = _item(session, enrolled, steps["nothing"])
    assert fasting.status == "pending"
    assert [(r.purpose, r.send_at) for r in _waiting(session, fasting)] == [
        ("opens", now),
        ("due_soon", _h(8, 12)),
    ]
    [event] = [e for e in session.exec(select(AuditEvent)) if e.action == "enrollment.create"]
    assert event.after is not None and event.after["missed"] == 1


def test_due_soon_is_never_before_the_window_opens(session: Session) -> None:
    short = custom_version(
        session,
        [
            make_step(
                "Take the tablet",
                kind="medication",
                critical=True,
                opens=rel(minutes=-90),
                due=rel(minutes=-60),
            )
        ],
    )
    enrolled = enroll_patient(session, version=short)
    [item] = items_of(session, enrolled)
    assert [r.purpose for r in _waiting(session, item)] == ["opens"]  # due-60 min == opens


def test_a_past_procedure_needs_allow_past_and_then_is_all_missed(
    session: Session, version: PathwayVersion
) -> None:
    patient = make_patient(session)
    past = datetime(2027, 2, 1, 8, 0)
    with pytest.raises(InvalidInput, match="in the past") as caught:
        enroll_patient(session, patient=patient, version=version, start=past)
    assert caught.value.field == "start"
    session.rollback()
    assert _count(session, Enrollment) == 0
    enrolled = enroll_patient(
        session, patient=patient, version=version, start=past, allow_past=True
    )
    items = items_of(session, enrolled)
    assert len(items) == 11 and {i.status for i in items} == {"missed"}
    assert reminders_of(session, enrolled) == []


@pytest.mark.both_databases
def test_a_start_in_the_dst_gap_names_both_candidates_and_writes_nothing(
    session: Session, version: PathwayVersion
) -> None:
    patient = make_patient(session)
    with pytest.raises(NonexistentStart) as caught:
        enroll_patient(
            session, patient=patient, version=version, start=datetime(2027, 3, 14, 2, 30)
        )
    error = caught.value
    assert error.field == "start"
    assert error.candidates == (
        _h(14, 6) + timedelta(minutes=30),
        _h(14, 7) + timedelta(minutes=30),
    )
    assert "2027-03-14 02:30 does not exist in America/New_York" in error.message
    assert "2027-03-14 01:30 EST (-05:00) or 2027-03-14 03:30 EDT (-04:00)" in error.message
    session.rollback()
    assert _count(session, Enrollment) == _count(session, ChecklistItem) == 0


@pytest.mark.both_databases
def test_a_repeated_hour_asks_for_fold_and_honours_it(
    session: Session, version: PathwayVersion
) -> None:
    patient = make_patient(session)
    repeated = datetime(2027, 11, 7, 1, 30)
    with pytest.raises(AmbiguousStart) as caught:
        enroll_patient(session, patient=patient, version=version, start=repeated)
    assert caught.value.field == "start"
    assert "fold 0 for 2027-11-07 01:30 EDT (-04:00) or fold 1 for 2027-11-07 01:30 EST" in (
        caught.value.message
    )
    session.rollback()
    first = enroll_patient(session, patient=patient, version=version, start=repeated, fold=0)
    second = enroll_patient(session, patient=patient, version=version, start=repeated, fold=1)
    assert first.procedure_start == datetime(2027, 11, 7, 5, 30, tzinfo=UTC)
    assert second.procedure_start == datetime(2027, 11, 7, 6, 30, tzinfo=UTC)


def test_the_zone_can_be_given_per_enrollment(session: Session, version: PathwayVersion) -> None:
    enrolled = enroll_patient(session, version=version, timezone="Asia/Tokyo")
    assert enrolled.timezone == "Asia/Tokyo"
    assert enrolled.procedure_start == datetime(2027, 3, 7, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"timezone": "Moon/Base"}, "timezone", "unknown time zone 'Moon/Base'"),
        ({"start": datetime(2027, 3, 8, 8, 0, tzinfo=UTC)}, "start", "without an offset"),
        ({"fold": 2}, "fold", "must be 0"),
        ({"confirm": [999]}, "conditional", "step 999 is not conditional"),
    ],
)
def test_invalid_enrollment_input_names_the_field(
    session: Session, version: PathwayVersion, overrides: dict[str, Any], field: str, message: str
) -> None:
    patient = make_patient(session)
    with pytest.raises(InvalidInput, match=message) as caught:
        enroll_patient(session, patient=patient, version=version, **overrides)
    assert caught.value.field == field
    session.rollback()
    assert _count(session, Enrollment) == 0


@pytest.mark.parametrize("state", ["draft", "retired"])
def test_only_published_versions_take_enrollments(session: Session, state: str) -> None:
    unpublished = custom_version(session, [make_step()], state=state)
    with pytest.raises(InvalidInput, match=f"is {state}, not published") as caught:
        enroll_patient(session, version=unpublished)
    assert caught.value.field == "version"


def test_each_conditional_step_must_be_confirmed_or_dropped(
    session: Session, version: PathwayVersion
) -> None:
    patient = make_patient(session)
    hold = _steps(session, version)["stop"]
    with pytest.raises(UndecidedSteps) as caught:
        enroll_patient(session, patient=patient, version=version, confirm_all=False)
    assert caught.value.field == "conditional"
    assert caught.value.steps == [(hold.id, "Stop blood thinners")]
    with pytest.raises(InvalidInput, match="both confirmed and dropped"):
        enroll_patient(session, patient=patient, version=version, drop=[hold.id])
    session.rollback()
    enrolled = enroll_patient(
        session, patient=patient, version=version, confirm_all=False, drop=[hold.id]
    )
    assert enrolled.dropped_steps == [hold.id]
    assert hold.id not in {item.step_id for item in items_of(session, enrolled)}
    assert len(items_of(session, enrolled)) == 10


def test_parse_local_start() -> None:
    assert parse_local_start(" 2027-03-08T08:00 ") == START
    for text, message in [
        ("next tuesday", "not a local date"),
        ("2027-03-08T08:00-05:00", "without an offset"),
    ]:
        with pytest.raises(InvalidInput, match=message) as caught:
            parse_local_start(text)
        assert caught.value.field == "start"


@pytest.mark.both_databases
def test_a_failure_midway_leaves_no_rows(
    app: Flask, session: Session, version: PathwayVersion, monkeypatch: pytest.MonkeyPatch
) -> None:
    patient = make_patient(session)
    real = item_reminders.values
    calls = {"n": 0}

    def failing(*args: Any) -> dict[str, Any]:
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("disk full")
        return real(*args)

    monkeypatch.setattr(item_reminders, "values", failing)
    with (
        pytest.raises(RuntimeError, match="disk full"),
        db.session_scope(db.get_engine(app)) as scoped,
    ):
        enroll_patient(scoped, patient=patient, version=version)
    assert calls["n"] == 5
    for table in (Enrollment, ChecklistItem, Reminder):
        assert _count(session, table) == 0
    assert [e.action for e in session.exec(select(AuditEvent))] == ["patient.register"]


# --- recurrence and the horizon -----------------------------------------------------------


@pytest.mark.both_databases
def test_recurring_steps_stop_at_the_horizon_and_roll_forward_idempotently(
    session: Session,
) -> None:
    month = _daily_wound_check_for_a_month(session)
    enrolled = enroll_patient(session, version=month)
    items = items_of(session, enrolled)
    # Daily at 09:00 local from March 8; the horizon (March 15 12:00 UTC) stops it at the 14th.
    assert [i.occurrence for i in items] == list(range(7))
    assert items[-1].opens_at == _h(14, 13)
    assert items[0].due_at == items[1].opens_at  # each is due when the next one opens

    until = _h(30, 12, month=4)
    assert extend_horizon(session=session, enrollment=enrolled, until=until, now=NOW) == 23
    session.commit()
    assert extend_horizon(session=session, enrollment=enrolled, until=until, now=NOW) == 0
    assert (
        extend_horizon(
            session=session, enrollment=enrolled, until=until + timedelta(days=9), now=NOW
        )
        == 0
    )  # the series ended on April 6
    session.commit()
    items = items_of(session, enrolled)
    assert [i.occurrence for i in items] == list(range(30))
    assert len(reminders_of(session, enrolled)) == 30
    assert enrolled.horizon == until + timedelta(days=9)
    actions = [e.action for e in audit.history(session, enrolled.patient_id)]
    assert actions.count("enrollment.extend_horizon") == 1


def test_a_series_shorter_than_the_horizon_is_written_whole(
    session: Session, version: PathwayVersion
) -> None:
    enrolled = enroll_patient(session, version=version)
    wound = _steps(session, version)["check"]
    checks = [i for i in items_of(session, enrolled) if i.step_id == wound.id]
    assert len(checks) == 7 and checks[-1].due_at == _h(15, 13)  # a week after the end


# --- reschedule ---------------------------------------------------------------------------


def _snapshot(session: Session) -> list[tuple[Any, ...]]:
    items = [(i.id, i.opens_at, i.due_at, i.status) for i in session.exec(select(ChecklistItem))]
    reminders = [(r.id, r.send_at, r.status) for r in session.exec(select(Reminder))]
    return sorted(items) + sorted(reminders)


@pytest.mark.both_databases
def test_preview_shows_old_and_new_times_and_writes_nothing(
    session: Session, version: PathwayVersion
) -> None:
    enrolled = enroll_patient(session, version=version)
    before = _snapshot(session)
    diff = preview_reschedule(
        session=session, enrollment=enrolled, start=datetime(2027, 3, 10, 8), now=NOW
    )
    assert _snapshot(session) == before
    assert (diff.old_start, diff.new_start) == (UTC_START, UTC_START + timedelta(days=2))
    assert len(diff.changes) == 11 and diff.unchanged == 0
    steps = _steps(session, version)
    for change in diff.changes:
        assert change.old is not None and change.new is not None
        if change.step_id != steps["check"].id:
            assert change.new.opens - change.old.opens == timedelta(days=2)
    assert diff.no_longer_counts == []


@pytest.mark.both_databases
def test_reschedule_moves_items_and_their_waiting_reminders(
    session: Session, version: PathwayVersion
) -> None:
    enrolled = enroll_patient(session, version=version)
    fasting = _item(session, enrolled, _steps(session, version)["nothing"])
    ids_before = [r.id for r in _waiting(session, fasting)]

    diff = reschedule(
        session=session,
        enrollment=enrolled,
        start=datetime(2027, 3, 10, 8),
        now=NOW,
        actor="user:5",
    )
    session.commit()
    assert enrolled.procedure_start == UTC_START + timedelta(days=2)
    session.refresh(fasting)
    assert (fasting.opens_at, fasting.due_at) == (_h(10, 5), _h(10, 13))
    moved = _waiting(session, fasting)
    assert [r.id for r in moved] == ids_before  # the same rows, moved
    assert [(r.purpose, r.send_at) for r in moved] == [
        ("opens", _h(10, 5)),
        ("due_soon", _h(10, 12)),
    ]
    assert len(diff.changes) == 11
    history = audit.history(session, enrolled.patient_id)
    [event] = [e for e in history if e.action == "enrollment.reschedule"]
    assert event.actor == "user:5"
    assert event.before is not None and event.before["procedure_start"] == UTC_START.isoformat()
    assert event.after is not None and event.after["moved"] == 11
    assert sum(e.action == "item.reschedule" for e in history) == 11


@pytest.mark.both_databases
def test_done_preparation_no_longer_counts_but_stays_done_unless_reopened(
    session: Session, version: PathwayVersion
) -> None:
    enrolled = enroll_patient(session, version=version)
    steps = _steps(session, version)
    fasting, walk = (
        _item(session, enrolled, steps["nothing"]),
        _item(session, enrolled, steps["walk"]),
    )
    for item in (fasting, walk):
        item.status, item.acted_by, item.acted_at = "done", "link:1", NOW
        session.add(item)
    session.commit()
    new_start = datetime(2027, 3, 10, 8)

    diff = preview_reschedule(session=session, enrollment=enrolled, start=new_start, now=NOW)
    assert diff.no_longer_counts == [fasting.id]  # the walk is recovery: not flagged
    reschedule(session=session, enrollment=enrolled, start=new_start, now=NOW, actor="user:5")
    session.commit()
    session.refresh(fasting)
    assert (fasting.status, fasting.acted_by, fasting.opens_at) == ("done", "link:1", _h(10, 5))
    assert _waiting(session, fasting) == []
    [event] = [
        e
        for e in audit.history(session, enrolled.patient_id)
        if e.action == "item.reschedule" and e.subject_id == fasting.id
    ]
    assert event.after is not None and event.after["no_longer_counts"] is True

    later = datetime(2027, 3, 12, 8)
    with pytest.raises(InvalidInput, match="nothing to reopen") as caught:
        reschedule(
            session=session,
            enrollment=enrolled,
            start=later,
            now=NOW,
            actor="u",
            reopen=[_item(session, enrolled, steps["stop"]).id or 0],
        )
    assert caught.value.field == "reopen"
    with pytest.raises(InvalidInput, match="not part of this enrollment"):
        reschedule(
            session=session, enrollment=enrolled, start=later, now=NOW, actor="u", reopen=[10_000]
        )
    session.rollback()
    diff = reschedule(
        session=session,
        enrollment=enrolled,
        start=later,
        now=NOW,
        actor="user:5",
        reopen=[fasting.id or 0],
    )
    session.commit()
    session.refresh(fasting)
    assert (fasting.status, fasting.acted_by, fasting.acted_at) == ("pending", "", None)
    assert [(r.purpose, r.send_at) for r in _waiting(session, fasting) if r.channel == "inapp"] == [
        ("opens", _h(12, 5)),
        ("due_soon", _h(12, 12)),
    ]
    assert [c.reopen for c in diff.changes if c.item_id == fasting.id] == [True]
    assert any(e.action == "item.reopen" for e in audit.history(session, enrolled.patient_id))


@pytest.mark.both_databases
def test_items_moved_into_the_past_are_missed_and_their_reminders_cancelled(
    session: Session, version: PathwayVersion
) -> None:
    enrolled = enroll_patient(session, version=version)
    hold = _item(session, enrolled, _steps(session, version)["stop"])
    now = _h(5, 12)
    with pytest.raises(InvalidInput, match="in the past"):
        reschedule(
            session=session, enrollment=enrolled, start=datetime(2027, 3, 4, 8), now=now, actor="u"
        )
    # Three days earlier: the hold's window (Feb 26 - Feb 28) has passed by March 5.
    reschedule(
        session=session, enrollment=enrolled, start=datetime(2027, 3, 5, 8), now=now, actor="u"
    )
    session.commit()
    session.refresh(hold)
    assert (hold.status, hold.acted_by, hold.due_at) == ("missed", "system", _h(28, 14, month=2))
    statuses = {r.status for r in session.exec(select(Reminder).where(Reminder.item_id == hold.id))}
    assert statuses == {"cancelled"}


def test_an_earlier_procedure_brings_new_occurrences_within_the_horizon(session: Session) -> None:
    month = _daily_wound_check_for_a_month(session)
    enrolled = enroll_patient(session, version=month)
    assert len(items_of(session, enrolled)) == 7
    diff = reschedule(
        session=session, enrollment=enrolled, start=datetime(2027, 3, 5, 8), now=NOW, actor="u"
    )
    session.commit()
    assert sum(c.item_id is None for c in diff.changes) == 3  # March 12, 13 and 14
    items = items_of(session, enrolled)
    assert [i.occurrence for i in items] == list(range(10))
    assert all(len(_waiting(session, i)) == 1 for i in items)


def _acted(session: Session, item: ChecklistItem, status: str, at: datetime) -> None:
    """The patient acted on the item at `at`: its waiting reminders cancelled, as ticking does."""
    item.status, item.acted_by, item.acted_at = status, "link:1", at
    for reminder in _waiting(session, item):
        reminder.status = "cancelled"
        session.add(reminder)
    session.add(item)
    session.commit()


def test_reopen_item_makes_a_done_item_pending_with_reminders(
    session: Session, version: PathwayVersion
) -> None:
    enrolled = enroll_patient(session, version=version)
    walk = _item(session, enrolled, _steps(session, version)["walk"])
    with pytest.raises(InvalidInput, match="nothing to reopen"):
        reopen_item(session=session, item=walk, actor="user:2", now=NOW)
    _acted(session, walk, "skipped", NOW)
    reopen_item(session=session, item=walk, actor="user:2", now=NOW)
    session.commit()
    assert (walk.status, walk.acted_by) == ("pending", "")
    assert [r.send_at for r in _waiting(session, walk)] == [_h(8, 14)]
    [event] = [e for e in audit.history(session, enrolled.patient_id) if e.action == "item.reopen"]
    assert event.before is not None and event.before["status"] == "skipped"
    assert event.after is not None and event.after["status"] == "pending"


def test_reopen_after_the_item_opened_reminds_only_of_times_ahead_like_undo(
    session: Session, version: PathwayVersion
) -> None:
    """A nurse's reopen and a patient's undo decide reminders the same way (one place)."""
    enrolled = enroll_patient(session, version=version)
    walk = _item(session, enrolled, _steps(session, version)["walk"])
    later = walk.opens_at + timedelta(minutes=30)  # the item is open and unticked
    _acted(session, walk, "done", later)
    reopen_item(session=session, item=walk, actor="user:2", now=later)
    session.commit()
    assert walk.status == "pending"
    assert all(r.send_at > later for r in _waiting(session, walk))
    assert [r.purpose for r in _waiting(session, walk)] == []  # not critical: nothing ahead


# --- cancel and complete -----------------------------------------------------------------


@pytest.mark.both_databases
def test_cancel_cancels_waiting_reminders_and_pending_items_and_deletes_nothing(
    session: Session, version: PathwayVersion
) -> None:
    enrolled = enroll_patient(session, version=version)
    walk = _item(session, enrolled, _steps(session, version)["walk"])
    walk.status = "done"
    session.add(walk)
    session.commit()
    counts = (_count(session, ChecklistItem), _count(session, Reminder))

    cancel_enrollment(session=session, enrollment=enrolled, actor="user:3", now=NOW)
    session.commit()
    assert enrolled.state == "cancelled" and enrolled.updated_at == NOW
    assert (_count(session, ChecklistItem), _count(session, Reminder)) == counts
    statuses = {i.id: i.status for i in items_of(session, enrolled)}
    assert statuses.pop(walk.id) == "done"
    assert set(statuses.values()) == {"cancelled"}
    assert {r.status for r in reminders_of(session, enrolled)} == {"cancelled"}
    [event] = [
        e for e in audit.history(session, enrolled.patient_id) if e.action == "enrollment.cancel"
    ]
    assert (event.before, event.actor) == ({"state": "active"}, "user:3")
    assert event.after is not None and event.after["items_cancelled"] == 10

    for action in (cancel_enrollment, complete_enrollment):
        with pytest.raises(InvalidInput, match="is cancelled") as caught:
            action(session=session, enrollment=enrolled, actor="u", now=NOW)
        assert caught.value.field == "enrollment"
    with pytest.raises(InvalidInput, match="is cancelled"):
        preview_reschedule(session=session, enrollment=enrolled, start=START, now=NOW)


@pytest.mark.both_databases
def test_complete_cancels_reminders_and_keeps_item_statuses(
    session: Session, version: PathwayVersion
) -> None:
    enrolled = enroll_patient(session, version=version)
    complete_enrollment(session=session, enrollment=enrolled, actor="user:3", now=NOW)
    session.commit()
    assert enrolled.state == "completed"
    assert {i.status for i in items_of(session, enrolled)} == {"pending"}
    assert {r.status for r in reminders_of(session, enrolled)} == {"cancelled"}
    assert [e.action for e in audit.history(session, enrolled.patient_id)][-1] == (
        "enrollment.complete"
    )


# --- the command line ---------------------------------------------------------------------


def _cli(args: list[str], database_url: str, tmp_path: Path) -> Result:
    env = {"TRACKER_DATABASE_URL": database_url, "TRACKER_INSTANCE_PATH": str(tmp_path / "i")}
    with time_machine.travel(NOW, tick=False):
        return CliRunner().invoke(cli, args, env=env)


@pytest.fixture
def seeded(session: Session) -> tuple[Patient, PathwayVersion]:
    return make_patient(session, mrn="CLI1"), published_seed_version(session)


@pytest.mark.both_databases
def test_enroll_command_prints_ids_times_and_counts(
    database_url: str, tmp_path: Path, session: Session, seeded: tuple[Patient, PathwayVersion]
) -> None:
    patient, version = seeded
    pathway_slug = _slug(session, version)
    result = _cli(
        [
            "enroll",
            "--mrn",
            "CLI1",
            "--pathway",
            pathway_slug,
            "--start",
            "2027-03-08T08:00",
            "--confirm-all",
            "--json",
        ],
        database_url,
        tmp_path,
    )
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    row = session.get_one(Enrollment, shown["enrollment_id"])
    assert shown["patient_id"] == patient.id and shown["version"] == version.number
    assert shown["start"] == {
        "utc": "2027-03-08T13:00:00+00:00",
        "local": "2027-03-08T08:00:00-05:00",
    }
    assert shown["counts"]["items"] == len(items_of(session, row)) == len(shown["items"])
    assert shown["counts"]["reminders"] == len(reminders_of(session, row)) > 0
    assert shown["dropped_steps"] == []
    first = shown["items"][0]
    assert set(first) >= {"id", "text", "status", "opens", "due", "expires"}
    assert [e.actor for e in audit.history(session, patient.id or 0)][-1] == "cli"


def _slug(session: Session, version: PathwayVersion) -> str:
    return session.get_one(Pathway, version.pathway_id).slug


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["--mrn", "NOPE", "--start", "2027-03-08T08:00", "--confirm-all"],
            "tracker: --mrn: no patient with MRN 'NOPE'",
        ),
        (
            ["--mrn", "CLI1", "--start", "2027-03-14T02:30", "--confirm-all"],
            "tracker: --start: 2027-03-14 02:30 does not exist in America/New_York (the clocks go "
            "forward); enter 2027-03-14 01:30 EST (-05:00) or 2027-03-14 03:30 EDT (-04:00)",
        ),
        (
            ["--mrn", "CLI1", "--start", "2027-02-01T08:00", "--confirm-all"],
            "tracker: --start: is in the past; allow past times explicitly to record it",
        ),
        (
            ["--mrn", "CLI1", "--start", "soon", "--confirm-all"],
            "tracker: --start: 'soon' is not a local date and time like 2027-03-15T08:00",
        ),
        (
            ["--mrn", "CLI1", "--start", "2027-03-08T08:00", "--tz", "Nowhere", "--confirm-all"],
            "tracker: --tz: unknown time zone 'Nowhere'",
        ),
        (
            ["--mrn", "CLI1", "--start", "2027-03-08T08:00", "--confirm-all", "--drop-conditional"],
            "tracker: --confirm-all: give --confirm-all or --drop-conditional, not both",
        ),
    ],
)
def test_enroll_command_errors_are_one_line_and_write_nothing(
    database_url: str,
    tmp_path: Path,
    session: Session,
    seeded: tuple[Patient, PathwayVersion],
    args: list[str],
    line: str,
) -> None:
    result = _cli(["enroll", "--pathway", _slug(session, seeded[1]), *args], database_url, tmp_path)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [line]
    assert _count(session, Enrollment) == 0 and _count(session, ChecklistItem) == 0


def test_enroll_command_lists_conditional_steps_when_not_told(
    database_url: str, tmp_path: Path, session: Session, seeded: tuple[Patient, PathwayVersion]
) -> None:
    slug = _slug(session, seeded[1])
    result = _cli(
        ["enroll", "--mrn", "CLI1", "--pathway", slug, "--start", "2027-03-08T08:00"],
        database_url,
        tmp_path,
    )
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(
        f"tracker: --confirm-all: {slug} v1 has conditional steps, give "
        "--confirm-all or --drop-conditional: ["
    )
    assert "Fasting may be required prior to the procedure" in line
    assert _count(session, Enrollment) == 0

    dropped = _cli(
        [
            "enroll",
            "--mrn",
            "CLI1",
            "--pathway",
            slug,
            "--start",
            "2027-03-08T08:00",
            "--drop-conditional",
            "--json",
        ],
        database_url,
        tmp_path,
    )
    assert dropped.exit_code == 0, dropped.output
    conditional = [s.id for s in session.exec(select(Step).where(Step.conditional))]
    assert json.loads(dropped.stdout)["dropped_steps"] == sorted(conditional)


def test_enroll_command_needs_a_published_version(
    database_url: str, tmp_path: Path, session: Session
) -> None:
    make_patient(session, mrn="CLI1")
    draft = custom_version(session, [make_step()], state="draft", slug="drafty")
    result = _cli(
        ["enroll", "--mrn", "CLI1", "--pathway", "drafty", "--start", "2027-03-08T08:00"],
        database_url,
        tmp_path,
    )
    assert result.stderr.splitlines() == ["tracker: --pathway: drafty has no published version yet"]
    publish(session, draft)
    ok = _cli(
        ["enroll", "--mrn", "CLI1", "--pathway", "drafty", "--start", "2027-03-08T08:00"],
        database_url,
        tmp_path,
    )
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.startswith("enrollment 1: MRN CLI1 on drafty v1, starts 2027-03-08T08:00")


@pytest.mark.both_databases
def test_reschedule_command_previews_then_applies(
    database_url: str, tmp_path: Path, session: Session, version: PathwayVersion
) -> None:
    enrolled = enroll_patient(session, version=version)
    before = _snapshot(session)
    preview = _cli(
        ["reschedule", "--enrollment", str(enrolled.id), "--start", "2027-03-10T08:00"],
        database_url,
        tmp_path,
    )
    assert preview.exit_code == 0, preview.output
    assert "would move" in preview.stdout and "add --apply" in preview.stdout
    assert _snapshot(session) == before

    applied = _cli(
        [
            "reschedule",
            "--enrollment",
            str(enrolled.id),
            "--start",
            "2027-03-10T08:00",
            "--apply",
            "--json",
        ],
        database_url,
        tmp_path,
    )
    assert applied.exit_code == 0, applied.output
    shown = json.loads(applied.stdout)
    assert shown["applied"] is True and shown["counts"]["moved"] == 11
    assert shown["new_start"] == {
        "utc": "2027-03-10T13:00:00+00:00",
        "local": "2027-03-10T08:00:00-05:00",
    }
    session.refresh(enrolled)
    assert enrolled.procedure_start == _h(10, 13)

    bad = _cli(
        ["reschedule", "--enrollment", "x", "--start", "2027-03-10T08:00"], database_url, tmp_path
    )
    assert (bad.exit_code, bad.stderr.strip()) == (2, "tracker: --enrollment: 'x' is not an id")
    missing = _cli(
        ["reschedule", "--enrollment", "99", "--start", "2027-03-10T08:00"], database_url, tmp_path
    )
    assert missing.stderr.strip() == "tracker: --enrollment: no enrollment 99"
