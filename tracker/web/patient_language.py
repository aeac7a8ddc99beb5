"""The language switch on the patient's page: a plain form (POST-redirect-GET, no JavaScript,
no cookie). The choice is stored on the patient, so the link remembers it and reminders
follow it (tracker.patient.language)."""

from __future__ import annotations

from http import HTTPStatus

from flask import Blueprint, abort, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from tracker.clock import utcnow
from tracker.db import get_session
from tracker.errors import InvalidInput
from tracker.patient.language import choose_language
from tracker.web.patient_access import open_for_form, private
from tracker.web.patient_forms import LanguageForm
from tracker.web.security import csrf

bp = Blueprint("patient_language", __name__, url_prefix="/p")
csrf.exempt(bp)  # link-bound form tokens (patient_access.check_form): no session


@bp.post("/<token>/language")
def language(token: str) -> BaseResponse:
    """Store the language the patient picked; the page then reads in it."""
    access, home = open_for_form(token)
    form = LanguageForm(request.form)
    if not form.validate():
        abort(HTTPStatus.BAD_REQUEST)
    session = get_session()
    try:
        choose_language(
            session=session,
            patient_id=access.patient.id,
            language=str(form.language.data),
            actor=access.actor,
            now=utcnow(),
        )
    except InvalidInput:
        session.rollback()
        abort(HTTPStatus.BAD_REQUEST)
    session.commit()
    return private(redirect(home, HTTPStatus.SEE_OTHER))
