"""Benchmark data at scale: N enrollments on the seed pathway, built fast and cached.

One patient is enrolled through the service (its items and reminders are what the seed
pathway gives a patient); the other N - 1 are copies of it moved in time, written by
`INSERT … SELECT` inside the database (no row passes through Python), so 100,000 enrollments
(about 7 million items and 7 million reminders) take a minute or two rather than many. Items
whose deadline has passed are mostly done, some missed or left pending; reminders planned
before now are sent, 1% failed or expired. Every enrollment has a personal link whose token is
`token(i)`, so a cached database needs no list of tokens beside it.

SQLite files are cached under `cache_dir()` keyed by schema head, size, builder version and
the day (the rows sit around the instant they were built); a re-run copies the file. PostgreSQL
is built in a schema of its own, dropped by the caller afterwards.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, Table, insert, select, text

from tracker import create_app, db
from tracker.care.enrollment import enroll
from tracker.care.patients import register_patient
from tracker.clock import utcnow
from tracker.library.pathways import get_pathway, import_document, slug_for, steps_of, versions_of
from tracker.models import (
    AuditEvent,
    ChecklistItem,
    Enrollment,
    Patient,
    PatientLink,
    Reminder,
    User,
)
from tracker.reading.documents import read_document

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "pathways" / "22868.txt"
BUILDER_VERSION = 2  # bump when the rows built change, so cached files are rebuilt
NURSES = 25
BATCH = 20_000
ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles")
# Procedures from ten days ago to twenty days ahead: every dashboard list has rows.
SPREAD_MINUTES = (-10 * 1440, 20 * 1440, 15)
DONE_PERCENT, MISSED_PERCENT, PROBLEM_PER_MILLE = 85, 5, 10
# After the copies, statistics for the planner; on PostgreSQL also the visibility map that
# index-only scans need, which a production database gets from autovacuum (turned off on the
# benchmark's server, and it would otherwise start in the middle of a measurement).
_SETTLE = {"sqlite": "ANALYZE", "postgresql": "VACUUM ANALYZE"}


@dataclass(frozen=True)
class Built:
    """What a build wrote: counts, how long it took, and whether it came from the cache."""

    enrollments: int
    items: int
    reminders: int
    seconds: float
    cached: bool


def token(i: int) -> str:
    """The personal-link token of the i-th enrollment (deterministic, so caches need no list)."""
    return hashlib.sha256(f"scale-bench-{i}".encode()).hexdigest()[:43]


def config(url: str) -> dict[str, Any]:
    """The app settings the benchmark runs with (also passed to gunicorn as TRACKER_*)."""
    return {"DATABASE_URL": url, "SECRET_KEY": "bench", "BASE_URL": "http://127.0.0.1"}


def cache_dir() -> Path:
    """Where built SQLite files are kept between runs (TRACKER_BENCH_CACHE overrides)."""
    default = Path(tempfile.gettempdir()) / "tracker-bench-cache"
    path = Path(os.environ.get("TRACKER_BENCH_CACHE", default))
    path.mkdir(parents=True, exist_ok=True)
    return path


def sqlite_database(folder: Path, enrollments: int) -> tuple[str, Built]:
    """A built SQLite file in `folder` (copied from the cache, or built and cached)."""
    head = db.head_revision() or "none"
    day = utcnow().date().isoformat()
    cached = cache_dir() / f"scale-{head}-{enrollments}-v{BUILDER_VERSION}-{day}.sqlite3"
    target = folder / f"scale-{enrollments}.sqlite3"
    url = f"sqlite:///{target}"
    began = time.perf_counter()
    if cached.exists():
        shutil.copyfile(cached, target)
        engine = db.make_engine(url)
        with engine.connect() as connection:
            built = _counted(connection, enrollments, time.perf_counter() - began, cached=True)
        engine.dispose()
        return url, built
    for old in cache_dir().glob(f"scale-*-{enrollments}-*.sqlite3"):
        old.unlink()  # another day's or schema's: never read again
    engine = db.make_engine(url)
    db.upgrade(engine)
    engine.dispose()
    built = build(url, enrollments=enrollments)
    partial = cached.with_suffix(".partial")
    shutil.copyfile(target, partial)
    partial.rename(cached)  # a killed run leaves no half-written cache entry
    return url, built


def build(url: str, *, enrollments: int, seed: int = 11) -> Built:
    """Write the rows into a migrated, empty database at `url`."""
    began = time.perf_counter()
    app = create_app(config(url))
    engine = db.get_engine(app)
    now = utcnow().replace(microsecond=0)
    template_id, template_start = _template(engine, now)
    rng = random.Random(seed)
    with engine.connect() as connection, _fast_writes(connection), connection.begin():
        nurses = _nurses(connection, now)
        first_enrollment = _patients_and_enrollments(
            connection, template_id, enrollments - 1, nurses, rng
        )
        _links(connection, template_id, first_enrollment, enrollments, now)
        dropped = _drop_indexes(connection, ("checklistitem", "reminder"))
        _copy_items(connection, template_id, template_start, now)
        _copy_reminders(connection, template_id, template_start, now)
        for statement in dropped:
            connection.exec_driver_sql(statement)
        _audit(connection, template_id, now)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(_SETTLE[connection.dialect.name])
        built = _counted(connection, enrollments, time.perf_counter() - began, cached=False)
    engine.dispose()
    return built


@contextmanager
def _fast_writes(connection: Connection) -> Iterator[None]:
    """While the copies are written, no foreign-key checks (SQLite: nor fsync, and a large
    cache; PostgreSQL: no FK triggers); the database is thrown away if the build fails."""
    if connection.dialect.name == "sqlite":
        before = ("foreign_keys=OFF", "synchronous=OFF", "cache_size=-500000")
        after = ("foreign_keys=ON", "synchronous=NORMAL", "cache_size=-2000")
        on, off = [f"PRAGMA {p}" for p in before], [f"PRAGMA {p}" for p in after]
    else:
        on = ["SET session_replication_role = replica"]
        off = ["SET session_replication_role = origin"]
    for statement in on:
        connection.exec_driver_sql(statement)
    connection.commit()  # SQLite's pragmas do nothing inside the copy's transaction
    try:
        yield
    finally:
        connection.rollback()
        for statement in off:
            connection.exec_driver_sql(statement)
        connection.commit()


def _counted(connection: Connection, enrollments: int, seconds: float, *, cached: bool) -> Built:
    items = connection.execute(text("SELECT count(*) FROM checklistitem")).scalar_one()
    reminders = connection.execute(text("SELECT count(*) FROM reminder")).scalar_one()
    return Built(enrollments, int(items), int(reminders), seconds, cached)


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _bulk(connection: Connection, model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        connection.execute(insert(_table(model)), rows[start : start + BATCH])


def _template(engine: Engine, now: datetime) -> tuple[int, datetime]:
    """The seed pathway published and one patient enrolled through the service."""
    with db.session_scope(engine) as session:
        document = read_document(SEED)
        import_document(session=session, document=document, now=now)
        pathway = get_pathway(session, slug_for(document))
        assert pathway is not None
        version = versions_of(session, pathway)[-1]
        version.state, version.published_at = "published", now
        session.add(version)
        session.flush()
        patient = register_patient(
            session=session, mrn="P0000000", name="Bench Patient 0", now=now, actor="bench"
        )
        start = (now + timedelta(days=1)).astimezone(ZoneInfo(ZONES[0]))
        enrolled = enroll(
            session=session,
            patient=patient,
            version=version,
            start=start.replace(minute=0, second=0, microsecond=0, tzinfo=None),
            now=now,
            actor="bench",
            confirm=[s.id for s in steps_of(session, version) if s.conditional and s.id],
        )
        assert enrolled.id is not None
        return enrolled.id, enrolled.procedure_start


def _nurses(connection: Connection, now: datetime) -> list[int]:
    hashed = "$argon2id$v=19$m=65536,t=3,p=4$bench$bench"  # never used to sign in
    _bulk(
        connection,
        User,
        [
            {
                "email": f"nurse{i}@bench.invalid",
                "name": f"Nurse {i}",
                "password_hash": hashed,
                "role": "nurse",
                "active": True,
                "created_at": now,
            }
            for i in range(NURSES)
        ],
    )
    return list(connection.execute(select(_table(User).c.id)).scalars())


def _row(connection: Connection, model: Any, row_id: int) -> dict[str, Any]:
    table = _table(model)
    found = connection.execute(select(table).where(table.c.id == row_id)).one()._asdict()
    del found["id"]
    return found


def _patients_and_enrollments(
    connection: Connection, template_id: int, copies: int, nurses: list[int], rng: random.Random
) -> int:
    """Copies of the template's patient and enrollment (any column added later is copied
    too), moved in time; returns the first copy's enrollment id."""
    enrollment = _row(connection, Enrollment, template_id)
    patient = _row(connection, Patient, enrollment["patient_id"])
    first_patient = _next_id(connection, Patient)
    _bulk(
        connection,
        Patient,
        [
            {**patient, "mrn": f"P{i:07d}", "name": f"Bench Patient {i}", "timezone": _zone(i)}
            for i in range(1, copies + 1)
        ],
    )
    first = _next_id(connection, Enrollment)
    rows = []
    for i in range(1, copies + 1):
        shift = timedelta(minutes=rng.randrange(*SPREAD_MINUTES))
        moved = {k: enrollment[k] + shift for k in ("procedure_start", "procedure_end", "horizon")}
        rows.append(
            {
                **enrollment,
                **moved,
                "patient_id": first_patient + i - 1,
                "timezone": _zone(i),
                "nurse_id": rng.choice(nurses),
            }
        )
    _bulk(connection, Enrollment, rows)
    return first


