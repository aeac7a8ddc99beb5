"""Errors under /fhir as FHIR OperationOutcome resources, never HTML and never a bare 500."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from tracker.fhir.elements import Json

MEDIA_TYPE = "application/fhir+json"
PREFIX = "/fhir/"
# HTTP status -> the OperationOutcome issue type (R4 value set issue-type).
ISSUE_TYPES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    413: "too-long",
    429: "throttled",
}
log = logging.getLogger(__name__)


class FhirError(Exception):
    """An error a client can act on; raised by views, answered as an OperationOutcome."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def outcome(status: int, detail: str) -> Json:
    """An OperationOutcome with one error issue."""
    issue = {
        "severity": "error",
        "code": ISSUE_TYPES.get(status, "exception"),
        "diagnostics": detail,
    }
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def outcome_response(status: int, detail: str) -> Response:
    """The OperationOutcome as an application/fhir+json response with this status."""
    import json

    response = Response(json.dumps(outcome(status, detail)), status=status, mimetype=MEDIA_TYPE)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="tracker"'
    return response


def on_fhir_error(error: FhirError) -> Response:
    return outcome_response(error.status, error.detail)


def on_unexpected(error: Exception) -> Response:
    """Any other exception in a FHIR view: logged with its traceback, answered as an outcome."""
    if isinstance(error, HTTPException):
        return outcome_response(error.code or 500, error.description or "error")
    log.exception("unexpected error in %s %s", request.method, request.path)
    return outcome_response(500, "an unexpected error happened; it has been logged")


def init_app(app: Flask) -> None:
    """Answer routing errors under /fhir/ (unknown address, wrong method) as outcomes too.

    They happen before a blueprint is chosen, so this app-wide handler decides by path and
    hands every other path to the handler it replaces (the JSON API's, then the pages')."""
    previous = app.error_handler_spec[None][None].get(HTTPException)

    def on_http_error(error: HTTPException) -> Any:
        if request.path.startswith(PREFIX):
            return outcome_response(error.code or 500, error.description or "error")
        return error if previous is None else previous(error)

    app.register_error_handler(HTTPException, on_http_error)
