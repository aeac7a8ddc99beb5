"""Engine, request-scoped session, the Alembic migrations entry and backups."""

from __future__ import annotations

import os
import shlex
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app, g
from sqlalchemy import URL, Connection, Engine, event, make_url
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, create_engine

from tracker.errors import N_, InvalidInput, SchemaOutdated

MIGRATIONS = Path(__file__).parent / "migrations"
ENGINE_KEY = "tracker.engine"
SQLITE_POOL_SIZE = 32
NO_OVERWRITE = N_("%(path)s: already exists (a backup never overwrites a file)")


def make_engine(url: str, *, mmap_bytes: int = 0) -> Engine:
    """An engine; SQLite gets foreign keys, WAL and a busy timeout so readers never block, and
    reads through a memory map of `mmap_bytes` (config SQLITE_MMAP_BYTES says when)."""
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        # A threaded server runs a request per thread: keep enough connections pooled that
        # busy moments do not reconnect (and re-run the pragmas) on every request.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=SQLITE_POOL_SIZE,
        )
        event.listen(engine, "connect", partial(_sqlite_pragmas, mmap_bytes=mmap_bytes))
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(
    dbapi_connection: Any, _record: ConnectionPoolEntry, *, mmap_bytes: int
) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # A memory map instead of a read() call per page: address space, not memory.
    cursor.execute(f"PRAGMA mmap_size={int(mmap_bytes)}")
    cursor.close()


def alembic_config(engine: Engine) -> Config:
    """Alembic configured in code (no alembic.ini needed), bound to this engine."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision`."""
    command.upgrade(alembic_config(engine), revision)


def head_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def check_schema(engine: Engine) -> None:
    """Refuse to run against a database the migrations have not brought up to date."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise SchemaOutdated(
            f"database schema is at {current or 'nothing'}, the code needs {head}: "
            "run `tracker db upgrade`"
        )


def init_app(app: Flask) -> None:
    """Create the engine, check the schema, close the request's session on teardown."""
    engine = make_engine(
        app.config["DATABASE_URL"], mmap_bytes=int(app.config["SQLITE_MMAP_BYTES"])
    )
    app.extensions[ENGINE_KEY] = engine
    if app.config["CHECK_SCHEMA"]:
        check_schema(engine)
    app.teardown_appcontext(_close_session)


def get_engine(app: Flask | None = None) -> Engine:
    engine: Engine = (app or current_app).extensions[ENGINE_KEY]
    return engine


def get_session() -> Session:
    """The session for this request or app context, opened on first use."""
    if "db_session" not in g:
        g.db_session = Session(get_engine(), expire_on_commit=False)
    session: Session = g.db_session
    return session


def get_connection() -> Connection:
    """A plain connection for this request's reads, opened on first use: pages that only read
    skip the session's unit of work (opening and closing one costs four times as much). A
    request that already has a session reads through the session's connection."""
    if "db_session" in g:
        return get_session().connection()
    if "db_connection" not in g:
        g.db_connection = get_engine().connect()
    connection: Connection = g.db_connection
    return connection


def connection_of(db: Session | Connection) -> Connection:
    """The connection behind a session (or the connection itself)."""
    return db.connection() if isinstance(db, Session) else db


def engine_of(db: Session | Connection) -> Engine:
    """The database a session or connection works on (without connecting a session)."""
    bind = db.get_bind() if isinstance(db, Session) else db
    return bind.engine if isinstance(bind, Connection) else bind


