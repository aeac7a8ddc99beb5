"""Staff accounts: roles, argon2 password hashes, creating and finding users, and checking a
password (tracker.auth signs them in and guards the staff pages)."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from tracker.errors import AccountError
from tracker.models import User

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

_hasher = PasswordHasher()


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
        raise AccountError("email", "%(email)s is not an email address", email=repr(email))
    if role not in ROLES:
        raise AccountError(
            "role",
            "unknown role %(role)s (choose %(roles)s)",
            role=repr(role),
            roles=" or ".join(ROLES),
        )
    if len(name) > MAX_NAME_LENGTH:
        raise AccountError("name", "names are at most %(max)s characters", max=MAX_NAME_LENGTH)
    if password is None:
        password = secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
    elif not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise AccountError(
            "password",
            "passwords need %(min)s to %(max)s characters",
            min=MIN_PASSWORD_LENGTH,
            max=MAX_PASSWORD_LENGTH,
        )
    if find_user(session=session, email=email) is not None:
        raise AccountError("email", "%(email)s already has an account", email=email)
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
        raise AccountError("email", "%(email)s already has an account", email=email) from error
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
