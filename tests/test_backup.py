"""`tracker backup`: a consistent copy of a live SQLite database, restored whole; the PostgreSQL
recipe run as printed; bad paths refused in one line with nothing written."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import event, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from tests.conftest import POSTGRES_URL
from tests.enrollment_helpers import make_patient
from tracker import db
from tracker.cli import cli

TRACKER = str(Path(sys.executable).with_name("tracker"))
PADDING_ROWS = 2000  # ~20 MB of audit rows, so the copy takes long enough for writes to overlap
PADDING = "x" * 10_000
ENOUGH_BEFORE = 20  # patients committed before the backup starts


class Writer(threading.Thread):
    """Registers patients one transaction at a time (a patient row and its audit row each)
    until told to stop; `committed` lists the ids whose commit returned."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.engine = db.make_engine(url)
        # Recent commits stay in the -wal file, as they do whenever readers keep a checkpoint
        # from finishing: a copy of the database file alone would miss them.
        event.listen(self.engine, "connect", _no_checkpoints)
        self.committed: list[int] = []
        self.stop = threading.Event()
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                with Session(self.engine, expire_on_commit=False) as session:
                    patient = make_patient(session)
                assert patient.id is not None
                self.committed.append(patient.id)
        except BaseException as error:  # reported by the test, not lost in the thread
            self.failure = error
        finally:
            self.engine.dispose()


def _no_checkpoints(connection: Any, _record: Any) -> None:
    connection.execute("PRAGMA wal_autocheckpoint=0")


def _pad(url: str) -> None:
    engine = db.make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO auditevent (at, actor, action, subject_type, subject_id, after)"
                " VALUES ('2027-01-01 00:00:00', 'pad', 'pad', 'pad', :n, :after)"
            ),
            [{"n": n, "after": f'{{"pad": "{PADDING}"}}'} for n in range(PADDING_ROWS)],
        )
    engine.dispose()


def test_backup_during_writes_restores_every_row_committed_before_it(
    database_url: str, tmp_path: Path
) -> None:
    _pad(database_url)
    live = Path(make_url(database_url).database or "")
    writer = Writer(database_url)
    writer.start()
    while len(writer.committed) < ENOUGH_BEFORE and writer.is_alive():
        writer.stop.wait(0.01)
    before = list(writer.committed)
    copy = tmp_path / "backups" / "tracker-copy.sqlite3"
    copy.parent.mkdir()
    env = {
        **os.environ,
        "TRACKER_DATABASE_URL": database_url,
        "TRACKER_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    done = subprocess.run(
        [TRACKER, "backup", str(copy)], capture_output=True, text=True, env=env, timeout=120
    )
    during = len(writer.committed)
    writer.stop.set()
    writer.join(timeout=60)
    assert writer.failure is None, writer.failure
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("backed up ") and str(copy) in done.stdout
    assert during > len(before), "the writer kept committing while the command ran"
    assert list(copy.parent.iterdir()) == [copy], "no partial file is left behind"

    # Restore as README says: stop the app, put the copy in place of the database file and
    # remove the old file's -wal and -shm, start again.
    for stale in (live, Path(f"{live}-wal"), Path(f"{live}-shm")):
        stale.unlink(missing_ok=True)
    shutil.copyfile(copy, live)
    check = sqlite3.connect(live)
    assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    check.close()
    engine = db.make_engine(database_url)
    db.check_schema(engine)  # at head: the app starts on it
    with engine.connect() as connection:
        patients = set(connection.execute(text("SELECT id FROM patient")).scalars())
        registered = set(
            connection.execute(
                text("SELECT subject_id FROM auditevent WHERE action = 'patient.register'")
            ).scalars()
        )
        padding = connection.execute(
            text("SELECT count(*) FROM auditevent WHERE actor = 'pad'")
        ).scalar_one()
    assert set(before) <= patients
    assert patients <= set(writer.committed), "nothing the writer did not commit"
    assert registered == patients, "each patient with its audit row: one instant, not torn"
    assert padding == PADDING_ROWS
    # The restored copy keeps its history append-only.
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text("DELETE FROM auditevent"))
    engine.dispose()


