"""Reminder rules: which due reminder to send, defer or expire, and how it reads.

The reminder rows are the outbox and the only truth; `dispatch` claims and delivers them,
`escalation` raises alerts for critical items nobody ticked. Everything here is a plain
function of its arguments (the instant is always passed in), so tests need no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, Row, Select, func, select
from sqlmodel import Session, col

from tracker import localtime
from tracker.care.item_reminders import DIGEST, ESCALATION, MOVED, REPLY
from tracker.i18n import DEFAULT_LANGUAGE, best
from tracker.library.reviewed_translations import patient_step_text
from tracker.models import (
    ChecklistItem,
    Enrollment,
    Patient,
    Reminder,
    Step,
)
from tracker.reminders.wording import MESSAGES, local_reading, text

WAITING = ("pending", "deferred")  # not yet handed to a channel
FINAL = ("sent", "failed", "expired", "cancelled")
STATUSES = ("pending", "claimed", "deferred", *FINAL)
LATE_AFTER = timedelta(minutes=10)  # sent this long after its time: the message says it is late
DEFAULT_QUIET = ("21:00", "07:00")
# A reminder for an item someone already settled: cancelled, or expired when the window closed.
SETTLED_AS = {"missed": "expired"}
# An escalation is about an item nobody did: it goes out while the item is in one of these.
ESCALATION_SENDS_FOR = ("pending", "not_done", "missed")

R, Item = Reminder, ChecklistItem


@dataclass(frozen=True)
class Due:
    """A claimed reminder with what deciding and wording it needs (one joined row)."""

    id: int
    key: str
    channel: str
    purpose: str
    send_at: datetime
    attempts: int
    item_id: int
    item_status: str
    due_at: datetime
    expires_at: datetime | None
    step: str
    critical: bool
    email: str
    phone: str
    timezone: str
    quiet_start: str
    quiet_end: str
    language: str
    address: str = ""  # the reminder's own recipient (an escalation's nurse), else ""
    patient: str = ""
    mrn: str = ""
    patient_id: int = 0
    message: str | None = None  # its own words (a text digest or reply), else worded here
    procedure_start: datetime | None = None  # the plan's procedure time now (a 'moved' message)

    @property
    def escalation(self) -> bool:
        return self.purpose == ESCALATION

    @property
    def deadline(self) -> datetime:
        """After this instant the reminder is useless: the item's expiry, or its due time."""
        return self.expires_at or self.due_at

    @property
    def recipient(self) -> str:
        if self.address:
            return self.address
        return {"email": self.email, "webhook": self.phone}.get(self.channel, "")


@dataclass(frozen=True)
class Decision:
    """What to do with a due reminder now: send (maybe flagged late), defer, or expire."""

    action: Literal["send", "defer", "expire"]
    until: datetime | None = None  # defer: the new send time
    late: bool = False
    reason: str = ""


DUE_COLUMNS = (
    col(R.id),
    col(R.idempotency_key),
    col(R.channel),
    col(R.purpose),
    col(R.send_at),
    col(R.attempts),
    col(Item.id),
    col(Item.status),
    col(Item.due_at),
    col(Item.expires_at),
    # The patient's reviewed translation of the step, else English (the care team's: English).
    patient_step_text(Step.id, Step.text, Patient.language, col(R.purpose) == ESCALATION),
    col(Step.critical),
    col(Patient.email),
    col(Patient.phone),
    col(Patient.timezone),
    col(Patient.quiet_start),
    col(Patient.quiet_end),
    col(Patient.language),
    col(R.recipient),
    col(Patient.name),
    col(Patient.mrn),
    col(Patient.id),
    col(R.body),
    col(Enrollment.procedure_start),
)


def _with_item(*columns: Any) -> Select[Any]:
    """Reminders joined to their item, step, enrollment and patient."""
    return (
        select(*columns)
        .join(Item, col(Item.id) == col(R.item_id))
        .join(Step, col(Step.id) == col(Item.step_id))
        .join(Enrollment, col(Enrollment.id) == col(R.enrollment_id))
        .join(Patient, col(Patient.id) == col(Enrollment.patient_id))
    )


def load_due(connection: Connection, ids: list[int]) -> list[Due]:
    """The claimed reminders with their item, step and patient, in send order (one query)."""
    query = _with_item(*DUE_COLUMNS).where(col(R.id).in_(ids)).order_by(col(R.send_at), col(R.id))
    return [Due(*row) for row in connection.execute(query)]


def decide(due: Due, *, now: datetime) -> Decision:
    """Expire past the deadline; defer into quiet hours' end unless critical or too late; send.
    Escalations (to the care team, about an item already past its time) always send."""
    if due.escalation or due.purpose == REPLY:
        return Decision("send")  # an answer to the patient's own text goes at once
    if due.purpose in (DIGEST, MOVED):  # no deadline, but quiet hours hold it
        until = quiet_until(due, now=now)
        return Decision("send") if until is None else Decision("defer", until=until)
    if now >= due.deadline:
        return Decision("expire", reason="expired unsent: the time to act had passed")
    until = held_until(
        now,
        due_at=due.due_at,
        critical=due.critical,
        zone=due.timezone,
        begins=due.quiet_start,
        ends=due.quiet_end,
    )
    if until is not None:
        return Decision("defer", until=until)
    return Decision("send", late=now - due.send_at > LATE_AFTER)


