"""Staff accounts: hashing, sign-in and sign-out, roles, CSRF, rate limits, cookies, commands."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from flask import Blueprint, Flask, url_for
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from tests.auth_helpers import PASSWORD, create_staff, csrf_token, get_user, sign_in
from tracker import accounts, auth, db, errors
from tracker.cli import cli
from tracker.clock import utcnow
from tracker.models import User
from tracker.web.auth import TOO_MANY_ATTEMPTS, WRONG_CREDENTIALS

SIGN_IN = "/auth/sign-in"
SIGN_OUT = "/auth/sign-out"
STAFF_PAGE = "/pathways/"


def _landing(app: Flask) -> str:
    """Where sign-in leads: the nurse dashboard once it exists, else the pathway library."""
    endpoint = "nurse.dashboard" if "nurse.dashboard" in app.view_functions else "library.index"
    with app.test_request_context():
        return url_for(endpoint)


def _text(response: Any) -> str:
    text: str = response.get_data(as_text=True)
    return text


# --- passwords and accounts -------------------------------------------------------------


@pytest.mark.both_databases
def test_password_hashes_are_argon2_and_never_the_plain_text(app: Flask) -> None:
    email, password = create_staff(app, "nurse")
    stored = get_user(app, email).password_hash
    assert stored.startswith("$argon2id$")
    assert password not in stored
    assert accounts.verify_password(password_hash=stored, password=password)
    assert not accounts.verify_password(password_hash=stored, password=password + "x")
    assert not accounts.verify_password(password_hash="not a hash", password=password)


def test_create_user_generates_a_strong_password_and_normalizes_the_email(
    session: Session,
) -> None:
    user, password = accounts.create_user(
        session=session, email="  Ann.Lee@Example.ORG ", role="admin", name=" Ann ", now=utcnow()
    )
    assert (user.email, user.name, user.role, user.active) == (
        "ann.lee@example.org",
        "Ann",
        "admin",
        True,
    )
    assert len(password) >= 16
    assert accounts.verify_password(password_hash=user.password_hash, password=password)


@pytest.mark.parametrize(
    ("email", "role", "password", "field"),
    [
        ("not-an-email", "nurse", None, "email"),
        ("two@@example.org", "nurse", None, "email"),
        ("no-domain@example", "nurse", None, "email"),
        ("sp ace@example.org", "nurse", None, "email"),
        ("x@example.org", "doctor", None, "role"),
        ("x@example.org", "", None, "role"),
        ("x@example.org", "nurse", "", "password"),
        ("x@example.org", "nurse", "nine char", "password"),
        ("Taken@Example.org", "nurse", None, "email"),
    ],
)
def test_create_user_refuses_bad_input(
    session: Session, email: str, role: str, password: str | None, field: str
) -> None:
    accounts.create_user(session=session, email="taken@example.org", role="nurse", now=utcnow())
    session.commit()
    with pytest.raises(errors.AccountError) as raised:
        accounts.create_user(
            session=session, email=email, role=role, password=password, now=utcnow()
        )
    assert raised.value.field == field
    assert len(session.exec(select(User)).all()) == 1


@pytest.mark.both_databases
def test_authenticate_upgrades_an_outdated_hash(app: Flask, session: Session) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    user = User(
        email="old@example.org",
        password_hash=weak.hash(PASSWORD),
        role="nurse",
        created_at=utcnow(),
    )
    session.add(user)
    session.commit()
    assert (
        accounts.authenticate(session=session, email="OLD@example.org", password=PASSWORD) is user
    )
    session.commit()
    session.refresh(user)
    assert "m=8192" not in user.password_hash
    assert not PasswordHasher().check_needs_rehash(user.password_hash)
    assert accounts.verify_password(password_hash=user.password_hash, password=PASSWORD)


def test_authenticate_refuses_wrong_unknown_and_inactive(app: Flask, session: Session) -> None:
    email, password = create_staff(app, "nurse")
    inactive, _ = create_staff(app, "nurse", active=False)
    assert accounts.authenticate(session=session, email=email, password=password) is not None
    assert accounts.authenticate(session=session, email=email, password="wrong password") is None
    assert (
        accounts.authenticate(session=session, email="nobody@example.org", password=password)
        is None
    )
    assert accounts.authenticate(session=session, email=inactive, password=password) is None


def test_demo_users_are_created_once_and_only_into_an_empty_table(session: Session) -> None:
    created = accounts.ensure_demo_users(session=session, now=utcnow())
    assert sorted((u.email, u.role) for u in created) == [
        ("admin@example.org", "admin"),
        ("nurse@example.org", "nurse"),
    ]
    assert accounts.ensure_demo_users(session=session, now=utcnow()) == []
    assert len(session.exec(select(User)).all()) == 2


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/pathways/", "/pathways/"),
        ("/pathways/x?version=2", "/pathways/x?version=2"),
        (None, None),
        ("", None),
        ("pathways/", None),
        (" /pathways/", None),
        ("https://evil.example/", None),
        ("//evil.example/", None),
        ("/\\evil.example/", None),
        ("\\\\evil.example/", None),
        ("/\t/evil.example/", None),
        ("javascript:alert(1)", None),
        ("http:/evil.example", None),
    ],
)
def test_safe_next_accepts_only_local_paths(target: str | None, expected: str | None) -> None:
    assert auth.safe_next(target) == expected


@given(st.text(max_size=40))
def test_safe_next_never_returns_anything_but_a_local_path(target: str) -> None:
    result = auth.safe_next(target)
    if result is not None:
        assert result == target and result.startswith("/") and not result.startswith("//")
        assert not urlsplit(result).netloc and "\\" not in result


# --- signing in and out -----------------------------------------------------------------


def test_staff_pages_send_the_signed_out_to_sign_in_with_next(client: FlaskClient) -> None:
    response = client.get("/pathways/?version=2")
    assert response.status_code == 302
    assert response.location == "/auth/sign-in?next=/pathways/?version%3D2"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_sign_in_page_labels_every_field_and_carries_a_csrf_token(client: FlaskClient) -> None:
    response = client.get(SIGN_IN)
    page = _text(response)
    assert response.status_code == 200
    assert '<label for="email">Email</label>' in page
    assert '<label for="password">Password</label>' in page
    assert 'autocomplete="current-password"' in page
    assert csrf_token(page)
    assert "<script" not in page and "style=" not in page
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.both_databases
def test_sign_in_goes_to_the_landing_page_and_shows_who_is_signed_in(
    app: Flask, client: FlaskClient
) -> None:
    email, password = create_staff(app, "admin", name="Ada Admin")
    response = sign_in(client, email.upper(), password)
    assert response.status_code == 302
    assert response.location == _landing(app)
    page = _text(client.get(STAFF_PAGE))
    assert "Signed in as Ada Admin" in page
    assert ">admin</span>" in page
    assert f'action="{SIGN_OUT}"' in page


def test_sign_in_follows_a_local_next(app: Flask, client: FlaskClient) -> None:
    email, password = create_staff(app, "nurse")
    response = sign_in(client, email, password, next_path="/pathways/x?version=2")
    assert response.location == "/pathways/x?version=2"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:x"]
)
def test_sign_in_refuses_an_open_redirect(app: Flask, client: FlaskClient, target: str) -> None:
    email, password = create_staff(app, "nurse")
    response = sign_in(client, email, password, next_path=target)
    assert response.status_code == 302
    assert response.location == _landing(app)


def test_wrong_password_and_unknown_email_get_the_same_generic_answer(
    app: Flask, client: FlaskClient
) -> None:
    email, password = create_staff(app, "nurse")
    wrong = sign_in(client, email, "not the password")
    unknown = sign_in(client, "nobody@example.org", password)
    for response, typed in ((wrong, email), (unknown, "nobody@example.org")):
        page = _text(response)
        assert response.status_code == 401
        assert WRONG_CREDENTIALS in page
        assert f'value="{typed}"' in page
        assert "not the password" not in page and password not in page
    assert client.get(STAFF_PAGE).status_code == 302


def test_inactive_users_cannot_sign_in(app: Flask, client: FlaskClient) -> None:
    email, password = create_staff(app, "admin", active=False)
    response = sign_in(client, email, password)
    assert response.status_code == 401
    assert WRONG_CREDENTIALS in _text(response)


def test_a_deactivated_user_is_signed_out_on_the_next_request(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    email, password = create_staff(app, "nurse")
    sign_in(client, email, password)
    assert client.get(STAFF_PAGE).status_code == 200
    user = accounts.find_user(session=session, email=email)
    assert user is not None
    user.active = False
    session.commit()
    assert client.get(STAFF_PAGE).status_code == 302


def test_missing_fields_are_marked_beside_each_field(client: FlaskClient) -> None:
    token = csrf_token(_text(client.get(SIGN_IN)))
    response = client.post(SIGN_IN, data={"email": "", "password": "", "csrf_token": token})
    page = _text(response)
    assert response.status_code == 400
    for name, message in (
        ("email", "Enter your email address."),
        ("password", "Enter your password."),
    ):
        assert f'<p class="field-error" id="{name}-error">{message}</p>' in page
        assert f'aria-describedby="{name}-error"' in page
    assert page.count('aria-invalid="true"') == 2


def test_forms_posted_without_the_csrf_token_are_rejected(app: Flask, client: FlaskClient) -> None:
    email, password = create_staff(app, "nurse")
    response = client.post(SIGN_IN, data={"email": email, "password": password})
    assert response.status_code == 400
    assert client.get(STAFF_PAGE).status_code == 302
    sign_in(client, email, password)
    assert client.post(SIGN_OUT).status_code == 400
    assert client.get(STAFF_PAGE).status_code == 200


def test_sign_out_is_a_post_that_ends_the_session(app: Flask, client: FlaskClient) -> None:
    email, password = create_staff(app, "nurse")
    sign_in(client, email, password)
    page = _text(client.get(STAFF_PAGE))
    assert client.get(SIGN_OUT).status_code == 405
    response = client.post(SIGN_OUT, data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert response.location == SIGN_IN
    assert "You are signed out." in _text(client.get(SIGN_IN))
    assert client.get(STAFF_PAGE).status_code == 302


def test_a_session_cookie_replayed_from_another_browser_is_dropped(
    app: Flask, client: FlaskClient
) -> None:
    """Session protection is "strong": a different address or browser loses the session."""
    email, password = create_staff(app, "nurse")
    sign_in(client, email, password)
    assert client.get(STAFF_PAGE).status_code == 200
    stolen = client.get(STAFF_PAGE, headers={"User-Agent": "someone else"})
    assert stolen.status_code == 302
    assert stolen.location.startswith(SIGN_IN)


def test_signed_in_visitors_to_the_sign_in_page_go_on(app: Flask, client: FlaskClient) -> None:
    email, password = create_staff(app, "nurse")
    sign_in(client, email, password)
    assert client.get(SIGN_IN).location == _landing(app)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(email=st.text(max_size=300), password=st.text(max_size=60))
def test_any_submitted_sign_in_form_gets_a_clean_refusal(
    client: FlaskClient, email: str, password: str
) -> None:
    token = csrf_token(_text(client.get(SIGN_IN)))
    response = client.post(
        SIGN_IN, data={"email": email, "password": password, "csrf_token": token}
    )
    assert response.status_code in (400, 401)
    assert client.get(STAFF_PAGE).status_code == 302
    if response.status_code == 401 and email.strip():
        assert f'value="{escape(email)}"' in _text(response)


# --- roles ------------------------------------------------------------------------------


def _role_pages(app: Flask) -> None:
    """Routes guarded each way the auth module offers, registered on this test's app."""
    pages = Blueprint("role_pages", __name__, url_prefix="/test")

    @pages.get("/staff")
    @auth.staff_required
    def staff_page() -> str:
        return "staff page"

    @pages.get("/admin")
    @auth.admin_required
    def admin_page() -> str:
        return "admin page"

    admin_area = Blueprint("admin_area", __name__, url_prefix="/test-admin")

    @admin_area.get("/")
    def admin_area_index() -> str:
        return "admin area"

    auth.require_admin_for_blueprint(admin_area)
    app.register_blueprint(pages)
    app.register_blueprint(admin_area)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (None, {"/test/staff": 302, "/test/admin": 302, "/test-admin/": 302, STAFF_PAGE: 302}),
        ("nurse", {"/test/staff": 200, "/test/admin": 403, "/test-admin/": 403, STAFF_PAGE: 200}),
        ("admin", {"/test/staff": 200, "/test/admin": 200, "/test-admin/": 200, STAFF_PAGE: 200}),
    ],
)
def test_pages_check_sign_in_and_role(
    app: Flask, client: FlaskClient, role: str | None, expected: dict[str, int]
) -> None:
    _role_pages(app)
    if role:
        sign_in(client, *create_staff(app, role))
    for path, status in expected.items():
        response = client.get(path)
        assert response.status_code == status, path
        if status == 302:
            assert response.location == f"{SIGN_IN}?next={path}"
        if status == 403:
            assert "Not allowed" in _text(response)


