"""API fixtures: a token of each scope and a client that sends it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session
from werkzeug.test import TestResponse

from tests.enrollment_helpers import NOW
from tracker.api.tokens import create_token


class Api:
    """A test client speaking to /api/v1 with one bearer token."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client, self.token = client, token

    def call(self, method: str, path: str, **kwargs: Any) -> TestResponse:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return self.client.open("/api/v1" + path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        return self.call("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> TestResponse:
        return self.call("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> TestResponse:
        return self.call("DELETE", path, **kwargs)


@pytest.fixture
def make_api(app: Flask, session: Session) -> Callable[..., Api]:
    """An Api with a new token of `scope` named `name`."""

    def make(scope: str = "enroll", name: str | None = None) -> Api:
        _, token = create_token(
            session=session, name=name or f"{scope}-client", scope=scope, now=NOW, actor="test"
        )
        session.commit()
        return Api(app.test_client(), token)

    return make


@pytest.fixture
def api(make_api: Callable[..., Api]) -> Api:
    return make_api("enroll", "ehr")


def assert_problem(response: TestResponse, status: int) -> dict[str, Any]:
    """The response is RFC 9457 problem+json with this status; its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json(force=True)
    assert body["status"] == status
    assert body["type"] and body["title"] and body["detail"]
    return body
