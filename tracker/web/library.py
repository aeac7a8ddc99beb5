"""The pathway library: every pathway, its versions and their timed steps, read-only."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from tracker.auth import require_staff_for_blueprint
from tracker.db import get_session
from tracker.library import pathways
from tracker.reading import wording

bp = Blueprint("library", __name__)


@bp.get("/")
def home() -> Response:
    return redirect(url_for("library.index"))


@bp.get("/pathways/")
def index() -> str:
    return render_template("library/index.html", summaries=pathways.summaries(get_session()))


@bp.get("/pathways/<slug>")
def detail(slug: str) -> str:
    session = get_session()
    pathway = pathways.get_pathway(session, slug) or abort(404)
    versions = pathways.versions_of(session, pathway)
    number = request.args.get("version", type=int)
    version = next((v for v in versions if v.number == number), None) if number else versions[-1]
    if version is None:
        abort(404)
    steps = pathways.steps_of(session, version)
    return render_template(
        "library/detail.html", pathway=pathway, versions=versions, version=version, steps=steps
    )


bp.add_app_template_filter(wording.step_window, "step_window")
require_staff_for_blueprint(bp)
