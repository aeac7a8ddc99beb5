"""Liveness for load balancers: `/healthz` answers "ok" without touching the database.

It is also the benchmark's baseline (bench/bench_patient.py): the smallest route the app
serves, through the same middleware as every page.
"""

from __future__ import annotations

from flask import Blueprint, Response

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """Alive: the process answers requests."""
    return Response("ok", mimetype="text/plain")
