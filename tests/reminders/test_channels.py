"""Channels against real servers on loopback: what goes out, and how failures are classified."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests import reminder_helpers
from tests.reminder_helpers import (
    SmtpServer,
    WebhookReceiver,
    free_port,
)
from tracker.errors import PermanentFailure, TemporaryFailure
from tracker.reminders.channels import (
    EmailChannel,
    LogChannel,
    Message,
    WebhookChannel,
    build_channels,
)
from tracker.reminders.rules import Decision, Due, compose

MESSAGE = Message("key-123", "pat@example.org", "Reminder: fast", "Stop eating.", "Open it.")

smtp_server = reminder_helpers.smtp_server  # a fixture
webhook = reminder_helpers.webhook  # a fixture


def test_email_carries_the_reminder_id_and_returns_the_queue_id(smtp_server: SmtpServer) -> None:
    channel = EmailChannel(smtp_server.url, "care@example.org")
    assert channel.send(MESSAGE) == "Q1"
    channel.close()
    [mail] = smtp_server.mailbox.messages
    assert mail["X-Reminder-Id"] == "key-123"
    assert (mail["To"], mail["From"]) == ("pat@example.org", "care@example.org")
    assert "Stop eating." in mail.get_payload()
    assert mail["Content-Language"] == "en"


def test_a_resent_email_has_the_same_message_id(smtp_server: SmtpServer) -> None:
    """Issue 12: the Message-ID is made from the key, so a duplicate can be dropped."""
    channel = EmailChannel(smtp_server.url, "care@example.org")
    channel.send(MESSAGE)
    channel.send(MESSAGE)
    channel.close()
    first, second = smtp_server.mailbox.messages
    assert first["Message-ID"] == second["Message-ID"] == "<key-123@tracker.invalid>"


def test_a_thread_reuses_its_connection_and_reconnects_after_a_drop(
    smtp_server: SmtpServer,
) -> None:
    channel = EmailChannel(smtp_server.url, "care@example.org")
    for _ in range(3):
        channel.send(MESSAGE)
    smtp_server.stop()  # the server goes away and comes back: the kept connection is dead
    smtp_server.start()
    channel.send(MESSAGE)
    channel.close()
    peers = smtp_server.mailbox.peers
    assert len(peers) == 4 and len(set(peers[:3])) == 1 and peers[3] != peers[0]


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        ("451 4.3.0 try later", TemporaryFailure),
        ("421 closing", TemporaryFailure),
        ("550 5.1.1 unknown user", PermanentFailure),
        ("554 rejected", PermanentFailure),
    ],
)
def test_smtp_replies_are_classified(
    smtp_server: SmtpServer, reply: str, error: type[Exception]
) -> None:
    smtp_server.mailbox.replies.append(reply)
    with pytest.raises(error, match=reply[:3]):
        channel = EmailChannel(smtp_server.url, "care@example.org")
        try:
            channel.send(MESSAGE)
        finally:
            channel.close()


def test_an_unreachable_smtp_server_is_temporary() -> None:
    channel = EmailChannel(f"smtp://127.0.0.1:{free_port()}", "care@example.org", timeout=2)
    with pytest.raises(TemporaryFailure, match="unreachable"):
        channel.send(MESSAGE)


def test_no_address_is_permanent(smtp_server: SmtpServer) -> None:
    with pytest.raises(PermanentFailure, match="no email address"):
        EmailChannel(smtp_server.url, "c@example.org").send(Message("k", "", "s", "b", "l"))


def test_webhook_posts_json_with_the_key(webhook: WebhookReceiver) -> None:
    assert WebhookChannel(webhook.url).send(MESSAGE) == "hook-1"
    [(headers, body)] = webhook.requests
    assert headers["X-Reminder-Id"] == body["idempotency_key"] == "key-123"
    assert (body["to"], body["text"]) == ("pat@example.org", "Stop eating.")


@pytest.mark.parametrize(
    ("status", "error"),
    [(500, TemporaryFailure), (503, TemporaryFailure), (429, TemporaryFailure),
     (400, PermanentFailure), (404, PermanentFailure)],
)  # fmt: skip
def test_webhook_statuses_are_classified(
    webhook: WebhookReceiver, status: int, error: type[Exception]
) -> None:
    webhook.statuses.append(status)
    with pytest.raises(error, match=str(status)):
        WebhookChannel(webhook.url).send(MESSAGE)


def test_an_unreachable_webhook_is_temporary() -> None:
    with pytest.raises(TemporaryFailure, match="unreachable"):
        WebhookChannel(f"http://127.0.0.1:{free_port()}/hook", timeout=2).send(MESSAGE)


def test_with_nothing_configured_reminders_go_to_the_inbox_and_the_log() -> None:
    channels = build_channels(smtp_url="", webhook_url="", sender="x@example.org")
    assert isinstance(channels["email"], LogChannel) and not channels["email"].external
    assert channels["inapp"].send(MESSAGE) == "inapp:key-123"
    # Issue 13: never "sent" when nothing could send it; the reason is what the nurse reads.
    with pytest.raises(PermanentFailure, match="^not sent: no email server configured$"):
        channels["email"].send(MESSAGE)
    with pytest.raises(PermanentFailure, match="^not sent: no text message gateway configured$"):
        channels["webhook"].send(MESSAGE)


def test_bad_urls_are_refused() -> None:
    with pytest.raises(ValueError, match="smtp://"):
        EmailChannel("http://example.org", "x@example.org")
    with pytest.raises(ValueError, match="http"):
        WebhookChannel("ftp://example.org")


def _due(**changes: object) -> Due:
    values: dict[str, object] = {
        "id": 1,
        "key": "k",
        "channel": "email",
        "purpose": "opens",
        "send_at": datetime(2027, 3, 7, 14, 0, tzinfo=UTC),
        "attempts": 0,
        "item_id": 1,
        "item_status": "pending",
        "due_at": datetime(2027, 3, 8, 5, 0, tzinfo=UTC),
        "expires_at": None,
        "step": "Do not eat after midnight.",
        "critical": True,
        "email": "p@example.org",
        "phone": "",
        "timezone": "America/New_York",
        "quiet_start": "21:00",
        "quiet_end": "07:00",
        "language": "fr",
    }
    values.update(changes)
    return Due(**values)  # type: ignore[arg-type]


def test_messages_use_local_time_and_say_when_late() -> None:
    subject, body, link = compose(_due(), Decision("send"), base_url="https://care.example/")
    assert subject == "Reminder: Do not eat after midnight."
    # Due 05:00 UTC, midnight in New York: by the end of Sunday, not "Monday 00:00".
    assert "Please do this by the end of Sunday 07 March 2027." in body
    assert link.endswith("https://care.example") and "personal link" in link
    subject, body, _ = compose(_due(), Decision("send", late=True), base_url="x")
    assert subject.startswith("Late reminder") and "Sunday 07 March 2027, 09:00 EST" in body
