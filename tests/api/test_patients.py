"""Patients through the API: create, read, find by MRN, update under If-Match, paging."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from tests.api.conftest import Api, assert_problem
from tracker.models import AuditEvent, Patient

pytestmark = pytest.mark.both_databases


def _create(api: Api, mrn: str, **fields: object) -> dict[str, object]:
    response = api.post("/patients", json={"mrn": mrn, "name": f"Patient {mrn}", **fields})
    assert response.status_code == 201, response.get_data(as_text=True)
    body: dict[str, object] = response.get_json()
    return body


def test_create_read_and_find_by_mrn(api: Api, session: Session) -> None:
    created = _create(api, "A-1", timezone="Europe/Paris", birth_date="1970-02-03")
    assert created["timezone"] == "Europe/Paris" and created["birth_date"] == "1970-02-03"
    read = api.get(f"/patients/{created['id']}")
    assert read.status_code == 200 and read.get_json() == created
    assert read.headers["ETag"].startswith('"')
    found = api.get("/patients", query_string={"mrn": "A-1"}).get_json()
    assert [p["id"] for p in found["items"]] == [created["id"]]
    assert api.get("/patients", query_string={"mrn": "nobody"}).get_json()["items"] == []
    row = session.exec(select(AuditEvent).where(AuditEvent.action == "patient.register")).one()
    assert row.actor == "token:ehr"


def test_update_needs_the_current_etag(api: Api, session: Session) -> None:
    created = _create(api, "B-1")
    path = f"/patients/{created['id']}"
    etag = api.get(path).headers["ETag"]
    assert_problem(api.patch(path, json={"name": "Ann"}), 428)
    first = api.patch(path, json={"name": "Ann"}, headers={"If-Match": etag})
    assert first.status_code == 200 and first.get_json()["name"] == "Ann"
    assert first.headers["ETag"] != etag
    # A second client that read before the first change cannot overwrite it.
    stale = api.patch(path, json={"name": "Bob"}, headers={"If-Match": etag})
    assert_problem(stale, 412)
    session.expire_all()
    row = session.get(Patient, created["id"])
    assert row is not None and row.name == "Ann"
    again = api.patch(
        path, json={"phone": "+1 555 0100"}, headers={"If-Match": first.headers["ETag"]}
    )
    assert again.status_code == 200 and again.get_json()["name"] == "Ann"
    updates = session.exec(select(AuditEvent).where(AuditEvent.action == "patient.update")).all()
    assert {u.actor for u in updates} == {"token:ehr"} and len(updates) == 2


def test_bad_input_is_a_problem_with_field_errors(api: Api, session: Session) -> None:
    body = assert_problem(
        api.post("/patients", json={"mrn": "", "name": "X", "timezone": "Mars/Base"}), 422
    )
    assert body["errors"] and {"field", "message"} <= set(body["errors"][0])
    body = assert_problem(api.post("/patients", json={"name": "no mrn", "colour": "red"}), 422)
    assert {e["field"] for e in body["errors"]} == {"mrn", "colour"}
    _create(api, "C-1")
    duplicate = assert_problem(api.post("/patients", json={"mrn": "C-1", "name": "Again"}), 422)
    assert duplicate["errors"][0]["field"] == "mrn"
    assert_problem(api.post("/patients", data="mrn=1", content_type="text/plain"), 415)
    assert_problem(api.post("/patients", data="{not json", content_type="application/json"), 422)
    assert_problem(api.post("/patients", json={"mrn": "N\x00UL", "name": "x"}), 422)
    assert session.exec(select(Patient)).all()[-1].mrn == "C-1"  # nothing half-written


def test_paging_walks_every_patient_once(api: Api) -> None:
    ids = [_create(api, f"P-{n}")["id"] for n in range(5)]
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = api.get("/patients", query_string=query).get_json()
        seen += [p["id"] for p in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids and pages == 3
    assert_problem(api.get("/patients", query_string={"limit": 0}), 422)
    assert_problem(api.get("/patients", query_string={"cursor": "abc"}), 422)


def test_a_created_patient_has_a_location_and_every_read_is_on_record(
    api: Api, session: Session
) -> None:
    """Issue 14: a 201 says where the new resource is; each read names the token that did it
    (and stays out of the patient's own history, which tells the story of the plan)."""
    response = api.post("/patients", json={"mrn": "L-1", "name": "Lou"})
    location = response.headers["Location"]
    assert location == f"/api/v1/patients/{response.get_json()['id']}"
    assert api.get(location.removeprefix("/api/v1")).get_json() == response.get_json()
    api.get("/patients", query_string={"mrn": "L-1"})
    reads = session.exec(select(AuditEvent).where(AuditEvent.action == "api.read")).all()
    assert [(r.actor, r.subject_type, r.after) for r in reads] == [
        ("token:ehr", "patient", {"read": location}),
        ("token:ehr", "patient", {"read": "/api/v1/patients?mrn=L-1"}),
    ]
    assert {r.patient_id for r in reads} == {None}
    assert reads[0].subject_id == response.get_json()["id"] and reads[1].subject_id == 0
    # A refused read (unknown id) commits nothing.
    assert_problem(api.get("/patients/999999"), 404)
    assert len(session.exec(select(AuditEvent).where(AuditEvent.action == "api.read")).all()) == 2
