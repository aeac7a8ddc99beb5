"""A patient's text replies (the SMS gateway's webhook), and what each one does.

Every inbound text is kept as an `InboundText` row: the record of the patient's reply, and
what refuses a replay (its provider id and signature are each seen once). "1" or "DONE" ticks
the item named in the last text reminder sent to that number, through the same service as the
checklist page (so its other reminders are cancelled and the tick is audited); "STOP" and
"START" record consent at once; "HELP" is answered with the care team's name and phone;
anything else is a note for the nurse. Answers are outbox rows (purpose 'reply'), so they are
retried and listed like any text. Everything is audited as "patient by text". A number no
patient has is recorded and otherwise ignored. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from tracker import audit
from tracker.care.consent import PATIENT_BY_TEXT, TEXT_START, TEXT_STOP, record_consent
from tracker.care.item_reminders import NOT_ITEM_REMINDERS, REPLY, values
from tracker.errors import InvalidInput, ReplayedMessage
from tracker.models import ChecklistItem, Enrollment, InboundText, Patient, Reminder
from tracker.patient import ticking
from tracker.reminders.texting import TEXT_CHANNEL
from tracker.reminders.wording import text

MAX_BODY = 1600  # ten SMS segments; gateways split longer messages anyway
# What a reply means once trimmed and upper-cased; anything else is a note for the nurse.
KEYWORDS = {"1": "done", "DONE": "done", "STOP": "stop", "START": "start", "HELP": "help"}
NOTE = "note"
NOTE_ROWS = 20  # newest notes on the nurse's page
_PHONE_PUNCTUATION = (" ", "-", "(", ")", ".", "+")


@dataclass(frozen=True)
class CareTeam:
    """Who HELP's answer names (the CARE_TEAM_NAME and CARE_TEAM_PHONE settings)."""

    name: str
    phone: str


@dataclass(frozen=True)
class Inbound:
    """One text as the gateway posted it, already checked for shape by the web layer."""

    provider_id: str
    sender: str
    body: str
    signature: str


def meaning(body: str) -> str:
    """done | stop | start | help for a keyword (any case, trimmed), else 'note'."""
    return KEYWORDS.get(body.strip().upper(), NOTE)


def digits(phone: str) -> str:
    """A phone number's digits only: '+1 (555) 010-0199' -> '15550100199'."""
    return "".join(ch for ch in phone if ch.isdigit())


def receive(*, session: Session, message: Inbound, now: datetime, team: CareTeam) -> InboundText:
    """Record a patient's text and act on it; ReplayedMessage if it was seen before."""
    seen = select(col(InboundText.id)).where(
        or_(
            col(InboundText.provider_id) == message.provider_id,
            col(InboundText.signature) == message.signature,
        )
    )
    if session.execute(seen).first() is not None:
        raise ReplayedMessage(message.provider_id)
    patient = find_patient(session, message.sender)
    row = InboundText(
        provider_id=message.provider_id,
        signature=message.signature,
        sender=message.sender,
        body=message.body,
        received_at=now,
        patient_id=patient.id if patient else None,
        meaning=meaning(message.body),
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # the same message posted twice at once: the other one won
        raise ReplayedMessage(message.provider_id) from None
    if patient is None:
        row.outcome = "no patient has this number"
        return row
    row.outcome = EFFECTS[row.meaning](session, row, patient, now, team)[:200]
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        actor=PATIENT_BY_TEXT,
        action=f"text.{row.meaning}",
        subject=row,
        before=None,
        after={"text": row.body[:200], "outcome": row.outcome},
        patient_id=patient.id,
        now=now,
    )
    return row


def find_patient(session: Session, sender: str) -> Patient | None:
    """The patient with this phone number however it was typed; when several share it, the
    one last texted (a DONE answers that text), else the newest registered."""
    wanted = digits(sender)
    if not wanted:
        return None
    stored: Any = col(Patient.phone)
    for mark in _PHONE_PUNCTUATION:
        stored = func.replace(stored, mark, "")
    found: list[Patient] = list(session.execute(select(Patient).where(stored == wanted)).scalars())
    if len(found) > 1:
        last = last_text(session, [p.id for p in found if p.id is not None])
        return next((p for p in found if last and p.id == last[2]), max(found, key=_id))
    return found[0] if found else None


def _id(patient: Patient) -> int:
    return patient.id or 0


