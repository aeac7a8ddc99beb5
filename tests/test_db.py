"""Migrations build the schema from nothing on both databases; a stale schema stops the app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

import tracker.models  # noqa: F401  (every table on SQLModel.metadata)
from tests.conftest import POSTGRES_URL, postgres_schema
from tracker import create_app, db, errors

TABLES = {
    "user",
    "pathway",
    "pathwayversion",
    "step",
    "patient",
    "enrollment",
    "checklistitem",
    "reminder",
    "auditevent",
    "patientlink",
}


def _empty_url(kind: str, tmp_path: Path):
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    else:
        if not POSTGRES_URL:
            pytest.skip("TRACKER_TEST_POSTGRES_URL is not set")
        yield from postgres_schema(migrate=False)


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_migrations_upgrade_an_empty_database(kind: str, tmp_path: Path) -> None:
    for url in _empty_url(kind, tmp_path):
        engine = db.make_engine(url)
        assert db.current_revision(engine) is None
        db.upgrade(engine)
        assert db.current_revision(engine) == db.head_revision()
        assert TABLES <= set(inspect(engine).get_table_names())
        db.check_schema(engine)
        engine.dispose()


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_the_migrated_schema_is_the_model_exactly(kind: str, tmp_path: Path) -> None:
    """Tables, columns, types, defaults, indexes and constraints: any difference is a bug in a
    migration or in the model (autogenerate would write it as a migration step)."""
    for url in _empty_url(kind, tmp_path):
        engine = db.make_engine(url)
        db.upgrade(engine)
        options = {"compare_type": True, "compare_server_default": True}
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts=options)
            differences = compare_metadata(context, SQLModel.metadata)
        engine.dispose()
        assert differences == []


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_the_patient_page_indexes_go_down_and_up_again(kind: str, tmp_path: Path) -> None:
    for url in _empty_url(kind, tmp_path):
        engine = db.make_engine(url)
        db.upgrade(engine)
        assert "ix_item_page" in _indexes(engine, "checklistitem")
        assert "ix_reminder_sent" in _indexes(engine, "reminder")
        command.downgrade(db.alembic_config(engine), "0001")
        indexes = _indexes(engine, "checklistitem")
        assert "ix_item_page" not in indexes and "ix_checklistitem_enrollment_id" in indexes
        assert "ix_reminder_sent" not in _indexes(engine, "reminder")
        db.upgrade(engine)
        assert db.current_revision(engine) == db.head_revision()
        assert "ix_item_page" in _indexes(engine, "checklistitem")
        assert "ix_reminder_sent" in _indexes(engine, "reminder")
        engine.dispose()


def _indexes(engine: Engine, table: str) -> set[str]:
    return {index["name"] or "" for index in inspect(engine).get_indexes(table)}


def test_app_refuses_an_outdated_schema_and_names_the_fix(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'stale.sqlite3'}"
    with pytest.raises(errors.SchemaOutdated, match="run `tracker db upgrade`"):
        create_app({"DATABASE_URL": url, "SECRET_KEY": "x"})
    db.upgrade(db.make_engine(url))
    assert create_app({"DATABASE_URL": url, "SECRET_KEY": "x"}).name == "tracker"


@pytest.mark.both_databases
def test_every_response_carries_security_headers(client) -> None:
    response = client.get("/auth/sign-in")  # staff pages redirect until signed in
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# --- the SQLite engine ------------------------------------------------------------------


def test_sqlite_engine_connections_map_memory_use_wal_and_enforce_foreign_keys(
    tmp_path: Path,
) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'pragmas.sqlite3'}", mmap_bytes=1 << 20)
    try:
        # Two connections open at once: each new one gets the pragmas, not only the first.
        with engine.connect() as first, engine.connect() as second:
            for connection in (first, second):
                pragma = connection.exec_driver_sql
                assert pragma("PRAGMA mmap_size").scalar_one() == 1 << 20
                assert pragma("PRAGMA journal_mode").scalar_one() == "wal"
                assert pragma("PRAGMA foreign_keys").scalar_one() == 1
    finally:
        engine.dispose()


@pytest.mark.parametrize(("config", "expected"), [({}, 1 << 30), ({"SQLITE_MMAP_BYTES": 0}, 0)])
def test_the_web_app_maps_the_file_and_the_dispatcher_does_not(
    tmp_path: Path, config: dict[str, Any], expected: int
) -> None:
    # The dispatcher (`tracker scheduler`) asks for no map: its outbox scans would count every
    # page they read as resident memory of its own.
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'mapped.sqlite3'}",
            "CHECK_SCHEMA": False,
            **config,
        }
    )
    engine = db.get_engine(app)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA mmap_size").scalar_one() == expected
    finally:
        engine.dispose()
