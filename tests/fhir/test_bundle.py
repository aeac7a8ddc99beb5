"""GET /fhir/Bundle/enrollment-{id}: one collection Bundle holding the Patient, PlanDefinition,
CarePlan, Tasks and the reminders (CommunicationRequest when scheduled, Communication once
delivered, by the real dispatcher); every instant survives the round trip through the JSON."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from fhir.resources.R4B.bundle import Bundle
from flask import Flask
from sqlmodel import Session

from tests.enrollment_helpers import NOW
from tests.fhir.conftest import Fhir
from tracker import db
from tracker.care.schedule_rows import items_of, reminders_of
from tracker.models import Enrollment
from tracker.reminders.channels import build_channels
from tracker.reminders.dispatch import Dispatcher
from tracker.reminders.dispatch_settings import Settings

pytestmark = pytest.mark.usefixtures("frozen_clock")
# The reminders due by then are sent; the odd microseconds show the stored precision is kept.
SENT_BY = NOW + timedelta(days=2, microseconds=123_457)


def _dispatch(app: Flask, now: datetime) -> int:
    """Send every reminder due by `now` through the in-app channel, as the scheduler would."""
    channels = build_channels(smtp_url="", webhook_url="", sender="care@example.org")
    worker = Dispatcher(db.get_engine(app), channels=channels, settings=Settings(), fault="")
    return worker.run_until_idle(now)


def _resources(body: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {
        e["resource"]["id"]: e["resource"]
        for e in body["entry"]
        if e["resource"]["resourceType"] == kind
    }


@pytest.mark.both_databases
def test_enrollment_bundle_round_trip(
    fhir: Fhir,
    app: Flask,
    session: Session,
    enrollment: Enrollment,
    frozen_clock: time_machine.Traveller,
) -> None:
    assert _dispatch(app, SENT_BY) > 0
    frozen_clock.move_to(SENT_BY)
    body = fhir.read(f"/Bundle/enrollment-{enrollment.id}")
    assert (body["id"], body["type"]) == (f"enrollment-{enrollment.id}", "collection")
    kinds = Counter(e["resource"]["resourceType"] for e in body["entry"])
    session.expire_all()
    items, reminders = items_of(session, enrollment), reminders_of(session, enrollment)
    sent = [r for r in reminders if r.status == "sent"]
    assert kinds == {
        "Patient": 1,
        "PlanDefinition": 1,
        "CarePlan": 1,
        "Task": len(items),
        "CommunicationRequest": len(reminders),
        "Communication": len(sent),
    }
    assert sent and len(sent) < len(reminders)

    bundle = Bundle.model_validate(body)  # then compare the parsed instants with the rows
    parsed = {(e.resource.get_resource_type(), e.resource.id): e.resource for e in bundle.entry}
    for item in items:
        task = parsed["Task", str(item.id)]
        assert task.restriction.period.start == item.opens_at
        assert task.restriction.period.end == (item.expires_at or item.due_at)
        assert task.extension[0].valueDateTime == item.due_at
    for reminder in reminders:
        request = parsed["CommunicationRequest", str(reminder.id)]
        assert request.occurrenceDateTime == reminder.send_at
        assert request.basedOn[0].reference == f"Task/{reminder.item_id}"
        assert request.status == ("completed" if reminder.status == "sent" else "active")
    for reminder in sent:
        message = parsed["Communication", str(reminder.id)]
        assert reminder.sent_at is not None and reminder.sent_at.microsecond == 123_457
        assert message.sent == reminder.sent_at and message.status == "completed"
        assert message.basedOn[0].reference == f"CommunicationRequest/{reminder.id}"
        assert message.partOf[0].reference == f"Task/{reminder.item_id}"
    assert bundle.timestamp == SENT_BY
    plan = parsed["CarePlan", str(enrollment.id)]
    assert plan.extension[0].valuePeriod.start == enrollment.procedure_start


def test_references_resolve_inside_the_bundle(fhir: Fhir, enrollment: Enrollment) -> None:
    body = fhir.read(f"/Bundle/enrollment-{enrollment.id}")
    present = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in body["entry"]}
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("reference"), str):
                found.append(value["reference"])
            for child in value.values():
                walk(child)
        elif isinstance(value, list):
            for child in value:
                walk(child)

    walk(body)
    assert found and set(found) <= present
    urls = [e["fullUrl"] for e in body["entry"]]
    assert len(set(urls)) == len(urls)
