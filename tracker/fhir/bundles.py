"""Bundles: search results (`searchset`, matches then includes) and one enrollment's whole
export (`collection`: Patient, PlanDefinition, CarePlan, Tasks, CommunicationRequests,
Communications)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tracker.fhir.care_plan import care_plan, patient_resource, tasks
from tracker.fhir.communications import messages
from tracker.fhir.elements import Json, instant
from tracker.fhir.plan_definition import plan_definition
from tracker.fhir.queries import EnrollmentRecords


def full_url(resource: Json, base: str) -> str:
    """The absolute address of a resource served here."""
    return f"{base}/fhir/{resource['resourceType']}/{resource['id']}"


def searchset(matches: Sequence[Json], includes: Sequence[Json], *, base: str) -> Json:
    """A search result: `total` counts the matches only, as FHIR defines it."""
    entries = [
        {"fullUrl": full_url(r, base), "resource": r, "search": {"mode": mode}}
        for mode, group in (("match", matches), ("include", includes))
        for r in group
    ]
    return {"resourceType": "Bundle", "type": "searchset", "total": len(matches), "entry": entries}


def enrollment_bundle(
    records: EnrollmentRecords, *, base: str, mrn_system: str, now: datetime
) -> Json:
    """Everything about one enrollment in one `collection` Bundle, read at `now`."""
    plan = records.plan
    requests, sent = messages(records, mrn_system=mrn_system)
    resources = [
        patient_resource(records.patient, mrn_system=mrn_system),
        plan_definition(version=plan.version, pathway=plan.pathway, steps=plan.steps, base=base),
        care_plan(records, base=base, mrn_system=mrn_system),
        *tasks(records, base=base, mrn_system=mrn_system, now=now),
        *requests,
        *sent,
    ]
    return {
        "resourceType": "Bundle",
        "id": f"enrollment-{records.enrollment.id}",
        "type": "collection",
        "timestamp": instant(now),
        "entry": [{"fullUrl": full_url(r, base), "resource": r} for r in resources],
    }
