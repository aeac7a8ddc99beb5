"""POST /hooks/sms: signed inbound texts through the app, their effects delivered by the
dispatcher to the real webhook receiver, and every refusal leaving the database as it was."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from tests import reminder_helpers
from tests.auth_helpers import create_staff, sign_in
from tests.reminder_helpers import WebhookReceiver, reminder_rows
from tests.text_helpers import SECRET, post_text, text_dispatcher, texted_patient, texts_to
from tracker import db
from tracker.care.consent import current_consent
from tracker.care.item_reminders import REPLY, values
from tracker.clock import utcnow
from tracker.models import AuditEvent, ChecklistItem, Consent, InboundText, Reminder
from tracker.patient.text_replies import digits, meaning
from tracker.reminders.texting import NO_CONSENT

webhook = reminder_helpers.webhook  # a fixture
TEAM_PHONE = "+1 555 010 0000"
NO_QUIET = ("00:00", "00:00")  # these tests run on the real clock: any hour must do


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {
        **app_config,
        "SMS_WEBHOOK_SECRET": SECRET,
        "CARE_TEAM_NAME": "Lakeside Surgery",
        "CARE_TEAM_PHONE": TEAM_PHONE,
    }


@pytest.fixture
def engine(app: Flask) -> Engine:
    return db.get_engine(app)


def _tables(engine: Engine) -> dict[str, int]:
    """Row counts of everything a text could change."""
    with Session(engine) as session:
        return {
            model.__name__: session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (InboundText, AuditEvent, Consent, Reminder)
        } | {
            "done": session.execute(
                select(func.count()).where(ChecklistItem.status == "done")
            ).scalar_one()
        }


def _sent(phone: str) -> str:
    """The number as a gateway writes it."""
    return "+" + digits(phone)


def _message(phone: str, body: str, provider_id: str | None = None) -> dict[str, str]:
    return {"id": provider_id or f"SM{time.monotonic_ns()}", "from": _sent(phone), "body": body}


@pytest.mark.parametrize(
    ("body", "expected"),
    [("1", "done"), (" done\n", "done"), ("Done", "done"), ("STOP", "stop"), ("stop ", "stop")]
    + [("Start", "start"), ("help", "help"), ("done it", "note"), ("11", "note"), ("", "note")],
)
def test_what_a_reply_means(body: str, expected: str) -> None:
    assert meaning(body) == expected


@pytest.mark.both_databases
def test_done_ticks_the_item_of_the_last_text_and_cancels_its_other_reminders(
    client: FlaskClient, engine: Engine, webhook: WebhookReceiver
) -> None:
    now = utcnow()
    steps = [("Book a driver", False), ("Stop blood thinners", True), ("Shower", False)]
    times = [now - timedelta(minutes=10), now - timedelta(minutes=5), now + timedelta(hours=2)]
    patient = texted_patient(engine, steps, now=now, send_at=times, quiet=NO_QUIET)
    text_dispatcher(engine, webhook.url).run_until_idle(now)
    assert len(texts_to(webhook.requests, _sent(patient.phone))) == 2
    first, second, third = patient.item_ids
    with Session(engine) as session:  # the critical item's second reminder, still to come
        session.add(
            Reminder(
                **values(
                    second, patient.enrollment_id, "due_soon", now + timedelta(hours=1), "webhook"
                )
            )
        )
        session.commit()

    response = post_text(client, _message(patient.phone, "  Done "))
    assert response.status_code == 202, response.get_data(as_text=True)
    assert response.get_json()["meaning"] == "done"
    with Session(engine) as session:
        items = session.execute(
            select(ChecklistItem).where(ChecklistItem.enrollment_id == patient.enrollment_id)
        ).scalars()
        by_id = {item.id: item for item in items}
        assert [by_id[i].status for i in patient.item_ids] == ["pending", "done", "pending"]
        assert by_id[second].acted_by == "patient by text"
        (inbound,) = session.execute(select(InboundText)).scalars()
        assert (inbound.patient_id, inbound.item_id) == (patient.patient_id, second)
        actions = {
            e.action
            for e in session.execute(
                select(AuditEvent).where(AuditEvent.actor == "patient by text")
            ).scalars()
        }
    assert actions == {"item.done", "text.done"}
    later = {
        r.item_id: r.status for r in reminder_rows(engine, patient.enrollment_id) if r.send_at > now
    }
    assert later == {second: "cancelled", third: "pending"}


@pytest.mark.both_databases
def test_stop_stops_the_next_text_and_is_confirmed(
    client: FlaskClient, engine: Engine, webhook: WebhookReceiver
) -> None:
    now = utcnow()
    soon = now + timedelta(hours=1)
    patient = texted_patient(
        engine, [("Take the tablet", False)], now=now, send_at=[soon], quiet=NO_QUIET
    )
    assert post_text(client, _message(patient.phone, "STOP")).status_code == 202
    with Session(engine) as session:
        consent = current_consent(session, patient_id=patient.patient_id)
    assert consent is not None and not consent.given
    assert (consent.method, consent.recorded_by) == ("text STOP", "patient by text")

    text_dispatcher(engine, webhook.url).run_until_idle(soon)
    (confirmation,) = texts_to(webhook.requests, _sent(patient.phone))
    assert "no more texts" in confirmation
    reminder = next(r for r in reminder_rows(engine, patient.enrollment_id) if r.purpose == "opens")
    assert (reminder.status, reminder.last_error) == ("cancelled", NO_CONSENT)


@pytest.mark.both_databases
def test_start_after_stop_lets_texts_go_again(
    client: FlaskClient, engine: Engine, webhook: WebhookReceiver
) -> None:
    now = utcnow()
    soon = now + timedelta(hours=1)
    patient = texted_patient(
        engine, [("Take the tablet", False)], now=now, send_at=[soon], quiet=NO_QUIET
    )
    assert post_text(client, _message(patient.phone, "stop")).status_code == 202
    assert post_text(client, _message(patient.phone, "start")).status_code == 202
    text_dispatcher(engine, webhook.url).run_until_idle(soon)
    texts = texts_to(webhook.requests, _sent(patient.phone))
    assert len(texts) == 3
    assert any(t.startswith("Take the tablet") for t in texts)
    assert any("are on again" in t for t in texts)
    with Session(engine) as session:
        rows = session.execute(select(Consent).order_by(Consent.id)).scalars().all()
    assert [(c.given, c.method) for c in rows] == [
        (True, "written"),
        (False, "text STOP"),
        (True, "text START"),
    ]


def test_help_is_answered_with_the_care_teams_phone_even_without_consent(
    client: FlaskClient, engine: Engine, webhook: WebhookReceiver
) -> None:
    now = utcnow()
    patient = texted_patient(
        engine, [("Fast", False)], now=now, send_at=[now + timedelta(days=1)], consent=None
    )
    response = post_text(client, _message(patient.phone, "HELP"))
    assert response.status_code == 202
    text_dispatcher(engine, webhook.url).run_until_idle(now + timedelta(seconds=1))
    (answer,) = texts_to(webhook.requests, _sent(patient.phone))
    assert "Lakeside Surgery" in answer and TEAM_PHONE in answer
    (reply,) = [r for r in reminder_rows(engine, patient.enrollment_id) if r.purpose == REPLY]
    assert reply.status == "sent" and reply.recipient == _sent(patient.phone)


def test_a_spanish_patients_texts_and_answers_are_in_spanish(
    client: FlaskClient, engine: Engine, webhook: WebhookReceiver
) -> None:
    now = utcnow()
    # No quiet hours: the test runs on the wall clock, and at night they would hold the reminder.
    patient = texted_patient(
        engine, [("Fast", False)], now=now, language="es", quiet=("00:00", "00:00")
    )
    text_dispatcher(engine, webhook.url).run_until_idle(now + timedelta(seconds=1))
    assert post_text(client, _message(patient.phone, "HELP")).status_code == 202
    assert post_text(client, _message(patient.phone, "STOP")).status_code == 202
    text_dispatcher(engine, webhook.url).run_until_idle(now + timedelta(seconds=2))
    reminder, help_answer, stop_answer = texts_to(webhook.requests, _sent(patient.phone))
    assert reminder.startswith("Fast") and "Hágalo antes de:" in reminder
    assert not re.search(r"%\(|\{", reminder)
    assert help_answer.startswith("Lakeside Surgery: llame al ") and TEAM_PHONE in help_answer
    assert "Ya no recibirá más mensajes de Lakeside Surgery" in stop_answer


def test_free_text_is_a_note_on_the_nurse_page(
    app: Flask, client: FlaskClient, engine: Engine
) -> None:
    now = utcnow()
    patient = texted_patient(engine, [("Fast", False)], now=now)
    note = "Can I take ibuprofen <b>tonight</b>?"
    response = post_text(client, _message(patient.phone, note))
    assert response.status_code == 202 and response.get_json()["meaning"] == "note"
    email, password = create_staff(app, "nurse", name="Nora Nurse")
    assert sign_in(client, email, password).status_code == 302
    page = client.get(f"/nurse/patients/{patient.patient_id}").get_data(as_text=True)
    assert "Can I take ibuprofen &lt;b&gt;tonight&lt;/b&gt;?" in page
    assert "text.note" in page  # the history says it too
    with Session(engine) as session:
        assert (
            session.execute(
                select(func.count()).select_from(Reminder).where(Reminder.purpose == REPLY)
            ).scalar_one()
            == 0
        )


def test_an_unknown_number_is_recorded_and_answered_202(
    client: FlaskClient, engine: Engine
) -> None:
    response = post_text(client, {"id": "SMx1", "from": "+15550009999", "body": "DONE"})
    assert response.status_code == 202
    with Session(engine) as session:
        (row,) = session.execute(select(InboundText)).scalars()
    assert (row.patient_id, row.meaning, row.outcome) == (
        None,
        "done",
        "no patient has this number",
    )


def _refused(response: Any, status: int) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == status


@pytest.mark.both_databases
def test_a_forged_signature_changes_nothing(client: FlaskClient, engine: Engine) -> None:
    patient = texted_patient(engine, [("Fast", False)], now=utcnow())
    before = _tables(engine)
    _refused(post_text(client, _message(patient.phone, "STOP"), secret="not-the-secret"), 401)
    _refused(post_text(client, _message(patient.phone, "STOP"), signature=""), 401)
    _refused(client.post("/hooks/sms", json=_message(patient.phone, "STOP")), 401)  # unsigned
    assert _tables(engine) == before


def test_an_old_or_future_timestamp_is_refused(client: FlaskClient, engine: Engine) -> None:
    patient = texted_patient(engine, [("Fast", False)], now=utcnow())
    before = _tables(engine)
    stale = int(time.time()) - 301
    _refused(post_text(client, _message(patient.phone, "STOP"), timestamp=stale), 401)
    ahead = int(time.time()) + 400
    _refused(post_text(client, _message(patient.phone, "STOP"), timestamp=ahead), 401)
    assert _tables(engine) == before


@pytest.mark.both_databases
def test_a_replay_is_refused_and_changes_nothing(client: FlaskClient, engine: Engine) -> None:
    patient = texted_patient(engine, [("Fast", False)], now=utcnow())
    message = _message(patient.phone, "STOP", provider_id="SM-replayed")
    body = json.dumps(message).encode()
    stamp = int(time.time())
    assert post_text(client, None, raw=body, timestamp=stamp).status_code == 202
    after_first = _tables(engine)
    _refused(post_text(client, None, raw=body, timestamp=stamp), 409)  # the very same post
    _refused(post_text(client, None, raw=body, timestamp=stamp - 1), 409)  # same id, re-signed
    assert _tables(engine) == after_first


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[1, 2]",
        b'{"id": "SM1", "from": "+15550100100"}',
        b'{"id": "SM1", "from": "+15550100100", "body": 7}',
        b'{"id": "", "from": "+15550100100", "body": "x"}',
        b'{"id": "SM1", "from": "+15550100100", "body": "a\\u0000b"}',
        b'{"id": "SM1", "from": "+1555\\u00000100100", "body": "DONE"}',
        b'{"id": "SM1", "from": "+15550100100", "body": "' + b"x" * 1601 + b'"}',
        b'{"id": "SM1", "from": "' + b"5" * 41 + b'", "body": "DONE"}',
        b"\xff\xfe",
        b'{"id": "SM1", "from": "+15550100100", "body": "\\ud800"}',
    ],
)
def test_bad_input_is_400_and_writes_nothing(
    client: FlaskClient, engine: Engine, raw: bytes
) -> None:
    before = _tables(engine)
    _refused(post_text(client, None, raw=raw), 400)
    assert _tables(engine) == before


def test_without_a_secret_there_is_no_hook(make_app: Callable[..., Flask]) -> None:
    app = make_app(SMS_WEBHOOK_SECRET="")
    response = post_text(app.test_client(), {"id": "1", "from": "+15550100100", "body": "x"})
    _refused(response, 404)
    assert "SMS_WEBHOOK_SECRET" in response.get_json()["detail"]


def test_the_digits_of_a_phone_number() -> None:
    assert digits("+1 (555) 010-0199") == "15550100199"


FIELD_VALUES = st.one_of(st.text(max_size=40), st.integers(), st.none(), st.booleans())
BODIES = st.one_of(
    st.binary(max_size=200),
    st.dictionaries(st.sampled_from(["id", "from", "body", "other"]), FIELD_VALUES, max_size=4).map(
        lambda data: json.dumps(data).encode()
    ),
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=BODIES)
def test_any_signed_body_gets_a_clear_answer(client: FlaskClient, raw: bytes) -> None:
    response = post_text(client, None, raw=raw)
    assert response.status_code in (202, 400, 409), response.get_data(as_text=True)
    if response.status_code != 202:
        assert response.mimetype == "application/problem+json"
