"""Delivery channels behind one small interface: in-app, email (SMTP), webhook (SMS or chat).

Apprise was the first choice for email and webhooks, but `Apprise.notify()` only answers
True or False (its plugins log the SMTP or HTTP status and swallow the error), so a 451 cannot
be told from a 550, nor a 503 from a 400, and retry-or-fail needs exactly that distinction.
Email therefore goes through smtplib (which also lets us set the X-Reminder-Id header) and
webhooks through urllib; both are small.
"""

from __future__ import annotations

import json
import logging
import smtplib
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.charset import QP, Charset
from email.header import Header
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import format_datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

from tracker.errors import DeliveryError, PermanentFailure, TemporaryFailure

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10.0
RETRYABLE_HTTP = frozenset({408, 425, 429})  # 4xx codes that mean "try again later"
MESSAGE_ID_DOMAIN = "tracker.invalid"
_UTF8 = Charset("utf-8")
_UTF8.body_encoding = QP  # bodies stay readable text (the default for utf-8 is base64)


@dataclass(frozen=True)
class Message:
    """One reminder for one recipient, already worded in the patient's language."""

    key: str  # the reminder's idempotency key, travels as X-Reminder-Id
    recipient: str  # email address, phone number, or "" for in-app
    subject: str
    body: str
    link: str
    late: bool = False
    language: str = "en"  # what it is worded in (Content-Language), rules.language_of


class Channel(Protocol):
    """Hands a message over; returns the provider's message id or raises a DeliveryError."""

    name: str
    # External channels reach outside the database: each message is committed on its own so a
    # crash duplicates at most one. Internal ones are recorded in the batch's transaction.
    external: bool
    wants_text: bool  # False: the message's wording is never read (skip composing it)

    def send(self, message: Message) -> str: ...

    def close(self) -> None:
        """Let go of any connection kept open between messages."""


class InAppChannel:
    """The patient's inbox is the reminder row itself: marking it sent delivers it."""

    name = "inapp"
    external = False
    wants_text = False

    def send(self, message: Message) -> str:
        return f"inapp:{message.key}"

    def close(self) -> None:
        pass


class NullChannel:
    """Accepts everything and does nothing (benchmarks, tests)."""

    name = "null"
    external = False
    wants_text = False

    def send(self, message: Message) -> str:
        return f"null:{message.key}"

    def close(self) -> None:
        pass


class LogChannel:
    """Stands in for an unconfigured email or webhook channel so a bare machine still works:
    the message is logged and the reminder ends "failed" with the reason, never "sent" (the
    nurse sees "not sent: no email server configured"; the in-app inbox still has it)."""

    external = False
    wants_text = True
    SERVERS = {"email": "email server", "webhook": "text message gateway"}

    def __init__(self, name: str) -> None:
        self.name = name

    def send(self, message: Message) -> str:
        log.info("reminder %s (%s, not configured): %s", message.key, self.name, message.subject)
        server = self.SERVERS.get(self.name, self.name)
        raise PermanentFailure(f"not sent: no {server} configured")

    def close(self) -> None:
        pass


