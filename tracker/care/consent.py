"""A patient's consent to text messages: kept as history, read as its newest row.

Consent is never changed in place: each change is a new `Consent` row plus an audit event,
so who recorded what, when and how stays visible; the newest row per patient and channel is
the state. No row at all means no consent: text messages are opt-in. The dispatcher asks
`consent_given` right before a text is handed over, so a withdrawal stops messages already
planned.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select
from sqlmodel import Session, col

from tracker import audit
from tracker.errors import InvalidInput
from tracker.models import Consent

TEXTS = "sms"  # the consent channel of text messages (the reminders' "webhook" channel)
CHANNELS = (TEXTS,)
# How consent reaches the record: a nurse's conversation or form, or the patient's own text.
STAFF_METHODS = ("verbal", "written")
TEXT_START, TEXT_STOP = "text START", "text STOP"
METHODS = (*STAFF_METHODS, TEXT_START, TEXT_STOP)
PATIENT_BY_TEXT = "patient by text"  # the actor of everything a patient's text does


def record_consent(
    *,
    session: Session,
    patient_id: int,
    given: bool,
    method: str,
    actor: str,
    now: datetime,
    channel: str = TEXTS,
) -> Consent:
    """Add a consent row (given or withdrawn) and its audit event; the caller commits."""
    if channel not in CHANNELS:
        raise InvalidInput(
            "channel",
            "%(channel)s is not one of %(channels)s",
            channel=repr(channel),
            channels=", ".join(CHANNELS),
        )
    if method not in METHODS:
        raise InvalidInput("method", "must be one of %(methods)s", methods=", ".join(METHODS))
    previous = current_consent(session, patient_id=patient_id, channel=channel)
    row = Consent(
        patient_id=patient_id,
        channel=channel,
        given=given,
        recorded_at=now,
        recorded_by=actor[:120],
        method=method,
    )
    session.add(row)
    session.flush()
    fields = ("channel", "given", "method")
    audit.record(
        session=session,
        actor=actor,
        action="consent.given" if given else "consent.withdrawn",
        subject=row,
        before=audit.snapshot(previous, fields) if previous else None,
        after=audit.snapshot(row, fields),
        patient_id=patient_id,
        now=now,
    )
    return row


def current_consent(session: Session, *, patient_id: int, channel: str = TEXTS) -> Consent | None:
    """The newest consent row for this patient and channel, or None if none was ever recorded."""
    query = (
        select(Consent)
        .where(col(Consent.patient_id) == patient_id, col(Consent.channel) == channel)
        .order_by(col(Consent.recorded_at).desc(), col(Consent.id).desc())
        .limit(1)
    )
    return session.execute(query).scalars().first()


def consent_given(connection: Connection, *, patient_id: int, channel: str = TEXTS) -> bool:
    """Whether texts may go to this patient now (one indexed lookup, for the dispatcher)."""
    query = (
        select(col(Consent.given))
        .where(col(Consent.patient_id) == patient_id, col(Consent.channel) == channel)
        .order_by(col(Consent.recorded_at).desc(), col(Consent.id).desc())
        .limit(1)
    )
    return bool(connection.execute(query).scalar())
