"""The care team's alerts (issue 13): a missed critical step while it is still late, a
patient's "I couldn't do this" with its note, a "yes" to the warning signs until handled;
each resolves itself when a reschedule, a tick or a nurse makes it stale."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.auth_helpers import csrf_token, sign_in_as
from tests.patient_helpers import CLOCK, NOW, TEXTS, item_id, linked, patient_acts
from tracker.care.rescheduling import reschedule
from tracker.models import AuditEvent, CheckIn
from tracker.patient.check_ins import mark_handled, record_check_in
from tracker.reminders.escalation import escalate
from tracker.workspace.alerts import care_team_alerts


def _kinds(session: Session, now: datetime = CLOCK) -> list[tuple[str, str]]:
    return [(a.kind, a.step_text) for a in care_team_alerts(session, now)]


@pytest.mark.both_databases
def test_a_missed_critical_step_leaves_the_alerts_once_it_is_no_longer_late(
    session: Session,
) -> None:
    plan = linked(session)
    escalate(session, now=CLOCK)  # the fast (critical, due Mon 8 Mar 08:00) was not ticked
    session.commit()
    assert ("escalated", TEXTS["fast"]) in _kinds(session)
    # Moved to a date ahead, the fast is not missed any more: no "missed" for a future date.
    reschedule(
        session=session,
        enrollment=plan.enrollment,
        start=datetime(2027, 3, 20, 8, 0),
        now=CLOCK,
        actor="test",
    )
    session.commit()
    assert ("escalated", TEXTS["fast"]) not in _kinds(session)


@pytest.mark.both_databases
def test_a_could_not_do_note_is_an_alert_until_the_item_changes(session: Session) -> None:
    plan = linked(session)
    walk = item_id(session, plan.id, "walk")
    patient_acts(session, plan.access(session), walk, "not_done", CLOCK, note="Too dizzy")
    session.commit()
    [alert] = [a for a in care_team_alerts(session, CLOCK) if a.kind == "not_done"]
    assert alert.item_id == walk and alert.detail == "the patient could not do this: Too dizzy"
    patient_acts(session, plan.access(session), walk, "undo", CLOCK)
    session.commit()
    assert [a for a in care_team_alerts(session, CLOCK) if a.kind == "not_done"] == []


@pytest.mark.both_databases
def test_a_yes_to_the_warning_signs_is_an_alert_until_a_nurse_handles_it(
    session: Session,
) -> None:
    plan = linked(session)
    row = record_check_in(
        session=session,
        enrollment=plan.enrollment,
        actor="link:1",
        answer="yes",
        note="fever 38.5",
        now=CLOCK,
    )
    record_check_in(
        session=session, enrollment=plan.enrollment, actor="link:1", answer="none", note="", now=NOW
    )
    session.commit()
    [alert] = [a for a in care_team_alerts(session, CLOCK) if a.kind == "check_in"]
    assert alert.check_in_id == row.id and alert.item_id is None
    assert alert.detail == "said yes to the warning signs: fever 38.5"
    assert row.id is not None
    mark_handled(session=session, check_in_id=row.id, actor="user:1", now=CLOCK)
    session.commit()
    assert [a for a in care_team_alerts(session, CLOCK) if a.kind == "check_in"] == []
    handled = session.exec(select(AuditEvent).where(AuditEvent.action == "checkin.handled"))
    assert handled.one().actor == "user:1"


def test_the_nurse_marks_a_warning_sign_handled_from_the_dashboard(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    plan = linked(session)
    record_check_in(
        session=session,
        enrollment=plan.enrollment,
        actor="link:1",
        answer="yes",
        note="",
        now=CLOCK,
    )
    session.commit()
    with time_machine.travel(CLOCK, tick=False):
        sign_in_as(client, app, "nurse")
        html = client.get("/nurse/").get_data(as_text=True)
        assert "Warning signs:" in html and "said yes to the warning signs" in html
        [check_in] = session.exec(select(CheckIn)).all()
        done = client.post(
            f"/nurse/check-ins/{check_in.id}/handled", data={"csrf_token": csrf_token(html)}
        )
        assert done.status_code == 303
        assert "said yes to the warning signs" not in client.get("/nurse/").get_data(as_text=True)
        missing = client.post("/nurse/check-ins/999/handled", data={"csrf_token": csrf_token(html)})
        assert missing.status_code == 404


def test_history_words() -> None:
    """Issue 13: codes and UTC text become words and the patient's wall clock."""
    from datetime import UTC
    from zoneinfo import ZoneInfo

    from tracker.workspace.wording import history_words, value_words

    assert history_words("item.done") == "Ticked off"
    assert history_words("enrollment.create") == "Enrolled"
    assert history_words("something.new_thing") == "Something: new thing"
    zone = ZoneInfo("America/New_York")
    now = datetime(2027, 3, 1, tzinfo=UTC)
    assert value_words("2027-03-08T13:00:00+00:00", zone, now) == "Mon 08 Mar, 08:00 EST"
    assert value_words(["a", None], zone, now) == "a, —"
    assert value_words("2027-03-08T13:00:00", zone, now) == "2027-03-08T13:00:00"  # no offset
    assert value_words(None, zone, now) == "—"
