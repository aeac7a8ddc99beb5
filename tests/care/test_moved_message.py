"""A reschedule tells the patient: one outbox message per channel, worded when it goes."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import Engine
from sqlmodel import Session, select

from tests import reminder_helpers
from tests.enrollment_helpers import NOW, enroll_patient, make_patient
from tests.reminder_helpers import SmtpServer
from tracker import db
from tracker.care.item_reminders import MOVED
from tracker.care.rescheduling import reschedule
from tracker.models import Enrollment, Patient, Reminder
from tracker.reminders.channels import build_channels
from tracker.reminders.dispatch import Dispatcher
from tracker.reminders.dispatch_settings import Settings

smtp_server = reminder_helpers.smtp_server  # a fixture
BASE = "https://care.example.org"


def _moved(session: Session, enrollment_id: int | None) -> list[Reminder]:
    session.expire_all()
    query = select(Reminder).where(
        Reminder.enrollment_id == enrollment_id, Reminder.purpose == MOVED
    )
    return list(session.exec(query.order_by(Reminder.id)))


@pytest.mark.both_databases
def test_a_reschedule_queues_one_message_per_channel_and_a_second_replaces_it(
    session: Session,
) -> None:
    patient = make_patient(session, channels=["email"])
    enrollment = enroll_patient(session, patient=patient)
    reschedule(
        session=session,
        enrollment=enrollment,
        start=datetime(2027, 3, 10, 8),
        now=NOW,
        actor="user:1",
    )
    session.commit()
    first = _moved(session, enrollment.id)
    assert sorted((r.channel, r.status, r.send_at) for r in first) == [
        ("email", "pending", NOW),
        ("inapp", "pending", NOW),
    ]
    later = NOW + timedelta(minutes=5)
    reschedule(
        session=session,
        enrollment=enrollment,
        start=datetime(2027, 3, 11, 8),
        now=later,
        actor="user:1",
    )
    session.commit()
    rows = _moved(session, enrollment.id)
    assert sorted((r.channel, r.status) for r in rows if r.send_at == NOW) == [
        ("email", "cancelled"),
        ("inapp", "cancelled"),
    ]
    assert sorted((r.channel, r.status) for r in rows if r.send_at == later) == [
        ("email", "pending"),
        ("inapp", "pending"),
    ]


def _moved_and_sent(
    app: Flask, session: Session, smtp_server: SmtpServer, language: str = "en"
) -> tuple[Patient, Enrollment]:
    """An email patient moved to Wed 10 March 08:00 and the dispatcher run once after."""
    patient = make_patient(session, channels=["email"], language=language)
    enrollment = enroll_patient(session, patient=patient)
    reschedule(
        session=session,
        enrollment=enrollment,
        start=datetime(2027, 3, 10, 8),
        now=NOW,
        actor="user:1",
    )
    session.commit()
    channels = build_channels(smtp_url=smtp_server.url, webhook_url="", sender="care@example.org")
    engine: Engine = db.get_engine(app)
    worker = Dispatcher(engine, channels=channels, settings=Settings(base_url=BASE), fault="")
    worker.run_until_idle(NOW + timedelta(seconds=1))
    return patient, enrollment


@pytest.mark.both_databases
def test_the_email_says_the_new_time_in_the_patients_zone_with_the_link(
    app: Flask, session: Session, smtp_server: SmtpServer
) -> None:
    patient, enrollment = _moved_and_sent(app, session, smtp_server)
    moved = [m for m in smtp_server.mailbox.messages if m["Subject"] == "Your procedure has moved"]
    assert len(moved) == 1 and moved[0]["To"] == patient.email
    body = moved[0].get_payload(decode=True).decode()
    assert "Your procedure has moved to Wednesday 10 March 2027, 08:00 EST." in body
    assert "Your plan is updated" in body and BASE in body
    assert {r.status for r in _moved(session, enrollment.id)} == {"sent"}
    assert moved[0]["Content-Language"] == "en"


def test_a_spanish_patients_email_is_spanish_and_says_so(
    app: Flask, session: Session, smtp_server: SmtpServer
) -> None:
    patient, _ = _moved_and_sent(app, session, smtp_server, language="es-MX")
    moved = [m for m in smtp_server.mailbox.messages if "procedimiento" in str(m["Subject"])]
    assert len(moved) == 1 and moved[0]["To"] == patient.email
    mail = moved[0]
    assert mail["Content-Language"] == "es"  # es-MX reads the Spanish catalog
    body = mail.get_payload(decode=True).decode()
    assert "miércoles 10 de marzo de 2027, 08:00 EST" in body, body
