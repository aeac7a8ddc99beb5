"""Sessions end on the server, no patient token in any cookie, the secret key, the headers and
the trusted proxy (issue 12)."""

from __future__ import annotations

import multiprocessing
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.auth_helpers import create_staff, csrf_token, sign_in
from tests.patient_helpers import NOW, linked
from tracker import create_app
from tracker.errors import ConfigurationError
from tracker.models import Patient, User

PATIENTS = "/nurse/patients"
NEW_PATIENT = "/nurse/patients/new"
SIGN_IN = "/auth/sign-in"
WORKERS_AT_ONCE = 40


def _patient_form(token: str, mrn: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "mrn": mrn,
        "name": "Copied Cookie",
        "timezone": "America/New_York",
        "reminder_hour": "9",
        "quiet_start": "21:00",
        "quiet_end": "07:00",
        "language": "en",
    }


# --- sign-out ends the session on the server -------------------------------------------------


@pytest.mark.both_databases
def test_a_cookie_copied_before_sign_out_no_longer_works(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    email, password = create_staff(app, "nurse")
    assert sign_in(client, email, password).status_code == 302
    form_page = client.get(NEW_PATIENT).get_data(as_text=True)
    token = csrf_token(form_page)
    cookie = client.get_cookie("session")
    assert cookie is not None
    copied = app.test_client()
    copied.set_cookie("session", cookie.value)
    assert copied.get(PATIENTS).status_code == 200  # the copy works while the session lives
    response = client.post("/auth/sign-out", data={"csrf_token": token})
    assert response.status_code == 302

    listing = copied.get(PATIENTS)
    assert listing.status_code == 302 and listing.location.startswith(SIGN_IN)
    created = copied.post(NEW_PATIENT, data=_patient_form(token, "MRN-COPIED"))
    assert created.status_code == 302 and created.location.startswith(SIGN_IN)
    assert session.exec(select(Patient).where(Patient.mrn == "MRN-COPIED")).first() is None
    # The owner signs in again and works as before; the old copy stays dead.
    assert sign_in(client, email, password).status_code == 302
    assert client.get(PATIENTS).status_code == 200
    assert copied.get(PATIENTS).status_code == 302


def test_sign_out_ends_the_users_other_sessions_too(app: Flask, session: Session) -> None:
    email, password = create_staff(app, "nurse")
    desk, phone = app.test_client(), app.test_client()
    for browser in (desk, phone):
        assert sign_in(browser, email, password).status_code == 302
    token = csrf_token(desk.get(PATIENTS).get_data(as_text=True))
    desk.post("/auth/sign-out", data={"csrf_token": token})
    assert phone.get(PATIENTS).status_code == 302
    user = session.exec(select(User).where(User.email == email)).one()
    assert user.session_version == 1


def test_a_session_cookie_without_a_version_is_refused(app: Flask) -> None:
    """Cookies signed before versions existed (just an id) sign nobody in."""
    email, password = create_staff(app, "nurse")
    client = app.test_client()
    sign_in(client, email, password)
    cookie = client.get_cookie("session")
    assert cookie is not None
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    data = serializer.loads(cookie.value)
    user_id, version = data["_user_id"].split(".")
    assert version == "0"
    forged = app.test_client()
    forged.set_cookie("session", serializer.dumps({**data, "_user_id": user_id}))
    assert forged.get(PATIENTS).status_code == 302


# --- no patient token in any cookie ------------------------------------------------------------


def test_the_new_link_is_shown_once_and_kept_in_no_cookie(app: Flask, session: Session) -> None:
    # The nurse's page reads the wall clock; the link was issued at NOW (see test_patient_links).
    with time_machine.travel(NOW, tick=False):
        plan = linked(session)
        nurse = app.test_client()
        sign_in(nurse, *create_staff(app, "nurse"))
        page = nurse.get(f"/nurse/patients/{plan.enrollment.patient_id}?enrollment={plan.id}")
        response = nurse.post(
            f"/nurse/links/enrollments/{plan.id}/issue",
            data={"csrf_token": csrf_token(page.get_data(as_text=True))},
        )
        assert response.status_code == 200
        found = re.search(r"/p/([A-Za-z0-9_-]{43})", response.get_data(as_text=True))
        assert found is not None
        token = found.group(1)
        serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
        cookies = response.headers.getlist("Set-Cookie")
        assert all(token not in header for header in cookies)
        cookie = nurse.get_cookie("session")
        assert cookie is not None
        assert token not in repr(serializer.loads(cookie.value))
        again = nurse.get(f"/nurse/patients/{plan.enrollment.patient_id}?enrollment={plan.id}")
        assert token not in again.get_data(as_text=True)


# --- the secret key ------------------------------------------------------------------------------


def _start(instance: str, barrier: Any, keys: Any) -> None:
    barrier.wait()
    try:
        app = create_app({"DATABASE_URL": f"sqlite:///{instance}/t.sqlite3", "CHECK_SCHEMA": False})
        keys.put(str(app.config["SECRET_KEY"]))
    except BaseException as error:  # reported to the test, which fails on it
        keys.put(f"error: {error!r}")


def test_many_workers_starting_together_share_one_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance = tmp_path / "fresh-instance"
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(instance))
    monkeypatch.delenv("TRACKER_SECRET_KEY", raising=False)
    context = multiprocessing.get_context("fork")
    barrier, keys = context.Barrier(WORKERS_AT_ONCE), context.Queue()
    workers = [
        context.Process(target=_start, args=(str(instance), barrier, keys))
        for _ in range(WORKERS_AT_ONCE)
    ]
    for worker in workers:
        worker.start()
    seen = [keys.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert len(set(seen)) == 1, set(seen)
    key = seen[0]
    assert len(key) == 64 and not key.startswith("error")
    assert (instance / "secret_key").read_text() == key
    assert [p.name for p in instance.iterdir() if p.name.startswith(".secret_key")] == []
    assert (instance / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("key", ["", "   "])
def test_an_empty_secret_key_is_refused(make_app: Callable[..., Flask], key: str) -> None:
    with pytest.raises(ConfigurationError, match="TRACKER_SECRET_KEY is empty"):
        make_app(SECRET_KEY=key)


def test_an_empty_key_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    instance = tmp_path / "empty-key"
    instance.mkdir()
    (instance / "secret_key").write_text("")
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(instance))
    monkeypatch.delenv("TRACKER_SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="secret_key is empty"):
        create_app({"DATABASE_URL": database_url})


def test_an_empty_key_in_the_environment_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "env-key"))
    monkeypatch.setenv("TRACKER_SECRET_KEY", "")
    with pytest.raises(ConfigurationError, match="TRACKER_SECRET_KEY is empty"):
        create_app({"DATABASE_URL": database_url})


