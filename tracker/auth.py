"""Staff sign-in: sessions (Flask-Login), server-side sign-out and role checks on pages.

The accounts themselves (roles, passwords, creating users) are in tracker.accounts."""

# Flask-Login ships no type information; everything it hands out is wrapped in typed helpers.
# mypy: disable-error-code="import-untyped"

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import ParamSpec, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, flash, redirect, request, session, url_for
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_login import login_required as login_required  # re-exported for views
from sqlalchemy import update
from sqlmodel import Session, col
from werkzeug.wrappers import Response

from tracker.accounts import ADMIN, ROLES
from tracker.db import get_session
from tracker.models import User

P = ParamSpec("P")
R = TypeVar("R")

SIGN_IN_MESSAGE = "Please sign in to see that page."
MAX_ID = 2**31 - 1

# "strong": a session cookie replayed from another address or browser is dropped at once.
# We issue no remember-me cookies, so "basic" (which only marks sessions non-fresh) would
# protect nothing; the price is signing in again when a nurse's address changes.
login_manager = LoginManager()
login_manager.session_protection = "strong"


@dataclass(frozen=True)
class Staff:
    """The signed-in user as Flask-Login's `current_user`: a snapshot, not a database row."""

    id: int
    email: str
    name: str
    role: str
    active: bool
    session_version: int = 0

    @classmethod
    def of(cls, user: User) -> Staff:
        assert user.id is not None, "only stored users can sign in"
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            role=user.role,
            active=user.active,
            session_version=user.session_version,
        )

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    @property
    def display_name(self) -> str:
        return self.name or self.email

    @property
    def actor(self) -> str:
        """How audit rows and checklist items name this user ("user:3")."""
        return f"user:{self.id}"

    def get_id(self) -> str:
        """What the session cookie keeps: the id and the session version ("3.0")."""
        return f"{self.id}.{self.session_version}"


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    # Browsers read "\" as "/" and drop tabs and newlines, so "/\evil" would leave the site.
    if any(char == "\\" or ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


def current_staff() -> Staff | None:
    """The signed-in user, or None."""
    user = current_user._get_current_object()
    return user if isinstance(user, Staff) else None


def staff_actor() -> str:
    """How audit rows name the signed-in staff member ("user:<id>"); only for views behind
    staff_required."""
    staff = current_staff()
    assert staff is not None  # the staff blueprints let only signed-in staff through
    return staff.actor


def sign_in_user(*, user: User) -> None:
    """Start a fresh session for `user` (nothing from the signed-out session carries over)."""
    session.clear()
    login_user(Staff.of(user))


def end_sessions(*, session: Session, user_id: int) -> None:
    """Make every session cookie issued to the user so far useless; caller commits."""
    session.exec(
        update(User)
        .where(col(User.id) == user_id)
        .values(session_version=col(User.session_version) + 1)
    )


def sign_out_user() -> None:
    """End the session here and on the server: a copy of the cookie no longer signs anyone in
    (nor any other session of the same user)."""
    staff = current_staff()
    if staff is not None:
        db = get_session()
        end_sessions(session=db, user_id=staff.id)
        db.commit()
    logout_user()
    session.clear()


def _redirect_to_sign_in() -> Response:
    flash(SIGN_IN_MESSAGE, "info")
    target = request.full_path if request.query_string else request.path
    return redirect(url_for("auth.sign_in", next=target))


def _require(allowed: Callable[[Staff], bool]) -> None:
    """Send the signed-out to the sign-in page; refuse (403) a signed-in user without the role."""
    staff = current_staff()
    if staff is None:
        abort(_redirect_to_sign_in())
    if not allowed(staff):
        abort(403)


def _is_staff(staff: Staff) -> bool:
    return staff.role in ROLES


def _is_admin(staff: Staff) -> bool:
    return staff.is_admin


def staff_required(view: Callable[P, R]) -> Callable[P, R]:
    """The view needs a signed-in nurse or admin."""

    @wraps(view)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        _require(_is_staff)
        return view(*args, **kwargs)

    return guarded


def admin_required(view: Callable[P, R]) -> Callable[P, R]:
    """The view needs a signed-in admin; anyone else signed in gets 403."""

    @wraps(view)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        _require(_is_admin)
        return view(*args, **kwargs)

    return guarded


def require_staff_for_blueprint(bp: Blueprint) -> None:
    """Every route of `bp` needs a signed-in nurse or admin."""
    bp.before_request(_require_staff)


def require_admin_for_blueprint(bp: Blueprint) -> None:
    """Every route of `bp` needs a signed-in admin."""
    bp.before_request(_require_admin)


def _require_staff() -> None:
    _require(_is_staff)


def _require_admin() -> None:
    _require(_is_admin)


def _load_user(session_id: str) -> Staff | None:
    """The session's user, re-read each request so a deactivated account, or a session ended
    by sign-out, is out at once."""
    user_id, _, version = session_id.partition(".")
    try:
        user = get_session().get(User, int(user_id)) if int(user_id) <= MAX_ID else None
        issued = int(version)
    except ValueError:
        return None
    if user is None or not user.active or user.session_version != issued:
        return None
    return Staff.of(user)


def _current_user_context() -> dict[str, object]:
    return {"current_user": current_user}


def init_app(app: Flask) -> None:
    """Sign-in sessions: user loader, where to send the signed-out, `current_user` in templates."""
    # `current_user` in templates is the lazy proxy: pages that never show it (the patients'
    # pages) load no user and run no session-protection check on every render.
    login_manager.init_app(app, add_context_processor=False)
    app.context_processor(_current_user_context)
    login_manager.user_loader(_load_user)
    login_manager.unauthorized_handler(_redirect_to_sign_in)
