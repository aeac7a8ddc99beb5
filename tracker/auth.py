"""Staff accounts: argon2 password hashes, sign-in sessions (Flask-Login) and role checks."""

# Flask-Login ships no type information; everything it hands out is wrapped in typed helpers.
# mypy: disable-error-code="import-untyped"

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache, wraps
from typing import ParamSpec, TypeVar
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Blueprint, Flask, abort, flash, redirect, request, session, url_for
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_login import login_required as login_required  # re-exported for views
from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from werkzeug.wrappers import Response

from tracker.db import get_session
from tracker.errors import AccountError
from tracker.models import User

P = ParamSpec("P")
R = TypeVar("R")

NURSE = "nurse"
ADMIN = "admin"
ROLES = (NURSE, ADMIN)
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # argon2 copes with more; this only bounds the work per request
MAX_EMAIL_LENGTH = 254
MAX_NAME_LENGTH = 200
GENERATED_PASSWORD_BYTES = 12  # 16 URL-safe characters, 96 bits
EMAIL_PATTERN = re.compile(r"[^@\s\x00-\x1f]+@[^@\s\x00-\x1f.]+(\.[^@\s\x00-\x1f.]+)+")
DEMO_PASSWORD = "demo-password"
DEMO_STAFF = (
    ("admin@example.org", ADMIN, "Demo Admin"),
    ("nurse@example.org", NURSE, "Demo Nurse"),
)
SIGN_IN_MESSAGE = "Please sign in to see that page."
MAX_ID = 2**31 - 1

_hasher = PasswordHasher()
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


def hash_password(password: str) -> str:
    """An argon2id hash with argon2-cffi's current default parameters."""
    return _hasher.hash(password)


def verify_password(*, password_hash: str, password: str) -> bool:
    """Whether `password` matches; a malformed hash is simply no match."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(GENERATED_PASSWORD_BYTES))


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user(*, session: Session, email: str) -> User | None:
    """The user with this email, compared without case."""
    statement = select(User).where(func.lower(User.email) == normalize_email(email))
    return session.exec(statement).first()


def list_users(*, session: Session) -> list[User]:
    """Every staff account, oldest first."""
    return list(session.exec(select(User).order_by(col(User.id))))


def create_user(
    *,
    session: Session,
    email: str,
    role: str,
    name: str = "",
    password: str | None = None,
    now: datetime,
) -> tuple[User, str]:
    """A new staff account and its password (generated when none is given); caller commits."""
    email = normalize_email(email)
    name = name.strip()
    if len(email) > MAX_EMAIL_LENGTH or not EMAIL_PATTERN.fullmatch(email):
        raise AccountError("email", f"{email!r} is not an email address")
    if role not in ROLES:
        raise AccountError("role", f"unknown role {role!r} (choose {' or '.join(ROLES)})")
    if len(name) > MAX_NAME_LENGTH:
        raise AccountError("name", f"names are at most {MAX_NAME_LENGTH} characters")
    if password is None:
        password = secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
    elif not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise AccountError(
            "password",
            f"passwords need {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters",
        )
    if find_user(session=session, email=email) is not None:
        raise AccountError("email", f"{email} already has an account")
    user = User(
        email=email,
        name=name,
        role=role,
        password_hash=hash_password(password),
        active=True,
        created_at=now,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError as error:  # created by someone else since the check above
        session.rollback()
        raise AccountError("email", f"{email} already has an account") from error
    return user, password


def authenticate(*, session: Session, email: str, password: str) -> User | None:
    """The active user these credentials belong to, else None; upgrades an outdated hash."""
    user = find_user(session=session, email=email)
    if user is None:
        # Spend the same time as for a real account, so timing does not reveal which exist.
        verify_password(password_hash=_dummy_hash(), password=password)
        return None
    if not verify_password(password_hash=user.password_hash, password=password):
        return None
    if not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
        session.flush()
    return user


def ensure_demo_users(*, session: Session, now: datetime) -> list[User]:
    """A demo admin and nurse, only when no account exists yet; returns those created."""
    if session.exec(select(User.id).limit(1)).first() is not None:
        return []
    return [
        create_user(
            session=session, email=email, role=role, name=name, password=DEMO_PASSWORD, now=now
        )[0]
        for email, role, name in DEMO_STAFF
    ]


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
