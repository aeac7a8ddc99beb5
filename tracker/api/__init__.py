"""The JSON API under /api/v1, for machine clients with bearer tokens (`tracker token create`).

Views parse (pydantic models), call the same services the pages and commands call, and render
JSON; errors are RFC 9457 problem+json. The OpenAPI 3.1 document is generated from the same
models: pydantic writes JSON Schema 2020-12, which is OpenAPI 3.1's own schema dialect, and
apispec (marshmallow-code, maintained, no web-framework ties) assembles the paths and
components. Chosen over spectree and flask-openapi3 because those take over request parsing
and error bodies (422 in their own shape), while here every error must be problem+json and
updates need If-Match; their browsable UIs also load Swagger UI or Redoc from a CDN, which
the app's CSP (script-src 'self') blocks, so /api/v1/ is a plain list of operations instead.
"""

from __future__ import annotations

from flask import Flask

from tracker.api import delivery, enrollments, openapi, pathways, patients, problems
from tracker.api.operations import bp

__all__ = ["bp", "init_app"]
RESOURCES = (pathways, patients, enrollments, delivery, openapi)  # imported: they register


def init_app(app: Flask) -> None:
    """Register the API blueprint and its problem+json error handling."""
    problems.init_app(app)
    app.register_blueprint(bp)
