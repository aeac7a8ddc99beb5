"""Sign in and sign out. Failed attempts are limited (tracker.web.sign_in_limits) so that
guessing is slow but nobody else can lock a nurse out of their usual device."""

from __future__ import annotations

from http import HTTPStatus

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from werkzeug.wrappers import Response

from tracker import accounts, auth
from tracker.db import get_session
from tracker.i18n import N_
from tracker.web import sign_in_limits
from tracker.web.forms import SignInForm

bp = Blueprint("auth", __name__, url_prefix="/auth")

# Only failed attempts count, so a ward of nurses behind one address can all sign in at
# shift change.
RETRY_AFTER_SECONDS = 60
WRONG_CREDENTIALS = N_("Wrong email or password.")
TOO_MANY_ATTEMPTS = N_("Too many sign-in attempts. Wait a minute and try again.")


def _landing() -> str:
    """The nurse dashboard once it exists, else the pathway library."""
    endpoint = "nurse.dashboard" if "nurse.dashboard" in current_app.view_functions else None
    return url_for(endpoint or "library.index")


def _page(form: SignInForm, status: int, error: str | None = None) -> tuple[str, int]:
    next_path = auth.safe_next(request.args.get("next"))
    html = render_template("auth/sign_in.html", form=form, error=error, next_path=next_path)
    return html, status


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> ResponseReturnValue:
    if auth.current_staff() is not None:
        return redirect(auth.safe_next(request.args.get("next")) or _landing())
    form = SignInForm()
    if not form.validate_on_submit():
        return _page(form, HTTPStatus.BAD_REQUEST if form.is_submitted() else HTTPStatus.OK)
    held = sign_in_limits.reserve(form.email.data)
    if held is None:
        return _too_many_attempts()
    session = get_session()
    user = accounts.authenticate(
        session=session, email=form.email.data, password=form.password.data
    )
    if user is None:
        return _page(form, HTTPStatus.UNAUTHORIZED, gettext(WRONG_CREDENTIALS))
    session.commit()  # keeps a password hash that authenticate upgraded
    sign_in_limits.refund(held)
    auth.sign_in_user(user=user)
    response = redirect(auth.safe_next(request.args.get("next")) or _landing())
    sign_in_limits.remember_device(response, form.email.data)
    return response


@bp.post("/sign-out")
def sign_out() -> Response:
    auth.sign_out_user()
    flash(gettext("You are signed out."), "info")
    return redirect(url_for("auth.sign_in"))


def _too_many_attempts() -> ResponseReturnValue:
    """The sign-in form again (keeping the email), with the reason and when to retry."""
    html, status = _page(SignInForm(), HTTPStatus.TOO_MANY_REQUESTS, gettext(TOO_MANY_ATTEMPTS))
    return html, status, {"Retry-After": str(RETRY_AFTER_SECONDS)}
