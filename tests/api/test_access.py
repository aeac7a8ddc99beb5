"""Tokens and scopes; every error under /api is problem+json, never an HTML page."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import text
from sqlmodel import Session, select

from tests.api.conftest import Api, assert_problem
from tests.enrollment_helpers import NOW
from tracker.api.tokens import hash_token, revoke_token
from tracker.models import ApiToken


def test_no_token_unknown_token_and_revoked_token_get_401(
    client: FlaskClient, make_api: Callable[..., Api], session: Session
) -> None:
    body = assert_problem(client.get("/api/v1/patients"), 401)
    assert "bearer" in body["detail"].lower()
    wrong = client.get("/api/v1/patients", headers={"Authorization": "Bearer trk_nope"})
    assert_problem(wrong, 401)
    api = make_api("read", "lab")
    assert api.get("/patients").status_code == 200
    revoke_token(session=session, name="lab", now=NOW, actor="test")
    session.commit()
    assert_problem(api.get("/patients"), 401)


def test_only_the_hash_is_stored(make_api: Callable[..., Api], session: Session) -> None:
    api = make_api("read", "hashed")
    row = session.exec(select(ApiToken).where(ApiToken.name == "hashed")).one()
    assert row.token_hash == hash_token(api.token) and api.token not in row.token_hash


def test_scopes_are_ordered(make_api: Callable[..., Api]) -> None:
    reader, enroller, admin = make_api("read"), make_api("enroll"), make_api("admin")
    new = {"mrn": "S-1", "name": "Scoped"}
    body = assert_problem(reader.post("/patients", json=new), 403)
    assert "enroll" in body["detail"]
    assert enroller.post("/patients", json=new).status_code == 201
    assert admin.post("/patients", json={"mrn": "S-2", "name": "Admin"}).status_code == 201
    assert reader.get("/patients").status_code == 200


def test_routing_errors_are_problems_and_pages_keep_html(api: Api, client: FlaskClient) -> None:
    assert_problem(api.get("/no-such-thing"), 404)
    assert_problem(api.delete("/patients"), 405)
    assert_problem(api.get("/patients/999999"), 404)
    assert_problem(api.get("/patients/99999999999"), 404)
    assert_problem(api.get("/patients//1"), 404)  # a doubled slash: not a redirect page
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page.mimetype == "text/html"


def test_openapi_document_and_page(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    assert "/patients/{patient_id}" in document["paths"]
    assert document["components"]["schemas"]["PatientIn"]["required"] == ["mrn", "name"]
    page = client.get("/api/v1/")
    assert page.status_code == 200 and b"/api/v1/enrollments/{enrollment_id}/cancel" in page.data
    assert b"<script" not in page.data


def test_an_unexpected_error_is_a_problem_too(api: Api, session: Session) -> None:
    """A real fault (a table gone from under the app) answers 500 problem+json, not HTML."""
    session.exec(text("DROP TABLE escalation"))  # type: ignore[call-overload]
    session.commit()
    body = assert_problem(api.get("/alerts"), 500)
    assert "Traceback" not in body["detail"] and "escalation" not in body["detail"]
