"""Enrollments through the API: conditional steps, items, reschedule, cancel, complete, ticks."""

from __future__ import annotations

import pytest
import time_machine
from sqlmodel import Session, col, select

from tests.api.conftest import Api, assert_problem
from tests.enrollment_helpers import NOW, custom_version, make_patient, make_step, rel
from tracker.models import AuditEvent, Enrollment, PathwayVersion, Patient, Reminder

pytestmark = [pytest.mark.both_databases, pytest.mark.usefixtures("frozen_clock")]


@pytest.fixture
def frozen_clock() -> object:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def version(session: Session) -> PathwayVersion:
    steps = [
        make_step("Stop eating", critical=True, opens=rel(days=-1), due=rel()),
        make_step("Bring your inhaler if you use one", conditional=True),
        make_step("Walk", section="recovery", opens=rel("end"), due=rel("end", days=1)),
    ]
    return custom_version(session, steps, slug="colon")


def _enroll(api: Api, session: Session, version: PathwayVersion, **extra: object) -> dict:
    """A new patient enrolled on `version` through the API; the response body."""
    patient = make_patient(session)
    body = {"patient_id": patient.id, "pathway": "colon", "start": "2027-03-08T08:00", **extra}
    response = api.post("/enrollments", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return dict(response.get_json())


def _conditional_id(session: Session, version: PathwayVersion) -> int:
    from tracker.library.pathways import steps_of

    return next(s.id for s in steps_of(session, version) if s.conditional)


def test_enroll_choosing_conditional_steps(
    api: Api, session: Session, version: PathwayVersion
) -> None:
    patient = make_patient(session)
    body = {"patient_id": patient.id, "pathway": "colon", "start": "2027-03-08T08:00"}
    undecided = assert_problem(api.post("/enrollments", json=body), 422)
    assert undecided["errors"][0]["field"] == "conditional"
    assert "inhaler" in undecided["detail"]
    dropped = api.post("/enrollments", json=body | {"drop": [_conditional_id(session, version)]})
    assert dropped.status_code == 201, dropped.get_data(as_text=True)
    created = dropped.get_json()
    assert created["state"] == "active"
    assert created["procedure_start"] == "2027-03-08T13:00:00Z"  # 08:00 EST
    read = api.get(f"/enrollments/{created['id']}")
    assert len(read.get_json()["items"]) == 2 and read.headers["ETag"]
    assert read.get_json()["dropped_steps"] == [_conditional_id(session, version)]
    audit = session.exec(select(AuditEvent).where(AuditEvent.action == "enrollment.create")).one()
    assert audit.actor == "token:ehr"
    listed = api.get("/enrollments", query_string={"patient_id": patient.id}).get_json()
    assert [e["id"] for e in listed["items"]] == [created["id"]]
    none = api.get("/enrollments", query_string={"state": "cancelled"}).get_json()
    assert none["items"] == []
    unknown = assert_problem(api.post("/enrollments", json=body | {"pathway": "nope"}), 404)
    assert "nope" in unknown["detail"]
    bad = assert_problem(api.post("/enrollments", json=body | {"start": "tomorrow"}), 422)
    assert bad["errors"][0]["field"] == "start"


def test_nurse_ticks_and_marks_not_done(
    api: Api, session: Session, version: PathwayVersion
) -> None:
    created = _enroll(api, session, version, confirm=[_conditional_id(session, version)])
    item_id = api.get(f"/enrollments/{created['id']}").get_json()["items"][0]["id"]
    path = f"/enrollments/{created['id']}/items/{item_id}"
    done = api.post(path, json={"action": "done"})
    assert done.status_code == 200 and done.get_json()["status"] == "done"
    assert done.get_json()["acted_by"] == "token:ehr"
    waiting = session.exec(
        select(Reminder).where(Reminder.item_id == item_id, Reminder.status == "pending")
    ).all()
    assert waiting == []  # a ticked item's reminders are never sent
    undo = api.post(path, json={"action": "undo"})
    assert undo.get_json()["status"] == "pending"
    not_done = api.post(path, json={"action": "not_done", "note": "felt sick"})
    assert (
        not_done.get_json()["status"] == "not_done" and not_done.get_json()["note"] == "felt sick"
    )
    actions = session.exec(
        select(AuditEvent.action, AuditEvent.actor).where(
            AuditEvent.subject_type == "checklistitem"
        )
    ).all()
    assert actions == [
        ("item.done", "token:ehr"),
        ("item.reopen", "token:ehr"),
        ("item.not_done", "token:ehr"),
    ]
    assert_problem(api.post(path, json={"action": "explode"}), 422)
    assert_problem(
        api.post(f"/enrollments/{created['id']}/items/999999", json={"action": "done"}), 404
    )


def test_reschedule_preview_then_apply_with_if_match(
    api: Api, session: Session, version: PathwayVersion
) -> None:
    created = _enroll(api, session, version, confirm=[_conditional_id(session, version)])
    path = f"/enrollments/{created['id']}"
    etag = api.get(path).headers["ETag"]
    move = {"start": "2027-03-10T09:30"}
    preview = api.post(path + "/reschedule", json=move)
    assert preview.status_code == 200
    assert preview.get_json()["applied"] is False and preview.get_json()["changes"]
    assert api.get(path).get_json()["procedure_start"] == "2027-03-08T13:00:00Z"  # unchanged
    assert_problem(api.post(path + "/reschedule", json=move | {"apply": True}), 428)
    applied = api.post(
        path + "/reschedule", json=move | {"apply": True}, headers={"If-Match": etag}
    )
    assert applied.status_code == 200 and applied.get_json()["applied"] is True
    assert api.get(path).get_json()["procedure_start"] == "2027-03-10T14:30:00Z"
    # The patient is told, once per channel (a preview told nobody).
    told = session.exec(
        select(Reminder.channel).where(
            Reminder.enrollment_id == created["id"], Reminder.purpose == "moved"
        )
    ).all()
    assert sorted(told) == sorted({"inapp", *_patient_channels(session, created["id"])})
    # The ETag read before the move is stale now.
    assert_problem(api.post(path + "/cancel", headers={"If-Match": etag}), 412)


def _patient_channels(session: Session, enrollment_id: int) -> list[str]:
    enrollment = session.get(Enrollment, enrollment_id)
    assert enrollment is not None
    patient = session.get(Patient, enrollment.patient_id)
    assert patient is not None
    return list(patient.channels)


def test_cancel_and_complete(api: Api, session: Session, version: PathwayVersion) -> None:
    first = _enroll(api, session, version, confirm=[_conditional_id(session, version)])
    second = _enroll(api, session, version, drop=[_conditional_id(session, version)])
    for created, action, state in (
        (first, "cancel", "cancelled"),
        (second, "complete", "completed"),
    ):
        path = f"/enrollments/{created['id']}"
        assert_problem(api.post(f"{path}/{action}"), 428)
        etag = api.get(path).headers["ETag"]
        done = api.post(f"{path}/{action}", headers={"If-Match": etag})
        assert done.status_code == 200 and done.get_json()["state"] == state
    session.expire_all()
    row = session.get(Enrollment, first["id"])
    assert row is not None and row.state == "cancelled"
    pending = session.exec(
        select(Reminder).where(
            Reminder.enrollment_id == first["id"], col(Reminder.status) == "pending"
        )
    ).all()
    assert pending == []
    states = api.get("/enrollments", query_string={"state": "completed"}).get_json()["items"]
    assert [e["id"] for e in states] == [second["id"]]