class EmailChannel:
    """Plain-text email over SMTP, X-Reminder-Id header set and a Message-ID made from the
    reminder's key (a duplicate after a crash carries the same one, so receivers can drop it).

    Each sending thread keeps its own connection open between messages (smtplib objects are
    not thread-safe; a handshake per message would cost more than a fast server's answer).
    """

    name = "email"
    external = True
    wants_text = True

    def __init__(self, url: str, sender: str, *, timeout: float = TIMEOUT_SECONDS) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(f"SMTP_URL must look like smtp://host:port, not {url!r}")
        self.host, self.secure = parts.hostname, parts.scheme == "smtps"
        self.port = parts.port or (465 if self.secure else 25)
        self.user, self.password = parts.username, parts.password
        self.sender, self.timeout = sender, timeout
        self._local = threading.local()
        self._open: list[smtplib.SMTP] = []
        self._guard = threading.Lock()

    def send(self, message: Message) -> str:
        if not message.recipient:
            raise PermanentFailure("no email address")
        mail = self._compose(message)
        reused = getattr(self._local, "smtp", None)
        try:
            smtp = reused or self._connect()
            try:
                _check(smtp.mail(self.sender))
            except (smtplib.SMTPServerDisconnected, OSError):
                if reused is None:
                    raise
                self._drop(smtp)  # the server closed an idle connection: one fresh try
                smtp = self._connect()
                _check(smtp.mail(self.sender))
            _check(smtp.rcpt(message.recipient))
            _, reply = _check(smtp.data(mail.as_bytes()))
        except smtplib.SMTPResponseException as error:
            self._drop(getattr(self._local, "smtp", None))
            raise _classify(error.smtp_code, error.smtp_error) from None
        except (smtplib.SMTPException, OSError) as error:
            self._drop(getattr(self._local, "smtp", None))
            raise TemporaryFailure(f"SMTP server unreachable: {error}") from None
        queued = reply.decode(errors="replace").rsplit(" ", 1)[-1] if b"queued as" in reply else ""
        return queued or str(mail["Message-ID"])

    def close(self) -> None:
        """Quit every thread's open connection (the sending threads are idle by then)."""
        with self._guard:
            connections, self._open = self._open, []
        for smtp in connections:
            _quit(smtp)
        self._local = threading.local()

    def _connect(self) -> smtplib.SMTP:
        smtp = (
            smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout)
            if self.secure
            else smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        )
        try:
            smtp.ehlo_or_helo_if_needed()
            if self.user:
                smtp.login(self.user, self.password or "")
        except BaseException:
            _quit(smtp)
            raise
        self._local.smtp = smtp
        with self._guard:
            self._open.append(smtp)
        return smtp

    def _drop(self, smtp: smtplib.SMTP | None) -> None:
        """Forget a connection after an error: the next message starts a clean one."""
        self._local.smtp = None
        if smtp is not None:
            with self._guard:
                if smtp in self._open:
                    self._open.remove(smtp)
            _quit(smtp)

    def _compose(self, message: Message) -> MIMENonMultipart:
        """The email. The standard library's compat32 MIME classes, not EmailMessage: the latter
        parses every header it is given, 3.8 against 0.8 ms per message, which was three
        quarters of the dispatcher's CPU per email in a burst (bench/bench_burst.py)."""
        from tracker.clock import utcnow

        mail = MIMENonMultipart("text", "plain")
        mail.set_payload(f"{message.body}\n\n{message.link}\n", _UTF8)
        mail["From"], mail["To"] = self.sender, message.recipient
        subject = message.subject
        mail["Subject"] = subject if subject.isascii() else Header(subject, "utf-8").encode()
        mail["Date"] = format_datetime(utcnow())
        mail["Message-ID"] = message_id(message.key)
        mail["X-Reminder-Id"] = message.key
        mail["Content-Language"] = message.language  # RFC 3282: mail readers and screen readers
        return mail


def message_id(key: str) -> str:
    """The Message-ID of a reminder's email: a function of its idempotency key alone."""
    return f"<{key}@{MESSAGE_ID_DOMAIN}>"


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _check(answer: tuple[int, bytes]) -> tuple[int, bytes]:
    code, reply = answer
    if code >= 400:
        raise smtplib.SMTPResponseException(code, reply)
    return code, reply


def _classify(code: int, reply: bytes | str) -> DeliveryError:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else reply
    kind = TemporaryFailure if 400 <= code < 500 else PermanentFailure
    return kind(f"SMTP {code} {text}".strip()[:500])


class WebhookChannel:
    """A JSON POST per message (an SMS or chat gateway); the key is a field and a header."""

    name = "webhook"
    external = True
    wants_text = True

    def __init__(self, url: str, *, timeout: float = TIMEOUT_SECONDS) -> None:
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"WEBHOOK_URL must be http(s), not {url!r}")
        self.url, self.timeout = url, timeout

    def send(self, message: Message) -> str:
        payload = {
            "idempotency_key": message.key,
            "to": message.recipient,
            "subject": message.subject,
            "text": message.body,
            "link": message.link,
            "late": message.late,
        }
        request = urllib.request.Request(
            self.url,
            data=json.dumps(payload).encode(),
            method="POST",
            headers={"Content-Type": "application/json", "X-Reminder-Id": message.key},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read(4096)
        except urllib.error.HTTPError as error:
            status = error.code
            error.close()
            temporary = status >= 500 or status in RETRYABLE_HTTP
            kind = TemporaryFailure if temporary else PermanentFailure
            raise kind(f"webhook answered HTTP {status}") from None
        except (TimeoutError, urllib.error.URLError, OSError) as error:
            raise TemporaryFailure(f"webhook unreachable: {error}") from None
        return _provider_id(body) or message.key

    def close(self) -> None:
        pass


def _provider_id(body: bytes) -> str:
    try:
        data: Any = json.loads(body or b"null")
    except ValueError:
        return ""
    return str(data.get("id", ""))[:255] if isinstance(data, dict) else ""


def build_channels(
    *, smtp_url: str, webhook_url: str, sender: str, timeout: float = TIMEOUT_SECONDS
) -> dict[str, Channel]:
    """Channel name -> channel, from configuration; unconfigured ones go to the log."""
    email: Channel = (
        EmailChannel(smtp_url, sender, timeout=timeout) if smtp_url else LogChannel("email")
    )
    webhook: Channel = (
        WebhookChannel(webhook_url, timeout=timeout) if webhook_url else LogChannel("webhook")
    )
    return {"inapp": InAppChannel(), "null": NullChannel(), "email": email, "webhook": webhook}