def last_text(session: Session, patient_ids: list[int]) -> tuple[int, int, int] | None:
    """(item id, enrollment id, patient id) of the last text reminder sent to these patients."""
    query = (
        select(col(Reminder.item_id), col(Reminder.enrollment_id), col(Enrollment.patient_id))
        .join(Enrollment, col(Enrollment.id) == col(Reminder.enrollment_id))
        .where(
            col(Enrollment.patient_id).in_(patient_ids),
            col(Reminder.channel) == TEXT_CHANNEL,
            col(Reminder.status) == "sent",
            col(Reminder.purpose).not_in(NOT_ITEM_REMINDERS),
        )
        .order_by(col(Reminder.sent_at).desc(), col(Reminder.id).desc())
        .limit(1)
    )
    found = session.execute(query).first()
    return None if found is None else (int(found[0]), int(found[1]), int(found[2]))


def _tick(session: Session, row: InboundText, patient: Patient, now: datetime, _: CareTeam) -> str:
    assert patient.id is not None
    last = last_text(session, [patient.id])
    if last is None:
        return "nothing to tick: no text reminder was sent to this number"
    item_id, enrollment_id, _patient = last
    enrollment = session.get(Enrollment, enrollment_id)
    assert enrollment is not None
    row.item_id = item_id
    try:
        ticking.act(
            session=session,
            enrollment=enrollment,
            actor=PATIENT_BY_TEXT,
            item_id=item_id,
            action="done",
            now=now,
            note=None,
        )
    except InvalidInput as error:
        return f"not ticked: {error.message}"
    return f"ticked item {item_id}"


def _consent(given: bool) -> Callable[[Session, InboundText, Patient, datetime, CareTeam], str]:
    def record(
        session: Session, row: InboundText, patient: Patient, now: datetime, team: CareTeam
    ) -> str:
        assert patient.id is not None
        method = TEXT_START if given else TEXT_STOP
        record_consent(
            session=session,
            patient_id=patient.id,
            given=given,
            method=method,
            actor=PATIENT_BY_TEXT,
            now=now,
        )
        answer = text(patient.language, "reply.start" if given else "reply.stop", team=team.name)
        return ("consent given" if given else "consent withdrawn") + _reply(
            session, row, patient, now, answer
        )

    return record


def _help(
    session: Session, row: InboundText, patient: Patient, now: datetime, team: CareTeam
) -> str:
    phone = team.phone or text(patient.language, "reply.no_phone")
    answer = text(patient.language, "reply.help", team=team.name, phone=phone)
    return "help asked" + _reply(session, row, patient, now, answer)


def _note(session: Session, row: InboundText, patient: Patient, now: datetime, _: CareTeam) -> str:
    return "note for the nurse"


def _reply(session: Session, row: InboundText, patient: Patient, now: datetime, words: str) -> str:
    """Queue an answer to the sender as an outbox row; it rides on the item last texted about,
    else on the first item of the patient's newest plan (an outbox row needs one)."""
    assert patient.id is not None and row.id is not None
    last = last_text(session, [patient.id])
    anchor = last[:2] if last else _first_item(session, patient.id)
    if anchor is None:
        return "; no answer sent: the patient has no checklist to send it with"
    item_id, enrollment_id = anchor
    reply = Reminder(**values(item_id, enrollment_id, REPLY, now, TEXT_CHANNEL))
    reply.idempotency_key, reply.recipient, reply.body = f"reply-{row.id}", row.sender, words
    session.add(reply)
    return "; answered"


def _first_item(session: Session, patient_id: int) -> tuple[int, int] | None:
    query = (
        select(col(ChecklistItem.id), col(ChecklistItem.enrollment_id))
        .join(Enrollment, col(Enrollment.id) == col(ChecklistItem.enrollment_id))
        .where(col(Enrollment.patient_id) == patient_id)
        .order_by(col(Enrollment.procedure_start).desc(), col(ChecklistItem.due_at))
        .limit(1)
    )
    found = session.execute(query).first()
    return None if found is None else (int(found[0]), int(found[1]))


EFFECTS: dict[str, Callable[[Session, InboundText, Patient, datetime, CareTeam], str]] = {
    "done": _tick,
    "stop": _consent(False),
    "start": _consent(True),
    "help": _help,
    NOTE: _note,
}


def notes_for(session: Session, patient_id: int, *, limit: int = NOTE_ROWS) -> list[InboundText]:
    """The patient's free-text replies for the nurse, newest first."""
    query = (
        select(InboundText)
        .where(col(InboundText.patient_id) == patient_id, col(InboundText.meaning) == NOTE)
        .order_by(col(InboundText.received_at).desc(), col(InboundText.id).desc())
        .limit(limit)
    )
    return list(session.execute(query).scalars())
