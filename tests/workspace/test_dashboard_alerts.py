"""Care-team alerts (failed reminders, escalated critical items) reach the nurse dashboard."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from tests import reminder_helpers
from tests.auth_helpers import sign_in_as
from tests.reminder_helpers import SmtpServer, reminder_rows, seed_reminders
from tracker import db
from tracker.clock import utcnow
from tracker.models import ChecklistItem
from tracker.reminders.channels import build_channels
from tracker.reminders.dispatch import Dispatcher
from tracker.reminders.dispatch_settings import Settings
from tracker.reminders.escalation import escalate

smtp_server = reminder_helpers.smtp_server  # a fixture


def test_a_permanently_failed_email_is_shown_on_the_dashboard(
    app: Flask, client: FlaskClient, smtp_server: SmtpServer
) -> None:
    engine = db.get_engine(app)
    now = utcnow()
    seed_reminders(engine, 1, now=now, channel="email")
    smtp_server.mailbox.replies.append("550 5.1.1 no such user")
    channels = build_channels(smtp_url=smtp_server.url, webhook_url="", sender="care@example.org")
    Dispatcher(engine, channels=channels, settings=Settings(), fault="").run_until_idle(now)
    assert reminder_rows(engine)[0].status == "failed"

    sign_in_as(client, app, "nurse")
    html = client.get("/nurse/").get_data(as_text=True)
    assert "Care-team alerts" in html
    assert "Reminder failed" in html and "550" in html


def test_no_alert_section_when_nothing_needs_attention(app: Flask, client: FlaskClient) -> None:
    sign_in_as(client, app, "nurse")
    assert "Care-team alerts" not in client.get("/nurse/").get_data(as_text=True)


def test_an_escalated_item_is_shown_until_it_is_ticked(app: Flask, client: FlaskClient) -> None:
    """The alert reads the escalation's own state (issue 11), not the audit log: an item
    raised once stays on the dashboard while unticked, and leaves when ticked."""
    engine = db.get_engine(app)
    now = utcnow()
    seeded = seed_reminders(
        engine, 1, now=now - timedelta(hours=1), critical=True, kind="fasting",
        due_after=timedelta(0),
    )  # fmt: skip
    with db.session_scope(engine) as session:
        [raised] = escalate(session, now=now)
    sign_in_as(client, app, "nurse")
    html = client.get("/nurse/").get_data(as_text=True)
    assert "Missed critical step" in html and raised.mrn in html
    with engine.begin() as connection:
        connection.execute(
            update(ChecklistItem)
            .where(ChecklistItem.id == seeded.item_ids[0])
            .values(status="done")
        )
    assert "Missed critical step" not in client.get("/nurse/").get_data(as_text=True)
