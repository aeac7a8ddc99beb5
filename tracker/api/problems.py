"""RFC 9457 problem details: every error under /api is application/problem+json, never HTML."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from tracker.api.schemas import FieldError, Problem

PROBLEM_TYPE = "about:blank"  # RFC 9457 §4.2: the title is then the HTTP status phrase
MEDIA_TYPE = "application/problem+json"
PREFIX = "/api/"
log = logging.getLogger(__name__)


class ApiProblem(Exception):
    """An error a client can act on; raised by views and turned into problem+json."""

    def __init__(
        self, status: int, detail: str, *, title: str = "", errors: list[FieldError] | None = None
    ) -> None:
        super().__init__(detail)
        self.status, self.detail, self.title, self.errors = status, detail, title, errors


TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    412: "Precondition Failed",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    428: "Precondition Required",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


def problem_response(
    status: int, detail: str, *, title: str = "", errors: list[FieldError] | None = None
) -> Response:
    """A problem+json response."""
    body = Problem(
        type=PROBLEM_TYPE,
        title=title or TITLES.get(status, "Error"),
        status=status,
        detail=detail,
        errors=errors,
    )
    response = Response(body.model_dump_json(exclude_none=True), status=status, mimetype=MEDIA_TYPE)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="tracker"'
    return response


def init_app(app: Flask) -> None:
    """Route every error of an /api request to problem+json; others keep the app's pages."""
    # Routing errors (404 for an unknown path, 405) happen before any blueprint is chosen, so
    # the app-wide handler decides by path and hands the rest to the handler it replaces.
    previous = app.error_handler_spec[None][None].get(HTTPException)

    def on_http_error(error: HTTPException) -> Any:
        if request.path.startswith(PREFIX) or previous is None:
            code = error.code or 500
            return problem_response(code, error.description or TITLES.get(code, "Error"))
        return previous(error)

    app.register_error_handler(HTTPException, on_http_error)


def on_api_problem(error: ApiProblem) -> Response:
    return problem_response(error.status, error.detail, title=error.title, errors=error.errors)


def on_unexpected(error: Exception) -> Response:
    """Any other exception inside the API: logged with its traceback, answered as problem+json."""
    if isinstance(error, HTTPException):
        code = error.code or 500
        return problem_response(code, error.description or TITLES.get(code, "Error"))
    log.exception("unexpected error in %s %s", request.method, request.path)
    return problem_response(500, "an unexpected error happened; it has been logged")
