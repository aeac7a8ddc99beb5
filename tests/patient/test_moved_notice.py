"""After a reschedule the patient's page says so until they dismiss it, or for 7 days."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import time_machine
from flask.testing import FlaskClient
from sqlmodel import Session

from tests.auth_helpers import csrf_token
from tests.enrollment_helpers import NOW
from tests.patient_helpers import linked, page_of
from tracker.care.rescheduling import reschedule
from tracker.patient.moved_notice import SHOWN_FOR

# Enrolled for Mon 8 Mar 08:00 EST; on Tue 2 Mar (07:00 EST) the nurse moves it to Wed 10 Mar.
MOVED_AT = NOW + timedelta(days=1)
SAYS = (
    "Your procedure was moved from Mon 8 Mar at 08:00 to Wed 10 Mar at 08:00 on Tue 2 Mar. "
    "Your plan below is updated to the new time."
)


def notice(html: str) -> str:
    found = re.search(r'class="flash moved-notice"[^>]*>\s*<p><strong>([^<]*)</strong>', html)
    return found.group(1) if found else ""


def _moved(session: Session):  # type: ignore[no-untyped-def]
    plan = linked(session)
    reschedule(
        session=session,
        enrollment=plan.enrollment,
        start=datetime(2027, 3, 10, 8),
        now=MOVED_AT,
        actor="user:1",
    )
    session.commit()
    return plan


def test_the_page_says_the_procedure_moved_until_the_patient_hides_it(
    client: FlaskClient, session: Session
) -> None:
    with time_machine.travel(MOVED_AT + timedelta(hours=1), tick=False):
        plan = _moved(session)
        html = page_of(client, plan)
        assert notice(html) == SAYS
        response = client.post(
            f"/p/{plan.token}/notice/dismiss", data={"csrf_token": csrf_token(html)}
        )
        assert response.status_code == 303
        assert notice(page_of(client, plan)) == ""
        # A later move is news again.
        reschedule(
            session=session,
            enrollment=plan.enrollment,
            start=datetime(2027, 3, 12, 8),
            now=MOVED_AT + timedelta(hours=2),
            actor="user:1",
        )
        session.commit()
        assert "to Fri 12 Mar at 08:00" in notice(page_of(client, plan))


def test_the_notice_goes_by_itself_after_a_week(client: FlaskClient, session: Session) -> None:
    with time_machine.travel(MOVED_AT, tick=False):
        plan = _moved(session)
    with time_machine.travel(MOVED_AT + SHOWN_FOR - timedelta(minutes=1), tick=False):
        assert "Wed 10 Mar" in notice(page_of(client, plan))
    with time_machine.travel(MOVED_AT + SHOWN_FOR + timedelta(minutes=1), tick=False):
        assert notice(page_of(client, plan)) == ""


def test_a_forged_dismissal_is_refused(client: FlaskClient, session: Session) -> None:
    with time_machine.travel(MOVED_AT, tick=False):
        plan = _moved(session)
        response = client.post(f"/p/{plan.token}/notice/dismiss", data={"csrf_token": "x"})
        assert response.status_code in (400, 403)
        assert notice(page_of(client, plan))
