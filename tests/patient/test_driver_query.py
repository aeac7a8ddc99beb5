"""The hot paths' shortcuts read what SQLAlchemy reads: DriverQuery, packed rows, static URLs,
and the SQLite engine's pragmas."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask, url_for
from sqlalchemy import Select, bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from tests.conftest import POSTGRES_URL, postgres_schema
from tests.enrollment_helpers import NOW, make_patient
from tests.patient_helpers import Linked, linked
from tracker import create_app, db
from tracker.models import Enrollment, Patient, PatientLink, Step
from tracker.patient.driver_query import DriverQuery
from tracker.patient.packed_rows import json_rows, unpack
from tracker.web.assets import static_url

BIRTH = date(1961, 2, 28)
UTC_START = datetime(2027, 3, 8, 13, 0, tzinfo=UTC)  # the helpers' 08:00 EST procedure
NEW_YORK = ZoneInfo("America/New_York")

# Datetime parameters, a string and a datetime literal, a limit: every kind of value the
# DriverQuery has to bind; dates, aware datetimes, ints, strings and NULL come back.
LINKED_PATIENT = (
    sa_select(
        col(Patient.id),
        col(Patient.name),
        col(Patient.birth_date),
        col(Enrollment.procedure_start),
        col(Enrollment.horizon),
        col(PatientLink.created_at),
        col(PatientLink.revoked_at),
    )
    .join_from(Patient, Enrollment, col(Enrollment.patient_id) == Patient.id)
    .join(PatientLink, col(PatientLink.enrollment_id) == Enrollment.id)
    .where(
        col(Patient.mrn) == bindparam("mrn"),
        col(Enrollment.procedure_start) >= bindparam("after"),
        col(Enrollment.state) == "active",
        col(PatientLink.created_at) == NOW,
    )
    .order_by(col(PatientLink.id))
    .limit(5)
)
REQUIRED = ("mrn", "after")
ROW_TYPES = [int, str, date, datetime, datetime, datetime, type(None)]

LINK_COLUMNS = (
    col(PatientLink.id),
    col(PatientLink.token_hash),
    col(PatientLink.created_at),
    col(PatientLink.expires_at),
    col(PatientLink.revoked_at),
)
LINK_TIMES = (2, 3, 4)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL schema of its own, beside the test's SQLite database."""
    if not POSTGRES_URL:
        pytest.skip("TRACKER_TEST_POSTGRES_URL is not set")
    yield from postgres_schema(migrate=True)


def _linked_patient(session: Session, name: str = "Ann Lee") -> tuple[Linked, str]:
    """A patient born on BIRTH, enrolled with a link issued at NOW; and the patient's MRN."""
    patient = make_patient(session, name=name, birth_date=BIRTH)
    return linked(session, patient=patient), patient.mrn


def _both_ways(
    session: Session, statement: Select[Any], params: dict[str, Any]
) -> tuple[tuple[Any, ...] | None, tuple[Any, ...] | None]:
    """(DriverQuery's row, connection.execute's row) for the same statement and parameters."""
    connection = session.connection()
    query = DriverQuery(statement, required=tuple(params))
    row = connection.execute(statement, params).first()
    return query.first(connection, params), None if row is None else tuple(row)


def _naive(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC).replace(tzinfo=None)


# --- DriverQuery -------------------------------------------------------------------------


@pytest.mark.both_databases
def test_driver_query_reads_the_row_connection_execute_reads(session: Session) -> None:
    ann, mrn = _linked_patient(session)
    _linked_patient(session, name="Bob Roe")
    params = {"mrn": mrn, "after": UTC_START - timedelta(days=1)}

    got, expected = _both_ways(session, LINKED_PATIENT, params)

    assert got == expected
    assert got == (
        ann.enrollment.patient_id,
        "Ann Lee",
        BIRTH,
        UTC_START,
        ann.enrollment.horizon,
        NOW,
        None,
    )
    assert expected is not None
    assert [type(value) for value in got] == [type(value) for value in expected] == ROW_TYPES
    assert all(isinstance(moment, datetime) and moment.tzinfo is UTC for moment in got[3:6])


