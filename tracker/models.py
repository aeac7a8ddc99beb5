"""Every database table. Datetimes are aware UTC in Python, naive UTC in the database."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from tracker.dbtypes import UTCDateTime


# Staff who sign in: nurses run the workspace, admins also review and publish pathways.
class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(default="", max_length=200)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=20)  # "nurse" | "admin"
    active: bool = Field(default=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    # Raised by sign-out: every session cookie issued before then names an older version and
    # is refused on its next request, even if someone kept a copy.
    session_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


# Failed attempts (sign-ins, patient links, dates of birth) in one time window of one limit,
# shared by every web worker; `key` names the limit, the hashed subject and the window.
class AttemptCount(SQLModel, table=True):
    key: str = Field(primary_key=True, max_length=120)
    hits: int = 0
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


# A procedure the site has instructions for; its content lives in versions.
class Pathway(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=120, unique=True, index=True)
    code_system: str = Field(default="", max_length=40)
    code: str = Field(default="", max_length=40)
    title: str = Field(max_length=1000)
    short_name: str = Field(default="", max_length=1000)
    created_at: datetime = Field(sa_type=UTCDateTime)
    # What its document may leave unsaid (reading.steps.Settings' defaults): check-in this
    # long before the start, and nights in hospital after the end (0: a day case).
    arrival_minutes: int = Field(default=60, sa_column_kwargs={"server_default": "60"})
    stay_days: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


# One version of a pathway's document and steps: draft, published (frozen) or retired.
class PathwayVersion(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("pathway_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    pathway_id: int = Field(foreign_key="pathway.id", index=True)
    number: int
    state: str = Field(default="draft", max_length=20)  # draft | published | retired
    title: str = Field(max_length=1000)
    source_name: str = Field(default="", max_length=500)
    source_text: str
    source_hash: str = Field(max_length=64, index=True)
    duration_minutes: int
    warnings: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by: int | None = Field(default=None, foreign_key="user.id")
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    published_by: int | None = Field(default=None, foreign_key="user.id")


# One instruction of a pathway version, timed relative to the procedure (see timing.Step).
class Step(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="pathwayversion.id", index=True)
    position: int
    section: str = Field(max_length=60)
    line: int = Field(default=0)
    text: str
    kind: str = Field(max_length=30)
    critical: bool = False
    conditional: bool = False
    # Relative times (timing.RelTime as dicts); recurrence is timing.Recurrence or null.
    opens: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    due: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    expires: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    recurrence: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    evidence: str = ""
    rule: str = Field(default="", max_length=200)
    confidence: float = 1.0
    # What it asks of the patient: do | avoid | know (never reminded) | watch.
    asks: str = Field(default="do", max_length=10, sa_column_kwargs={"server_default": "do"})
    # Other instructions merged into this one (timing.Evidence as dicts), for review to split.
    merged: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    # A generic tagger's reading where it differs from ours (second_reading.SecondReading).
    second_reading: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True)
    )


# A person following a pathway; reached by link, never signs in.
class Patient(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    mrn: str = Field(max_length=40, unique=True, index=True)
    name: str = Field(max_length=200)
    birth_date: date | None = None
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=40)
    timezone: str = Field(max_length=64)
    reminder_hour: int = Field(default=9)
    quiet_start: str = Field(default="21:00", max_length=5)
    quiet_end: str = Field(default="07:00", max_length=5)
    channels: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    language: str = Field(default="en", max_length=10)
    created_at: datetime = Field(sa_type=UTCDateTime)


# A patient on one pinned pathway version for one procedure.
class Enrollment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    version_id: int = Field(foreign_key="pathwayversion.id", index=True)
    nurse_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    procedure_start: datetime = Field(sa_type=UTCDateTime, index=True)  # UTC
    procedure_end: datetime = Field(sa_type=UTCDateTime)  # UTC
    timezone: str = Field(max_length=64)
    state: str = Field(default="active", max_length=20, index=True)  # active|completed|cancelled
    # Conditional step ids the nurse dropped at enrollment.
    dropped_steps: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Recurring items exist up to this instant; housekeeping rolls it forward.
    horizon: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


# One thing to do (one occurrence of a recurring step), with its UTC window and status.
class ChecklistItem(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("enrollment_id", "step_id", "occurrence"),
        Index("ix_item_status_due", "status", "due_at"),
        # Covers every column the patient's page reads (migration 0002 says why); the note is
        # its last key column on both databases (0008 made PostgreSQL's alike).
        Index(
            "ix_item_page",
            "enrollment_id",
            "status",
            "opens_at",
            "due_at",
            "expires_at",
            "acted_at",
            "step_id",
            "note",
        ),
        # The dashboard's overdue and critical lists, newest first (migration 0007 says why;
        # 0014 added the id, so PostgreSQL reads their candidates from the index alone).
        Index(
            "ix_item_unconfirmed_due",
            "due_at",
            "status",
            "expires_at",
            "enrollment_id",
            "step_id",
            "id",
            sqlite_where=text("status IN ('pending', 'not_done', 'missed')"),
            postgresql_where=text("status IN ('pending', 'not_done', 'missed')"),
        ),
        # The care team's "couldn't do this" alerts, newest first (migration 0016): few rows,
        # so the alerts read them without scanning every item still to do.
        Index(
            "ix_item_not_done",
            "acted_at",
            "id",
            sqlite_where=text("status = 'not_done'"),
            postgresql_where=text("status = 'not_done'"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    enrollment_id: int = Field(foreign_key="enrollment.id")
    step_id: int = Field(foreign_key="step.id")
    occurrence: int = 0
    opens_at: datetime = Field(sa_type=UTCDateTime)
    due_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str = Field(default="pending", max_length=20)
    # pending | done | skipped | not_done | missed | cancelled
    note: str = ""
    acted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acted_by: str = Field(default="", max_length=120)  # "user:3", "link:7", "system"


# Outbox row: one message to send for one item at one instant.
class Reminder(SQLModel, table=True):
    __table_args__ = (
        Index("ix_reminder_status_send_at", "status", "send_at"),
        # The patient's inbox: an enrollment's sent reminders, newest first (migration 0002).
        Index(
            "ix_reminder_sent",
            "enrollment_id",
            "sent_at",
            "id",
            sqlite_where=text("status = 'sent'"),
            postgresql_where=text("status = 'sent'"),
        ),
        # The dashboard's failed and expired reminders, newest first (migrations 0007, 0014).
        Index(
            "ix_reminder_problems",
            "send_at",
            "enrollment_id",
            "id",
            sqlite_where=text("status IN ('failed', 'expired')"),
            postgresql_where=text("status IN ('failed', 'expired')"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="checklistitem.id", index=True)
    enrollment_id: int = Field(foreign_key="enrollment.id", index=True)
    send_at: datetime = Field(sa_type=UTCDateTime)
    purpose: str = Field(default="opens", max_length=20)  # opens | due_soon | occurrence
    channel: str = Field(default="inapp", max_length=20)
    status: str = Field(default="pending", max_length=20)
    # pending | claimed | sent | deferred | failed | expired | cancelled
    attempts: int = 0
    lease_owner: str | None = Field(default=None, max_length=120)
    lease_expires: datetime | None = Field(default=None, sa_type=UTCDateTime)
    idempotency_key: str = Field(max_length=64, unique=True)
    last_error: str = ""
    provider_id: str = Field(default="", max_length=255)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    late: bool = False
    # Where it goes when not the patient (an escalation's nurse); "" = the patient's contact.
    recipient: str = Field(default="", max_length=254)
    # The last instant the dispatcher saw the item pending before handing the message over:
    # sent_at - checked_at is the window in which a tick could not stop it.
    checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The message's own words (a text digest, a reply to the patient's text), or worded from
    # the item when it is sent (null).
    body: str | None = None


# A critical item nobody ticked in time, raised once; the nurse's email is its outbox row.
class Escalation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="checklistitem.id", unique=True)
    enrollment_id: int = Field(foreign_key="enrollment.id", index=True)
    raised_at: datetime = Field(sa_type=UTCDateTime, index=True)
    kind: str = Field(max_length=30)  # the step's kind, which chose the grace period
    reminder_id: int | None = Field(default=None, foreign_key="reminder.id")


# Append-only history: who changed what, when, with the values before and after.
class AuditEvent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=120)
    action: str = Field(max_length=60)
    subject_type: str = Field(max_length=40)
    subject_id: int
    patient_id: int | None = Field(default=None, index=True)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


# A patient's personal link: only the token's hash is stored.
class PatientLink(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    enrollment_id: int = Field(foreign_key="enrollment.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# A device that confirmed the patient's date of birth for a link (PATIENT_DOB_CHECK), so it is
# not asked again: known by a keyed digest of its address and browser, so patient pages need
# no cookie and the table holds no address.
class ConfirmedDevice(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("link_id", "device"),)
    id: int | None = Field(default=None, primary_key=True)
    link_id: int = Field(foreign_key="patientlink.id", index=True)
    device: str = Field(max_length=64)
    confirmed_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)


# A patient's answer to the day's warning-signs check-in ("Any of these today?"). A "yes" is
# an alert for the care team until a nurse marks it handled.
class CheckIn(SQLModel, table=True):
    __table_args__ = (
        # The dashboard's open warning-sign alerts, newest first (migration 0016).
        Index(
            "ix_checkin_open",
            "at",
            "id",
            sqlite_where=text("answer = 'yes' AND handled_at IS NULL"),
            postgresql_where=text("answer = 'yes' AND handled_at IS NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    enrollment_id: int = Field(foreign_key="enrollment.id", index=True)
    day: date  # the patient's local day
    answer: str = Field(max_length=10)  # none | yes
    note: str = Field(default="", max_length=500)
    at: datetime = Field(sa_type=UTCDateTime)
    handled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    handled_by: str = Field(default="", max_length=120)


# A machine client of the JSON API: only the bearer token's hash is stored; scope is
# read < enroll < admin.
class ApiToken(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, unique=True)
    scope: str = Field(max_length=10)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# Consent to be contacted on a channel ("sms": text messages): one row per change, never
# updated; the newest row per patient and channel is the current state.
class Consent(SQLModel, table=True):
    __table_args__ = (Index("ix_consent_current", "patient_id", "channel", "recorded_at", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id")
    channel: str = Field(max_length=20)
    given: bool
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    recorded_by: str = Field(max_length=120)  # "user:3", "patient by text", "api token NAME"
    method: str = Field(max_length=40)  # verbal | written | text START | text STOP


# A text message a patient sent to the site (the SMS gateway's webhook): the record of their
# reply, and what refuses a replay (the provider's id and the signature are each seen once).
class InboundText(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    provider_id: str = Field(max_length=255, unique=True)
    signature: str = Field(max_length=64, unique=True)
    sender: str = Field(max_length=40)
    body: str
    received_at: datetime = Field(sa_type=UTCDateTime)
    patient_id: int | None = Field(default=None, foreign_key="patient.id", index=True)
    meaning: str = Field(max_length=10)  # done | stop | start | help | note
    item_id: int | None = Field(default=None, foreign_key="checklistitem.id")  # what DONE ticked
    outcome: str = Field(default="", max_length=200)  # what the site did about it


# A step's wording in another language (issue 15), written by a person (entered on the admin's
# translation page or imported from `<code>.<lang>.txt`), never by a machine. Patients see it
# only once reviewed; it changes only while its version is a draft, so it publishes with it.
class StepTranslation(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("step_id", "language"),)
    id: int | None = Field(default=None, primary_key=True)
    step_id: int = Field(foreign_key="step.id")
    version_id: int = Field(foreign_key="pathwayversion.id", index=True)
    language: str = Field(max_length=10)  # a supported language other than English ("es")
    text: str
    # The translated instruction the step came from (its whole bullet), shown as the "why".
    sentence: str = ""
    source: str = Field(default="", max_length=500)  # "22868.es.txt:17", or "user:3"
    updated_at: datetime = Field(sa_type=UTCDateTime)
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reviewed_by: int | None = Field(default=None, foreign_key="user.id")


# A version's title in another language (issue 15): what the patient's page, printout and
# calendar are headed with. Written and reviewed like a StepTranslation, and frozen with it.
class TitleTranslation(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("version_id", "language"),)
    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="pathwayversion.id")
    language: str = Field(max_length=10)
    title: str
    source: str = Field(default="", max_length=500)  # "22868.es.txt:2", or "user:3"
    updated_at: datetime = Field(sa_type=UTCDateTime)
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reviewed_by: int | None = Field(default=None, foreign_key="user.id")
