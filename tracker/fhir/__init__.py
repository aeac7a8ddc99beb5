"""FHIR R4 export: pathway versions as PlanDefinition, enrollments as CarePlan with a Task per
checklist item, reminders as CommunicationRequest and Communication, and one Bundle per
enrollment, served read-only as application/fhir+json behind the JSON API's bearer tokens.

`resources` and its neighbours turn rows into plain JSON-ready dicts (no Flask); `views` parses,
checks the token, reads, audits and renders. Hospital engines get what they do not compute
themselves: the relative pathway and the patient's real dates.
"""

from __future__ import annotations

from flask import Flask

from tracker.fhir import outcomes
from tracker.fhir.views import bp

__all__ = ["bp", "init_app"]


def init_app(app: Flask) -> None:
    """Register the FHIR blueprint and its OperationOutcome error handling."""
    outcomes.init_app(app)
    app.register_blueprint(bp)
