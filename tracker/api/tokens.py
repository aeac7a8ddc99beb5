"""Machine clients' bearer tokens: created (shown once), listed, revoked, checked per request.

Only a SHA-256 of the token is stored: the token is 32 random bytes, so a fast hash is enough
(no password stretching needed) and the lookup is one indexed equality.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlmodel import Session, col, select

from tracker import audit
from tracker.errors import InvalidInput
from tracker.models import ApiToken

SCOPES = ("read", "enroll", "admin")  # each includes the ones before it
PREFIX = "trk_"  # makes a leaked token easy to recognise in logs and secret scanners
MAX_NAME = 80


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def allows(granted: str, needed: str) -> bool:
    """Whether a token of scope `granted` may perform an action needing `needed`."""
    return SCOPES.index(granted) >= SCOPES.index(needed)


def create_token(
    *, session: Session, name: str, scope: str, now: datetime, actor: str
) -> tuple[ApiToken, str]:
    """A new token row and the token itself, which is never stored and shown only now."""
    name = name.strip()
    if not name or len(name) > MAX_NAME or not name.isprintable() or " " in name:
        raise InvalidInput(
            "name", "give a name of 1-%(max)s characters without spaces", max=MAX_NAME
        )
    if scope not in SCOPES:
        raise InvalidInput(
            "scope",
            "%(scope)s is not one of %(scopes)s",
            scope=repr(scope),
            scopes=", ".join(SCOPES),
        )
    if session.exec(select(ApiToken).where(ApiToken.name == name)).first() is not None:
        raise InvalidInput("name", "a token named %(name)s already exists", name=repr(name))
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name, scope=scope, token_hash=hash_token(token), created_at=now)
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="token.create",
        subject=row,
        before=None,
        after={"name": name, "scope": scope},
        patient_id=None,
        now=now,
    )
    return row, token


def list_tokens(session: Session) -> list[ApiToken]:
    """Every token, oldest first, revoked ones included."""
    return list(session.exec(select(ApiToken).order_by(col(ApiToken.id))).all())


def revoke_token(*, session: Session, name: str, now: datetime, actor: str) -> ApiToken:
    """Stop a token working at once; revoking twice changes nothing."""
    row = session.exec(select(ApiToken).where(ApiToken.name == name.strip())).first()
    if row is None:
        raise InvalidInput("name", "no token named %(name)s", name=repr(name))
    if row.revoked_at is None:
        row.revoked_at = now
        session.add(row)
        session.flush()
        audit.record(
            session=session,
            actor=actor,
            action="token.revoke",
            subject=row,
            before={"revoked_at": None},
            after=audit.snapshot(row, ("revoked_at",)),
            patient_id=None,
            now=now,
        )
    return row


class TokenRefused(Exception):
    """A request's bearer token does not allow the call: 401 (none, unknown, revoked) or 403
    (a scope too low). Each way in (the JSON API, FHIR) renders it in its own error format."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def authenticate(session: Session, header: str, scope: str) -> str:
    """The name of the working token in an `Authorization: Bearer …` header that allows
    `scope`; TokenRefused otherwise."""
    kind, _, token = header.partition(" ")
    if kind.lower() != "bearer" or not token.strip():
        raise TokenRefused(401, "send a bearer token: Authorization: Bearer <token>")
    found = find_token(session, token.strip())
    if found is None:
        raise TokenRefused(401, "the bearer token is unknown or revoked")
    name, granted = found
    if not allows(granted, scope):
        raise TokenRefused(403, f"this needs a token with scope {scope!r}; yours is {granted!r}")
    return name


def find_token(session: Session, token: str) -> tuple[str, str] | None:
    """The name and scope of the working (not revoked) token presented, if any.

    Reads two columns, not the row: it runs on every API call, and loading an ORM object
    cost as much as the query itself (bench/bench_api.py)."""
    query = select(ApiToken.name, ApiToken.scope).where(
        ApiToken.token_hash == hash_token(token), col(ApiToken.revoked_at).is_(None)
    )
    found = session.exec(query).first()
    return None if found is None else (found[0], found[1])
