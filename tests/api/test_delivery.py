"""Reminders and alerts by state, patient links issued and revoked, pathways and preview."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import time_machine
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlmodel import Session, select

from tests.api.conftest import Api, assert_problem
from tests.enrollment_helpers import NOW, enroll_patient, published_seed_version
from tracker.cli import cli
from tracker.models import AuditEvent, ChecklistItem, Escalation, Reminder


@pytest.mark.both_databases
def test_reminders_and_alerts_by_state(api: Api, session: Session) -> None:
    enrollment = enroll_patient(session)
    reminders = session.exec(select(Reminder).where(Reminder.enrollment_id == enrollment.id)).all()
    assert len(reminders) >= 2
    reminders[0].status = "failed"
    item = session.exec(select(ChecklistItem)).first()
    assert item is not None and item.id is not None and enrollment.id is not None
    session.add(Escalation(item_id=item.id, enrollment_id=enrollment.id, raised_at=NOW, kind="x"))
    session.add(reminders[0])
    session.commit()
    failed = api.get("/reminders", query_string={"status": "failed"}).get_json()["items"]
    assert [r["id"] for r in failed] == [reminders[0].id]
    every = api.get("/reminders", query_string={"enrollment_id": enrollment.id, "limit": 200})
    assert len(every.get_json()["items"]) == len(reminders)
    assert_problem(api.get("/reminders", query_string={"status": "lost"}), 422)
    open_alerts = api.get("/alerts", query_string={"state": "open"}).get_json()["items"]
    assert [a["item_id"] for a in open_alerts] == [item.id]
    assert api.get("/alerts", query_string={"state": "resolved"}).get_json()["items"] == []


@pytest.mark.both_databases
def test_links_issued_once_and_revoked(api: Api, session: Session, client: FlaskClient) -> None:
    with time_machine.travel(NOW, tick=False):
        enrollment = enroll_patient(session)
        issued = api.post(f"/enrollments/{enrollment.id}/links")
        assert issued.status_code == 201
        url = issued.get_json()["url"]
        path = url[url.index("/p/") :]
        assert client.get(path).status_code == 200
        revoked = api.delete(f"/enrollments/{enrollment.id}/links")
        assert revoked.get_json()["revoked"] == [issued.get_json()["id"]]
        assert client.get(path).status_code != 200
    actors = session.exec(
        select(AuditEvent.action, AuditEvent.actor).where(AuditEvent.subject_type == "patientlink")
    ).all()
    assert actors == [("link.issue", "token:ehr"), ("link.revoke", "token:ehr")]
    assert_problem(api.post("/enrollments/424242/links"), 404)


def test_pathways_show_published_versions_and_steps(
    make_api: Callable[..., Api], session: Session
) -> None:
    reader = make_api("read")
    assert reader.get("/pathways").get_json() == {"items": [], "next_cursor": None}
    version = published_seed_version(session)
    listed = reader.get("/pathways").get_json()["items"]
    assert [v["id"] for v in listed] == [version.id] and listed[0]["steps"] > 10
    one = reader.get(f"/versions/{version.id}").get_json()
    assert len(one["step_list"]) == listed[0]["steps"]
    assert {"opens", "due", "asks", "evidence"} <= set(one["step_list"][0])
    slug = listed[0]["slug"]
    assert reader.get("/pathways", query_string={"slug": "other"}).get_json()["items"] == []
    assert len(reader.get("/pathways", query_string={"slug": slug}).get_json()["items"]) == 1


def test_preview_is_the_command_lines_json(make_api: Callable[..., Api], seed_path: Path) -> None:
    reader = make_api("read")
    args = ["preview", str(seed_path), "--start", "2027-03-15T08:00", "--tz", "Europe/Berlin"]
    printed = CliRunner().invoke(cli, [*args, "--json"])
    assert printed.exit_code == 0, printed.output
    body = {
        "text": seed_path.read_text(encoding="utf-8"),
        "start": "2027-03-15T08:00",
        "timezone": "Europe/Berlin",
        "code": seed_path.stem,
    }
    answer = reader.post("/preview", json=body)
    assert answer.status_code == 200
    expected = json.loads(printed.output)
    got = answer.get_json()
    assert [i["asks"] for i in got["items"]] == [i["asks"] for i in expected["items"]]
    assert got["items"] == expected["items"] and got["procedure"] == expected["procedure"]
    problem = assert_problem(reader.post("/preview", json=body | {"timezone": "Nowhere/X"}), 422)
    assert problem["errors"][0]["field"] == "timezone"
    empty = assert_problem(reader.post("/preview", json=body | {"text": "nothing here"}), 422)
    assert empty["errors"][0]["field"] == "text"
