"""Registering and updating patients: every field checked, nothing partial written, all audited."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlmodel import Session, func, select

from tests.enrollment_helpers import NOW, make_patient
from tracker import audit
from tracker.care.patients import parse_birth_date, register_patient, update_patient
from tracker.cli import cli
from tracker.errors import InvalidInput
from tracker.models import AuditEvent, Patient


def _register(session: Session, **overrides: Any) -> Patient:
    values: dict[str, Any] = {"mrn": "A100", "name": "Ann Lee", "now": NOW, "actor": "user:1"}
    values.update(overrides)
    return register_patient(session=session, **values)


def _count(session: Session, table: type[Any]) -> int:
    return session.exec(select(func.count()).select_from(table)).one()


def _cli(args: list[str], database_url: str, tmp_path: Path, **env: str) -> Result:
    environment = {
        "TRACKER_DATABASE_URL": database_url,
        "TRACKER_INSTANCE_PATH": str(tmp_path / "instance"),
        **env,
    }
    return CliRunner().invoke(cli, args, env=environment)


@pytest.mark.both_databases
def test_register_stores_the_patient_with_defaults_and_an_audit_row(session: Session) -> None:
    patient = _register(
        session,
        email="ann@example.org",
        phone="+1 (555) 010-0199",
        birth_date=date(1960, 4, 30),
        channels=["email", "inapp", "email"],
    )
    session.commit()
    stored = session.get(Patient, patient.id)
    assert stored is not None
    assert (stored.mrn, stored.name, stored.timezone) == ("A100", "Ann Lee", "America/New_York")
    assert (stored.reminder_hour, stored.quiet_start, stored.quiet_end) == (9, "21:00", "07:00")
    assert stored.channels == ["email", "inapp"]
    assert stored.birth_date == date(1960, 4, 30) and stored.created_at == NOW
    [event] = audit.history(session, stored.id or 0)
    assert (event.action, event.actor, event.before) == ("patient.register", "user:1", None)
    assert event.after is not None and event.after["phone"] == "+1 (555) 010-0199"


def test_the_zone_defaults_to_the_configured_one_and_text_is_trimmed(session: Session) -> None:
    patient = _register(
        session, mrn="  B7 ", name=" Bo ", timezone=" ", default_zone="Europe/Lisbon"
    )
    assert (patient.mrn, patient.name, patient.timezone) == ("B7", "Bo", "Europe/Lisbon")


def test_markup_is_stored_exactly_as_typed(session: Session) -> None:
    name = "<script>alert('x')</script> & <b>Ann</b>"
    patient = _register(session, name=name)
    session.commit()
    assert session.exec(select(Patient.name).where(Patient.id == patient.id)).one() == name


INVALID = [
    ("mrn", {"mrn": ""}, "is required"),
    ("mrn", {"mrn": "M" * 41}, "at most 40 characters"),
    ("name", {"name": "   "}, "is required"),
    ("name", {"name": "x" * 201}, "at most 200 characters"),
    ("name", {"name": "Ann\x07Lee"}, "control character (U+0007)"),
    ("name", {"name": "Ann\u202eLee"}, "control character (U+202E)"),
    ("name", {"name": 42}, "must be text"),
    ("email", {"email": "ann.example.org"}, "not an email address"),
    ("email", {"email": "a@" + "b" * 250 + ".org"}, "at most 254 characters"),
    ("phone", {"phone": "call me"}, "not a phone number"),
    ("phone", {"phone": "12345"}, "not a phone number"),
    ("timezone", {"timezone": "Mars/Olympus_Mons"}, "unknown time zone"),
    ("birth_date", {"birth_date": date(2027, 3, 2)}, "in the future"),
    ("birth_date", {"birth_date": date(1899, 12, 31)}, "before 1900-01-01"),
    ("reminder_hour", {"reminder_hour": 24}, "0 to 23"),
    ("reminder_hour", {"reminder_hour": True}, "0 to 23"),
    ("quiet_start", {"quiet_start": "25:00"}, "not a time"),
    ("quiet_end", {"quiet_end": "7am"}, "not a time"),
    ("channels", {"channels": ["sms"]}, "not one of inapp, email, webhook"),
    ("channels", {"channels": "email"}, "list of channel names"),
    ("channels", {"channels": ["email"], "email": ""}, "need an email address"),
    ("language", {"language": "English!"}, "not a language tag"),
]


@pytest.mark.parametrize(
    ("field", "overrides", "message"), INVALID, ids=[f"{f}-{m}" for f, _, m in INVALID]
)
def test_invalid_fields_name_the_field_and_write_nothing(
    session: Session, field: str, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        _register(session, **overrides)
    assert caught.value.field == field
    assert message in caught.value.message
    session.rollback()
    assert _count(session, Patient) == 0 and _count(session, AuditEvent) == 0


@pytest.mark.both_databases
def test_a_duplicate_mrn_is_refused(session: Session) -> None:
    make_patient(session, mrn="DUP1")
    with pytest.raises(InvalidInput, match="already exists") as caught:
        _register(session, mrn="DUP1")
    assert caught.value.field == "mrn"
    session.rollback()
    assert _count(session, Patient) == 1


def test_parse_birth_date_reads_iso_dates_and_names_bad_ones() -> None:
    assert parse_birth_date("1960-04-30") == date(1960, 4, 30)
    assert parse_birth_date("  ") is None and parse_birth_date(None) is None
    with pytest.raises(InvalidInput, match="not a date") as caught:
        parse_birth_date("30/04/1960")
    assert caught.value.field == "birth_date"


@pytest.mark.both_databases
def test_update_audits_only_what_changed(session: Session) -> None:
    patient = make_patient(session, phone="")
    update_patient(
        session=session,
        patient=patient,
        actor="user:2",
        now=NOW,
        changes={"phone": "+44 20 7946 0000", "name": patient.name},
    )
    session.commit()
    events = audit.history(session, patient.id or 0)
    assert [e.action for e in events] == ["patient.register", "patient.update"]
    assert (events[-1].before, events[-1].after) == ({"phone": ""}, {"phone": "+44 20 7946 0000"})
    update_patient(
        session=session,
        patient=patient,
        changes={"phone": "+44 20 7946 0000"},
        actor="user:2",
        now=NOW,
    )
    assert len(audit.history(session, patient.id or 0)) == 2  # no change, no row


def test_update_checks_every_field_before_changing_any(session: Session) -> None:
    patient = make_patient(session, mrn="U1")
    make_patient(session, mrn="U2")
    with pytest.raises(InvalidInput) as caught:
        update_patient(
            session=session,
            patient=patient,
            actor="t",
            now=NOW,
            changes={"name": "New", "mrn": "U2"},
        )
    assert caught.value.field == "mrn"
    assert (patient.name != "New") and patient.mrn == "U1"
    with pytest.raises(InvalidInput, match="not a patient field"):
        update_patient(
            session=session, patient=patient, actor="t", now=NOW, changes={"created_at": NOW}
        )  # type: ignore[typeddict-unknown-key]
    with pytest.raises(InvalidInput) as caught:
        update_patient(
            session=session,
            patient=patient,
            actor="t",
            now=NOW,
            changes={"timezone": "Nowhere/Land"},
        )
    assert caught.value.field == "timezone" and patient.timezone == "America/New_York"


# --- the command line ---------------------------------------------------------------------


@pytest.mark.both_databases
def test_patient_add_prints_json_and_stores_the_patient(
    database_url: str, tmp_path: Path, session: Session
) -> None:
    result = _cli(
        [
            "patient",
            "add",
            "--mrn",
            "C1",
            "--name",
            "<i>Cy</i>",
            "--tz",
            "Asia/Tokyo",
            "--birth-date",
            "1970-01-31",
            "--email",
            "cy@example.org",
            "--json",
        ],
        database_url,
        tmp_path,
    )
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["mrn"] == "C1" and shown["name"] == "<i>Cy</i>"
    assert (shown["timezone"], shown["birth_date"]) == ("Asia/Tokyo", "1970-01-31")
    stored = session.exec(select(Patient).where(Patient.mrn == "C1")).one()
    assert stored.id == shown["id"]
    assert [e.actor for e in audit.history(session, stored.id or 0)] == ["cli"]


def test_patient_add_uses_the_configured_default_zone(database_url: str, tmp_path: Path) -> None:
    result = _cli(
        ["patient", "add", "--mrn", "C2", "--name", "Di"],
        database_url,
        tmp_path,
        TRACKER_DEFAULT_ZONE="Europe/Paris",
    )
    assert result.exit_code == 0, result.output
    assert "(Europe/Paris)" in result.stdout


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--name", "No MRN"], "tracker: --mrn: is required"),
        (["--mrn", "C3"], "tracker: --name: is required"),
        (
            ["--mrn", "C3", "--name", "Ed", "--tz", "Atlantis/Capital"],
            "tracker: --tz: unknown time zone 'Atlantis/Capital'",
        ),
        (
            ["--mrn", "C3", "--name", "Ed", "--birth-date", "1970-02-30"],
            "tracker: --birth-date: '1970-02-30' is not a date like 1960-04-30",
        ),
        (
            ["--mrn", "C3", "--name", "Ed\nEvil"],
            "tracker: --name: contains a control character (U+000A)",
        ),
        (
            ["--mrn", "C3", "--name", "Ed", "--email", "nope"],
            "tracker: --email: 'nope' is not an email address like name@example.org",
        ),
    ],
)
def test_patient_add_errors_are_one_line_and_write_nothing(
    database_url: str, tmp_path: Path, session: Session, args: list[str], line: str
) -> None:
    result = _cli(["patient", "add", *args], database_url, tmp_path)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [line]
    assert _count(session, Patient) == 0 and _count(session, AuditEvent) == 0


def test_patient_add_refuses_a_duplicate_mrn(
    database_url: str, tmp_path: Path, session: Session
) -> None:
    make_patient(session, mrn="C4")
    result = _cli(["patient", "add", "--mrn", "C4", "--name", "Again"], database_url, tmp_path)
    assert result.exit_code == 2
    assert result.stderr.strip() == "tracker: --mrn: a patient with MRN 'C4' already exists"
    assert _count(session, Patient) == 1


def test_patient_add_takes_channels_and_says_when_an_address_goes_unused(
    database_url: str, tmp_path: Path, session: Session
) -> None:
    """Issue 13: --channel email/sms (repeatable); an email given without --channel email
    is most likely a mistake, so the command says which channels are on."""
    both = _cli(
        ["patient", "add", "--mrn", "K1", "--name", "Kay", "--email", "kay@example.org"]
        + ["--phone", "+1 555 0100", "--channel", "email", "--channel", "sms"],
        database_url,
        tmp_path,
    )
    assert both.exit_code == 0, both.output
    assert both.stderr == ""
    stored = session.exec(select(Patient).where(Patient.mrn == "K1")).one()
    assert stored.channels == ["email", "webhook"]
    unused = _cli(
        ["patient", "add", "--mrn", "K2", "--name", "Lee", "--email", "lee@example.org"],
        database_url,
        tmp_path,
    )
    assert unused.exit_code == 0
    assert unused.stderr.splitlines() == [
        "tracker: note: --email given without --channel email: reminders go by in-app only"
    ]
    session.expire_all()
    assert session.exec(select(Patient).where(Patient.mrn == "K2")).one().channels == []


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--channel", "email"], "tracker: --channel: email needs --email"),
        (["--channel", "sms"], "tracker: --channel: sms needs --phone"),
        (["--channel", "fax"], None),  # click's own one-line usage error
    ],
)
def test_a_channel_without_its_address_is_refused(
    database_url: str, tmp_path: Path, session: Session, args: list[str], line: str | None
) -> None:
    result = _cli(["patient", "add", "--mrn", "K3", "--name", "May", *args], database_url, tmp_path)
    assert result.exit_code == 2
    if line:
        assert result.stderr.splitlines() == [line]
    assert _count(session, Patient) == 0
