"""Helpers for tests of signed-in pages: `from tests.auth_helpers import create_staff, sign_in`."""

from __future__ import annotations

import re
import uuid

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tracker.accounts import create_user
from tracker.clock import utcnow
from tracker.db import get_engine, session_scope
from tracker.models import User

PASSWORD = "correct horse battery"
CSRF_FIELD = re.compile(
    r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"'
)


def create_staff(
    app: Flask,
    role: str = "nurse",
    *,
    email: str | None = None,
    password: str = PASSWORD,
    name: str = "",
    active: bool = True,
) -> tuple[str, str]:
    """A stored staff account; returns (email, password)."""
    email = email or f"{role}-{uuid.uuid4().hex[:8]}@example.org"
    with session_scope(get_engine(app)) as session:
        user, _ = create_user(
            session=session, email=email, role=role, name=name, password=password, now=utcnow()
        )
        if not active:
            user.active = False
    return email, password


def get_user(app: Flask, email: str) -> User:
    """The stored row for `email` (for asserting on hashes, roles, flags)."""
    from tracker.accounts import find_user

    with session_scope(get_engine(app)) as session:
        user = find_user(session=session, email=email)
        assert user is not None, email
        return user


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page (every signed-in page has the sign-out form)."""
    match = CSRF_FIELD.search(html)
    assert match, "no csrf_token field on the page"
    return match.group(1) or match.group(2)


def sign_in(
    client: FlaskClient, email: str, password: str, *, next_path: str | None = None
) -> TestResponse:
    """Fetch the sign-in form, post it with its CSRF token; returns the (unfollowed) response."""
    query = {"next": next_path} if next_path else {}
    page = client.get("/auth/sign-in", query_string=query)
    token = csrf_token(page.get_data(as_text=True))
    return client.post(
        "/auth/sign-in",
        query_string=query,
        data={"email": email, "password": password, "csrf_token": token},
    )


def sign_in_as(client: FlaskClient, app: Flask, role: str = "nurse") -> str:
    """Create a user with `role` and sign `client` in as them; returns the email."""
    email, password = create_staff(app, role)
    response = sign_in(client, email, password)
    assert response.status_code == 302, response.get_data(as_text=True)
    return email
