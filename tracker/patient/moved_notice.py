"""The notice on the patient's page after their procedure moved.

"Your procedure was moved from Mon 8 Mar at 08:00 to Tue 16 Mar at 08:00 on Thu 4 Mar" (dates,
never "Today": the notice stays for days). It is read from the reschedule's audit event (the
history already holds both times, so no column is needed) and shows until the patient
dismisses it or for `SHOWN_FOR` after the move, whichever comes first. A dismissal is an
audit event too; a later move shows a new notice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection
from sqlmodel import Session, col, select

from tracker import audit
from tracker.db import orm_session
from tracker.errors import InvalidInput
from tracker.models import AuditEvent, Enrollment
from tracker.patient.links import EnrollmentRecord
from tracker.patient.text import Words

SHOWN_FOR = timedelta(days=7)  # long enough to be seen by someone who opens the page weekly
MOVED, DISMISSED = "enrollment.reschedule", "enrollment.notice_dismissed"


def moved_notice(
    db: Session | Connection, enrollment: EnrollmentRecord, *, now: datetime, words: Words
) -> str:
    """The notice for the latest move within `SHOWN_FOR` that the patient has not dismissed,
    in their words and zone; "" when there is none."""
    if enrollment.updated_at < now - SHOWN_FOR:
        return ""  # a move sets updated_at: nothing moved lately, so no history to read
    with orm_session(db) as session:
        latest = session.exec(
            select(AuditEvent)
            .where(
                # The patient's few events (ix_auditevent_patient_id), not every recent one.
                AuditEvent.patient_id == enrollment.patient_id,
                AuditEvent.subject_type == "enrollment",
                AuditEvent.subject_id == enrollment.id,
                col(AuditEvent.action).in_((MOVED, DISMISSED)),
                AuditEvent.at >= now - SHOWN_FOR,
            )
            .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
            .limit(1)
        ).first()
    if latest is None or latest.action != MOVED or not latest.before or not latest.after:
        return ""
    tz = ZoneInfo(enrollment.timezone)
    today = now.astimezone(tz).date()

    def moment(value: str) -> str:
        local = datetime.fromisoformat(value).astimezone(tz)
        return words.get("at", day=words.calendar_day(local.date(), today), time=words.clock(local))

    return words.get(
        "moved_notice",
        old=moment(latest.before["procedure_start"]),
        new=moment(latest.after["procedure_start"]),
        on=words.calendar_day(latest.at.astimezone(tz).date(), today),
    )


def dismiss_notice(*, session: Session, enrollment_id: int, actor: str, now: datetime) -> None:
    """The patient has read the notice: it is no longer shown (until the next move)."""
    enrollment = session.get(Enrollment, enrollment_id)
    if enrollment is None:
        raise InvalidInput("enrollment", "no enrollment %(id)s", id=enrollment_id)
    audit.record(
        session=session,
        actor=actor,
        action=DISMISSED,
        subject=enrollment,
        before=None,
        after=None,
        patient_id=enrollment.patient_id,
        now=now,
    )