# --- rate limits ------------------------------------------------------------------------


def _attempt(client: FlaskClient, email: str, password: str, address: str) -> Any:
    environ = {"REMOTE_ADDR": address}
    token = csrf_token(_text(client.get(SIGN_IN, environ_base=environ)))
    data = {"email": email, "password": password, "csrf_token": token}
    return client.post(SIGN_IN, data=data, environ_base=environ)


def test_sign_in_attempts_are_limited_per_address(make_app: Callable[..., Flask]) -> None:
    app = make_app(RATELIMIT_ENABLED=True)
    client = app.test_client()
    email, password = create_staff(app, "nurse")
    for n in range(5):
        assert _attempt(client, f"guess{n}@example.org", "wrong", "10.0.0.1").status_code == 401
    refused = _attempt(client, email, password, "10.0.0.1")
    page = _text(refused)
    assert refused.status_code == 429
    assert TOO_MANY_ATTEMPTS in page
    assert f'value="{email}"' in page and 'name="password"' in page
    assert refused.headers["Retry-After"] == "60"
    assert "script-src 'self'" in refused.headers["Content-Security-Policy"]
    assert _attempt(client, email, password, "10.0.0.2").status_code == 302


def test_sign_in_attempts_are_limited_per_account_and_address(
    make_app: Callable[..., Flask],
) -> None:
    """Five wrong passwords for one account lock that account out from that address only: a
    stranger elsewhere cannot lock the nurse out (issue 12)."""
    app = make_app(RATELIMIT_ENABLED=True, SIGN_IN_ADDRESS_LIMIT="100 per minute")
    client = app.test_client()
    email, password = create_staff(app, "nurse")
    for _ in range(5):
        assert _attempt(client, email, "wrong", "10.0.1.1").status_code == 401
    refused = _attempt(client, email.upper(), password, "10.0.1.1")
    assert refused.status_code == 429
    assert TOO_MANY_ATTEMPTS in _text(refused)
    assert _attempt(app.test_client(), email, password, "10.0.1.2").status_code == 302


