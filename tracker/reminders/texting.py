"""Text messages: the patient's consent and the daily budget, checked as each text is handed over.

The dispatcher asks `hold` right before a text (a reminder on the SMS gateway's channel) goes,
so consent withdrawn after the reminder was planned still stops it. Without consent the text
is cancelled ("no consent to text messages"); past the day's budget a non-critical reminder is
cancelled too and its item joins the patient's digest for that local day: one outbox row of
its own (purpose 'digest', key from patient and date) sent in the evening. Critical items
always go; a reply to the patient's own text (HELP, STOP) needs no consent, as carriers require.

`verdict` is the rule itself, a pure function; `hold` reads what it needs and writes the
digest in the caller's transaction. Concurrent sending threads are serialised per patient
(PostgreSQL: the patient's row FOR UPDATE; SQLite: the write lock, taken by the first
statement), and each text going out marks its `checked_at`: claimed or sent texts with a
checked_at today are today's count, so two threads cannot both take the last slot.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Literal

from sqlalchemy import Connection, func, insert, select, update
from sqlmodel import col

from tracker import localtime
from tracker.care.consent import consent_given
from tracker.care.item_reminders import DIGEST, ESCALATION, MOVED, REPLY, WAITING, values
from tracker.models import ChecklistItem, Enrollment, Patient, Reminder
from tracker.reminders.rules import Due
from tracker.reminders.wording import text

TEXT_CHANNEL = "webhook"  # the reminders' channel that reaches the SMS gateway
NO_CONSENT = "no consent to text messages"
DIGEST_AT = time(19, 0)  # local time the day's digest goes (quiet hours may hold it longer)
DIGEST_KEY = "digest-{patient_id}-{day}"  # one digest per patient and local calendar day
NOT_COUNTED = (DIGEST, REPLY)  # the budget's overflow and answers to the patient's own texts
COUNTED_STATUSES = ("claimed", "sent")  # with checked_at set: handed over, or about to be
Verdict = Literal["send", "no_consent", "digest"]
R = Reminder


def verdict(
    *, purpose: str, critical: bool, consent: bool, sent_today: int, budget: int
) -> Verdict:
    """What to do with a text about to go: send it, drop it (no consent), or fold it into
    the day's digest (a non-critical reminder past the budget)."""
    if purpose == REPLY:
        return "send"  # HELP's answer and STOP's confirmation go even without consent
    if not consent:
        return "no_consent"
    if critical or purpose in (DIGEST, ESCALATION, MOVED) or sent_today < budget:
        return "send"
    return "digest"


def local_day(now: datetime, zone: str) -> tuple[date, datetime, datetime]:
    """The patient's calendar day at `now`, and its first and last instant (UTC, end open)."""
    tz = localtime.zone(zone)
    day = now.astimezone(tz).date()
    start = localtime.local_to_utc(datetime.combine(day, time()), tz)
    end = localtime.local_to_utc(datetime.combine(day + timedelta(days=1), time()), tz)
    return day, start, end


def hold(connection: Connection, due: Due, *, now: datetime, budget: int) -> str | None:
    """None when the text may be handed over now (its place in today's count is taken);
    otherwise why it is not sent, for the reminder's last_error (it is then cancelled)."""
    if connection.dialect.name == "postgresql":
        connection.execute(
            select(col(Patient.id)).where(col(Patient.id) == due.patient_id).with_for_update()
        )
    # On SQLite this first write takes the database's write lock until the caller commits.
    connection.execute(update(R).where(col(R.id) == due.id).values(checked_at=now))
    day, start, end = local_day(now, due.timezone)
    counted = (
        select(func.count())
        .select_from(R)
        .join(Enrollment, col(Enrollment.id) == col(R.enrollment_id))
        .where(
            col(Enrollment.patient_id) == due.patient_id,
            col(R.channel) == TEXT_CHANNEL,
            col(R.purpose).not_in(NOT_COUNTED),
            col(R.status).in_(COUNTED_STATUSES),
            col(R.checked_at) >= start,
            col(R.checked_at) < end,
            col(R.id) != due.id,
        )
    )
    decided = verdict(
        purpose=due.purpose,
        critical=due.critical,
        consent=due.purpose == REPLY or consent_given(connection, patient_id=due.patient_id),
        sent_today=int(connection.execute(counted).scalar_one()),
        budget=budget,
    )
    if decided == "send":
        return None
    if decided == "no_consent":
        return NO_CONSENT
    return into_digest(connection, due, day=day, now=now, budget=budget)


def into_digest(connection: Connection, due: Due, *, day: date, now: datetime, budget: int) -> str:
    """Add the reminder's item to the patient's digest for `day` (created on first use);
    returns the reason its own text is not sent."""
    key = DIGEST_KEY.format(patient_id=due.patient_id, day=day.isoformat())
    line = f"- {due.step}"
    found = connection.execute(
        select(col(R.id), col(R.status), col(R.body)).where(col(R.idempotency_key) == key)
    ).first()
    if found is None:
        tz = localtime.zone(due.timezone)
        evening = localtime.local_to_utc(datetime.combine(day, DIGEST_AT), tz)
        enrollment_id = connection.execute(
            select(col(ChecklistItem.enrollment_id)).where(col(ChecklistItem.id) == due.item_id)
        ).scalar_one()
        row = values(due.item_id, enrollment_id, DIGEST, max(evening, now), TEXT_CHANNEL)
        header = text(due.language or "en", "digest.header", budget=budget)
        connection.execute(
            insert(R).values(**row | {"idempotency_key": key, "body": f"{header}\n{line}"})
        )
    elif found.status in WAITING:
        if line not in (found.body or "").splitlines():  # a retried claim adds nothing twice
            body = f"{found.body}\n{line}"
            connection.execute(update(R).where(col(R.id) == found.id).values(body=body))
    else:
        return f"daily text budget of {budget} reached; today's digest had already gone"
    return f"in today's text digest: daily text budget of {budget} reached"