@pytest.mark.both_databases
def test_driver_query_converts_aware_parameters_to_the_stored_utc(session: Session) -> None:
    _, mrn = _linked_patient(session)
    if session.connection().dialect.name == "postgresql":
        # A server in another zone would read an aware value sent as is in its own zone.
        session.connection().exec_driver_sql("SET LOCAL TIME ZONE 'Asia/Tokyo'")
    # The same instants in New York time: only a conversion to naive UTC compares them right.
    at_start = UTC_START.astimezone(NEW_YORK)
    just_after = (UTC_START + timedelta(microseconds=1)).astimezone(NEW_YORK)

    got, expected = _both_ways(session, LINKED_PATIENT, {"mrn": mrn, "after": at_start})
    assert got == expected and got is not None and got[1] == "Ann Lee"
    assert _both_ways(session, LINKED_PATIENT, {"mrn": mrn, "after": just_after}) == (None, None)


@pytest.mark.both_databases
def test_driver_query_applies_the_statements_literals(session: Session) -> None:
    cancelled, mrn = _linked_patient(session)
    params = {"mrn": mrn, "after": UTC_START}
    assert _both_ways(session, LINKED_PATIENT, params)[0] is not None
    cancelled.enrollment.state = "cancelled"
    session.add(cancelled.enrollment)
    session.commit()

    assert _both_ways(session, LINKED_PATIENT, params) == (None, None)


@pytest.mark.both_databases
def test_driver_query_returns_none_when_no_row_matches(session: Session) -> None:
    _linked_patient(session)

    got, expected = _both_ways(session, LINKED_PATIENT, {"mrn": "NO-SUCH", "after": UTC_START})
    assert got is None and expected is None


@pytest.mark.parametrize(
    ("statement", "required", "problem"),
    [
        (sa_select(col(Patient.name)).where(col(Patient.id).in_([1, 2])), (), "IN lists"),
        (
            sa_select(col(Patient.name)).where(col(Patient.mrn) == bindparam("m.r n")),
            ("m.r n",),
            "no parameter named m.r n",
        ),
        (sa_select(col(Step.confidence)), (), "numeric columns"),
    ],
    ids=["in_list", "rewritten_name", "numeric_column"],
)
def test_driver_query_refuses_what_it_cannot_run_like_execute(
    session: Session, statement: Select[Any], required: tuple[str, ...], problem: str
) -> None:
    # Refused with a message at the first call instead of wrong SQL or a driver error.
    query = DriverQuery(statement, required=required)
    with pytest.raises(ValueError, match=problem):
        query.first(session.connection(), dict.fromkeys(required, "x"))


def test_one_driver_query_serves_sqlite_and_postgresql_in_turn(
    database_url: str, postgres_url: str
) -> None:
    query = DriverQuery(LINKED_PATIENT, required=REQUIRED)
    engines = {"sqlite": db.make_engine(database_url), "postgresql": db.make_engine(postgres_url)}
    try:
        mrns = {}
        for kind, engine in engines.items():
            with Session(engine, expire_on_commit=False) as session:
                mrns[kind] = _linked_patient(session, name=f"On {kind}")[1]
        # SQLite's compilation is kept while PostgreSQL's is made, and each keeps its own.
        for kind in ("sqlite", "postgresql", "sqlite", "postgresql"):
            with Session(engines[kind]) as session:
                params = {"mrn": mrns[kind], "after": UTC_START}
                row = query.first(session.connection(), params)
                assert row is not None and row[1:4] == (f"On {kind}", BIRTH, UTC_START)
    finally:
        for engine in engines.values():
            engine.dispose()


# --- packed rows -------------------------------------------------------------------------


def _links_with_times(session: Session) -> tuple[Linked, list[PatientLink]]:
    """The link `linked` issues plus two more, with microseconds and one revoked."""
    ann, _ = _linked_patient(session)
    more = [
        PatientLink(
            enrollment_id=ann.id,
            token_hash="a" * 64,
            created_at=datetime(2027, 3, 2, 9, 30, 15, 250_000, tzinfo=UTC),
            expires_at=datetime(2027, 4, 1, 0, 0, 0, 1, tzinfo=UTC),
            revoked_at=datetime(2027, 3, 3, 23, 59, 59, 999_999, tzinfo=UTC),
        ),
        PatientLink(
            enrollment_id=ann.id,
            token_hash="b" * 64,
            created_at=datetime(2027, 3, 4, tzinfo=UTC),
            expires_at=datetime(2027, 5, 1, tzinfo=UTC),
        ),
    ]
    session.add_all(more)
    session.commit()
    return ann, [ann.link, *more]