@contextmanager
def orm_session(db: Session | Connection) -> Iterator[Session]:
    """An ORM session on `db`: the session itself, or one joined to the connection's work."""
    if isinstance(db, Session):
        yield db
        return
    with Session(bind=db, expire_on_commit=False) as session:
        yield session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
    connection = g.pop("db_connection", None)
    if connection is not None:
        connection.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session outside requests (commands, jobs): committed on success, rolled back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def backup_sqlite(*, url: str, target: Path) -> int:
    """Copy the live SQLite database at `url` to the new file `target` with SQLite's online
    backup API; returns the pages copied.

    The copy is one consistent instant: a single backup step reads under one read transaction,
    and in WAL mode writers go on meanwhile. It is written beside `target`, checked with
    `PRAGMA integrity_check`, synced, and only then linked into place, so `target` appears whole
    or not at all and an existing file is never overwritten (a plain `cp` of the live file
    misses what is still in the -wal file and can tear pages mid-write).
    """
    source = make_url(url).database or ""
    if source in ("", ":memory:") or source.startswith("file::memory:"):
        raise InvalidInput("database", "an in-memory database has nothing to back up")
    if not Path(source).is_file():
        raise InvalidInput("database", "%(path)s: no such database file", path=source)
    if os.path.lexists(target):
        raise InvalidInput("PATH", NO_OVERWRITE, path=target)
    if not target.parent.is_dir():
        raise InvalidInput("PATH", "%(path)s: no such directory", path=target.parent)
    try:
        handle, partial_name = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".partial"
        )
    except OSError as error:
        raise InvalidInput(
            "PATH",
            "%(path)s: cannot write here (%(reason)s)",
            path=target.parent,
            reason=error.strerror,
        ) from None
    os.close(handle)
    partial = Path(partial_name)
    try:
        pages = _copy_pages(Path(source), partial)
        try:
            os.link(partial, target)  # fails, rather than overwrites, if target appeared meanwhile
        except FileExistsError:
            raise InvalidInput("PATH", NO_OVERWRITE, path=target) from None
        except OSError as error:  # a file system without hard links, say
            raise InvalidInput(
                "PATH",
                "%(path)s: cannot write here (%(reason)s)",
                path=target.parent,
                reason=error.strerror,
            ) from None
        return pages
    finally:
        partial.unlink(missing_ok=True)


def _copy_pages(source: Path, copy: Path) -> int:
    reader = sqlite3.connect(source, timeout=30)
    writer = sqlite3.connect(copy)
    try:
        try:
            reader.backup(writer)  # pages=-1: every page in one step, so one snapshot
        except sqlite3.DatabaseError as error:  # not a database, or a damaged one
            raise RuntimeError(f"backup of {source} failed: {error}") from None
        # A self-contained file: the copy keeps no -wal beside it (the app turns WAL back on).
        writer.execute("PRAGMA journal_mode=DELETE")
        (verdict,) = writer.execute("PRAGMA integrity_check").fetchone()
        if verdict != "ok":
            raise RuntimeError(f"the copy fails PRAGMA integrity_check: {verdict}")
        (pages,) = writer.execute("PRAGMA page_count").fetchone()
    finally:
        writer.close()
        reader.close()
    with open(copy, "rb") as handle:
        os.fsync(handle.fileno())
    return int(pages)


def pg_dump_recipe(*, url: str, target: Path) -> str:
    """The commands that back up the PostgreSQL database at `url` into `target` and restore it
    into a new database; the password is left out (give it with PGPASSWORD or ~/.pgpass)."""
    given = make_url(url)
    restored = f"{given.database}_restored"
    address, restored_address = (
        URL.create(
            "postgresql",
            username=given.username,
            host=given.host,
            port=given.port,
            database=database,
            query=given.query,
        ).render_as_string(hide_password=False)
        for database in (given.database, restored)
    )
    dump, address, restored_address = map(shlex.quote, (str(target), address, restored_address))
    return "\n".join(
        [
            "# PostgreSQL: pg_dump reads one consistent snapshot while the app keeps running.",
            f"pg_dump --format=custom --file={dump} {address}",
            f"# Restore into a new, empty database ({restored}), then point TRACKER_DATABASE_URL"
            " at it:",
            f"createdb --maintenance-db={address} {shlex.quote(restored)}",
            f"pg_restore --no-owner --exit-on-error --dbname={restored_address} {dump}",
        ]
    )
