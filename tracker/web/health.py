"""Liveness for load balancers: `/healthz` answers "ok" without touching the database."""

from __future__ import annotations

from flask import Blueprint, Response

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """Alive: the process answers requests."""
    return Response("ok", mimetype="text/plain")
