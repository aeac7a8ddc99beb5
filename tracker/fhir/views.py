"""The FHIR read endpoints: parse the address, check the bearer token (scope `read`), read,
write the audit row with the token's name, render application/fhir+json.

    GET /fhir/PlanDefinition/{version_id}
    GET /fhir/CarePlan/{enrollment_id}[?_include=CarePlan:activity-reference | *]
    GET /fhir/Task?based-on=CarePlan/{enrollment_id}
    GET /fhir/Bundle/enrollment-{enrollment_id}
"""

from __future__ import annotations

import json
import re

from flask import Blueprint, Response, current_app, request
from sqlmodel import Session, SQLModel

from tracker import audit
from tracker.api.schemas import MAX_ID
from tracker.api.tokens import TokenRefused, authenticate
from tracker.clock import utcnow
from tracker.db import get_session
from tracker.fhir.bundles import enrollment_bundle, searchset
from tracker.fhir.care_plan import care_plan, tasks
from tracker.fhir.elements import Json
from tracker.fhir.outcomes import MEDIA_TYPE, FhirError, on_fhir_error, on_unexpected
from tracker.fhir.plan_definition import plan_definition
from tracker.fhir.queries import EnrollmentRecords, load_enrollment, load_version

bp = Blueprint("fhir", __name__, url_prefix="/fhir")
bp.register_error_handler(FhirError, on_fhir_error)
bp.register_error_handler(Exception, on_unexpected)

SCOPE = "read"
# Each brings the CarePlan's Tasks (its only activity references).
INCLUDES = ("CarePlan:activity-reference", "CarePlan:activity-reference:Task", "*")
_DIGITS = re.compile(r"[0-9]{1,64}")  # FHIR ids are at most 64 characters
_CARE_PLAN = re.compile(r"CarePlan/([0-9]{1,64})")


@bp.get("/PlanDefinition/<version_id>")
def read_plan_definition(version_id: str) -> Response:
    """A published (or retired) pathway version."""
    session, actor = _start()
    found = load_version(session, _id(version_id, "PlanDefinition"))
    if found is None:
        raise FhirError(404, f"no PlanDefinition {version_id}")
    body = plan_definition(
        version=found.version, pathway=found.pathway, steps=found.steps, base=_base()
    )
    return _answer(session, actor, body, subject=found.version, patient_id=None)


@bp.get("/CarePlan/<enrollment_id>")
def read_care_plan(enrollment_id: str) -> Response:
    """An enrollment's CarePlan; with _include, a searchset Bundle holding its Tasks too."""
    session, actor = _start()
    includes = request.args.getlist("_include")
    unknown = [value for value in includes if value not in INCLUDES]
    if unknown:
        raise FhirError(400, f"_include {unknown[0]!r} is not supported: use {INCLUDES[0]}")
    records = _enrollment(session, enrollment_id, messages=False)
    plan = care_plan(records, base=_base(), mrn_system=_mrn_system())
    body = plan
    if includes:
        found = tasks(records, base=_base(), mrn_system=_mrn_system(), now=utcnow())
        body = searchset([plan], found, base=_base())
    return _answer(session, actor, body, subject=records.enrollment, patient_id=records.patient.id)


@bp.get("/Task")
def search_tasks() -> Response:
    """The Tasks of one CarePlan: ?based-on=CarePlan/{id} (an unknown one finds none)."""
    session, actor = _start()
    given = request.args.getlist("based-on")
    match = _CARE_PLAN.fullmatch(given[0]) if len(given) == 1 else None
    if match is None:
        raise FhirError(400, "search Tasks with one based-on=CarePlan/{id}")
    number = int(match[1])
    records = load_enrollment(session, number, messages=False) if number <= MAX_ID else None
    if records is None:
        return _render(searchset([], [], base=_base()))
    found = tasks(records, base=_base(), mrn_system=_mrn_system(), now=utcnow())
    body = searchset(found, [], base=_base())
    return _answer(session, actor, body, subject=records.enrollment, patient_id=records.patient.id)


@bp.get("/Bundle/<bundle_id>")
def read_bundle(bundle_id: str) -> Response:
    """One enrollment's whole export: Bundle/enrollment-{id}."""
    session, actor = _start()
    prefix, _, number = bundle_id.partition("-")
    if prefix != "enrollment":
        raise FhirError(400, "Bundles are addressed as Bundle/enrollment-{id}")
    records = _enrollment(session, number, messages=True)
    body = enrollment_bundle(records, base=_base(), mrn_system=_mrn_system(), now=utcnow())
    return _answer(session, actor, body, subject=records.enrollment, patient_id=records.patient.id)


# --- plumbing -----------------------------------------------------------------------------


def _start() -> tuple[Session, str]:
    """The request's session and the audit actor of its bearer token (the JSON API's check:
    401 without a working token, 403 for a scope below `read`)."""
    session = get_session()
    try:
        name = authenticate(session, request.headers.get("Authorization", ""), SCOPE)
    except TokenRefused as refused:
        raise FhirError(refused.status, refused.detail) from None
    return session, f"token:{name}"


def _id(text: str, what: str) -> int:
    """A numeric id: 400 for anything else, 404 past the largest id a row can have."""
    if _DIGITS.fullmatch(text) is None:
        raise FhirError(400, f"{what} ids are numbers, not {text[:40]!r}")
    number = int(text)
    if not 1 <= number <= MAX_ID:
        raise FhirError(404, f"no {what} {number}")
    return number


def _enrollment(session: Session, text: str, *, messages: bool) -> EnrollmentRecords:
    """The enrollment a CarePlan or Bundle address names, with its rows (reminders only if
    `messages`); 400 or 404 otherwise."""
    number = _id(text, "CarePlan")
    records = load_enrollment(session, number, messages=messages)
    if records is None:
        raise FhirError(404, f"no CarePlan {number}")
    return records


def _answer(
    session: Session,
    actor: str,
    body: Json,
    *,
    subject: SQLModel,
    patient_id: int | None,
) -> Response:
    """Write the read to the audit log, commit, and render."""
    audit.record(
        session=session,
        actor=actor,
        action="fhir.read",
        subject=subject,
        before=None,
        after={"path": request.full_path.rstrip("?")},
        patient_id=patient_id,
        now=utcnow(),
    )
    session.commit()
    return _render(body)


def _render(body: Json) -> Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(text, mimetype=MEDIA_TYPE)


def _base() -> str:
    return str(current_app.config["BASE_URL"]).rstrip("/")


def _mrn_system() -> str:
    """The Identifier.system of MRNs: the site's own when configured (TRACKER_FHIR_MRN_SYSTEM)."""
    return str(current_app.config.get("FHIR_MRN_SYSTEM") or _base() + "/fhir/sid/mrn")