def _zone(i: int) -> str:
    return ZONES[i % len(ZONES)]


def _next_id(connection: Connection, model: Any) -> int:
    table = _table(model)
    last = connection.execute(select(table.c.id).order_by(table.c.id.desc()).limit(1)).scalar()
    return int(last or 0) + 1


def _links(
    connection: Connection, template_id: int, first: int, enrollments: int, now: datetime
) -> None:
    """One personal link per enrollment: the template's is token(0), the i-th copy's token(i)."""
    ids = [template_id] + list(range(first, first + enrollments - 1))
    _bulk(
        connection,
        PatientLink,
        [
            {
                "enrollment_id": enrollment_id,
                "token_hash": hashlib.sha256(token(i).encode()).hexdigest(),
                "created_at": now,
                "expires_at": now + timedelta(days=120),
                "revoked_at": None,
            }
            for i, enrollment_id in enumerate(ids)
        ],
    )


def _drop_indexes(connection: Connection, tables: tuple[str, ...]) -> list[str]:
    """Drop the named secondary indexes of `tables`; returns the statements that rebuild them
    (building an index once after the rows is far quicker than keeping it up row by row)."""
    names = ", ".join(f"'{t}'" for t in tables)
    if connection.dialect.name == "sqlite":
        query = (
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({names}) "
            "AND sql IS NOT NULL"
        )
    else:
        query = (
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            f"AND tablename IN ({names}) AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        )
    found = [(str(name), str(sql)) for name, sql in connection.exec_driver_sql(query)]
    for name, _ in found:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    return [sql for _, sql in found]


def _shifted(connection: Connection, column: str) -> str:
    """SQL for `column` moved by the copy's shift (its procedure start less the template's)."""
    if connection.dialect.name == "sqlite":
        minutes = "CAST(round((julianday(e.procedure_start) - julianday(:start)) * 1440) AS INT)"
        return f"strftime('%Y-%m-%d %H:%M:%S.000000', {column}, printf('%+d minutes', {minutes}))"
    return f"({column} + (e.procedure_start - :start))"


def _columns(connection: Connection, model: Any) -> list[str]:
    return [c.name for c in _table(model).columns if c.name != "id"]


def _insert_select(
    connection: Connection, model: Any, source: str, overrides: dict[str, str], **params: Any
) -> None:
    """INSERT … SELECT copying every column of the template row `t` but the overridden ones."""
    columns = _columns(connection, model)
    values = ", ".join(overrides.get(name, f"t.{name}") for name in columns)
    table = _table(model).name
    statement = f"INSERT INTO {table} ({', '.join(columns)}) SELECT {values} {source}"
    connection.execute(text(statement), params)


def _params(connection: Connection, template_start: datetime, now: datetime) -> dict[str, Any]:
    naive_start = template_start.astimezone(UTC).replace(tzinfo=None)
    naive_now = now.astimezone(UTC).replace(tzinfo=None)
    if connection.dialect.name == "sqlite":
        return {
            "start": f"{naive_start:%Y-%m-%d %H:%M:%S.%f}",
            "now": f"{naive_now:%Y-%m-%d %H:%M:%S.%f}",
        }
    return {"start": naive_start, "now": naive_now}


def _copy_items(
    connection: Connection, template_id: int, template_start: datetime, now: datetime
) -> None:
    due = _shifted(connection, "t.due_at")
    roll = "((e.id * 7919 + t.id * 104729) % 100)"
    status = (
        f"CASE WHEN {due} >= :now THEN 'pending' WHEN {roll} < {DONE_PERCENT} THEN 'done' "
        f"WHEN {roll} < {DONE_PERCENT + MISSED_PERCENT} THEN 'missed' ELSE 'pending' END"
    )
    _insert_select(
        connection,
        ChecklistItem,
        "FROM checklistitem t JOIN enrollment e ON e.id <> :template "
        "WHERE t.enrollment_id = :template",
        {
            "enrollment_id": "e.id",
            "opens_at": _shifted(connection, "t.opens_at"),
            "due_at": due,
            "expires_at": _shifted(connection, "t.expires_at"),
            "status": status,
            "acted_at": f"CASE WHEN {due} < :now AND {roll} < {DONE_PERCENT} THEN {due} END",
            "acted_by": f"CASE WHEN {due} < :now AND {roll} < {DONE_PERCENT} THEN 'link:1' "
            "ELSE '' END",
        },
        template=template_id,
        **_params(connection, template_start, now),
    )


def _copy_reminders(
    connection: Connection, template_id: int, template_start: datetime, now: datetime
) -> None:
    send_at = _shifted(connection, "t.send_at")
    roll = "((e.id * 7919 + t.id * 104729) % 1000)"
    status = (
        f"CASE WHEN {send_at} >= :now THEN 'pending' WHEN {roll} < {PROBLEM_PER_MILLE // 2} "
        f"THEN 'failed' WHEN {roll} < {PROBLEM_PER_MILLE} THEN 'expired' ELSE 'sent' END"
    )
    _insert_select(
        connection,
        Reminder,
        "FROM reminder t JOIN checklistitem ti ON ti.id = t.item_id "
        "JOIN enrollment e ON e.id <> :template "
        "JOIN checklistitem ni ON ni.enrollment_id = e.id AND ni.step_id = ti.step_id "
        "AND ni.occurrence = ti.occurrence WHERE t.enrollment_id = :template",
        {
            "item_id": "ni.id",
            "enrollment_id": "e.id",
            "send_at": send_at,
            "status": status,
            "attempts": f"CASE WHEN {send_at} < :now THEN 1 ELSE 0 END",
            "idempotency_key": "'b' || e.id || '-' || t.id",
            "last_error": f"CASE WHEN {send_at} < :now AND {roll} < {PROBLEM_PER_MILLE // 2} "
            "THEN '550 mailbox unavailable' ELSE '' END",
            "sent_at": f"CASE WHEN {send_at} < :now AND {roll} >= {PROBLEM_PER_MILLE} "
            f"THEN {send_at} END",
        },
        template=template_id,
        **_params(connection, template_start, now),
    )


def _audit(connection: Connection, template_id: int, now: datetime) -> None:
    """One 'enrollment.create' event per copy, as enrolling writes."""
    _insert_select(
        connection,
        AuditEvent,
        "FROM enrollment e JOIN (SELECT * FROM auditevent WHERE subject_type = 'enrollment' "
        "AND subject_id = :template LIMIT 1) t ON 1 = 1 WHERE e.id <> :template",
        {"subject_id": "e.id", "patient_id": "e.patient_id"},
        template=template_id,
    )
