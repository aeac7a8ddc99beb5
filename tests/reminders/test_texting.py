"""Text messages: consent checked at hand-over, and the daily budget with its evening digest,
through the dispatcher and the real webhook receiver."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import Engine
from sqlmodel import Session

from tests import reminder_helpers
from tests.reminder_helpers import WebhookReceiver, reminder_rows
from tests.text_helpers import Texted, text_dispatcher, texted_patient, texts_to
from tracker import db
from tracker.care.consent import record_consent
from tracker.care.item_reminders import DIGEST, REPLY
from tracker.models import Enrollment
from tracker.reminders.texting import DIGEST_AT, NO_CONSENT, local_day, verdict

NOW = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)  # 10:00 in New York
EVENING = datetime(2027, 3, 2, 0, 0, tzinfo=UTC)  # 19:00 in New York (EST), the digest's time
webhook = reminder_helpers.webhook  # a fixture


@pytest.fixture
def engine(app: Flask) -> Engine:
    return db.get_engine(app)


@pytest.mark.parametrize(
    ("purpose", "critical", "consent", "sent_today", "expected"),
    [
        ("opens", False, True, 0, "send"),
        ("opens", False, True, 2, "send"),
        ("opens", False, True, 3, "digest"),  # the budget is used up
        ("opens", False, True, 7, "digest"),
        ("due_soon", True, True, 3, "send"),  # critical items still go
        ("opens", True, True, 50, "send"),
        ("opens", False, False, 0, "no_consent"),
        ("opens", True, False, 0, "no_consent"),  # critical or not: consent comes first
        (DIGEST, False, True, 3, "send"),  # the digest is the budget's overflow, not counted
        (DIGEST, False, False, 3, "no_consent"),
        (REPLY, False, False, 9, "send"),  # HELP's answer and STOP's confirmation
    ],
)
def test_the_text_verdict(
    purpose: str, critical: bool, consent: bool, sent_today: int, expected: str
) -> None:
    got = verdict(
        purpose=purpose, critical=critical, consent=consent, sent_today=sent_today, budget=3
    )
    assert got == expected


def test_a_zero_budget_sends_only_critical_texts() -> None:
    assert verdict(purpose="opens", critical=False, consent=True, sent_today=0, budget=0) == (
        "digest"
    )
    assert verdict(purpose="opens", critical=True, consent=True, sent_today=0, budget=0) == "send"


def test_the_local_day_follows_the_patient_zone_across_dst() -> None:
    day, start, end = local_day(datetime(2027, 3, 14, 12, 0, tzinfo=UTC), "America/New_York")
    assert str(day) == "2027-03-14"
    assert start == datetime(2027, 3, 14, 5, 0, tzinfo=UTC)  # midnight EST
    assert end - start == timedelta(hours=23)  # the clocks go forward that day


def _five(engine: Engine, *, critical_last: bool = False, same_time: bool = False) -> Texted:
    steps = [(f"Step number {i}", False) for i in range(1, 6)]
    if critical_last:
        steps[-1] = ("Stop eating (critical)", True)
    times = [NOW] * 5 if same_time else [NOW - timedelta(minutes=5 - i) for i in range(5)]
    return texted_patient(engine, steps, now=NOW, send_at=times)


@pytest.mark.both_databases
def test_five_due_on_one_day_become_three_texts_and_one_digest(
    engine: Engine, webhook: WebhookReceiver
) -> None:
    patient = _five(engine)
    worker = text_dispatcher(engine, webhook.url)
    worker.run_until_idle(NOW)
    texts = texts_to(webhook.requests, patient.phone)
    assert len(texts) == 3
    assert [t.splitlines()[0] for t in texts] == ["Step number 1", "Step number 2", "Step number 3"]
    rows = reminder_rows(engine, patient.enrollment_id)
    mine = {r.id: r for r in rows}
    held = [mine[i] for i in patient.reminder_ids[3:]]
    assert {(r.status, r.sent_at) for r in held} == {("cancelled", None)}
    assert all("digest" in r.last_error and "budget of 3" in r.last_error for r in held)
    (digest,) = [r for r in rows if r.purpose == DIGEST]
    assert digest.status == "pending" and digest.send_at == EVENING
    assert digest.idempotency_key == f"digest-{patient.patient_id}-2027-03-01"

    worker.run_until_idle(EVENING - timedelta(minutes=1))  # not yet
    assert len(texts_to(webhook.requests, patient.phone)) == 3
    worker.run_until_idle(EVENING)
    texts = texts_to(webhook.requests, patient.phone)
    assert len(texts) == 4
    lines = texts[3].splitlines()
    assert "- Step number 4" in lines and "- Step number 5" in lines
    assert not any("Step number 1" in line for line in lines)
    worker.run_until_idle(EVENING + timedelta(hours=1))
    assert len(texts_to(webhook.requests, patient.phone)) == 4  # sent once


@pytest.mark.both_databases
def test_a_critical_item_past_the_budget_still_goes(
    engine: Engine, webhook: WebhookReceiver
) -> None:
    patient = _five(engine, critical_last=True)
    text_dispatcher(engine, webhook.url).run_until_idle(NOW)
    texts = texts_to(webhook.requests, patient.phone)
    assert len(texts) == 4
    assert texts[-1].startswith("Stop eating (critical)")
    (digest,) = [r for r in reminder_rows(engine, patient.enrollment_id) if r.purpose == DIGEST]
    assert (digest.body or "").splitlines()[1:] == ["- Step number 4"]


@pytest.mark.both_databases
def test_concurrent_sending_threads_share_one_budget(
    engine: Engine, webhook: WebhookReceiver
) -> None:
    """Five texts for one patient handed to eight threads at once: still exactly three."""
    patient = _five(engine, same_time=True)
    text_dispatcher(engine, webhook.url, workers=8).run_until_idle(NOW)
    assert len(texts_to(webhook.requests, patient.phone)) == 3
    (digest,) = [r for r in reminder_rows(engine, patient.enrollment_id) if r.purpose == DIGEST]
    assert len((digest.body or "").splitlines()) == 3  # the header and two items


@pytest.mark.both_databases
def test_the_budget_counts_each_patient_and_local_day_apart(
    engine: Engine, webhook: WebhookReceiver
) -> None:
    first = _five(engine)
    second = texted_patient(engine, [("Other patient's step", False)], now=NOW)
    worker = text_dispatcher(engine, webhook.url)
    worker.run_until_idle(NOW)
    assert len(texts_to(webhook.requests, second.phone)) == 1
    tomorrow = NOW + timedelta(days=1)
    late = texted_patient(engine, [("Tomorrow's step", False)], now=NOW, send_at=[tomorrow])
    with Session(engine) as session:  # the same patient as `first`, a day later
        moved = session.get(Enrollment, late.enrollment_id)
        assert moved is not None
        moved.patient_id = first.patient_id
        session.add(moved)
        session.commit()
    worker.run_until_idle(tomorrow)
    assert texts_to(webhook.requests, first.phone)[-1].startswith("Tomorrow's step")


@pytest.mark.both_databases
def test_no_text_goes_without_consent(engine: Engine, webhook: WebhookReceiver) -> None:
    never = texted_patient(engine, [("Never asked", False)], now=NOW, consent=None)
    refused = texted_patient(engine, [("Said no", True)], now=NOW, consent=False)
    text_dispatcher(engine, webhook.url).run_until_idle(NOW)
    assert webhook.requests == []
    for patient in (never, refused):
        (row,) = reminder_rows(engine, patient.enrollment_id)
        assert (row.status, row.last_error, row.sent_at) == ("cancelled", NO_CONSENT, None)


@pytest.mark.both_databases
def test_consent_withdrawn_after_planning_stops_the_text(
    engine: Engine, webhook: WebhookReceiver
) -> None:
    patient = texted_patient(engine, [("Planned with consent", False)], now=NOW)
    with Session(engine) as session:
        record_consent(
            session=session,
            patient_id=patient.patient_id,
            given=False,
            method="verbal",
            actor="user:1",
            now=NOW - timedelta(minutes=1),
        )
        session.commit()
    text_dispatcher(engine, webhook.url).run_until_idle(NOW)
    assert webhook.requests == []
    (row,) = reminder_rows(engine, patient.enrollment_id)
    assert (row.status, row.last_error) == ("cancelled", NO_CONSENT)


@pytest.mark.both_databases
def test_the_digest_waits_for_quiet_hours_to_end(engine: Engine, webhook: WebhookReceiver) -> None:
    """Quiet from 18:00: the 19:00 digest goes at 07:00 the next morning."""
    steps = [(f"Step {i}", False) for i in range(4)]
    patient = texted_patient(engine, steps, now=NOW, quiet=("18:00", "07:00"))
    worker = text_dispatcher(engine, webhook.url)
    worker.run_until_idle(NOW)
    worker.run_until_idle(EVENING)
    assert len(texts_to(webhook.requests, patient.phone)) == 3
    morning = EVENING + timedelta(hours=12)  # 07:00 EST
    worker.run_until_idle(morning)
    texts = texts_to(webhook.requests, patient.phone)
    assert len(texts) == 4 and "- Step 3" in texts[3].splitlines()
    assert DIGEST_AT.hour == 19


def test_other_channels_ignore_the_text_budget(app: Flask, engine: Engine) -> None:
    """In-app copies of the same reminders all go: the budget is about texts only."""
    steps = [(f"Step {i}", False) for i in range(5)]
    patient = texted_patient(engine, steps, now=NOW, extra_channels=("inapp",))
    text_dispatcher(engine, "http://127.0.0.1:9/unreachable").run_until_idle(NOW)
    inapp = [r for r in reminder_rows(engine, patient.enrollment_id) if r.channel == "inapp"]
    assert {r.status for r in inapp} == {"sent"} and len(inapp) == 5


@pytest.mark.both_databases
def test_an_unconfigured_gateway_keeps_the_same_rules(engine: Engine) -> None:
    """No WEBHOOK_URL: texts go to the log in the batch's own transaction (an internal
    channel) and end "failed" with the reason, never "sent" (issue 13); consent and the
    budget still hold them."""
    counted = _five(engine)
    refused = texted_patient(engine, [("Said no", False)], now=NOW, consent=False)
    text_dispatcher(engine, "").run_until_idle(NOW)
    rows = reminder_rows(engine, counted.enrollment_id)
    statuses = [r.status for r in rows]
    assert statuses == ["failed"] * 3 + ["cancelled"] * 2 + ["pending"]  # the digest, last
    assert {r.last_error for r in rows[:3]} == {"not sent: no text message gateway configured"}
    (row,) = reminder_rows(engine, refused.enrollment_id)
    assert (row.status, row.last_error) == ("cancelled", NO_CONSENT)
