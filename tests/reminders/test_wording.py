"""Every email and text message reads in the patient's language: English and Spanish."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tracker.reminders.rules import Decision, Due, compose
from tracker.reminders.wording import MESSAGES, local_reading, text

LEFTOVER = re.compile(r"%\(|%s|\{|\}")  # a placeholder nobody filled
VALUES = {
    "step": "Do not eat after midnight.",
    "budget": 3,
    "team": "Ward 7",
    "phone": "+1 555 0100",
    "due": "Monday 08 March 2027, 07:00 EST",
    "planned": "Sunday 07 March 2027, 09:00 EST",
    "when": "Tuesday 09 March 2027, 08:00 EST",
    "base": "https://care.example",
    "day": "Monday 08 March 2027",
    "time": "07:00",
    "zone": "EST",
    "patient": "Ana Díaz",
    "mrn": "MRN-1",
}
SPANISH = {  # a word each Spanish message must show (the English one does not)
    "subject.opens": "Recordatorio",
    "subject.due_soon": "plazo",
    "subject.late": "retraso",
    "subject.digest": "recordatorios de hoy",
    "reply.help": "Responda",
    "reply.stop": "mensajes",
    "reply.start": "mensajes",
    "body": "Hágalo",
    "late": "tarde",
    "link": "enlace personal",
    "digest.header": "mensajes",
    "subject.moved": "procedimiento",
    "moved.body": "actualizado",
}


def _due(language: str, purpose: str = "opens") -> Due:
    return Due(
        id=1,
        key="k",
        channel="email",
        purpose=purpose,
        send_at=datetime(2027, 3, 7, 14, 0, tzinfo=UTC),
        attempts=0,
        item_id=1,
        item_status="pending",
        due_at=datetime(2027, 3, 8, 5, 0, tzinfo=UTC),
        expires_at=None,
        step=str(VALUES["step"]),
        critical=True,
        email="p@example.org",
        phone="",
        timezone="America/New_York",
        quiet_start="21:00",
        quiet_end="07:00",
        language=language,
    )


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_message_renders_with_its_placeholders_filled(language: str, key: str) -> None:
    needed = set(re.findall(r"%\((\w+)\)s", MESSAGES[key]))
    worded = text(language, key, **{name: VALUES[name] for name in needed})
    assert worded and not LEFTOVER.search(worded), worded
    for name in needed:
        assert str(VALUES[name]) in worded
    if language == "es" and key in SPANISH:
        assert SPANISH[key] in worded
        assert worded != text("en", key, **{name: VALUES[name] for name in needed})


@pytest.mark.parametrize("purpose", ["opens", "due_soon", "occurrence"])
def test_a_spanish_patients_reminder_email_is_in_spanish(purpose: str) -> None:
    subject, body, link = compose(_due("es", purpose), Decision("send"), base_url="https://c.e/")
    assert VALUES["step"] in subject and VALUES["step"] in body
    assert subject.startswith(("Recordatorio:", "Pronto vence el plazo:"))
    # Due at midnight in New York: the end of the Sunday, worded by Babel in Spanish.
    assert "Hágalo antes de: el final del domingo 7 de marzo de 2027." in body
    assert "enlace personal" in link and link.endswith("https://c.e")
    for part in (subject, body, link):
        assert not LEFTOVER.search(part)


def test_a_late_reminder_says_so_in_spanish_and_in_english() -> None:
    _, body, _ = compose(_due("es"), Decision("send", late=True), base_url="x")
    assert body.startswith("Este recordatorio llega tarde: debía llegarle el domingo 7 de marzo")
    assert "09:00 EST" in body
    _, english, _ = compose(_due("en-GB"), Decision("send", late=True), base_url="x")
    assert "Sunday 07 March 2027, 09:00 EST" in english


def test_dates_in_messages_follow_the_language() -> None:
    moment = datetime(2027, 3, 8, 12, 0, tzinfo=UTC)
    assert local_reading(moment, "America/New_York") == "Monday 08 March 2027, 07:00 EST"
    assert local_reading(moment, "America/New_York", "es") == "lunes 8 de marzo de 2027, 07:00 EST"
    assert local_reading(moment, "America/New_York", "fr") == "Monday 08 March 2027, 07:00 EST"
