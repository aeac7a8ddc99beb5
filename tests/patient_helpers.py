"""Helpers for the patient-link tests: a small pathway with every kind of item, and a link.

The pathway (procedure Mon 8 Mar 2027 08:00-09:00 EST, enrolled at NOW = 1 Mar 12:00 UTC):
  fast   "Stop eating"      critical, from 20:00 the evening before until the start (expires)
  ride   "Book a ride home" from 7 days before, due the day before, no expiry
  tablet "Take the tablet"  4 times a day (08, 12, 16, 20) from the end for 2 days
  walk   "Walk a little"    2 to 6 hours after the end, no expiry
At CLOCK (Tue 9 Mar 13:00 EST) ride and walk are overdue, the 12:00 tablet is open, three
more tablets are coming, and everything before is missed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from tests.auth_helpers import csrf_token
from tests.enrollment_helpers import NOW, custom_version, enroll_patient, make_step, rel
from tracker.models import ChecklistItem, Enrollment, PathwayVersion, PatientLink, Step
from tracker.patient.links import LinkAccess, issue_link, open_link
from tracker.patient.ticking import act
from tracker.reading import timing

CLOCK = datetime(2027, 3, 9, 18, 0, tzinfo=UTC)  # Tue 9 Mar 13:00 EST
TEXTS = {
    "fast": "Stop eating",
    "ride": "Book a ride home",
    "tablet": "Take the tablet",
    "walk": "Walk a little",
}


def small_version(session: Session) -> PathwayVersion:
    four_a_day = timing.Recurrence(
        rule="FREQ=DAILY;BYHOUR=8,12,16,20;BYMINUTE=0",  # the defaults' 4 dose times
        until=rel("end", days=2),
    )
    steps = [
        make_step(
            TEXTS["fast"],
            kind="fasting",
            critical=True,
            opens=rel(days=-1, clock="20:00"),
            due=rel(),
            expires=rel(),
        ),
        make_step(TEXTS["ride"], opens=rel(days=-7), due=rel(days=-1)),
        make_step(
            TEXTS["tablet"],
            section="recovery",
            kind="medication",
            opens=rel("end"),
            due=rel("end", days=2),
            recurrence=four_a_day,
        ),
        make_step(
            TEXTS["walk"],
            section="recovery",
            kind="activity",
            opens=rel("end", minutes=120),
            due=rel("end", minutes=360),
        ),
    ]
    return custom_version(session, steps)


@dataclass
class Linked:
    """An enrollment on the small pathway with a working link."""

    enrollment: Enrollment
    link: PatientLink
    token: str

    @property
    def id(self) -> int:
        assert self.enrollment.id is not None
        return self.enrollment.id

    def access(self, session: Session, now: datetime = CLOCK) -> LinkAccess:
        return open_link(db=session, token=self.token, now=now)


def linked(session: Session, *, version: PathwayVersion | None = None, **overrides: Any) -> Linked:
    """Enroll a new patient (on the small pathway unless told) and issue a link; committed."""
    version = version or small_version(session)
    enrollment = enroll_patient(session, version=version, **overrides)
    link, token = issue_link(session=session, enrollment=enrollment, now=NOW, actor="test")
    session.commit()
    return Linked(enrollment, link, token)


def items_by_text(session: Session, enrollment_id: int) -> dict[str, list[ChecklistItem]]:
    """Step text -> its items in occurrence order (fresh from the database)."""
    session.expire_all()
    rows = session.exec(
        select(ChecklistItem, Step)
        .join(Step, col(Step.id) == ChecklistItem.step_id)
        .where(ChecklistItem.enrollment_id == enrollment_id)
        .order_by(col(ChecklistItem.occurrence))
    )
    found: dict[str, list[ChecklistItem]] = {}
    for item, step in rows:
        found.setdefault(step.text, []).append(item)
    return found


def item_id(session: Session, enrollment_id: int, key: str, occurrence: int = 0) -> int:
    item = items_by_text(session, enrollment_id)[TEXTS[key]][occurrence]
    assert item.id is not None
    return item.id


def open_tablet(session: Session, enrollment_id: int, now: datetime = CLOCK) -> ChecklistItem:
    """The tablet occurrence open at `now`."""
    for item in items_by_text(session, enrollment_id)[TEXTS["tablet"]]:
        if item.opens_at <= now < item.due_at:
            return item
    raise AssertionError("no tablet open at that time")


def patient_acts(
    session: Session, access: LinkAccess, item: int, action: str, now: datetime, **options: Any
) -> ChecklistItem:
    """`checklist.act` as the patient behind `access` (not committed)."""
    return act(
        session=session,
        enrollment=access.enrollment,
        actor=access.actor,
        item_id=item,
        action=action,
        now=now,
        **options,
    )


def tick(session: Session, access: LinkAccess, item: int, now: datetime) -> None:
    """The patient ticks `item` done through their link (committed)."""
    patient_acts(session, access, item, "done", now)
    session.commit()


# --- through the web pages ----------------------------------------------------------------


def page_of(client: FlaskClient, plan: Linked) -> str:
    """The checklist page's HTML (asserting it opened)."""
    response = client.get(f"/p/{plan.token}")
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def follow(client: FlaskClient, response: Any) -> str:
    """The page a plain form's redirect leads to (as a browser without JavaScript loads it)."""
    assert response.status_code == 303, response.status_code
    page = client.get(response.headers["Location"])
    assert page.status_code == 200, page.status_code
    return page.get_data(as_text=True)


def post_item(
    client: FlaskClient,
    plan: Linked,
    item: int,
    action: str,
    *,
    note: str = "",
    headers: dict[str, str] | None = None,
) -> Any:
    """Send an item's form as the page has it (its form token read from the page)."""
    token = csrf_token(page_of(client, plan))
    return client.post(
        f"/p/{plan.token}/items/{item}",
        data={"csrf_token": token, "action": action, "note": note},
        headers=headers or {},
    )
