"""Shared fixtures: a fresh migrated database per test (SQLite; PostgreSQL too where marked)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings
from sqlalchemy import text
from sqlmodel import Session

from tracker import create_app, db

POSTGRES_URL = os.environ.get("TRACKER_TEST_POSTGRES_URL", "")

# CI replays the same examples every run (HYPOTHESIS_PROFILE=ci in .ci/run): a red build then
# always means a real regression; local runs keep exploring new examples.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
# The original seed document sits beside the checkout; a clone elsewhere uses the copy in fixtures.
_SEED_PLACES = (
    Path(__file__).resolve().parents[2] / "shared" / "seed" / "22868.txt",
    Path("/work/shared/seed/22868.txt"),
    Path(__file__).resolve().parent / "fixtures" / "documents" / "22868.txt",
)
SEED = next((p for p in _SEED_PLACES if p.exists()), _SEED_PLACES[-1])
PATHWAYS_DIR = Path(__file__).resolve().parents[1] / "pathways"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "both_databases: run on SQLite and, when configured, on PostgreSQL"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("both_databases"):
        metafunc.parametrize("database_url", ["sqlite", "postgres"], indirect=True)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per run; each test gets a copy (migrating costs more)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    """A fresh, migrated database for this test; SQLite unless parametrized with 'postgres'."""
    kind = getattr(request, "param", "sqlite")
    if kind == "sqlite":
        path = tmp_path / "tracker.sqlite3"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    yield from postgres_schema(migrate=True)


def postgres_schema(*, migrate: bool) -> Iterator[str]:
    """A throwaway schema on the test server, dropped afterwards. Unreachable server = failure;
    no server configured = skipped (.ci/run configures one)."""
    if not POSTGRES_URL:
        pytest.skip("TRACKER_TEST_POSTGRES_URL is not set")
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = db.make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    url = f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    try:
        if migrate:
            engine = db.make_engine(url)
            db.upgrade(engine)
            engine.dispose()
        yield url
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict[str, Any]:
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": True,
        "RATELIMIT_ENABLED": False,
    }


@pytest.fixture
def make_app(
    app_config: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Flask]]:
    """Apps with settings of the test's choosing (rate limits on, HTTPS…), disposed after."""
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
    built: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        built.append(create_app({**app_config, **overrides}))
        return built[-1]

    yield build
    for application in built:
        db.get_engine(application).dispose()


@pytest.fixture
def app(
    app_config: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
    application = create_app(app_config)
    yield application
    db.get_engine(application).dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """A database session on the test's database, outside any request."""
    with Session(db.get_engine(app), expire_on_commit=False) as s:
        yield s


@pytest.fixture
def seed_path() -> Path:
    assert SEED.exists(), f"seed document missing at {SEED}"
    return SEED
