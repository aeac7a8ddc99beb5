"""The daily warning-signs check-in: "Any of these today?" on the patient's page.

A patient answers "none" or "yes" (with an optional note) for their local day; a "yes" is an
alert for the care team at once (the nurse's dashboard lists it until a nurse marks it
handled). Only the latest answer of a day counts, so "none" in the morning and "yes" at night
raises the alert.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Connection
from sqlmodel import Session, col, select

from tracker import audit
from tracker.care.patients import clean_text
from tracker.db import orm_session
from tracker.errors import InvalidInput
from tracker.models import CheckIn, Enrollment
from tracker.patient.ticking import plan_not_active

ANSWERS = ("none", "yes")
MAX_NOTE = 500


class Enrolled(Protocol):
    """What the check-in needs of an enrollment (a row, or the link's record of it)."""

    @property
    def id(self) -> int | None: ...
    @property
    def patient_id(self) -> int: ...
    @property
    def timezone(self) -> str: ...
    @property
    def state(self) -> str: ...


def local_day(enrollment: Enrolled, now: datetime) -> date:
    """The patient's day at `now`, in the enrollment's zone."""
    return now.astimezone(ZoneInfo(enrollment.timezone)).date()


def record_check_in(
    *,
    session: Session,
    enrollment: Enrolled,
    actor: str,
    answer: str,
    note: object,
    now: datetime,
) -> CheckIn:
    """Store the patient's answer for today and audit it; the caller commits."""
    if answer not in ANSWERS:
        raise InvalidInput(
            "answer",
            "%(answer)s is not one of %(answers)s",
            answer=repr(answer),
            answers=", ".join(ANSWERS),
        )
    if enrollment.state != "active":
        raise plan_not_active(enrollment.state, field="answer")
    assert enrollment.id is not None
    row = CheckIn(
        enrollment_id=enrollment.id,
        day=local_day(enrollment, now),
        answer=answer,
        note=clean_text(note, "note", max_length=MAX_NOTE),
        at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action=f"checkin.{answer}",
        subject=row,
        before=None,
        after=audit.snapshot(row, ("day", "answer", "note")),
        patient_id=enrollment.patient_id,
        now=now,
    )
    return row


def answer_on(db: Session | Connection, enrollment_id: int, day: date) -> CheckIn | None:
    """The latest answer given for `day`, if any."""
    query = (
        select(CheckIn)
        .where(col(CheckIn.enrollment_id) == enrollment_id, col(CheckIn.day) == day)
        .order_by(col(CheckIn.at).desc(), col(CheckIn.id).desc())
        .limit(1)
    )
    with orm_session(db) as session:
        return session.exec(query).first()


def mark_handled(*, session: Session, check_in_id: int, actor: str, now: datetime) -> CheckIn:
    """A nurse dealt with a "yes": it leaves the dashboard's alerts (audited); the caller
    commits. Marking it again changes nothing."""
    row = session.get(CheckIn, check_in_id)
    if row is None or row.answer != "yes":
        raise InvalidInput("check_in", "there is no warning-signs alert %(id)s", id=check_in_id)
    if row.handled_at is not None:
        return row
    enrollment = session.get(Enrollment, row.enrollment_id)
    assert enrollment is not None
    row.handled_at, row.handled_by = now, actor
    session.add(row)
    audit.record(
        session=session,
        actor=actor,
        action="checkin.handled",
        subject=row,
        before=None,
        after=audit.snapshot(row, ("handled_at", "handled_by")),
        patient_id=enrollment.patient_id,
        now=now,
    )
    return row
