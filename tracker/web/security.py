"""Security for every blueprint: CSRF protection, response headers, the trusted proxy, ids
bounded to the database's range, and hostile input refused before any view runs."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import Flask, Response, abort, current_app, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.datastructures import MultiDict
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from tracker.errors import ConfigurationError
from tracker.web import attempt_limits

csrf = CSRFProtect()

MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL; a larger one is simply not found
MAX_PATH_LENGTH = 2000
MAX_QUERY_VALUE_LENGTH = 2000
MAX_FORM_VALUE_LENGTH = 100_000  # a step's text or a document is far shorter
HSTS = "max-age=31536000; includeSubDomains"
# No inline script or style anywhere: pages load /static files only.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


class BoundedIntegerConverter(IntegerConverter):
    """`<int:…>` that matches only ids the database can hold: 2**31 in a URL is a 404, not
    an out-of-range error from PostgreSQL."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = MAX_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, MAX_ID if max is None else max, signed)


def init_app(app: Flask) -> None:
    """CSRF on every form, shared attempt limits, bounded ids, the input guard, the headers
    and, when configured, the trusted proxy. Runs before any blueprint is registered."""
    app.before_request(refuse_hostile_input)  # first: its reason beats "CSRF token missing"
    csrf.init_app(app)
    attempt_limits.init_app(app)
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.after_request(_add_headers)
    proxies = _proxy_count(app.config.get("PROXY_FIX", 0))
    if proxies:
        # Only the nearest `proxies` hops are believed; a client's own X-Forwarded-For beyond
        # them is ignored, so nobody picks their address to dodge the attempt limits.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=proxies,
            x_proto=proxies,
            x_host=proxies,
            x_port=proxies,
            x_prefix=proxies,
        )


def _proxy_count(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int) and value >= 0:
        return value
    raise ConfigurationError(
        f"TRACKER_PROXY_FIX={value!r}: give the number of trusted proxies in front (0 or 1)"
    )


def _problem(values: MultiDict[str, str], where: str, longest: int) -> str | None:
    for name, value in values.items(multi=True):
        if "\x00" in name or "\x00" in value:
            return f"The {where} contains a NUL character, which no field accepts."
        if len(name) > longest or len(value) > longest:
            return f"A value in the {where} is longer than {longest} characters."
    return None


def refuse_hostile_input() -> None:
    """400 with the reason for NUL characters or over-long values in the path, the query or
    a form, before any view or database query sees them."""
    if len(request.path) > MAX_PATH_LENGTH:
        abort(HTTPStatus.BAD_REQUEST, f"The address is longer than {MAX_PATH_LENGTH} characters.")
    if "\x00" in request.path:
        abort(HTTPStatus.BAD_REQUEST, "The address contains a NUL character.")
    problem = _problem(request.args, "address", MAX_QUERY_VALUE_LENGTH)
    if problem is None and request.method in ("POST", "PUT", "PATCH"):
        problem = _problem(request.form, "form", MAX_FORM_VALUE_LENGTH)
    if problem:
        abort(HTTPStatus.BAD_REQUEST, problem)


def _add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.config.get("HTTPS"):
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    # Staff pages and patients' pages show personal data: no copy in any cache or on a shared
    # computer's disk. Only the static files are the same for everyone.
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response
