"""The pathway settings form on the admin review page: shown with the stored values, saved
and audited when valid, refused beside the field when not, CSRF-checked, admins only."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from tests.auth_helpers import csrf_token, sign_in_as
from tracker.clock import utcnow
from tracker.db import get_engine, session_scope
from tracker.library import pathways
from tracker.models import AuditEvent, Pathway
from tracker.reading.documents import read_document


@pytest.fixture
def slug(app: Flask, seed_path: Path) -> str:
    """The seed document imported as draft v1."""
    with session_scope(get_engine(app)) as session:
        result = pathways.import_document(
            session=session, document=read_document(seed_path), now=utcnow()
        )
    return result.slug


@pytest.fixture
def admin(client: FlaskClient, app: Flask) -> FlaskClient:
    sign_in_as(client, app, "admin")
    return client


def _stored(app: Flask) -> tuple[int, int, int]:
    """(arrival minutes, stay nights, audit rows)."""
    with session_scope(get_engine(app)) as session:
        pathway = session.exec(select(Pathway)).one()
        audited = len(session.exec(select(AuditEvent)).all())
        return pathway.arrival_minutes, pathway.stay_days, audited


def _page(slug: str) -> str:
    return f"/admin/pathways/{slug}/v1"


def test_the_review_page_shows_the_settings_and_what_they_apply_to(
    admin: FlaskClient, slug: str
) -> None:
    html = admin.get(_page(slug)).get_data(as_text=True)
    assert 'id="arrival_minutes"' in html and 'value="60"' in html
    assert 'id="stay_days"' in html and 'value="0"' in html
    assert "versions already read" in html and f"/admin/pathways/{slug}/v1/settings" in html


def test_valid_settings_are_saved_and_audited(admin: FlaskClient, app: Flask, slug: str) -> None:
    token = csrf_token(admin.get(_page(slug)).get_data(as_text=True))
    data = {"csrf_token": token, "arrival_minutes": "90", "stay_days": "2"}
    response = admin.post(f"{_page(slug)}/settings", data=data)
    assert response.status_code == 303
    assert response.headers["Location"] == f"{_page(slug)}#settings"
    assert _stored(app) == (90, 2, 1)
    html = admin.get(_page(slug)).get_data(as_text=True)
    assert "Settings saved" in html and 'value="90"' in html and 'value="2"' in html
    again = admin.post(f"{_page(slug)}/settings", data=data)
    assert again.status_code == 303 and _stored(app) == (90, 2, 1)  # unchanged: no new row
    assert admin.post("/admin/pathways/nope/v1/settings", data=data).status_code == 404


@pytest.mark.parametrize(
    ("arrival", "stay", "field"),
    [("90", "-1", "stay_days"), ("1441", "0", "arrival_minutes"), ("soon", "0", "arrival_minutes"),
     ("90", "", "stay_days"), ("90", "99999999999999999999999", "stay_days")],
)  # fmt: skip
def test_invalid_settings_are_refused_beside_the_field_and_nothing_changes(
    admin: FlaskClient, app: Flask, slug: str, arrival: str, stay: str, field: str
) -> None:
    token = csrf_token(admin.get(_page(slug)).get_data(as_text=True))
    data = {"csrf_token": token, "arrival_minutes": arrival, "stay_days": stay}
    response = admin.post(f"{_page(slug)}/settings", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'<p class="field-error" id="{field}-error">' in html
    assert f'aria-describedby="{field}-error"' in html
    assert _stored(app) == (60, 0, 0)


def test_a_post_without_a_valid_csrf_token_changes_nothing(
    admin: FlaskClient, app: Flask, slug: str
) -> None:
    values = {"arrival_minutes": "90", "stay_days": "2"}
    assert admin.post(f"{_page(slug)}/settings", data=values).status_code == 400
    stale = {"csrf_token": "stale", **values}
    assert admin.post(f"{_page(slug)}/settings", data=stale).status_code == 400
    assert _stored(app) == (60, 0, 0)


def test_only_admins_change_settings(client: FlaskClient, app: Flask, slug: str) -> None:
    sign_in_as(client, app, "nurse")
    token = csrf_token(client.get("/nurse/").get_data(as_text=True))
    data = {"csrf_token": token, "arrival_minutes": "90", "stay_days": "2"}
    assert client.post(f"{_page(slug)}/settings", data=data).status_code == 403
    assert _stored(app) == (60, 0, 0)
