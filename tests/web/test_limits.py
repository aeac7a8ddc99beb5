"""Failed-attempt limits shared by every worker (the database, or Redis), and lock-outs that a
stranger cannot cause (issue 12)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlmodel import Session

from tests.auth_helpers import create_staff, csrf_token
from tests.patient_helpers import linked
from tracker import db
from tracker.errors import ConfigurationError
from tracker.models import Patient
from tracker.web.attempt_limits import parse_rates
from tracker.web.attempt_store import PURGE_EVERY
from tracker.web.sign_in_limits import DEVICE_COOKIE

REDIS_URL = os.environ.get("TRACKER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SIGN_IN = "/auth/sign-in"
WRONG_LINK = "/p/" + "W" * 43
VENV_BIN = Path(sys.executable).parent


@pytest.fixture
def redis_url() -> Iterator[str]:
    """Redis on loopback; unreachable is a failure, not a skip."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.fail(f"Redis at {REDIS_URL} is unreachable: {error}")
    yield REDIS_URL
    client.close()


@pytest.fixture(name="make_app")
def limited_app(make_app: Callable[..., Flask]) -> Callable[..., Flask]:
    """The shared `make_app` with the limits on, and Redis keys of this test only."""
    prefix = "test-" + uuid.uuid4().hex

    def build(**overrides: Any) -> Flask:
        return make_app(**{"RATELIMIT_ENABLED": True, "RATELIMIT_KEY_PREFIX": prefix, **overrides})

    return build


def _sign_in(client: FlaskClient, email: str, password: str, address: str = "10.0.0.1") -> int:
    environ = {"REMOTE_ADDR": address}
    page = client.get(SIGN_IN, environ_base=environ).get_data(as_text=True)
    data = {"email": email, "password": password, "csrf_token": csrf_token(page)}
    return client.post(SIGN_IN, data=data, environ_base=environ).status_code


# --- one count for every worker ------------------------------------------------------------


def _two_workers(make_app: Callable[..., Flask], **settings: Any) -> tuple[Flask, Flask]:
    """Two app instances on one database (and one Redis if configured): two workers."""
    return make_app(**settings), make_app(**settings)


def _exact_limits(first: Flask, second: Flask) -> None:
    email, password = create_staff(first, "nurse")
    clients = [first.test_client(), second.test_client()]
    answers = [_sign_in(clients[n % 2], email, "wrong password") for n in range(9)]
    assert answers == [401] * 5 + [429] * 4
    assert _sign_in(clients[1], email, password, address="10.9.9.9") == 302
    refusals = [clients[n % 2].get(WRONG_LINK).status_code for n in range(60)]
    assert Counter(refusals) == {404: 30, 429: 30}
    assert refusals[:30] == [404] * 30


@pytest.mark.both_databases
def test_two_workers_on_one_database_allow_exactly_the_limit(
    make_app: Callable[..., Flask],
) -> None:
    _exact_limits(*_two_workers(make_app))


def test_two_workers_on_one_redis_allow_exactly_the_limit(
    make_app: Callable[..., Flask], redis_url: str
) -> None:
    first, second = _two_workers(make_app, RATELIMIT_STORAGE_URL=redis_url)
    _exact_limits(first, second)
    keys = redis.Redis.from_url(redis_url).keys(first.config["RATELIMIT_KEY_PREFIX"] + ":*")
    assert keys  # counted in Redis, not in the database
    with db.get_engine(first).connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM attemptcount")).scalar_one() == 0


def test_an_unreachable_redis_gets_a_clear_503(make_app: Callable[..., Flask]) -> None:
    app = make_app(RATELIMIT_STORAGE_URL=f"redis://127.0.0.1:{_free_port()}/0")
    email, password = create_staff(app, "nurse")
    client = app.test_client()
    token = csrf_token(client.get(SIGN_IN).get_data(as_text=True))
    response = client.post(
        SIGN_IN, data={"email": email, "password": password, "csrf_token": token}
    )
    assert response.status_code == 503
    assert "briefly unavailable" in response.get_data(as_text=True)
    assert client.get(WRONG_LINK).status_code == 503