def held_until(
    now: datetime, *, due_at: datetime, critical: bool, zone: str, begins: str, ends: str
) -> datetime | None:
    """When a reminder falling at `now` is held to instead: the end of the patient's quiet
    hours if `now` is inside them and that is still in time, unless the item is critical.
    The dispatcher defers to it; the calendar's alarms ring at it."""
    if critical:
        return None
    until = quiet_end(now, zone, begins, ends)
    return until if until is not None and until <= due_at else None


def quiet_until(due: Due, *, now: datetime) -> datetime | None:
    """The end of the patient's quiet hours if `now` falls inside them (local time, DST-safe)."""
    return quiet_end(now, due.timezone, due.quiet_start, due.quiet_end)


def quiet_end(now: datetime, zone: str, begins: str, ends: str) -> datetime | None:
    """The end of quiet hours `begins`-`ends` ("21:00", "07:00") in `zone` if `now` falls
    inside them (the reminder dispatcher and the calendar's alarms hold to the same hours)."""
    start_text = begins or DEFAULT_QUIET[0]
    end_text = ends or DEFAULT_QUIET[1]
    start, end = _clock(start_text), _clock(end_text)
    if start == end:
        return None
    tz = localtime.zone(zone)
    local = now.astimezone(tz)
    clock = local.time().replace(tzinfo=None)
    inside = (start <= clock < end) if start < end else (clock >= start or clock < end)
    if not inside:
        return None
    day: date = local.date() if clock < end else local.date() + timedelta(days=1)
    return localtime.local_to_utc(datetime.combine(day, end), tz)


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def language_of(due: Due) -> str:
    """The language a reminder is worded in: the patient's (a supported one), English for the
    care team's escalations."""
    return DEFAULT_LANGUAGE if due.escalation else best(due.language)


def compose(due: Due, decision: Decision, *, base_url: str) -> tuple[str, str, str]:
    """(subject, body, link text) for a reminder, in the patient's language and local time."""
    lang = language_of(due)
    if due.escalation:
        subject, body = escalation_text(
            step=due.step,
            patient=due.patient,
            mrn=due.mrn,
            due=local_reading(due.due_at, due.timezone),  # the care team reads English
            base_url=base_url,
        )
        return subject, body, ""
    if due.purpose == MOVED and due.procedure_start is not None:
        when = local_reading(due.procedure_start, due.timezone, lang)
        body = text(lang, "moved.body", when=when)
        return text(lang, "subject.moved"), body, text(lang, "link", base=base_url.rstrip("/"))
    if due.message is not None:  # a digest or a reply carries its own words
        return text(lang, f"subject.{due.purpose}"), due.message, ""
    key = "subject.late" if decision.late else f"subject.{due.purpose}"
    subject = text(lang, key if key in MESSAGES else "subject.opens", step=due.step)
    body = text(lang, "body", step=due.step, due=local_reading(due.due_at, due.timezone, lang))
    if decision.late:
        planned = local_reading(due.send_at, due.timezone, lang)
        body = f"{text(lang, 'late', planned=planned)}\n\n{body}"
    # The patient's token is stored only as a hash, so the message cannot carry their link.
    link = text(lang, "link", base=base_url.rstrip("/"))
    return subject, body, link


def escalation_text(
    *, step: str, patient: str, mrn: str, due: str, base_url: str
) -> tuple[str, str]:
    """(subject, body) of the care team's email about an escalated item (in English)."""
    values = {"step": step, "patient": patient, "mrn": mrn, "due": due, "base": base_url}
    values["base"] = base_url.rstrip("/")
    return text("en", "escalation.subject", **values), text("en", "escalation.body", **values)


def counts(session: Session) -> dict[str, int]:
    """Reminders per status (every status listed, zeros included)."""
    query = select(col(R.status), func.count()).group_by(col(R.status))
    found: dict[str, int] = {str(s): int(n) for s, n in session.execute(query).all()}
    return {status: found.get(status, 0) for status in STATUSES} | found


def listing(session: Session, *, status: str | None = None, limit: int = 200) -> list[Row[Any]]:
    """Reminders with their step and patient, most recent first (for `tracker reminders`)."""
    query = (
        _with_item(
            col(R.id),
            col(R.send_at),
            col(R.status),
            col(R.channel),
            col(R.purpose),
            col(R.attempts),
            col(R.late),
            col(R.last_error),
            col(Patient.mrn),
            col(Step.text),
        )
        .order_by(col(R.send_at).desc(), col(R.id).desc())
        .limit(limit)
    )
    if status:
        query = query.where(col(R.status) == status)
    return list(session.execute(query).all())