def _packed_links(enrollment_id: int) -> Select[Any]:
    return sa_select(json_rows(*LINK_COLUMNS)).where(
        col(PatientLink.enrollment_id) == enrollment_id
    )


@pytest.mark.both_databases
def test_json_rows_packs_every_row_and_unpack_restores_the_stored_times(
    session: Session,
) -> None:
    ann, links = _links_with_times(session)

    packed = session.connection().execute(_packed_links(ann.id)).scalar_one()
    rows = unpack(packed, LINK_TIMES)

    expected: list[list[Any]] = [
        [
            link.id,
            link.token_hash,
            _naive(link.created_at),
            _naive(link.expires_at),
            _naive(link.revoked_at),
        ]
        for link in links
    ]
    assert sorted(rows, key=lambda row: row[0]) == sorted(expected, key=lambda row: row[0])
    times = [row[position] for row in rows for position in LINK_TIMES]
    assert sum(moment is None for moment in times) == 2  # two links never revoked
    assert all(moment.tzinfo is None for moment in times if moment is not None)


@pytest.mark.both_databases
def test_json_rows_over_no_rows_is_an_empty_list(session: Session) -> None:
    ann, _ = _linked_patient(session)

    # PostgreSQL's json_agg gives NULL here; both databases must give the same empty array.
    packed = session.connection().execute(_packed_links(ann.id + 1)).scalar_one()
    assert packed == []
    assert unpack(packed, LINK_TIMES) == []


@pytest.mark.both_databases
def test_driver_query_reads_packed_rows_as_connection_execute_does(session: Session) -> None:
    ann, _ = _links_with_times(session)
    statement = sa_select(
        sa_select(json_rows(*LINK_COLUMNS))
        .where(col(PatientLink.enrollment_id) == bindparam("enrollment"))
        .scalar_subquery()
        .label("links")
    )

    for enrollment_id, count in ((ann.id, 3), (ann.id + 1, 0)):
        got, expected = _both_ways(session, statement, {"enrollment": enrollment_id})
        assert got == expected and got is not None
        assert len(unpack(got[0], LINK_TIMES)) == count


def test_unpack_decodes_a_raw_json_string() -> None:
    packed = '[[1, "2027-03-01 12:00:00.500000", null], [2, "2027-03-01T13:00:00", "x"]]'

    assert unpack(packed, (1,)) == [
        [1, datetime(2027, 3, 1, 12, 0, 0, 500_000), None],
        [2, datetime(2027, 3, 1, 13, 0), "x"],
    ]


# --- static addresses --------------------------------------------------------------------


def test_static_url_is_url_for_at_the_site_root(app: Flask) -> None:
    with app.test_request_context("/"):
        assert static_url("app.css") == url_for("static", filename="app.css") == "/static/app.css"
        assert static_url("a b.js") == url_for("static", filename="a b.js") == "/static/a%20b.js"


@pytest.mark.parametrize(
    "mounted",
    [
        {"environ_overrides": {"SCRIPT_NAME": "/tracker"}},
        {"base_url": "http://localhost/tracker"},
    ],
    ids=["script_name", "base_url"],
)
def test_static_url_is_url_for_under_a_mount_prefix(app: Flask, mounted: dict[str, Any]) -> None:
    # environ_base would not do: the test client's own SCRIPT_NAME replaces it.
    with app.test_request_context("/", **mounted):
        expected = url_for("static", filename="app.css")
        assert static_url("app.css") == expected == "/tracker/static/app.css"


def test_static_url_keeps_each_mount_points_address_apart(app: Flask) -> None:
    seen = []
    for root in ("/one", "/two", "", "/one"):
        with app.test_request_context("/", environ_overrides={"SCRIPT_NAME": root}):
            assert static_url("patient.js") == url_for("static", filename="patient.js")
            seen.append(static_url("patient.js"))
    assert seen == [
        "/one/static/patient.js",
        "/two/static/patient.js",
        "/static/patient.js",
        "/one/static/patient.js",
    ]


def test_static_url_follows_the_apps_static_path(app: Flask) -> None:
    with app.test_request_context("/"):
        assert static_url("app.css") == "/static/app.css"
    other = Flask("other", static_url_path="/assets")
    with other.test_request_context("/"):
        assert static_url("app.css") == url_for("static", filename="app.css") == "/assets/app.css"


# --- SQLite engine -----------------------------------------------------------------------


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
