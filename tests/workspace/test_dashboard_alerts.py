"""Care-team alerts (failed reminders, escalated critical items) reach the nurse dashboard."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests import reminder_helpers
from tests.auth_helpers import sign_in_as
from tests.reminder_helpers import SmtpServer, reminder_rows, seed_reminders
from tracker import db
from tracker.clock import utcnow
from tracker.reminders.channels import build_channels
from tracker.reminders.dispatch import Dispatcher, Settings

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