@pytest.fixture
def command_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("TRACKER_DATABASE_URL", database_url)
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
    return database_url


def _unwritable_dir(tmp_path: Path) -> Path:
    if os.geteuid() == 0:  # permissions do not bind root; /sys is read-only in any container
        return Path("/sys")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    return locked


@pytest.mark.parametrize(
    ("where", "problem"),
    [
        ("existing file", "already exists (a backup never overwrites a file)"),
        ("existing directory", "already exists (a backup never overwrites a file)"),
        ("missing directory", "no such directory"),
        ("unwritable directory", "cannot write here"),
    ],
)
def test_bad_paths_get_one_line_and_status_2_and_nothing_is_written(
    command_env: str, tmp_path: Path, where: str, problem: str
) -> None:
    out = tmp_path / "backups"
    out.mkdir()
    existing = out / "kept.sqlite3"
    existing.write_bytes(b"an earlier backup")
    target = {
        "existing file": existing,
        "existing directory": out,
        "missing directory": out / "nowhere" / "copy.sqlite3",
        "unwritable directory": _unwritable_dir(out) / f"copy-{uuid.uuid4().hex}.sqlite3",
    }[where]
    before = sorted(out.rglob("*"))
    result = CliRunner().invoke(cli, ["backup", str(target)])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and problem in result.stderr
    assert result.stderr.startswith("tracker: ")
    assert not target.exists() or target in (existing, out)
    assert existing.read_bytes() == b"an earlier backup"
    assert sorted(out.rglob("*")) == before


def test_a_file_that_is_not_a_database_is_refused_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "notes.sqlite3"
    source.write_bytes(b"this is not a database, just text " * 200)
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{source}")
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
    target = tmp_path / "copy.sqlite3"
    result = CliRunner().invoke(cli, ["backup", str(target)])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "not a database" in result.stderr
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A database of its own (pg_dump dumps whole databases), migrated; dropped afterwards
    with the one the recipe restores into."""
    assert POSTGRES_URL, "TRACKER_TEST_POSTGRES_URL is not set"
    name = "backup_" + uuid.uuid4().hex[:12]
    admin = db.make_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        engine = db.make_engine(url)
        db.upgrade(engine)
        engine.dispose()
        yield url
    finally:
        with admin.connect() as connection:
            for database in (name, f"{name}_restored"):
                connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.skipif(not POSTGRES_URL, reason="TRACKER_TEST_POSTGRES_URL is not set")
def test_postgres_gets_the_pg_dump_recipe_and_it_restores_every_row(
    postgres_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKER_DATABASE_URL", postgres_database)
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
    engine = db.make_engine(postgres_database)
    with Session(engine, expire_on_commit=False) as session:
        ids = {make_patient(session).id for _ in range(5)}
    engine.dispose()
    dump = tmp_path / "tracker dump.pgc"
    result = CliRunner().invoke(cli, ["backup", str(dump)])
    assert result.exit_code == 0, result.stderr
    assert not dump.exists(), "the command only prints the recipe"
    commands = [line for line in result.stdout.splitlines() if not line.startswith("#")]
    assert [line.split()[0] for line in commands] == ["pg_dump", "createdb", "pg_restore"]
    for line in commands:  # run as printed, as an operator would paste it
        ran = subprocess.run(["bash", "-c", line], capture_output=True, text=True, timeout=120)
        assert ran.returncode == 0, (line, ran.stderr)
    restored = db.make_engine(
        make_url(postgres_database)
        .set(database=f"{make_url(postgres_database).database}_restored")
        .render_as_string(hide_password=False)
    )
    db.check_schema(restored)
    with restored.connect() as connection:
        assert set(connection.execute(text("SELECT id FROM patient")).scalars()) == ids
        assert connection.execute(text("SELECT count(*) FROM auditevent")).scalar_one() == 5
    with pytest.raises(DBAPIError, match="append-only"), restored.begin() as connection:
        connection.execute(text("UPDATE auditevent SET actor = 'forger'"))
    restored.dispose()