def test_successful_sign_ins_do_not_use_up_the_limit(make_app: Callable[..., Flask]) -> None:
    app = make_app(RATELIMIT_ENABLED=True)
    client = app.test_client()
    email, password = create_staff(app, "nurse")
    for _ in range(8):
        assert _attempt(client, email, password, "10.0.2.1").status_code == 302
        page = _text(client.get(STAFF_PAGE, environ_base={"REMOTE_ADDR": "10.0.2.1"}))
        client.post(
            SIGN_OUT,
            data={"csrf_token": csrf_token(page)},
            environ_base={"REMOTE_ADDR": "10.0.2.1"},
        )


# --- cookies ----------------------------------------------------------------------------


def _session_cookie(response: Any) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, response.headers
    return str(cookies[-1])


def test_session_cookies_are_httponly_and_samesite_lax(app: Flask, client: FlaskClient) -> None:
    email, password = create_staff(app, "nurse")
    for response in (client.get(SIGN_IN), sign_in(client, email, password)):
        cookie = _session_cookie(response)
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
        assert "Secure" not in cookie


def test_session_cookies_are_secure_under_https(make_app: Callable[..., Flask]) -> None:
    app = make_app(HTTPS=True)
    client = app.test_client()
    cookie = _session_cookie(client.get(SIGN_IN, base_url="https://localhost"))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


