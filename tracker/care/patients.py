"""Patients: register and update them, every field checked before anything is written.

Service functions never commit: the caller (a view, a command, a job) owns the transaction,
so an error leaves nothing behind once the caller rolls back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypedDict

from sqlmodel import Session, select

from tracker import audit
from tracker.config import DEFAULT_ZONE
from tracker.errors import InvalidInput
from tracker.models import Patient

CHANNELS = ("inapp", "email", "webhook")  # "inapp" is always used; the others are opt-in
OLDEST_BIRTH_DATE = date(1900, 1, 1)
MIN_PHONE_DIGITS, MAX_PHONE_DIGITS = 7, 15  # E.164 allows at most 15 digits
AUDITED_FIELDS = (
    "mrn",
    "name",
    "birth_date",
    "email",
    "phone",
    "timezone",
    "reminder_hour",
    "quiet_start",
    "quiet_end",
    "channels",
    "language",
)

# C0/C1 controls, bidirectional overrides and lone surrogates: never legitimate in a form field.
_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s.][^@\s]*\.[^@\s.]+")
_PHONE = re.compile(r"\+?[0-9][0-9 ().-]*")
_CLOCK = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]")
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")


class PatientChanges(TypedDict, total=False):
    """The fields `update_patient` may change; absent keys stay as they are."""

    mrn: str
    name: str
    birth_date: date | None
    email: str
    phone: str
    timezone: str
    reminder_hour: int
    quiet_start: str
    quiet_end: str
    channels: Sequence[str]
    language: str


def register_patient(
    *,
    session: Session,
    mrn: str,
    name: str,
    now: datetime,
    actor: str,
    timezone: str | None = None,
    default_zone: str = DEFAULT_ZONE,
    birth_date: date | None = None,
    email: str = "",
    phone: str = "",
    reminder_hour: int = 9,
    quiet_start: str = "21:00",
    quiet_end: str = "07:00",
    channels: Sequence[str] = (),
    language: str = "en",
) -> Patient:
    """A new patient (flushed, audited); `timezone` falls back to `default_zone`."""
    values = clean_fields(
        {
            "mrn": mrn,
            "name": name,
            "birth_date": birth_date,
            "email": email,
            "phone": phone,
            "timezone": default_zone if timezone is None or not timezone.strip() else timezone,
            "reminder_hour": reminder_hour,
            "quiet_start": quiet_start,
            "quiet_end": quiet_end,
            "channels": channels,
            "language": language,
        },
        today=now.date(),
    )
    _check_unique_mrn(session, values["mrn"])
    patient = Patient(**values, created_at=now)
    session.add(patient)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="patient.register",
        subject=patient,
        before=None,
        after=audit.snapshot(patient, AUDITED_FIELDS),
        patient_id=patient.id,
        now=now,
    )
    return patient


def update_patient(
    *, session: Session, patient: Patient, changes: PatientChanges, actor: str, now: datetime
) -> Patient:
    """Apply `changes` after checking them all; audits only the fields that really changed."""
    unknown = set(changes) - set(AUDITED_FIELDS)
    if unknown:
        raise InvalidInput(sorted(unknown)[0], "is not a patient field")
    current = audit.snapshot(patient, AUDITED_FIELDS)
    merged: dict[str, Any] = {name: getattr(patient, name) for name in AUDITED_FIELDS}
    merged.update(changes)
    values = clean_fields(merged, today=now.date())
    if values["mrn"] != patient.mrn:
        _check_unique_mrn(session, values["mrn"])
    for name, value in values.items():
        setattr(patient, name, value)
    before, after = audit.changes(current, audit.snapshot(patient, AUDITED_FIELDS))
    if after:
        session.add(patient)
        session.flush()
        audit.record(
            session=session,
            actor=actor,
            action="patient.update",
            subject=patient,
            before=before,
            after=after,
            patient_id=patient.id,
            now=now,
        )
    return patient


def find_patient(session: Session, mrn: str) -> Patient | None:
    return session.exec(select(Patient).where(Patient.mrn == mrn.strip())).first()


def parse_birth_date(text: str | None) -> date | None:
    """A YYYY-MM-DD date from a form or the command line; blank means none."""
    if text is None or not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            "birth_date", "%(text)s is not a date like 1960-04-30", text=repr(text)
        ) from None


def clean_text(value: object, field: str, *, max_length: int, required: bool = False) -> str:
    """Trimmed text with no control characters, within `max_length`; markup is kept as typed."""
    # Refusals starting "is", "must", "contains" follow the field's subject on a nurse's page
    # (tracker.web.nurse.forms.sentence): "The MRN" + "is required".
    if not isinstance(value, str):
        # TRANSLATORS: follows a field's subject, e.g. "The name", whatever its gender.
        raise InvalidInput(field, "must be text")
    text = value.strip()
    bad = _FORBIDDEN.search(text)
    if bad:
        raise InvalidInput(
            field, "contains a control character (U+%(code)s)", code=f"{ord(bad.group()):04X}"
        )
    if required and not text:
        # TRANSLATORS: follows a field's subject, e.g. "The MRN", whatever its gender.
        raise InvalidInput(field, "is required")
    if len(text) > max_length:
        raise InvalidInput(
            field,
            "must be at most %(max)s characters (got %(length)s)",
            max=max_length,
            length=len(text),
        )
    return text


def clean_fields(values: Mapping[str, Any], *, today: date) -> dict[str, Any]:
    """Every patient field checked and normalised; the first problem raises InvalidInput."""
    cleaned = {name: _CLEANERS[name](values[name], today) for name in AUDITED_FIELDS}
    if "email" in cleaned["channels"] and not cleaned["email"]:
        raise InvalidInput("channels", "email reminders need an email address")
    return cleaned


def check_field(name: str, value: object, *, today: date) -> Any:
    """One patient field checked and normalised, so a form can show every problem at once."""
    return _CLEANERS[name](value, today)


def _check_unique_mrn(session: Session, mrn: str) -> None:
    if session.exec(select(Patient.id).where(Patient.mrn == mrn)).first() is not None:
        raise InvalidInput("mrn", "a patient with MRN %(mrn)s already exists", mrn=repr(mrn))


def _mrn(value: object, _today: date) -> str:
    return clean_text(value, "mrn", max_length=40, required=True)


def _name(value: object, _today: date) -> str:
    return clean_text(value, "name", max_length=200, required=True)


def _birth_date(value: object, today: date) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidInput("birth_date", "must be a date")
    if value > today:
        raise InvalidInput("birth_date", "%(date)s is in the future", date=value.isoformat())
    if value < OLDEST_BIRTH_DATE:
        raise InvalidInput(
            "birth_date",
            "%(date)s is before %(oldest)s",
            date=value.isoformat(),
            oldest=OLDEST_BIRTH_DATE,
        )
    return value


def _email(value: object, _today: date) -> str:
    text = clean_text(value, "email", max_length=254)
    if text and not _EMAIL.fullmatch(text):
        raise InvalidInput(
            "email", "%(text)s is not an email address like name@example.org", text=repr(text)
        )
    return text


def _phone(value: object, _today: date) -> str:
    text = clean_text(value, "phone", max_length=40)
    digits = sum(ch.isdigit() for ch in text)
    if text and (not _PHONE.fullmatch(text) or not MIN_PHONE_DIGITS <= digits <= MAX_PHONE_DIGITS):
        raise InvalidInput(
            "phone", "%(text)s is not a phone number like +1 555 010 0199", text=repr(text)
        )
    return text


def _timezone(value: object, _today: date) -> str:
    from tracker.care.procedure_time import zone  # it imports this module

    text = clean_text(value, "timezone", max_length=64, required=True)
    zone(text)
    return text


def _reminder_hour(value: object, _today: date) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 23:
        raise InvalidInput("reminder_hour", "must be a whole hour from 0 to 23")
    return value


def _clock(field: str) -> Callable[[object, date], str]:
    def clean(value: object, _today: date) -> str:
        text = clean_text(value, field, max_length=5, required=True)
        if not _CLOCK.fullmatch(text):
            raise InvalidInput(field, "%(text)s is not a time like 21:00", text=repr(text))
        return text

    return clean


def _channels(value: object, _today: date) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise InvalidInput("channels", "must be a list of channel names")
    chosen: list[str] = []
    for item in value:
        name = clean_text(item, "channels", max_length=20).lower()
        if name not in CHANNELS:
            raise InvalidInput(
                "channels",
                "%(name)s is not one of %(channels)s",
                name=repr(name),
                channels=", ".join(CHANNELS),
            )
        if name not in chosen:
            chosen.append(name)
    return chosen


def _language(value: object, _today: date) -> str:
    text = clean_text(value, "language", max_length=10, required=True)
    if not _LANGUAGE.fullmatch(text):
        raise InvalidInput(
            "language", "%(text)s is not a language tag like en or es-MX", text=repr(text)
        )
    return text


_CLEANERS: dict[str, Callable[[object, date], Any]] = {
    "mrn": _mrn,
    "name": _name,
    "birth_date": _birth_date,
    "email": _email,
    "phone": _phone,
    "timezone": _timezone,
    "reminder_hour": _reminder_hour,
    "quiet_start": _clock("quiet_start"),
    "quiet_end": _clock("quiet_end"),
    "channels": _channels,
    "language": _language,
}
