"""Patients' personal links: issue, revoke, and open one by its token.

A token is 256 random bits (`secrets.token_urlsafe(32)`); only its SHA-256 is stored, so a
copy of the database opens no checklist. A link lasts for the enrollment's life (its last
item's expiry or deadline, or the procedure's end) plus `GRACE`; issuing a new one revokes the
old. Service functions never commit: the caller's transaction does.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple
from xml.etree import ElementTree

import qrcode  # type: ignore[import-untyped]
from markupsafe import Markup
from qrcode.image.svg import SvgPathImage  # type: ignore[import-untyped]
from sqlalchemy import Connection, bindparam, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from tracker import audit, localtime
from tracker.db import connection_of, orm_session
from tracker.errors import InvalidInput, LinkGone, LinkNotFound, Word
from tracker.models import ChecklistItem, Enrollment, Patient, PatientLink, Step
from tracker.reading.timing import Recurrence

TOKEN_BYTES = 32
GRACE = timedelta(days=30)  # a link keeps working this long after the last item
# token_urlsafe(32) is 43 characters; anything else is refused before touching the database.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")
LINK_FIELDS = ("enrollment_id", "expires_at", "revoked_at")
SVG_NAMESPACE = "http://www.w3.org/2000/svg"


# What a patient's request reads about its link, enrollment and patient, in one Core query.
class LinkRecord(NamedTuple):
    id: int
    expires_at: datetime
    revoked_at: datetime | None


class EnrollmentRecord(NamedTuple):
    id: int
    patient_id: int
    version_id: int
    timezone: str
    procedure_start: datetime
    procedure_end: datetime
    state: str
    updated_at: datetime


class PatientRecord(NamedTuple):
    id: int
    name: str
    language: str
    birth_date: date | None


@dataclass(frozen=True)
class LinkAccess:
    """What an opened link grants: one enrollment of one patient."""

    link: LinkRecord
    enrollment: EnrollmentRecord
    patient: PatientRecord

    @property
    def actor(self) -> str:
        """How items and audit rows name the patient acting through this link."""
        return actor_for(self.link)


def actor_for(link: PatientLink | LinkRecord) -> str:
    return f"link:{link.id}"


def form_token(secret: str, link_id: int, purpose: str) -> str:
    """The anti-forgery token of one link's forms ("items" or "dob"): an HMAC of the link and
    the purpose, so the patient's pages need no session cookie. A forged form must carry it,
    and only pages served through the link show it; the "items" token appears only after the
    date of birth is confirmed, so knowing the link alone does not reveal it."""
    message = f"patient-form:{purpose}:{link_id}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """The stored form of a token: SHA-256, hex (a 256-bit token needs no salt or stretching)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def expiry_for(session: Session, enrollment: Enrollment) -> datetime:
    """When a link to this enrollment should stop working, from the current rows."""
    latest = enrollment.procedure_end
    closing = func.max(func.coalesce(ChecklistItem.expires_at, ChecklistItem.due_at))
    query = select(closing).where(
        ChecklistItem.enrollment_id == enrollment.id, ChecklistItem.status != "cancelled"
    )
    raw = session.exec(query).one()
    if raw is not None:
        latest = max(latest, _aware(raw))
    latest = max([latest, *_recurrence_ends(session, enrollment)])
    if enrollment.state != "active":  # a finished plan is over when it was finished
        latest = min(latest, enrollment.updated_at)
    return latest + GRACE


def _aware(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _recurrence_ends(session: Session, enrollment: Enrollment) -> list[datetime]:
    """Where recurring steps end: occurrences past the horizon do not exist as rows yet."""
    patient = session.get(Patient, enrollment.patient_id)
    steps = session.exec(
        select(Step.id, Step.recurrence).where(
            Step.version_id == enrollment.version_id, col(Step.recurrence).is_not(None)
        )
    ).all()
    ends = []
    tz = localtime.zone(enrollment.timezone)
    for step_id, recurrence in steps:
        if step_id in enrollment.dropped_steps or not recurrence:
            continue
        until = Recurrence.from_dict(recurrence).until
        ends.append(
            localtime.resolve(
                until,
                start=enrollment.procedure_start,
                end=enrollment.procedure_end,
                tz=tz,
                reminder_hour=patient.reminder_hour if patient else 9,
            )
        )
    return ends


def active_links(session: Session, enrollment_id: int, now: datetime) -> list[PatientLink]:
    """The enrollment's links that are neither revoked nor expired, newest first."""
    query = select(PatientLink).where(
        PatientLink.enrollment_id == enrollment_id,
        col(PatientLink.revoked_at).is_(None),
        PatientLink.expires_at > now,
    )
    return list(session.exec(query.order_by(col(PatientLink.id).desc())))


def latest_link(session: Session, enrollment_id: int) -> PatientLink | None:
    """The enrollment's most recently issued link, whatever its state."""
    query = select(PatientLink).where(PatientLink.enrollment_id == enrollment_id)
    return session.exec(query.order_by(col(PatientLink.id).desc()).limit(1)).first()


def issue_link(
    *, session: Session, enrollment: Enrollment, now: datetime, actor: str
) -> tuple[PatientLink, str]:
    """A new link for `enrollment` (revoking any still working) and its token, shown once."""
    if enrollment.state != "active":
        raise InvalidInput(
            "enrollment",
            "the enrollment is %(state)s: no new links",
            state=Word(enrollment.state),
        )
    assert enrollment.id is not None
    replaced = revoke_links(session=session, enrollment=enrollment, now=now, actor=actor)
    token = new_token()
    link = PatientLink(
        enrollment_id=enrollment.id,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=expiry_for(session, enrollment),
    )
    session.add(link)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="link.issue",
        subject=link,
        before=None,
        after=audit.snapshot(link, LINK_FIELDS) | {"replaces": [r.id for r in replaced]},
        patient_id=enrollment.patient_id,
        now=now,
    )
    return link, token