# --- commands ---------------------------------------------------------------------------


@pytest.fixture
def run_tracker(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Any]]:
    """`tracker …` in this process, on the test's database."""
    env = {"TRACKER_DATABASE_URL": database_url, "TRACKER_INSTANCE_PATH": str(tmp_path / "cli")}
    # The command's app keeps its engine (a process exits anyway); close its connections here
    # so PostgreSQL connections are not left to the garbage collector.
    engines: list[Engine] = []
    make_engine = db.make_engine

    def recording_make_engine(url: str, **options: Any) -> Engine:
        engines.append(make_engine(url, **options))
        return engines[-1]

    monkeypatch.setattr(db, "make_engine", recording_make_engine)

    def run(*args: str, stdin: str | None = None) -> Any:
        try:
            return CliRunner().invoke(cli, list(args), input=stdin, env=env)
        finally:
            for engine in engines:
                engine.dispose()

    yield run


def _users(session: Session) -> list[User]:
    session.expire_all()
    return list(session.exec(select(User).order_by(col(User.id))))


@pytest.mark.both_databases
def test_user_add_prints_a_generated_password_once(
    run_tracker: Callable[..., Any], session: Session
) -> None:
    result = run_tracker(
        "user", "add", "New.Nurse@Example.org", "--role", "nurse", "--name", "Nia Nurse"
    )
    assert result.exit_code == 0, result.output
    assert "created nurse new.nurse@example.org" in result.stdout
    password = result.stdout.split("one-time password: ")[1].split()[0]
    [user] = _users(session)
    assert (user.email, user.name, user.role) == ("new.nurse@example.org", "Nia Nurse", "nurse")
    assert password not in user.password_hash
    assert accounts.authenticate(session=session, email=user.email, password=password) is not None


