"""Nurses issue, revoke and print patients' personal links (staff only).

Only a token's hash is stored, so the link itself can be shown only when it is made: the
answer to "make a link" is the printable sheet itself, carrying the token once. It is kept
nowhere else, in no cookie and no cache (the page is no-store); a lost sheet means a new link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from markupsafe import Markup

from tracker import auth, i18n
from tracker.clock import utcnow
from tracker.db import get_session
from tracker.errors import InvalidInput
from tracker.i18n import N_
from tracker.models import Enrollment, Patient, PatientLink
from tracker.patient.links import issue_link, latest_link, qr_svg, revoke_links
from tracker.patient.text import words_for
from tracker.workspace.wording import local_text

bp = Blueprint("links", __name__, url_prefix="/nurse/links")
auth.require_staff_for_blueprint(bp)

# The email and the printed part of the sheet go to the patient, so they are worded in the
# patient's language, not the nurse's; the sheet's on-screen notes stay the nurse's.
SHEET_TEXT = {
    "heading": N_("Your care plan checklist"),
    "procedure": N_("procedure %(when)s"),
    "scan": N_("Scan this code with your phone's camera to open your checklist."),
    "address": N_("Or type this address into your phone or computer:"),
    "private": N_(
        "This link is personal: please keep it private. It works until %(when)s. "
        "If you lose it, contact your care team for a new one."
    ),
}
MAIL_SUBJECT = N_("Your care plan")
MAIL_BODY = N_(
    "Hello %(name)s,\n\nThis is your personal link to your care plan checklist:\n%(url)s\n\n"
    "Please keep it private. It works until %(expires)s.\n"
)


@dataclass(frozen=True)
class Panel:
    """What the nurse's patient page shows about the current enrollment's link."""

    enrollment_id: int
    state: str  # none | active | revoked | expired
    link_id: int | None
    created: str
    expires: str
    can_issue: bool


def _enrollment_or_404(enrollment_id: int) -> Enrollment:
    row = get_session().get(Enrollment, enrollment_id)
    if row is None:
        abort(HTTPStatus.NOT_FOUND)
    return row


def _state(link: PatientLink | None, now: datetime) -> str:
    if link is None:
        return "none"
    if link.revoked_at is not None:
        return "revoked"
    return "active" if link.expires_at > now else "expired"


@bp.app_template_global("patient_link_panel")
def panel(enrollment: Enrollment) -> Panel:
    """The link panel of the nurse's patient page (one indexed query)."""
    assert enrollment.id is not None
    now = utcnow()
    link = latest_link(get_session(), enrollment.id)
    state = _state(link, now)
    zone = ZoneInfo(enrollment.timezone)
    return Panel(
        enrollment_id=enrollment.id,
        state=state,
        link_id=link.id if link else None,
        created=local_text(link.created_at, zone) if link else "",
        expires=local_text(link.expires_at, zone) if link else "",
        can_issue=enrollment.state == "active",
    )


def _patient_page(enrollment: Enrollment) -> str:
    return url_for("nurse.patient", patient_id=enrollment.patient_id, enrollment=enrollment.id)


@bp.post("/enrollments/<int:enrollment_id>/issue")
def issue(enrollment_id: int) -> ResponseReturnValue:
    """Make a new link (the previous one stops working) and answer with its printable sheet,
    the one time the token is shown."""
    db = get_session()
    enrollment = _enrollment_or_404(enrollment_id)
    try:
        link, token = issue_link(
            session=db, enrollment=enrollment, now=utcnow(), actor=auth.staff_actor()
        )
    except InvalidInput as error:
        db.rollback()
        flash(gettext("No link made: %(reason)s.", reason=error.translated), "error")
        return redirect(_patient_page(enrollment), HTTPStatus.SEE_OTHER)
    db.commit()
    return _sheet(link, token=token)


@bp.post("/enrollments/<int:enrollment_id>/revoke")
def revoke(enrollment_id: int) -> ResponseReturnValue:
    db = get_session()
    enrollment = _enrollment_or_404(enrollment_id)
    revoked = revoke_links(
        session=db, enrollment=enrollment, now=utcnow(), actor=auth.staff_actor()
    )
    db.commit()
    flash(
        "The personal link no longer works." if revoked else "There was no working link.", "success"
    )
    return redirect(_patient_page(enrollment), HTTPStatus.SEE_OTHER)


@bp.get("/<int:link_id>")
def sheet(link_id: int) -> ResponseReturnValue:
    """The link's sheet without the link itself (shown only once, when it was made)."""
    link = get_session().get(PatientLink, link_id)
    if link is None:
        abort(HTTPStatus.NOT_FOUND)
    return _sheet(link, token=None)


def _sheet(link: PatientLink, *, token: str | None) -> ResponseReturnValue:
    """A printable sheet with the link and its QR code when `token` is given."""
    db = get_session()
    enrollment = db.get(Enrollment, link.enrollment_id)
    assert enrollment is not None
    patient = db.get(Patient, enrollment.patient_id)
    assert patient is not None
    url, qr, mail = "", Markup(""), ""
    zone = ZoneInfo(enrollment.timezone)
    language = i18n.best(patient.language)
    words = words_for(language)
    expires = words.full_date(link.expires_at.astimezone(zone))
    procedure = words.full_date(enrollment.procedure_start.astimezone(zone))
    if token and _state(link, utcnow()) == "active":
        base = str(current_app.config["BASE_URL"]).rstrip("/")
        url = base + url_for("patient.checklist", token=token)
        qr = qr_svg(url, label=gettext("QR code of %(name)s's personal link", name=patient.name))
        body = i18n.translate(language, MAIL_BODY, name=patient.name, url=url, expires=expires)
        subject = i18n.translate(language, MAIL_SUBJECT)
        mail = f"mailto:{quote(patient.email)}?subject={quote(subject)}&body={quote(body)}"
    texts = {key: i18n.translate(language, message) for key, message in SHEET_TEXT.items()}
    texts["procedure"] = i18n.translate(language, SHEET_TEXT["procedure"], when=procedure)
    texts["private"] = i18n.translate(language, SHEET_TEXT["private"], when=expires)
    response = make_response(
        render_template(
            "links/sheet.html",
            link=link,
            enrollment=enrollment,
            patient=patient,
            sheet=texts,
            sheet_lang=language,
            sheet_dir=i18n.direction(language),
            url=url,
            qr=qr,
            mail=mail,
            back=_patient_page(enrollment),
        )
    )
    response.headers["Cache-Control"] = "no-store"  # the token must not outlive this page
    return response