# --- gunicorn with two workers -------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def gunicorn(database_url: str, tmp_path: Path) -> Iterator[Callable[..., str]]:
    """`tracker.wsgi:app` under `gunicorn -w 2`; returns its base URL and access log path."""
    started: list[subprocess.Popen[bytes]] = []

    def start(**settings: str) -> str:
        port = _free_port()
        env = {
            **os.environ,
            "TRACKER_DATABASE_URL": database_url,
            "TRACKER_INSTANCE_PATH": str(tmp_path / "gunicorn"),
            "TRACKER_SECRET_KEY": "gunicorn-test",
            "TRACKER_WTF_CSRF_ENABLED": "false",
            **{f"TRACKER_{name}": value for name, value in settings.items()},
        }
        log = tmp_path / "access.log"
        command = [
            str(VENV_BIN / "gunicorn"),
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--access-logfile",
            str(log),
            "--access-logformat",
            "%(p)s %(s)s",
            "tracker.wsgi:app",
        ]
        started.append(subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL))
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).close()
                return base
            except OSError:
                time.sleep(0.1)  # waiting for start-up, not timing anything
        pytest.fail("gunicorn did not start")

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=30)


def _status(request: urllib.request.Request) -> int:
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.close()
        return int(error.code)


def _hammer(base: str) -> tuple[Counter[int], Counter[int]]:
    sign_ins = [
        urllib.request.Request(
            base + SIGN_IN,
            data=b"email=someone%40example.org&password=wrong-password",
            method="POST",
        )
        for _ in range(20)
    ]
    links = [urllib.request.Request(base + WRONG_LINK) for _ in range(60)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        first = Counter(pool.map(_status, sign_ins))
        second = Counter(pool.map(_status, links))
    return first, second


def _workers_seen(log: Path) -> int:
    return len({line.split()[0] for line in log.read_text().splitlines() if line.strip()})


@pytest.mark.parametrize("store", ["database", "redis"])
def test_gunicorn_with_two_workers_allows_exactly_the_limits(
    gunicorn: Callable[..., str], tmp_path: Path, store: str, request: pytest.FixtureRequest
) -> None:
    settings = {
        "SIGN_IN_ADDRESS_LIMIT": "5 per hour",
        "SIGN_IN_LIMIT": "5 per hour",
        "PATIENT_LINK_LIMIT": "30 per hour",
    }
    if store == "redis":
        url = request.getfixturevalue("redis_url")
        settings |= {"RATELIMIT_STORAGE_URL": url, "RATELIMIT_KEY_PREFIX": uuid.uuid4().hex}
    base = gunicorn(**settings)
    sign_ins, refusals = _hammer(base)
    assert sign_ins == {401: 5, 429: 15}
    assert refusals == {404: 30, 429: 30}
    assert _workers_seen(tmp_path / "access.log") == 2


# --- lock-outs a stranger cannot cause -----------------------------------------------------


def test_a_stranger_cannot_lock_a_nurse_out(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    email, password = create_staff(app, "nurse")
    owner, stranger = app.test_client(), app.test_client()
    assert _sign_in(owner, email, password, address="10.1.0.1") == 302  # her usual device
    assert owner.get_cookie(DEVICE_COOKIE, path="/auth/") is not None
    for _ in range(5):  # someone on the same ward network guesses her password
        assert _sign_in(stranger, email, "guess", address="10.1.0.1") == 401
    assert _sign_in(stranger, email, password, address="10.1.0.1") == 429
    owner_again = app.test_client()
    owner_again.set_cookie(DEVICE_COOKIE, owner.get_cookie(DEVICE_COOKIE, path="/auth/").value)
    assert _sign_in(owner_again, email, password, address="10.1.0.1") == 302
    assert _sign_in(app.test_client(), email, password, address="10.1.0.2") == 302


def test_guessing_from_many_addresses_stops_new_devices_not_the_owner(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(SIGN_IN_NEW_DEVICE_LIMIT="6 per hour")
    email, password = create_staff(app, "nurse")
    owner = app.test_client()
    assert _sign_in(owner, email, password) == 302
    for n in range(6):
        assert _sign_in(app.test_client(), email, "guess", address=f"10.2.0.{n}") == 401
    assert _sign_in(app.test_client(), email, password, address="10.2.1.1") == 429
    device = owner.get_cookie(DEVICE_COOKIE, path="/auth/")
    assert device is not None
    for _ in range(2):  # her device keeps its own count, and her success costs nothing
        back = app.test_client()
        back.set_cookie(DEVICE_COOKIE, device.value)
        assert _sign_in(back, email, password, address="10.2.9.9") == 302


def test_one_address_guessing_many_accounts_is_stopped(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    for n in range(5):
        assert _sign_in(app.test_client(), f"guess{n}@example.org", "x" * 12) == 401
    email, password = create_staff(app, "nurse")
    assert _sign_in(app.test_client(), email, password) == 429


def test_a_forged_device_cookie_earns_nothing(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    email, password = create_staff(app, "nurse")
    for _ in range(5):
        assert _sign_in(app.test_client(), email, "guess") == 401
    forged = app.test_client()
    forged.set_cookie(DEVICE_COOKIE, "eyJkIjoiYSIsImEiOltdfQ.forged", path="/auth/")
    assert _sign_in(forged, email, password) == 429


def _confirm(client: FlaskClient, token: str, day: str, address: str) -> int:
    environ = {"REMOTE_ADDR": address}
    page = client.get(f"/p/{token}", environ_base=environ).get_data(as_text=True)
    data = {"day": day, "month": "2", "year": "1961", "csrf_token": csrf_token(page)}
    return client.post(f"/p/{token}/confirm", data=data, environ_base=environ).status_code


def test_wrong_dates_of_birth_elsewhere_do_not_lock_the_patient_out(
    make_app: Callable[..., Flask], session: Session
) -> None:
    app = make_app(PATIENT_DOB_CHECK=True)
    plan = linked(session)
    patient = session.get(Patient, plan.enrollment.patient_id)
    assert patient is not None
    patient.birth_date = date(1961, 2, 3)
    session.add(patient)
    session.commit()
    stranger = app.test_client()
    for _ in range(5):
        assert _confirm(stranger, plan.token, "4", "10.3.0.1") == 422
    assert _confirm(stranger, plan.token, "3", "10.3.0.1") == 429
    phone = app.test_client()
    assert _confirm(phone, plan.token, "3", "10.3.0.2") == 303
    opened = phone.get(f"/p/{plan.token}", environ_base={"REMOTE_ADDR": "10.3.0.2"})
    assert opened.status_code == 200 and "Please confirm it is you" not in opened.get_data(
        as_text=True
    )


# --- settings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("5 per minute", [(5, 60)]),
        ("30 per minute;300 per day", [(30, 60), (300, 86400)]),
        ("5 per 15 minutes", [(5, 900)]),
        ("2/hour", [(2, 3600)]),
    ],
)
def test_limits_read_as_written(spec: str, expected: list[tuple[int, int]]) -> None:
    assert [(r.amount, r.seconds) for r in parse_rates(spec)] == expected


@pytest.mark.parametrize("spec", ["five per minute", "5 per fortnight", "5 minutes"])
def test_a_limit_that_does_not_read_stops_the_start(
    make_app: Callable[..., Flask], spec: str
) -> None:
    with pytest.raises(ConfigurationError, match="TRACKER_PATIENT_LINK_LIMIT: .* is not a limit"):
        make_app(PATIENT_LINK_LIMIT=spec)


def test_old_counters_are_purged_as_new_ones_arrive(make_app: Callable[..., Flask]) -> None:
    app = make_app(PATIENT_LINK_LIMIT="1000 per minute")
    client = app.test_client()
    start = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        for n in range(PURGE_EVERY - 1):  # each from its own address: one row each
            client.get(WRONG_LINK, environ_base={"REMOTE_ADDR": f"10.5.0.{n}"})
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        client.get(WRONG_LINK, environ_base={"REMOTE_ADDR": "10.5.1.1"})
    with db.get_engine(app).connect() as connection:
        remaining = connection.execute(text("SELECT count(*) FROM attemptcount")).scalar_one()
    assert remaining == 1  # the newest; the others' windows had ended