def test_user_add_reads_the_password_from_stdin(
    run_tracker: Callable[..., Any], session: Session
) -> None:
    result = run_tracker(
        "user",
        "add",
        "boss@example.org",
        "--role",
        "admin",
        "--password-stdin",
        stdin="a long admin password\n",
    )
    assert result.exit_code == 0, result.output
    assert "password" not in result.stdout
    assert (
        accounts.authenticate(
            session=session, email="boss@example.org", password="a long admin password"
        )
        is not None
    )


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["not-an-email", "--role", "nurse"], None, "tracker: email: "),
        (["x@example.org", "--role", "doctor"], None, "tracker: role: unknown role 'doctor'"),
        (["x@example.org"], None, "tracker: --role is required"),
        (["taken@example.org", "--role", "admin"], None, "tracker: email: taken@example.org "),
        (["x@example.org", "--role", "nurse", "--password-stdin"], "", "tracker: password: "),
        (
            ["x@example.org", "--role", "nurse", "--password-stdin"],
            "short\n",
            "tracker: password: ",
        ),
    ],
)
def test_user_add_refuses_bad_input_in_one_line(
    run_tracker: Callable[..., Any],
    session: Session,
    args: list[str],
    stdin: str | None,
    message: str,
) -> None:
    assert run_tracker("user", "add", "taken@example.org", "--role", "nurse").exit_code == 0
    result = run_tracker("user", "add", *args, stdin=stdin)
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1
    assert [u.email for u in _users(session)] == ["taken@example.org"]


def test_user_list_shows_every_account(run_tracker: Callable[..., Any]) -> None:
    assert "no staff accounts yet" in run_tracker("user", "list").stdout
    run_tracker("user", "add", "b@example.org", "--role", "admin", "--name", "Bea")
    run_tracker("user", "add", "a@example.org", "--role", "nurse")
    lines = run_tracker("user", "list").stdout.splitlines()
    assert len(lines) == 2
    assert "admin" in lines[0] and "active" in lines[0] and lines[0].endswith("b@example.org  Bea")
    assert "nurse" in lines[1] and lines[1].endswith("a@example.org")


@pytest.mark.both_databases
def test_demo_users_are_added_once_and_can_sign_in(
    run_tracker: Callable[..., Any], app: Flask, client: FlaskClient, session: Session
) -> None:
    first = run_tracker("demo-users")
    assert first.exit_code == 0, first.output
    assert "http://127.0.0.1:5000/auth/sign-in" in first.stdout
    assert "admin@example.org" in first.stdout and accounts.DEMO_PASSWORD in first.stdout
    again = run_tracker("demo-users")
    assert again.exit_code == 0 and "no demo users added" in again.stdout
    assert sorted(u.role for u in _users(session)) == ["admin", "nurse"]
    assert sign_in(client, "nurse@example.org", accounts.DEMO_PASSWORD).status_code == 302


def test_demo_users_leave_an_installation_with_accounts_alone(
    run_tracker: Callable[..., Any], app: Flask, session: Session
) -> None:
    create_staff(app, "admin", email="real@example.org")
    result = run_tracker("demo-users")
    assert result.exit_code == 0
    assert [u.email for u in _users(session)] == ["real@example.org"]
