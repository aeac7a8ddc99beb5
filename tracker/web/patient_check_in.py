"""The warning-signs check-in form on the patient's page ("Any of these today?").

A plain form (POST-redirect-GET, no JavaScript needed, no cookie): the page after the redirect
reads today's answer from the database and shows, for a "yes", the care team's phone and what
to do. The answer itself is tracker.patient.check_ins'.
"""

from __future__ import annotations

from http import HTTPStatus

from flask import Blueprint, abort, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from tracker.clock import utcnow
from tracker.db import get_session
from tracker.errors import InvalidInput
from tracker.patient.check_ins import record_check_in
from tracker.patient.moved_notice import dismiss_notice
from tracker.web.patient_access import open_for_form, private
from tracker.web.patient_forms import CheckInForm
from tracker.web.security import csrf

bp = Blueprint("patient_check_in", __name__, url_prefix="/p")
csrf.exempt(bp)  # link-bound form tokens (patient_access.check_form): no session


@bp.post("/<token>/check-in")
def check_in(token: str) -> BaseResponse:
    """Record today's answer; a "yes" alerts the care team."""
    access, home = open_for_form(token)
    form = CheckInForm(request.form)
    if not form.validate():
        abort(HTTPStatus.BAD_REQUEST)
    if access.enrollment.state != "active":  # stopped meanwhile: the page says so
        return private(redirect(home, HTTPStatus.SEE_OTHER))
    session = get_session()
    try:
        record_check_in(
            session=session,
            enrollment=access.enrollment,
            actor=access.actor,
            answer=str(form.answer.data),
            note=form.note.data or "",
            now=utcnow(),
        )
    except InvalidInput:  # a forged form (the page limits the note's length)
        session.rollback()
        abort(HTTPStatus.BAD_REQUEST)
    session.commit()
    return private(redirect(home + "#h-watch", HTTPStatus.SEE_OTHER))


@bp.post("/<token>/notice/dismiss")
def dismiss(token: str) -> BaseResponse:
    """The patient has read that their procedure moved: hide the notice."""
    access, home = open_for_form(token)
    session = get_session()
    dismiss_notice(
        session=session, enrollment_id=access.enrollment.id, actor=access.actor, now=utcnow()
    )
    session.commit()
    return private(redirect(home, HTTPStatus.SEE_OTHER))
