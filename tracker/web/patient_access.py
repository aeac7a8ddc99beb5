"""Opening a patient's link in a request: refusals and their limits, the date-of-birth check,
the link-bound form tokens, and the headers of personal pages.

The views in tracker.web.patient call these first; tracker.patient.links holds the
services underneath (tokens, hashes, what a link grants).
"""

from __future__ import annotations

import hmac
from http import HTTPStatus
from typing import NoReturn, TypeVar

from flask import abort, current_app, redirect, request, url_for
from sqlalchemy import Connection
from sqlmodel import Session
from werkzeug.wrappers import Response as BaseResponse

from tracker.clock import utcnow
from tracker.db import get_session
from tracker.errors import LinkGone, LinkNotFound
from tracker.patient.confirmed_devices import device_digest, is_confirmed
from tracker.patient.links import LinkAccess, form_token, open_link
from tracker.web.attempt_limits import AttemptLimit, client_address

R = TypeVar("R", bound=BaseResponse)
LINK_LIMIT = "30 per minute;300 per day"  # refused tokens (404/410) per address
DOB_LIMIT = "5 per 15 minutes"  # wrong dates of birth per link and address

# Refused tokens (404/410) and other patients' item ids count per address; wrong dates of
# birth per link and address, so someone else's guesses never lock the patient out on their
# own phone (no cookie tells that phone apart: the limit is per address). Successes cost
# nothing.
LINK_ATTEMPTS = AttemptLimit("PATIENT_LINK_LIMIT", LINK_LIMIT, "patient-link")
DOB_ATTEMPTS = AttemptLimit("PATIENT_DOB_LIMIT", DOB_LIMIT, "patient-dob", per_address=True)


def open_or_refuse(token: str, db: Connection | None = None) -> LinkAccess:
    """The link's access, or the calm page: 404 unknown, 410 revoked or expired (429 once this
    address has had too many refusals)."""
    try:
        return open_link(db=db or get_session(), token=token, now=utcnow())
    except LinkNotFound:
        refuse(HTTPStatus.NOT_FOUND)
    except LinkGone:
        refuse(HTTPStatus.GONE)


def refuse(status: int) -> NoReturn:
    """Count a refusal against the sender's address; past the limit, say only "too many".

    Only refusals are checked: a guessed 256-bit token cannot succeed by luck, so a working
    link opens even from an address someone else on the same network has been probing from.
    """
    if LINK_ATTEMPTS.reserve(client_address()) is None:  # counted at once: exact across workers
        abort(HTTPStatus.TOO_MANY_REQUESTS)
    abort(status)


def this_device() -> str:
    """The asking device's digest (address and browser, keyed with the site's secret)."""
    return device_digest(
        str(current_app.config["SECRET_KEY"]),
        client_address(),
        request.headers.get("User-Agent", "")[:512],
    )


def needs_dob(access: LinkAccess, db: Session | Connection | None = None) -> bool:
    """Whether this device still has to confirm the patient's date of birth."""
    if not current_app.config.get("PATIENT_DOB_CHECK", False) or access.patient.birth_date is None:
        return False
    return not is_confirmed(
        db or get_session(), link_id=access.link.id, device=this_device(), now=utcnow()
    )


def link_form_token(access: LinkAccess, purpose: str) -> str:
    """The token this link's forms carry for `purpose` ("items" or "dob")."""
    return form_token(str(current_app.config["SECRET_KEY"]), access.link.id, purpose)


def check_form(access: LinkAccess, purpose: str) -> None:
    """400 unless the form carries this link's token (form field, or the header fetch sends)."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRFToken") or ""
    if not hmac.compare_digest(sent.encode(), link_form_token(access, purpose).encode()):
        abort(HTTPStatus.BAD_REQUEST)


def open_for_form(token: str) -> tuple[LinkAccess, str]:
    """The access a patient's posted form acts with, and their page's address to return to.
    A device that still has to confirm the birth date is sent to the page, which asks for it;
    a form without this link's token is refused (see check_form)."""
    access = open_or_refuse(token)
    home = url_for("patient.checklist", token=token)
    if needs_dob(access):
        abort(redirect(home, HTTPStatus.SEE_OTHER))
    check_form(access, "items")
    return access, home


def private(response: R) -> R:
    """Personal pages: never cached (shared devices), never indexed."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response
