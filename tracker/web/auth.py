"""Sign in and sign out. Attempts are rate-limited per client address and per email."""

from __future__ import annotations

from http import HTTPStatus

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_limiter import RateLimitExceeded
from werkzeug.wrappers import Response

from tracker import auth
from tracker.db import get_session
from tracker.web.forms import SignInForm
from tracker.web.security import limiter

bp = Blueprint("auth", __name__, url_prefix="/auth")

# Counted per client address and per submitted email; only failed attempts count, so a
# ward of nurses behind one address can all sign in at shift change.
SIGN_IN_LIMIT = "5 per minute"
RETRY_AFTER_SECONDS = 60
WRONG_CREDENTIALS = "Wrong email or password."
TOO_MANY_ATTEMPTS = "Too many sign-in attempts. Wait a minute and try again."


def _submitted_email() -> str:
    return "sign-in-email:" + auth.normalize_email(request.form.get("email", ""))


def _failed(response: Response) -> bool:
    return response.status_code == HTTPStatus.UNAUTHORIZED


def _landing() -> str:
    """The nurse dashboard once it exists, else the pathway library."""
    endpoint = "nurse.dashboard" if "nurse.dashboard" in current_app.view_functions else None
    return url_for(endpoint or "library.index")


def _page(form: SignInForm, status: int, error: str | None = None) -> tuple[str, int]:
    next_path = auth.safe_next(request.args.get("next"))
    html = render_template("auth/sign_in.html", form=form, error=error, next_path=next_path)
    return html, status


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(SIGN_IN_LIMIT, methods=["POST"], deduct_when=_failed)
@limiter.limit(SIGN_IN_LIMIT, methods=["POST"], key_func=_submitted_email, deduct_when=_failed)
def sign_in() -> ResponseReturnValue:
    if auth.current_staff() is not None:
        return redirect(auth.safe_next(request.args.get("next")) or _landing())
    form = SignInForm()
    if not form.validate_on_submit():
        return _page(form, HTTPStatus.BAD_REQUEST if form.is_submitted() else HTTPStatus.OK)
    session = get_session()
    user = auth.authenticate(session=session, email=form.email.data, password=form.password.data)
    if user is None:
        return _page(form, HTTPStatus.UNAUTHORIZED, WRONG_CREDENTIALS)
    session.commit()  # keeps a password hash that authenticate upgraded
    auth.sign_in_user(user=user)
    return redirect(auth.safe_next(request.args.get("next")) or _landing())


@bp.post("/sign-out")
def sign_out() -> Response:
    auth.sign_out_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.sign_in"))


@bp.errorhandler(RateLimitExceeded)
def _too_many_attempts(_error: RateLimitExceeded) -> ResponseReturnValue:
    """The sign-in form again (keeping the email), with the reason and when to retry."""
    html, status = _page(SignInForm(), HTTPStatus.TOO_MANY_REQUESTS, TOO_MANY_ATTEMPTS)
    return html, status, {"Retry-After": str(RETRY_AFTER_SECONDS)}
