"""The audit trail: rows recorded with before and after, read back per patient, never changed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from tests.enrollment_helpers import NOW, make_patient
from tracker import audit, db, errors
from tracker.models import AuditEvent, Patient


@pytest.mark.both_databases
def test_record_and_history_keep_who_when_and_values_in_order(session: Session) -> None:
    patient = make_patient(session, birth_date=date(1960, 4, 30))
    assert patient.id is not None
    later = NOW + timedelta(minutes=5)
    audit.record(
        session=session,
        actor="user:7",
        action="patient.note",
        subject=patient,
        before={"phone": ""},
        after={"phone": "+1 555 010 0199", "at": later},
        patient_id=patient.id,
        now=later,
    )
    session.commit()

    rows = audit.history(session, patient.id)
    assert [(r.action, r.actor) for r in rows] == [
        ("patient.register", "test"),
        ("patient.note", "user:7"),
    ]
    first, second = rows
    assert (first.subject_type, first.subject_id, first.at) == ("patient", patient.id, NOW)
    assert first.before is None
    assert first.after is not None and first.after["birth_date"] == "1960-04-30"
    assert second.before == {"phone": ""}
    assert second.after == {"phone": "+1 555 010 0199", "at": later.isoformat()}
    other = make_patient(session)
    assert other.id is not None and [r.action for r in audit.history(session, other.id)] == [
        "patient.register"
    ]


def test_audit_rows_can_be_neither_updated_nor_deleted(session: Session) -> None:
    make_patient(session)
    row = session.exec(select(AuditEvent)).one()
    row.actor = "someone else"
    session.add(row)
    with pytest.raises(errors.AuditRowChanged):
        session.flush()
    session.rollback()
    row = session.exec(select(AuditEvent)).one()
    session.delete(row)
    with pytest.raises(errors.AuditRowChanged):
        session.flush()
    session.rollback()
    assert session.exec(select(AuditEvent)).one().actor == "test"


INSERT = text(
    "INSERT INTO auditevent (at, actor, action, subject_type, subject_id, patient_id)"
    " VALUES (:at, 'sql', 'plain.insert', 'patient', 1, 1)"
)
# Plain SQL, as a console or another program would send it: the ORM's guard is not involved.
CHANGES = {
    "update": "UPDATE auditevent SET actor = 'forger'",
    "delete": "DELETE FROM auditevent",
}


@pytest.mark.both_databases
@pytest.mark.parametrize("change", sorted(CHANGES))
def test_the_database_refuses_plain_sql_that_changes_audit_rows(
    database_url: str, change: str
) -> None:
    engine = db.make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(INSERT, {"at": NOW})
        connection.execute(INSERT, {"at": NOW})
    with pytest.raises(DBAPIError, match=f"append-only: {change.upper()} refused"):
        with engine.begin() as connection:
            connection.execute(text(CHANGES[change]))
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT actor FROM auditevent")).scalars().all()
    assert rows == ["sql", "sql"]
    engine.dispose()


@pytest.mark.both_databases
def test_truncate_is_refused_on_postgresql_and_downgrade_lifts_the_triggers(
    database_url: str,
) -> None:
    engine = db.make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(INSERT, {"at": NOW})
    if engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="append-only: TRUNCATE refused"):
            with engine.begin() as connection:
                connection.execute(text("TRUNCATE auditevent"))
    # Below 0005 the table is plain again, and upgrading puts the triggers back.
    command.downgrade(db.alembic_config(engine), "0004")
    with engine.begin() as connection:
        connection.execute(text(CHANGES["update"]))
    db.upgrade(engine)
    with pytest.raises(DBAPIError, match="append-only: DELETE refused"):
        with engine.begin() as connection:
            connection.execute(text(CHANGES["delete"]))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT actor FROM auditevent")).scalars().all() == [
            "forger"
        ]
    engine.dispose()


def test_a_subject_needs_an_id_before_it_can_be_audited(session: Session) -> None:
    unsaved = Patient(mrn="X", name="Y", timezone="UTC", created_at=NOW)
    with pytest.raises(ValueError, match="flush first"):
        audit.record(
            session=session,
            actor="t",
            action="a",
            subject=unsaved,
            before=None,
            after=None,
            patient_id=None,
            now=NOW,
        )


def test_snapshot_and_changes_give_json_ready_differences() -> None:
    patient = Patient(
        mrn="M1",
        name="Ann",
        timezone="UTC",
        created_at=NOW,
        birth_date=date(1990, 1, 2),
        channels=["email"],
    )
    before = audit.snapshot(patient, ("name", "birth_date", "channels", "created_at"))
    assert before == {
        "name": "Ann",
        "birth_date": "1990-01-02",
        "channels": ["email"],
        "created_at": NOW.isoformat(),
    }
    patient.name = "Anne"
    old, new = audit.changes(before, audit.snapshot(patient, ("name", "birth_date")))
    assert (old, new) == ({"name": "Ann"}, {"name": "Anne"})
