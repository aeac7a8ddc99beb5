"""Who may read /fhir and what a bad request gets: bearer tokens of scope `read` or higher,
every read in the audit log with the token's name, errors as OperationOutcome (401, 400, 404,
405), never a 500."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fhir.resources.R4B.operationoutcome import OperationOutcome
from sqlmodel import Session, col, select
from werkzeug.test import TestResponse

from tests.enrollment_helpers import NOW
from tests.fhir.conftest import MEDIA_TYPE, Fhir
from tracker.api.tokens import revoke_token
from tracker.models import AuditEvent, Enrollment

pytestmark = pytest.mark.usefixtures("frozen_clock")
BIG = 2**63


def assert_outcome(response: TestResponse, status: int, code: str) -> str:
    """The response is a valid OperationOutcome with this status and issue code; its text."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == MEDIA_TYPE
    outcome = OperationOutcome.model_validate(response.get_json(force=True))
    (issue,) = outcome.issue
    assert (issue.severity, issue.code) == ("error", code)
    assert issue.diagnostics
    return str(issue.diagnostics)


def _addresses(enrollment: Enrollment) -> list[str]:
    return [
        f"/PlanDefinition/{enrollment.version_id}",
        f"/CarePlan/{enrollment.id}",
        f"/CarePlan/{enrollment.id}?_include=*",
        f"/Task?based-on=CarePlan/{enrollment.id}",
        f"/Bundle/enrollment-{enrollment.id}",
    ]


def test_tokens_of_every_scope_read_and_are_audited(
    make_fhir: Callable[..., Fhir], session: Session, enrollment: Enrollment
) -> None:
    for scope in ("read", "enroll", "admin"):
        client = make_fhir(scope, f"{scope}-ehr")
        for address in _addresses(enrollment):
            client.read(address)
    rows = session.exec(
        select(AuditEvent).where(AuditEvent.action == "fhir.read").order_by(col(AuditEvent.id))
    ).all()
    assert [(r.actor, r.after) for r in rows] == [
        (f"token:{scope}-ehr", {"path": "/fhir" + address})
        for scope in ("read", "enroll", "admin")
        for address in _addresses(enrollment)
    ]
    plans = [r for r in rows if r.subject_type == "pathwayversion"]
    assert [(r.subject_id, r.patient_id) for r in plans] == [(enrollment.version_id, None)] * 3
    others = {(r.subject_type, r.subject_id, r.patient_id) for r in rows if r not in plans}
    assert others == {("enrollment", enrollment.id, enrollment.patient_id)}


def test_no_bad_or_revoked_token_is_401(
    session: Session, fhir: Fhir, enrollment: Enrollment
) -> None:
    address = f"/Bundle/enrollment-{enrollment.id}"
    anonymous = Fhir(fhir.client.application, None)
    response = anonymous.get(address)
    assert_outcome(response, 401, "login")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert_outcome(Fhir(fhir.client.application, "trk_forged").get(address), 401, "login")
    basic = fhir.client.get("/fhir" + address, headers={"Authorization": "Basic eDp5"})
    assert_outcome(basic, 401, "login")
    revoke_token(session=session, name="ehr", now=NOW, actor="test")
    session.commit()
    assert_outcome(fhir.get(address), 401, "login")
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "fhir.read")).all() == []


@pytest.mark.parametrize(
    "address",
    [
        "/PlanDefinition/abc",
        "/PlanDefinition/-1",
        "/PlanDefinition/1.5",
        "/CarePlan/x1",
        "/CarePlan/%20",
        "/Bundle/enrollment-abc",
        "/Bundle/enrollment-",
        "/Bundle/patient-1",
        "/Task",
        "/Task?based-on=Patient/1",
        "/Task?based-on=CarePlan/abc",
        "/Task?based-on=1",
        "/Task?based-on=CarePlan/1&based-on=CarePlan/2",
        "/CarePlan/1?_include=Task:owner",
    ],
)
def test_bad_addresses_are_400(fhir: Fhir, enrollment: Enrollment, address: str) -> None:
    assert_outcome(fhir.get(address), 400, "invalid")


@pytest.mark.parametrize(
    "address",
    [
        "/PlanDefinition/999",
        "/PlanDefinition/0",
        f"/PlanDefinition/{BIG}",
        f"/PlanDefinition/{BIG - 1}",
        "/CarePlan/999",
        f"/CarePlan/{BIG}",
        f"/CarePlan/{BIG}?_include=*",
        f"/CarePlan/{2**31}",
        f"/Bundle/enrollment-{BIG}",
        f"/Bundle/enrollment-{10**40}",
        "/Patient/1",
        "/Nothing",
        "/",
    ],
)
def test_unknown_ids_and_addresses_are_404(
    fhir: Fhir, enrollment: Enrollment, address: str
) -> None:
    assert_outcome(fhir.get(address), 404, "not-found")


def test_writes_are_405(fhir: Fhir, enrollment: Enrollment) -> None:
    headers = {"Authorization": f"Bearer {fhir.token}"}
    response = fhir.client.put(f"/fhir/CarePlan/{enrollment.id}", headers=headers, json={})
    assert_outcome(response, 405, "not-supported")


def test_the_api_and_pages_keep_their_own_errors(fhir: Fhir) -> None:
    api = fhir.client.get("/api/v1/nothing")
    assert api.status_code == 404 and api.mimetype == "application/problem+json"
    page = fhir.client.get("/nothing-here")
    assert page.status_code == 404 and page.mimetype == "text/html"
