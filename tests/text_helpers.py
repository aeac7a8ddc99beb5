"""Helpers for text-message tests: a patient texted about items we name, signed inbound posts
through the app, and a dispatcher whose webhook channel is the real receiver."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Engine, insert, select
from sqlmodel import Session

from tests.enrollment_helpers import custom_version, make_patient, make_step
from tracker.care.consent import record_consent
from tracker.care.item_reminders import values as reminder_values
from tracker.library.pathways import steps_of
from tracker.models import ChecklistItem, Enrollment, Reminder
from tracker.patient.text_replies import digits
from tracker.reminders.channels import build_channels
from tracker.reminders.dispatch import Dispatcher
from tracker.reminders.dispatch_settings import Settings
from tracker.web.hooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

SECRET = "gateway-shared-secret"
_phones = itertools.count(100)


@dataclass
class Texted:
    """A patient with a phone, one enrollment, and one item (and text reminder) per step."""

    patient_id: int
    enrollment_id: int
    phone: str
    item_ids: list[int]  # in the order of the steps given
    reminder_ids: list[int]


def texted_patient(
    engine: Engine,
    steps: Sequence[tuple[str, bool]],
    *,
    now: datetime,
    send_at: Sequence[datetime] | None = None,
    consent: bool | None = True,
    quiet: tuple[str, str] = ("21:00", "07:00"),
    extra_channels: Sequence[str] = (),
    language: str = "en",
) -> Texted:
    """Steps as (text, critical); item i opens at send_at[i] (default `now`), is due a day
    later and has a pending webhook reminder then (and one per `extra_channels`)."""
    times = list(send_at or [now] * len(steps))
    phone = f"+1 (555) 010-{next(_phones):04d}"
    with Session(engine, expire_on_commit=False) as session:
        patient = make_patient(
            session,
            phone=phone,
            quiet_start=quiet[0],
            quiet_end=quiet[1],
            now=now,
            language=language,
        )
        assert patient.id is not None
        if consent is not None:
            record_consent(
                session=session,
                patient_id=patient.id,
                given=consent,
                method="written",
                actor="test",
                now=now - timedelta(days=1),
            )
        version = custom_version(
            session, [make_step(text, critical=critical) for text, critical in steps]
        )
        step_ids = [step.id for step in steps_of(session, version)]
        assert version.id is not None
        enrollment = Enrollment(
            patient_id=patient.id,
            version_id=version.id,
            procedure_start=now + timedelta(days=30),
            procedure_end=now + timedelta(days=30, hours=1),
            timezone=patient.timezone,
            horizon=now + timedelta(days=60),
            created_at=now,
            updated_at=now,
        )
        session.add(enrollment)
        session.commit()
        patient_id, enrollment_id = patient.id, enrollment.id
    assert enrollment_id is not None
    with engine.begin() as connection:
        item_ids = []
        for step_id, opens in zip(step_ids, times, strict=True):
            item_ids.append(
                connection.execute(
                    insert(ChecklistItem)
                    .values(
                        enrollment_id=enrollment_id,
                        step_id=step_id,
                        occurrence=0,
                        opens_at=opens,
                        due_at=opens + timedelta(days=1),
                        status="pending",
                        note="",
                        acted_by="",
                    )
                    .returning(ChecklistItem.id)
                ).scalar_one()
            )
        rows = [
            reminder_values(item_id, enrollment_id, "opens", opens, channel)
            for item_id, opens in zip(item_ids, times, strict=True)
            for channel in ("webhook", *extra_channels)
        ]
        connection.execute(insert(Reminder), rows)
        reminder_ids = list(
            connection.execute(
                select(Reminder.id)
                .where(Reminder.enrollment_id == enrollment_id)
                .order_by(Reminder.id)
            ).scalars()
        )
    return Texted(patient_id, enrollment_id, phone, item_ids, reminder_ids)


def text_dispatcher(
    engine: Engine, webhook_url: str, *, workers: int = 1, budget: int = 3
) -> Dispatcher:
    """A dispatcher whose texts go to the real webhook receiver at `webhook_url` (to the log
    when it is "")."""
    channels = build_channels(smtp_url="", webhook_url=webhook_url, sender="care@example.org")
    settings = Settings(workers=workers, text_budget=budget)
    return Dispatcher(engine, channels=channels, settings=settings, fault="")


def post_text(
    client: FlaskClient,
    payload: Any,
    *,
    secret: str = SECRET,
    timestamp: int | None = None,
    signature: str | None = None,
    raw: bytes | None = None,
) -> Any:
    """POST /hooks/sms as the gateway would: the body signed with `secret` at `timestamp`."""
    body = raw if raw is not None else json.dumps(payload).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    headers = {
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: signature if signature is not None else sign(secret, stamp, body),
        "Content-Type": "application/json",
    }
    return client.post("/hooks/sms", data=body, headers=headers)


def texts_to(requests: list[tuple[dict[str, str], dict[str, Any]]], phone: str) -> list[str]:
    """The words of every text the receiver got for `phone` (however written), in order."""
    return [body["text"] for _, body in requests if digits(body["to"]) == digits(phone)]
