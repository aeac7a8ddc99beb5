"""GET /fhir/CarePlan/{enrollment} (alone, or with its Tasks by _include) and
GET /fhir/Task?based-on=CarePlan/{id}: one Task per item, the checklist's windows in UTC, the
item's state as the Task's status, the Patient as owner."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from fhir.resources.R4B.bundle import Bundle
from sqlmodel import Session

from tests.enrollment_helpers import (
    NOW,
    START,
    custom_version,
    enroll_patient,
    make_step,
    rel,
    step_rows,
)
from tests.fhir.conftest import Fhir, parse
from tracker import db
from tracker.care.schedule_rows import items_of as all_items
from tracker.fhir.elements import EXTENSION, instant
from tracker.models import Enrollment, Patient
from tracker.patient import ticking
from tracker.patient.queries import items_of as page_items

pytestmark = pytest.mark.usefixtures("frozen_clock")


def _patient_reference(patient: Patient) -> dict[str, Any]:
    identifier = {
        "use": "usual",
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                             "code": "MR"}]},
        "system": "http://127.0.0.1:5000/fhir/sid/mrn",
        "value": patient.mrn,
    }  # fmt: skip
    return {"reference": f"Patient/{patient.id}", "identifier": identifier}


def test_care_plan_alone(
    fhir: Fhir, session: Session, enrollment: Enrollment, patient: Patient
) -> None:
    body = fhir.read(f"/CarePlan/{enrollment.id}")
    assert body["resourceType"] == "CarePlan"
    assert (body["status"], body["intent"]) == ("active", "plan")
    assert body["subject"] == _patient_reference(patient)
    assert body["instantiatesCanonical"] == [
        f"http://127.0.0.1:5000/fhir/PlanDefinition/{enrollment.version_id}"
    ]
    items = all_items(session, enrollment)
    assert [a["reference"]["reference"] for a in body["activity"]] == [
        f"Task/{item.id}" for item in items
    ]
    procedure = body["extension"][0]
    assert procedure["url"] == EXTENSION + "procedure-period"
    assert procedure["valuePeriod"]["start"] == "2027-03-08T13:00:00Z"  # 08:00 EST


@pytest.mark.parametrize(
    "include", ["CarePlan:activity-reference", "CarePlan:activity-reference:Task", "*"]
)
def test_care_plan_with_its_tasks(fhir: Fhir, enrollment: Enrollment, include: str) -> None:
    body = fhir.read(f"/CarePlan/{enrollment.id}", query_string={"_include": include})
    assert (body["resourceType"], body["type"], body["total"]) == ("Bundle", "searchset", 1)
    first, *rest = body["entry"]
    assert first["search"]["mode"] == "match" and first["resource"]["resourceType"] == "CarePlan"
    assert {e["search"]["mode"] for e in rest} == {"include"}
    assert [e["resource"]["resourceType"] for e in rest] == ["Task"] * len(rest)
    listed = [a["reference"]["reference"] for a in first["resource"]["activity"]]
    assert [f"Task/{e['resource']['id']}" for e in rest] == listed
    assert all(e["fullUrl"].startswith("http://127.0.0.1:5000/fhir/") for e in body["entry"])


def test_task_windows_equal_the_checklist(
    fhir: Fhir, session: Session, enrollment: Enrollment, patient: Patient, app: Any
) -> None:
    body = fhir.read("/Task", query_string={"based-on": f"CarePlan/{enrollment.id}"})
    tasks = {e["resource"]["id"]: e["resource"] for e in body["entry"]}
    with db.get_engine(app).connect() as connection:
        checklist = page_items(connection, enrollment.id or 0)  # what the patient's page reads
    assert body["total"] == len(tasks) == len(checklist) >= 20
    for row in checklist:
        task = tasks[str(row.id)]
        period = task["restriction"]["period"]
        assert period == {
            "start": instant(row.opens_at),
            "end": instant(row.expires_at or row.due_at),
        }
        assert task["extension"][0] == {
            "url": EXTENSION + "due",
            "valueDateTime": instant(row.due_at),
        }
        assert period["start"].endswith("Z")
        assert task["basedOn"] == [{"reference": f"CarePlan/{enrollment.id}"}]
        assert task["for"] == task["owner"] == _patient_reference(patient)
        assert task["status"] == "ready" and task["intent"] == "plan"
    parse(body)


def test_task_status_follows_the_item(
    fhir: Fhir, session: Session, frozen_clock: time_machine.Traveller
) -> None:
    steps = [
        make_step("Tick me", opens=rel(days=-2), due=rel()),
        make_step("Not me", opens=rel(days=-2), due=rel()),
        make_step("Expire me", opens=rel(days=-1), due=rel(minutes=-60), expires=rel()),
        make_step("Leave me", opens=rel(days=-1), due=rel()),
    ]
    version = custom_version(session, steps)
    enrollment = enroll_patient(session, version=version)
    ids = {row.text: row.id for row in step_rows(session, version)}
    item_of = {item.step_id: item.id for item in all_items(session, enrollment)}
    for text, action, note in (("Tick me", "done", ""), ("Not me", "not_done", "felt sick")):
        ticking.act(
            session=session, enrollment=enrollment, actor="user:1", item_id=item_of[ids[text]],
            action=action, now=NOW, note=note, allow_early=True,
        )  # fmt: skip
    session.commit()
    frozen_clock.move_to(NOW.replace(day=8, hour=14))  # an hour after the 13:00 UTC start
    body = fhir.read("/Task", query_string={"based-on": f"CarePlan/{enrollment.id}"})
    by_step = {
        text: next(e["resource"] for e in body["entry"] if e["resource"]["id"] == str(item_of[i]))
        for text, i in ids.items()
    }
    assert by_step["Tick me"]["status"] == "completed"
    assert by_step["Tick me"]["executionPeriod"] == {"end": instant(NOW)}
    assert by_step["Not me"]["status"] == "cancelled"
    assert by_step["Not me"]["statusReason"] == {"text": "felt sick"}
    assert by_step["Expire me"]["status"] == "failed"  # expired untouched
    assert by_step["Leave me"]["status"] == "ready"  # overdue, but no expiry: still to do
    assert "statusReason" not in by_step["Leave me"]


def test_a_cancelled_enrollment_is_a_revoked_plan(
    fhir: Fhir, session: Session, enrollment: Enrollment
) -> None:
    from tracker.care.enrollment import cancel_enrollment

    cancel_enrollment(session=session, enrollment=enrollment, actor="test", now=NOW)
    session.commit()
    body = fhir.read(f"/CarePlan/{enrollment.id}", query_string={"_include": "*"})
    bundle = Bundle.model_validate(body)
    plan, *tasks = (entry.resource for entry in bundle.entry or [])
    assert plan.status == "revoked"
    assert {t.status for t in tasks} == {"cancelled"}
    assert {t.statusReason.text for t in tasks} == {"no longer part of the plan"}


def test_tasks_of_an_unknown_care_plan_are_none(fhir: Fhir) -> None:
    for plan in ("CarePlan/999", f"CarePlan/{2**63}"):
        body = fhir.read("/Task", query_string={"based-on": plan})
        assert body["total"] == 0 and body["entry"] == []


def test_items_before_now_start_missed_and_fail(fhir: Fhir, session: Session) -> None:
    step = make_step("Long gone", opens=rel(days=-30), due=rel(days=-20), expires=rel(days=-10))
    version = custom_version(session, [step, make_step()])
    enrollment = enroll_patient(session, version=version, start=START + timedelta(days=1))
    statuses = sorted(i.status for i in all_items(session, enrollment))
    assert statuses == ["missed", "pending"]
    body = fhir.read("/Task", query_string={"based-on": f"CarePlan/{enrollment.id}"})
    assert sorted(e["resource"]["status"] for e in body["entry"]) == ["failed", "ready"]
