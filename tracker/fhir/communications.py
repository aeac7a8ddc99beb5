"""An enrollment's reminders as FHIR: every reminder row is a CommunicationRequest (when and how
to remind, and whether it still will), and each one delivered is also a Communication.

Links, as R4 defines them (both `basedOn` and `partOf` take any resource there):
CommunicationRequest.basedOn names the Task whose reminding it carries out;
Communication.basedOn names the CommunicationRequest it fulfils and Communication.partOf the
Task it is part of. The care team's escalation emails are left out: they are about the
patient but addressed to a nurse, and are no step of the patient's plan.
"""

from __future__ import annotations

from tracker.care.item_reminders import ESCALATION
from tracker.fhir.care_plan import patient_reference
from tracker.fhir.elements import CODE_SYSTEM, Json, concept, instant, reference
from tracker.fhir.queries import EnrollmentRecords
from tracker.models import Reminder
from tracker.reading.timing import Step

# A reminder row's status -> its CommunicationRequest's.
REQUEST_STATUSES = {
    "pending": "active",
    "claimed": "active",
    "deferred": "active",
    "sent": "completed",
    "failed": "revoked",
    "expired": "revoked",
    "cancelled": "revoked",
}
WHY_REVOKED = {
    "failed": "delivery failed",
    "expired": "the item's window closed before it could be sent",
    "cancelled": "no longer needed",
}


def communication_request(reminder: Reminder, *, step: Step, patient: Json) -> Json:
    """One reminder as a request to remind the patient at its send time."""
    status = REQUEST_STATUSES.get(reminder.status, "unknown")
    body: Json = {
        "resourceType": "CommunicationRequest",
        "id": str(reminder.id),
        "identifier": [
            {"system": CODE_SYSTEM + "idempotency-key", "value": reminder.idempotency_key}
        ],
        "basedOn": [reference("Task", reminder.item_id)],
        "status": status,
        "category": [concept(CODE_SYSTEM + "reminder-purpose", reminder.purpose)],
        "priority": "urgent" if step.critical else "routine",
        "medium": [concept(CODE_SYSTEM + "channel", reminder.channel)],
        "subject": patient,
        "payload": [{"contentString": step.text}],
        "occurrenceDateTime": instant(reminder.send_at),
        "recipient": [patient],
    }
    if status == "revoked":
        body["statusReason"] = {"text": WHY_REVOKED.get(reminder.status, reminder.status)}
    return body


def communication(reminder: Reminder, *, step: Step, patient: Json) -> Json:
    """A delivered reminder as the message that was sent."""
    return {
        "resourceType": "Communication",
        "id": str(reminder.id),
        "basedOn": [reference("CommunicationRequest", reminder.id)],
        "partOf": [reference("Task", reminder.item_id)],
        "status": "completed",
        "category": [concept(CODE_SYSTEM + "reminder-purpose", reminder.purpose)],
        "medium": [concept(CODE_SYSTEM + "channel", reminder.channel)],
        "subject": patient,
        # Rows sent before sent_at was kept have only their send time (as the inbox shows).
        "sent": instant(reminder.sent_at or reminder.send_at),
        "recipient": [patient],
        "payload": [{"contentString": step.text}],
    }


def messages(records: EnrollmentRecords, *, mrn_system: str) -> tuple[list[Json], list[Json]]:
    """The patient's reminders: (CommunicationRequests, Communications), in send order."""
    patient = patient_reference(records.patient, mrn_system)
    steps = records.steps
    step_of = {item.id: steps[item.step_id].step for item in records.items}
    requests: list[Json] = []
    sent: list[Json] = []
    for reminder in records.reminders:
        if reminder.purpose == ESCALATION or reminder.item_id not in step_of:
            continue
        step = step_of[reminder.item_id]
        requests.append(communication_request(reminder, step=step, patient=patient))
        if reminder.status == "sent":
            sent.append(communication(reminder, step=step, patient=patient))
    return requests, sent