# --- headers -------------------------------------------------------------------------------------


def test_hsts_only_under_https(make_app: Callable[..., Flask]) -> None:
    plain = make_app().test_client().get(SIGN_IN)
    assert "Strict-Transport-Security" not in plain.headers
    secure = make_app(HTTPS=True).test_client().get(SIGN_IN, base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_every_page_but_static_files_is_no_store(app: Flask, session: Session) -> None:
    plan = linked(session)
    nurse = app.test_client()
    sign_in(nurse, *create_staff(app, "admin"))
    pages = [
        "/nurse/",
        PATIENTS,
        NEW_PATIENT,
        f"/nurse/patients/{plan.enrollment.patient_id}",
        "/admin/pathways",
        "/pathways/",
        "/nurse/patients/2147483648",  # 404s too
    ]
    for path in pages:
        response = nurse.get(path)
        assert response.status_code in (200, 404), path
        assert response.headers["Cache-Control"] == "no-store", path
    assert app.test_client().get(f"/p/{plan.token}").headers["Cache-Control"] == "no-store"
    static = app.test_client().get("/static/app.css")
    static.close()  # a streamed file
    assert static.status_code == 200
    assert "no-store" not in static.headers.get("Cache-Control", "")


# --- the trusted proxy ---------------------------------------------------------------------------


def _wrong_link(client: FlaskClient, forwarded_for: str) -> int:
    headers = {"X-Forwarded-For": forwarded_for, "X-Forwarded-Proto": "https"}
    return client.get("/p/" + "Z" * 43, headers=headers).status_code


def test_proxy_fix_trusts_one_proxy_for_the_client_address(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(PROXY_FIX=1, RATELIMIT_ENABLED=True, PATIENT_LINK_LIMIT="2 per hour")
    client = app.test_client()
    # A client's own X-Forwarded-For entry is ignored: only the proxy's last hop counts.
    assert _wrong_link(client, "198.51.100.1, 203.0.113.5") == 404
    assert _wrong_link(client, "198.51.100.2, 203.0.113.5") == 404
    assert _wrong_link(client, "198.51.100.3, 203.0.113.5") == 429
    assert _wrong_link(client, "203.0.113.6") == 404  # another client behind the same proxy


def test_without_proxy_fix_forwarded_headers_are_ignored(make_app: Callable[..., Flask]) -> None:
    app = make_app(RATELIMIT_ENABLED=True, PATIENT_LINK_LIMIT="2 per hour")
    client = app.test_client()
    assert _wrong_link(client, "203.0.113.1") == 404
    assert _wrong_link(client, "203.0.113.2") == 404
    assert _wrong_link(client, "203.0.113.3") == 429  # all one address: the real peer


@pytest.mark.parametrize("value", [-1, "two", 1.5])
def test_a_bad_proxy_fix_setting_is_refused(make_app: Callable[..., Flask], value: Any) -> None:
    with pytest.raises(ConfigurationError, match="TRACKER_PROXY_FIX"):
        make_app(PROXY_FIX=value)