def revoke_links(
    *, session: Session, enrollment: Enrollment, now: datetime, actor: str
) -> list[PatientLink]:
    """Revoke every working link of `enrollment`; returns those revoked."""
    assert enrollment.id is not None
    links = active_links(session, enrollment.id, now)
    for link in links:
        revoke_link(
            session=session, link=link, now=now, actor=actor, patient_id=enrollment.patient_id
        )
    return links


def revoke_link(
    *, session: Session, link: PatientLink, now: datetime, actor: str, patient_id: int | None
) -> PatientLink:
    """Stop one link working at once (kept, never deleted); revoking twice changes nothing."""
    if link.revoked_at is not None:
        return link
    before = audit.snapshot(link, ("revoked_at",))
    link.revoked_at = now
    session.add(link)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="link.revoke",
        subject=link,
        before=before,
        after=audit.snapshot(link, ("revoked_at",)),
        patient_id=patient_id,
        now=now,
    )
    return link


# Built once: it runs on every patient request. Columns are labelled after the records'
# fields, so the row is read by name.
_BY_HASH = (
    sa_select(
        col(PatientLink.id).label("link_id"),
        col(PatientLink.expires_at).label("link_expires_at"),
        col(PatientLink.revoked_at),
        col(Enrollment.id).label("enrollment_id"),
        col(Enrollment.patient_id),
        col(Enrollment.version_id),
        col(Enrollment.timezone),
        col(Enrollment.procedure_start),
        col(Enrollment.procedure_end),
        col(Enrollment.state),
        col(Enrollment.updated_at),
        col(Patient.name),
        col(Patient.language),
        col(Patient.birth_date),
    )
    .join_from(PatientLink, Enrollment, col(Enrollment.id) == PatientLink.enrollment_id)
    .join(Patient, col(Patient.id) == Enrollment.patient_id)
    .where(col(PatientLink.token_hash) == bindparam("token_hash"))
)


def open_link(*, db: Session | Connection, token: str, now: datetime) -> LinkAccess:
    """The enrollment a token grants; LinkNotFound or LinkGone otherwise. `db` is a session, or
    a plain connection for requests that only read."""
    if not isinstance(token, str) or not TOKEN_SHAPE.fullmatch(token):
        raise LinkNotFound("malformed token")
    row = connection_of(db).execute(_BY_HASH, {"token_hash": hash_token(token)}).first()
    if row is None:
        raise LinkNotFound("unknown token")
    link = LinkRecord(id=row.link_id, expires_at=row.link_expires_at, revoked_at=row.revoked_at)
    enrollment = EnrollmentRecord(
        id=row.enrollment_id,
        patient_id=row.patient_id,
        version_id=row.version_id,
        timezone=row.timezone,
        procedure_start=row.procedure_start,
        procedure_end=row.procedure_end,
        state=row.state,
        updated_at=row.updated_at,
    )
    patient = PatientRecord(
        id=row.patient_id,
        name=row.name,
        language=row.language,
        birth_date=row.birth_date,
    )
    if link.revoked_at is not None:
        raise LinkGone("revoked")
    if (link.expires_at <= now or enrollment.state != "active") and _expiry(
        db, enrollment.id
    ) <= now:
        # The stored expiry was right when issued; a later reschedule may have moved the plan
        # on, and a finished plan ends sooner, so the plan as it is now decides.
        raise LinkGone("expired")
    return LinkAccess(link, enrollment, patient)


def _expiry(db: Session | Connection, enrollment_id: int) -> datetime:
    with orm_session(db) as session:
        enrollment = session.get(Enrollment, enrollment_id)
        assert enrollment is not None, enrollment_id
        return expiry_for(session, enrollment)


@lru_cache(maxsize=256)  # links are printed again and again; see the docstring
def qr_svg(url: str, *, label: str) -> Markup:
    """The URL as an inline SVG QR code (pure Python, no image library), labelled for screen
    readers; safe to embed: it is built here from the URL, not from user input. Cached: the
    printed plan measured 11 ms of CPU per view drawing its code, 3.3 ms with it cached."""
    image = qrcode.make(url, image_factory=SvgPathImage, border=2)
    root = ElementTree.fromstring(image.to_string())
    for element in root.iter():
        # Plain <svg>/<path> tags: HTML draws no "svg:"-prefixed elements, and ElementTree's
        # prefix registry is global (qrcode rewrites it for every image).
        element.tag = element.tag.rpartition("}")[2]
        element.attrib.pop("id", None)  # several codes on one page must not repeat an id
    for name in ("width", "height"):
        root.attrib.pop(name, None)
    root.set("xmlns", SVG_NAMESPACE)
    root.set("class", "qr")
    root.set("role", "img")
    root.set("aria-label", label)
    return Markup(ElementTree.tostring(root, encoding="unicode"))
